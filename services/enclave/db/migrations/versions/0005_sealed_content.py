"""Customer content sealed at rest: data keys wrapped by each organization's transit key, and the
columns that held plaintext (item names, attributes and text, annotation payloads, review comments)
replaced by sealed ones; organizations gain their termination and shredding times.

No installation holds data yet, so plaintext is not converted: the new columns are NOT NULL
without a default, and PostgreSQL refuses to add them to a table that has rows. A database with
content from before this revision must be exported and re-imported through the api.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    api_role = context.config.attributes["api_role"]
    quote = op.get_bind().dialect.identifier_preparer.quote
    op.create_table(
        "data_keys",
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("wrapped", sa.Text(), nullable=False),
        sa.Column("key_version", sa.Integer(), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_data_keys_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_keys")),
        sa.CheckConstraint("purpose IN ('content', 'index')", name=op.f("ck_data_keys_purpose")),
    )
    op.create_index(op.f("ix_data_keys_organization_id"), "data_keys", ["organization_id"], unique=False)
    # One index key per organization, for ever: item names' blind index must not change.
    op.create_index(
        "uq_data_keys_index_key",
        "data_keys",
        ["organization_id"],
        unique=True,
        postgresql_where=sa.text("purpose = 'index'"),
    )
    op.execute("ALTER TABLE data_keys ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE data_keys FORCE ROW LEVEL SECURITY")
    op.execute(
        "CREATE POLICY tenant_isolation ON data_keys "
        "USING (organization_id = enclave_current_org()) WITH CHECK (organization_id = enclave_current_org())"
    )
    # A data key row is never deleted by the api (rotation re-wraps it; shredding destroys the
    # transit key that wraps it).
    op.execute(f"REVOKE DELETE, TRUNCATE ON data_keys FROM {quote(api_role)}")

    for column in ("name", "attributes"):  # drops the unique constraint on names with them
        op.drop_column("data_items", column)
    op.add_column("data_items", sa.Column("name", sa.LargeBinary(), nullable=False))
    op.add_column("data_items", sa.Column("name_index", sa.LargeBinary(), nullable=False))
    op.add_column("data_items", sa.Column("attributes", sa.LargeBinary(), nullable=False))
    op.add_column("data_items", sa.Column("text", sa.LargeBinary(), nullable=True))
    op.add_column("data_items", sa.Column("size", sa.BigInteger(), nullable=True))
    op.add_column("data_items", sa.Column("stored", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("data_items", sa.Column("object_header", sa.LargeBinary(), nullable=True))
    op.create_unique_constraint(
        op.f("uq_data_items_dataset_id_name_index"), "data_items", ["dataset_id", "name_index"]
    )

    op.drop_column("annotation_versions", "payload")
    op.add_column("annotation_versions", sa.Column("payload", sa.LargeBinary(), nullable=False))
    op.drop_column("reviews", "comment")
    op.add_column("reviews", sa.Column("comment", sa.LargeBinary(), nullable=False))

    op.add_column("organizations", sa.Column("terminated_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("organizations", sa.Column("shred_after", sa.DateTime(timezone=True), nullable=True))
    op.add_column("organizations", sa.Column("shredded_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    for column in ("shredded_at", "shred_after", "terminated_at"):
        op.drop_column("organizations", column)
    op.drop_column("reviews", "comment")
    op.add_column("reviews", sa.Column("comment", sa.Text(), nullable=False, server_default=""))
    op.drop_column("annotation_versions", "payload")
    op.add_column(
        "annotation_versions",
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    )
    for column in ("object_header", "stored", "size", "text", "attributes", "name_index", "name"):
        op.drop_column("data_items", column)
    op.add_column("data_items", sa.Column("name", sa.String(length=500), nullable=False))
    op.add_column(
        "data_items",
        sa.Column("attributes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    )
    op.create_unique_constraint("uq_data_items_dataset_id_name", "data_items", ["dataset_id", "name"])
    op.drop_table("data_keys")
