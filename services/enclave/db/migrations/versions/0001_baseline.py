"""Baseline: the installation record and the table rights of the services' roles.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    api_role = context.config.attributes["api_role"]
    audit_role = context.config.attributes["audit_role"]
    quote = op.get_bind().dialect.identifier_preparer.quote
    # Tables the owner creates from now on are readable and writable by the api role; nothing else
    # (no TRUNCATE, no REFERENCES, no DDL). The audit role gets its rights table by table, later.
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {quote(api_role)}"
    )
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {quote(api_role)}"
    )
    op.create_table(
        "installation",
        sa.Column("id", sa.Uuid(), primary_key=True, server_default=sa.text("gen_random_uuid()")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("singleton", sa.Boolean(), nullable=False, server_default=sa.true(), unique=True),
        sa.CheckConstraint("singleton", name="installation_is_singleton"),
    )
    op.execute("INSERT INTO installation DEFAULT VALUES")
    op.execute(f"REVOKE INSERT, UPDATE, DELETE ON installation FROM {quote(api_role)}")
    op.execute(f"GRANT SELECT ON installation TO {quote(audit_role)}")


def downgrade() -> None:
    op.drop_table("installation")
