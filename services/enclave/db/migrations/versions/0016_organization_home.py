"""Where an organization's objects live: the customer's own S3 bucket it was created with, or (all
three columns null) the installation's managed bucket for it.

Set once, when the organization is made, and never changed: objects already stored would be left
behind in the old place, readable by nobody who looks in the new one. A trigger refuses the change
whatever the caller (row-level security decides who may touch the row, not what may change in it).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_COLUMNS = ("storage_endpoint", "storage_bucket", "storage_region")


def upgrade() -> None:
    op.add_column("organizations", sa.Column("storage_endpoint", sa.String(512), nullable=True))
    op.add_column("organizations", sa.Column("storage_bucket", sa.String(63), nullable=True))
    op.add_column("organizations", sa.Column("storage_region", sa.String(64), nullable=True))
    op.create_check_constraint(
        "storage_all_or_none",
        "organizations",
        " AND ".join(f"{c} IS NULL" for c in _COLUMNS)
        + " OR "
        + " AND ".join(f"{c} IS NOT NULL" for c in _COLUMNS),
    )
    changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in _COLUMNS)
    op.execute(
        f"""
        CREATE FUNCTION enclave_keep_home() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF {changed} THEN
                RAISE EXCEPTION 'an organization''s storage is set when it is made and never changed'
                    USING ERRCODE = 'check_violation';
            END IF;
            RETURN NEW;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER organizations_keep_home BEFORE UPDATE ON organizations "
        "FOR EACH ROW EXECUTE FUNCTION enclave_keep_home()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER organizations_keep_home ON organizations")
    op.execute("DROP FUNCTION enclave_keep_home()")
    op.drop_constraint(op.f("ck_organizations_storage_all_or_none"), "organizations")
    for column in reversed(_COLUMNS):
        op.drop_column("organizations", column)
