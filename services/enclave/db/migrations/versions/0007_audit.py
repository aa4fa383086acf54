"""The audit trail: an outbox the api writes in the same transaction as each change, and the
append-only, hash-chained log (and its signed checkpoints) that only the audit service writes.

Rights: the api may only INSERT into the outbox (its own organization's rows) and read its own
organization's log for search and export; the audit role reads and empties the outbox and may only
INSERT and SELECT log and checkpoints. A trigger refuses UPDATE, DELETE and TRUNCATE of the log and
the checkpoints to everyone, the owner included.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

LOG_TABLES = ("audit_log", "audit_checkpoints")


def upgrade() -> None:
    api_role = context.config.attributes["api_role"]
    audit_role = context.config.attributes["audit_role"]
    quote = op.get_bind().dialect.identifier_preparer.quote
    api, audit = quote(api_role), quote(audit_role)

    op.create_table(
        "audit_outbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column("event_id", sa.Uuid(), nullable=False, unique=True),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("event", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False, unique=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        # The canonical bytes the hash covers; the columns above are copies for search, and verify
        # checks that they agree with them.
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("prev_hash", sa.LargeBinary(), nullable=False),
        sa.Column("hash", sa.LargeBinary(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("organization_id", "seq", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_occurred_at", "audit_log", ["organization_id", "occurred_at"])
    op.create_table(
        "audit_checkpoints",
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", sa.LargeBinary(), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("key_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("organization_id", "seq", name="pk_audit_checkpoints"),
    )

    # Row-level security: the api sees and writes only its tenant's rows; the audit role all of them.
    for table in ("audit_outbox", *LOG_TABLES):
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_isolation ON {table} TO {api} "
            "USING (organization_id = enclave_current_org()) "
            "WITH CHECK (organization_id = enclave_current_org())"
        )
        op.execute(f"CREATE POLICY audit_service ON {table} TO {audit} USING (true) WITH CHECK (true)")

    op.execute(f"REVOKE ALL ON audit_outbox FROM {api}")
    op.execute(f"GRANT INSERT ON audit_outbox TO {api}")
    op.execute(f"GRANT SELECT, DELETE ON audit_outbox TO {audit}")
    for table in LOG_TABLES:
        op.execute(f"REVOKE ALL ON {table} FROM {api}")
        op.execute(f"GRANT SELECT ON {table} TO {api}")
        op.execute(f"GRANT SELECT, INSERT ON {table} TO {audit}")
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION enclave_refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION enclave_refuse_change()"
        )


def downgrade() -> None:
    for table in ("audit_checkpoints", "audit_log", "audit_outbox"):
        op.drop_table(table)
