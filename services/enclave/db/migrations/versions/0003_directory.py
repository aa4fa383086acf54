"""The organization directory: realm slug → organization, readable before a tenant is bound.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    api_role = context.config.attributes["api_role"]
    quote = op.get_bind().dialect.identifier_preparer.quote
    op.create_table(
        "organization_directory",
        sa.Column("slug", sa.String(length=63), primary_key=True),
        sa.Column(
            "organization_id",
            sa.Uuid(),
            sa.ForeignKey(
                "organizations.id", ondelete="CASCADE", name="fk_organization_directory_organization_id"
            ),
            nullable=False,
            unique=True,
        ),
    )
    op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON organization_directory FROM {quote(api_role)}")


def downgrade() -> None:
    op.drop_table("organization_directory")
