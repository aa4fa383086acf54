"""The labeling workflow's settings on each project, and what a task carries through it.

``projects``: ``review_sample_percent`` (review this share of first-time submissions; 100: all),
``sampling_seed`` and ``sampled_submissions`` (the reproducible sample's seed and its counter of
first-time submissions, advanced under the row's lock), ``consensus_annotators`` (k; 1: no consensus)
and ``consensus_threshold`` (agreement below it goes to review), ``claim_lease_seconds`` (how long a
task taken from a queue stays with its taker).

``tasks``: ``claimed_until`` (the lease of whoever holds the task in its current stage; NULL: a
manager's assignment, or nobody), ``consensus_target``/``consensus_submissions`` (the size of the
task's consensus round, fixed when it began, and how many submissions it has), ``agreement`` (the
round's score) and ``result_version_id`` (the version a consensus task settled on; NULL: the
newest; without a foreign key, see ``upgrade``).
Tasks held before this migration keep their holder with no lease, as a manager's assignment would.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_PROJECT_CHECKS = {
    "review_sample_percent": "review_sample_percent BETWEEN 0 AND 100",
    "consensus_annotators": "consensus_annotators BETWEEN 1 AND 10",
    "consensus_threshold": "consensus_threshold BETWEEN 0 AND 1",
    "claim_lease_seconds": "claim_lease_seconds BETWEEN 1 AND 604800",
}


def upgrade() -> None:
    op.add_column(
        "projects",
        sa.Column("review_sample_percent", sa.SmallInteger(), server_default="100", nullable=False),
    )
    op.add_column(
        "projects",
        sa.Column(
            "sampling_seed",
            sa.String(length=128),
            server_default=sa.text("replace(gen_random_uuid()::text, '-', '')"),
            nullable=False,
        ),
    )
    op.add_column(
        "projects", sa.Column("sampled_submissions", sa.BigInteger(), server_default="0", nullable=False)
    )
    op.add_column(
        "projects", sa.Column("consensus_annotators", sa.SmallInteger(), server_default="1", nullable=False)
    )
    op.add_column(
        "projects", sa.Column("consensus_threshold", sa.Float(), server_default="0.8", nullable=False)
    )
    op.add_column(
        "projects", sa.Column("claim_lease_seconds", sa.Integer(), server_default="1800", nullable=False)
    )
    for name, condition in _PROJECT_CHECKS.items():
        op.create_check_constraint(op.f(f"ck_projects_{name}"), "projects", condition)

    op.add_column("tasks", sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
    op.add_column("tasks", sa.Column("consensus_target", sa.SmallInteger(), nullable=True))
    op.add_column(
        "tasks", sa.Column("consensus_submissions", sa.SmallInteger(), server_default="0", nullable=False)
    )
    op.add_column("tasks", sa.Column("agreement", sa.Float(), nullable=True))
    # No foreign key: one from tasks to the append-only history would make PostgreSQL refuse a
    # TRUNCATE of it for the key's sake before its guard trigger refuses it as history. The service
    # sets only the ids of the task's own versions, which are never deleted.
    op.add_column("tasks", sa.Column("result_version_id", sa.Uuid(), nullable=True))


def downgrade() -> None:
    for column in (
        "result_version_id",
        "agreement",
        "consensus_submissions",
        "consensus_target",
        "claimed_until",
    ):
        op.drop_column("tasks", column)
    for name in _PROJECT_CHECKS:
        op.drop_constraint(op.f(f"ck_projects_{name}"), "projects", type_="check")
    for column in (
        "claim_lease_seconds",
        "consensus_threshold",
        "consensus_annotators",
        "sampled_submissions",
        "sampling_seed",
        "review_sample_percent",
    ):
        op.drop_column("projects", column)
