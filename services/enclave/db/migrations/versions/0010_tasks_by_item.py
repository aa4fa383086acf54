"""An index on the data item of open tasks: every read of an item's content finds the tasks on it
(the policy allows the read through any of them), and without this it scanned the organization's
tasks — every task of a 100,000-image project for each image an annotator opens.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_tasks_data_item_id", "tasks", ["data_item_id"], postgresql_where=sa.text("removed_at IS NULL")
    )


def downgrade() -> None:
    op.drop_index("ix_tasks_data_item_id", table_name="tasks")
