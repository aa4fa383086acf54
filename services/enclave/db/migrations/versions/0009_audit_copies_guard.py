"""The audit log's search columns held to its hashed content by PostgreSQL: a CHECK constraint
refuses any row whose copies (sequence number, organization, event id, action, actor, target,
outcome) disagree with what its content says. Existing rows are validated as it is added.

The name and condition are frozen here, as this migration first wrote them: a migration imports no
application module, which may change after it ran. ``enclave.audit_trail.guard`` keeps its own copy
(and the form PostgreSQL prints back), and a test holds the two to each other.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

NAME = "ck_audit_log_copies"
CONDITION = (
    "jsonb_path_match(convert_from(content, 'UTF8')::jsonb,"
    " 'strict $.format == 1 && $.seq == $seq && $.event.organization_id == $organization_id"
    " && $.event.event_id == $event_id && $.event.action == $action && $.event.actor == $actor"
    " && $.event.target == $target && $.event.outcome == $outcome',"
    " jsonb_build_object('seq', seq, 'organization_id', organization_id, 'event_id', event_id,"
    " 'action', action, 'actor', actor, 'target', target, 'outcome', outcome), true) IS TRUE"
)

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(f"ALTER TABLE audit_log ADD CONSTRAINT {NAME} CHECK ({CONDITION})")


def downgrade() -> None:
    op.execute(f"ALTER TABLE audit_log DROP CONSTRAINT {NAME}")
