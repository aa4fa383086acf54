"""``tasks/next`` without a sort: a partial index per stage in the take's exact order, and the free
take as a function whose plan cannot sort.

Under row-level security PostgreSQL makes only leakproof conditions index conditions, and enum
equality is not leakproof, so the queue index was walked by project alone across every stage and the
project's open tasks sorted for each take (docs/performance.md). A partial index's predicate is not
subject to that rule, so one index per stage holds that stage's open tasks in the take's order; but
whether the planner picks it depended on its statistics (a fresh database sorted). The functions
carry their own settings, ``enable_sort``, ``enable_incremental_sort`` and ``jit`` off, for their
statement only: the one plan left walks the stage's index and stops at the first free task.
``tests/integration/db/test_take_plan.py`` reads that plan, as executed, on a database made for it.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

#: Stage → the column that holds its worker.
_HOLDERS = {"annotate": "assignee_id", "review": "reviewer_id"}


def _function(stage: str, holder: str) -> str:
    # Nobody reviews their own work; a consensus task is never handed to someone who submitted to it.
    own_work = " AND t.assignee_id IS DISTINCT FROM p_person" if stage == "review" else ""
    return f"""
CREATE FUNCTION enclave_take_free_{stage}(p_person uuid, p_org uuid, p_project uuid)
RETURNS SETOF tasks
LANGUAGE plpgsql
SET enable_sort = off
SET enable_incremental_sort = off
SET jit = off
AS $$
BEGIN
  RETURN QUERY
  UPDATE tasks SET {holder} = p_person,
    claimed_until = now() + make_interval(secs => (SELECT p.claim_lease_seconds FROM projects p
                                                  WHERE p.id = p_project AND p.organization_id = p_org)),
    version = version + CASE WHEN {holder} IS DISTINCT FROM p_person THEN 1 ELSE 0 END,
    updated_at = CASE WHEN {holder} IS DISTINCT FROM p_person THEN now() ELSE updated_at END
  WHERE id = (
    SELECT t.id FROM tasks t
    WHERE t.organization_id = p_org AND t.project_id = p_project AND t.stage = '{stage}'
      AND t.removed_at IS NULL
      AND (t.{holder} IS NULL OR t.claimed_until <= now()){own_work}
      AND (t.consensus_target IS NULL OR NOT EXISTS (SELECT 1 FROM annotation_versions a
           WHERE a.task_id = t.id AND a.organization_id = p_org AND a.author_id = p_person))
    ORDER BY t.priority DESC, t.consensus_submissions DESC, t.created_at, t.id
    LIMIT 1
    FOR UPDATE SKIP LOCKED
  ) AND organization_id = p_org
  RETURNING tasks.*;
END $$
"""  # noqa: S608  # nosec B608 — from this module's constants only


def upgrade() -> None:
    for stage, holder in _HOLDERS.items():
        op.execute(
            f"CREATE INDEX ix_tasks_take_{stage} ON tasks "
            "(project_id, priority DESC, consensus_submissions DESC, created_at, id) "
            f"WHERE stage = '{stage}' AND removed_at IS NULL"
        )
        op.execute(_function(stage, holder))


def downgrade() -> None:
    for stage in _HOLDERS:
        op.execute(f"DROP FUNCTION enclave_take_free_{stage}(uuid, uuid, uuid)")
        op.execute(f"DROP INDEX ix_tasks_take_{stage}")
