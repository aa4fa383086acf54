"""A page of a project's tasks or a dataset's items is an index walk that stops after the page.

Lists page in creation order (``created_at, id``, the cursor's keys) within their project or dataset.
No index held that order, so every page read all of the project's open tasks and sorted them: the
first page of 100 took 16 ms at 2,000 tasks and 62 ms at 100,000 (``make bench``, 2026-12-07;
docs/performance.md). Now each list has an index in its order under its parent; project and dataset
equality is a uuid comparison, which is leakproof, so row-level security leaves it an index
condition.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX ix_tasks_page ON tasks (project_id, created_at, id) WHERE removed_at IS NULL")
    op.execute("CREATE INDEX ix_data_items_page ON data_items (dataset_id, created_at, id)")


def downgrade() -> None:
    op.execute("DROP INDEX ix_data_items_page")
    op.execute("DROP INDEX ix_tasks_page")
