"""Keycloak's login events in the trail: how far each realm has been pulled, and the audit role's
rights to pull them.

The audit service reads each organization realm's events from Keycloak and adds them to the outbox,
with the realm's cursor in ``audit_sources`` in the same transaction. For that the audit role may:
add to the outbox (INSERT; it already reads and empties it), read and move its cursors, map a realm
to its organization (the directory's two columns, and whether the organization was shredded) and a
Keycloak user to its member (three columns of ``users``: id, organization, subject). Column grants
keep everything else of those tables (names, e-mail addresses, settings) out of its reach; a
read-only policy lets it past row-level security on exactly those two tables. The api gets no right
on ``audit_sources``.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

#: table → the columns the audit role may read; the tables with row-level security get a policy.
READABLE = {
    "organization_directory": ("slug", "organization_id"),
    "organizations": ("id", "shredded_at"),
    "users": ("id", "organization_id", "subject"),
}
ROW_SECURED = ("organizations", "users")
POLICY = "audit_service_read"


def upgrade() -> None:
    api_role = context.config.attributes["api_role"]
    audit_role = context.config.attributes["audit_role"]
    quote = op.get_bind().dialect.identifier_preparer.quote
    api, audit = quote(api_role), quote(audit_role)

    op.create_table(
        "audit_sources",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(100), nullable=False),
        sa.Column("cursor_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("organization_id", "source", name="pk_audit_sources"),
    )
    op.execute("ALTER TABLE audit_sources ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE audit_sources FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY audit_service ON audit_sources TO {audit} USING (true) WITH CHECK (true)")
    op.execute(f"REVOKE ALL ON audit_sources FROM {api}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON audit_sources TO {audit}")

    op.execute(f"GRANT INSERT ON audit_outbox TO {audit}")
    for table, columns in READABLE.items():
        op.execute(f"GRANT SELECT ({', '.join(columns)}) ON {table} TO {audit}")
    for table in ROW_SECURED:
        op.execute(f"CREATE POLICY {POLICY} ON {table} FOR SELECT TO {audit} USING (true)")


def downgrade() -> None:
    audit = op.get_bind().dialect.identifier_preparer.quote(context.config.attributes["audit_role"])
    for table in ROW_SECURED:
        op.execute(f"DROP POLICY IF EXISTS {POLICY} ON {table}")
    for table, columns in READABLE.items():
        op.execute(f"REVOKE ALL ({', '.join(columns)}) ON {table} FROM {audit}")
    op.execute(f"REVOKE INSERT ON audit_outbox FROM {audit}")
    op.drop_table("audit_sources")
