"""Where an organization's key lives: the customer's own Vault-API server (its address) and transit
mount, each null for the installation's. Like its storage (0016), set when it is made and never
changed: its data keys are wrapped there, and a key elsewhere opens none of them.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def _keep(columns: tuple[str, ...]) -> str:
    changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in columns)
    return f"""
        CREATE OR REPLACE FUNCTION enclave_keep_home() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF {changed} THEN
                RAISE EXCEPTION 'an organization''s storage and KMS are set when it is made and never changed'
                    USING ERRCODE = 'check_violation';
            END IF;
            RETURN NEW;
        END $$
        """


_STORAGE = ("storage_endpoint", "storage_bucket", "storage_region")
_KMS = ("kms_address", "kms_mount")


def upgrade() -> None:
    op.add_column("organizations", sa.Column("kms_address", sa.String(2048), nullable=True))
    op.add_column("organizations", sa.Column("kms_mount", sa.String(128), nullable=True))
    op.execute(_keep(_STORAGE + _KMS))


def downgrade() -> None:
    op.execute(_keep(_STORAGE))
    op.drop_column("organizations", "kms_mount")
    op.drop_column("organizations", "kms_address")
