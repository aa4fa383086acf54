"""``tasks/next`` in one statement whose plan cannot read the project's queue for the caller's own work.

The caller's own work (a task they hold or were assigned) was looked for first, by a statement of its
own. On a project loaded moments before (no ``ANALYZE`` yet) the planner guessed six open tasks and
ANDed two bitmaps: the holder's index and the whole stage queue of the project, 100,197 rows read to
find none (11.7 ms of an 18 ms take at 100,000 tasks; docs/performance.md). Now a partial index per
stage holds open tasks by their holder, then project, in the take's order, so the caller's own next
task is the first entry under ``(holder, project)``; and ``enclave_take_<stage>`` looks there, then
takes free work with ``enclave_take_free_<stage>`` (0017), in one round trip. The function carries
``enable_bitmapscan``, ``enable_sort``, ``enable_incremental_sort`` and ``jit`` off for its statements
only, so the one plan left is that index's walk, whatever the statistics say.
``tests/integration/db/test_take_plan.py`` reads both plans as executed on a database made for it.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

#: Stage → the column that holds its worker.
_HOLDERS = {"annotate": "assignee_id", "review": "reviewer_id"}


def _function(stage: str, holder: str) -> str:
    # Nobody reviews their own work; a consensus task is never handed to someone who submitted to it.
    # A manager's assignment has no lease and keeps none; a claim's lease is renewed. The ETag's
    # version moves only when the holder changes.
    own_work = " AND t.assignee_id IS DISTINCT FROM p_person" if stage == "review" else ""
    return f"""
CREATE FUNCTION enclave_take_{stage}(p_person uuid, p_org uuid, p_project uuid)
RETURNS SETOF tasks
LANGUAGE plpgsql
SET enable_bitmapscan = off
SET enable_sort = off
SET enable_incremental_sort = off
SET jit = off
AS $$
BEGIN
  RETURN QUERY
  UPDATE tasks SET
    claimed_until = CASE WHEN claimed_until IS NULL THEN NULL ELSE
      now() + make_interval(secs => (SELECT p.claim_lease_seconds FROM projects p
                                     WHERE p.id = p_project AND p.organization_id = p_org)) END
  WHERE id = (
    SELECT t.id FROM tasks t
    WHERE t.{holder} = p_person AND t.project_id = p_project AND t.organization_id = p_org
      AND t.stage = '{stage}' AND t.removed_at IS NULL{own_work}
      AND (t.consensus_target IS NULL OR NOT EXISTS (SELECT 1 FROM annotation_versions a
           WHERE a.task_id = t.id AND a.organization_id = p_org AND a.author_id = p_person))
    ORDER BY t.priority DESC, t.consensus_submissions DESC, t.created_at, t.id
    LIMIT 1
    FOR UPDATE SKIP LOCKED
  ) AND organization_id = p_org
  RETURNING tasks.*;
  IF NOT FOUND THEN
    RETURN QUERY SELECT * FROM enclave_take_free_{stage}(p_person, p_org, p_project);
  END IF;
END $$
"""  # noqa: S608  # nosec B608 — from this module's constants only


def upgrade() -> None:
    for stage, holder in _HOLDERS.items():
        op.execute(
            f"CREATE INDEX ix_tasks_mine_{stage} ON tasks "
            f"({holder}, project_id, priority DESC, consensus_submissions DESC, created_at, id) "
            f"WHERE stage = '{stage}' AND removed_at IS NULL AND {holder} IS NOT NULL"
        )
        op.execute(_function(stage, holder))


def downgrade() -> None:
    for stage in _HOLDERS:
        op.execute(f"DROP FUNCTION enclave_take_{stage}(uuid, uuid, uuid)")
        op.execute(f"DROP INDEX ix_tasks_mine_{stage}")
