"""The free tasks of each queue, in the order `tasks/next` hands them out: one partial index per
stage, holding only the open tasks nobody holds, ordered as the take is (priority, age, id).

`tasks/next` read and sorted all of a project's open tasks for every take (1.0 ms for 2,000 as the
api; tens of milliseconds for 100,000). The queue index (project, stage, priority, created_at) could
not give the order: under row-level security PostgreSQL makes only leakproof conditions index
conditions, and enum equality (`enum_eq`) is not leakproof, so `stage = 'annotate'` was a filter and
the index was walked by project alone, across stages, then sorted. A partial index's predicate is
not subject to that rule: these hold exactly the rows a take may choose, keyed by project (uuid
equality is leakproof) and in the take's order, so the take reads the first free task and stops —
0.035 to 0.041 ms, with stale statistics and fresh ones. A task leaves its index as it is taken.

The queue index itself now ends with the id, as the take's order does. With the partial indexes
alone, PostgreSQL (estimating one row for a project its statistics have not counted) still chose
the queue index and a sort for the review stage in some runs; with both, it took the partial index
in every run (`tests/integration/domain/test_task_queue_plan.py`).

Built CONCURRENTLY, outside the migration's transaction: the api goes on writing while an
installation upgrades.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

#: (index, stage, the column that names who holds a task in that stage)
_QUEUES = (
    ("ix_tasks_free_annotate", "annotate", "assignee_id"),
    ("ix_tasks_free_review", "review", "reviewer_id"),
)


_QUEUE = "ix_tasks_queue"


def _queue(name: str, columns: list[str]) -> None:
    op.create_index(
        name,
        "tasks",
        ["project_id", "stage", sa.text("priority DESC"), *columns],
        postgresql_where=sa.text("removed_at IS NULL"),
        postgresql_concurrently=True,
        if_not_exists=True,
    )


def upgrade() -> None:
    with op.get_context().autocommit_block():
        _queue("ix_tasks_queue_ordered", ["created_at", "id"])
        op.drop_index(_QUEUE, table_name="tasks", postgresql_concurrently=True, if_exists=True)
        op.execute(f"ALTER INDEX ix_tasks_queue_ordered RENAME TO {_QUEUE}")
        for name, stage, holder in _QUEUES:
            op.create_index(
                name,
                "tasks",
                ["project_id", sa.text("priority DESC"), "created_at", "id"],
                postgresql_where=sa.text(f"removed_at IS NULL AND stage = '{stage}' AND {holder} IS NULL"),
                postgresql_concurrently=True,
                if_not_exists=True,
            )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        _queue("ix_tasks_queue_unordered", ["created_at"])
        op.drop_index(_QUEUE, table_name="tasks", postgresql_concurrently=True, if_exists=True)
        op.execute(f"ALTER INDEX ix_tasks_queue_unordered RENAME TO {_QUEUE}")
        for name, _, _ in _QUEUES:
            op.drop_index(name, table_name="tasks", postgresql_concurrently=True, if_exists=True)
