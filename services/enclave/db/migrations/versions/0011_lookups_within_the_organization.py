"""The large tables looked up row by row — annotation versions and reviews (by task), data items (by
id), tasks (by project, item or id) — lose their index on the organization alone.

Under row-level security every lookup also names the organization. For an organization PostgreSQL's
statistics had not counted yet (a project imported and annotated minutes ago, in a database of many
small organizations), that index looked as selective as the lookup's own, and PostgreSQL used it:
the export read all of the organization's items, versions and reviews for each task — quadratic,
0.24 s instead of 0.01 s for 2,000 tasks, growing with the project. Every query the api makes on
these tables names a task, item, project or dataset, so each finds its rows by that key's index and
the organization is a check on those few rows. Organizations are never deleted (termination shreds
their keys), so the foreign key's cascade, which such an index would serve, never runs.

Dropped CONCURRENTLY, outside the migration's transaction: the api goes on writing while an
installation upgrades.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_TABLES = ("annotation_versions", "reviews", "data_items", "tasks")


def upgrade() -> None:
    with op.get_context().autocommit_block():
        for table in _TABLES:
            op.drop_index(
                f"ix_{table}_organization_id", table_name=table, postgresql_concurrently=True, if_exists=True
            )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        for table in _TABLES:
            op.create_index(
                f"ix_{table}_organization_id",
                table,
                ["organization_id"],
                postgresql_concurrently=True,
                if_not_exists=True,
            )
