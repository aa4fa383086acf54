"""The audit log's search columns held to its hashed content by PostgreSQL: a CHECK constraint
(``enclave.audit.guard``) refuses any row whose copies (sequence number, organization, event id, action,
actor, target, outcome) disagree with what its content says. Existing rows are validated as it is added.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

from enclave.audit import guard

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(f"ALTER TABLE audit_log ADD CONSTRAINT {guard.NAME} CHECK ({guard.CONDITION})")


def downgrade() -> None:
    op.execute(f"ALTER TABLE audit_log DROP CONSTRAINT {guard.NAME}")
