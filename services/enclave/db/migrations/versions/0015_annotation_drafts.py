"""Drafts: an annotator's saved, unsent work on a task, one per task and author, sealed.

Isolated per tenant like every table (forced row-level security). Not append-only: a draft is
replaced when saved again and deleted when its author submits.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "annotation_drafts",
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_annotation_drafts_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_annotation_drafts_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_annotation_drafts_task_id_tasks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annotation_drafts")),
        sa.UniqueConstraint("task_id", "author_id", name=op.f("uq_annotation_drafts_task_id_author_id")),
    )
    op.execute("ALTER TABLE annotation_drafts ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE annotation_drafts FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY tenant_isolation ON annotation_drafts "
        "USING (organization_id = enclave_current_org()) WITH CHECK (organization_id = enclave_current_org())"
    )


def downgrade() -> None:
    op.drop_table("annotation_drafts")
