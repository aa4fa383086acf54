"""The caller's own work is found by its own index whatever the statistics say (0019 left a choice).

0019's take looked for the caller's own task with ``ORDER BY priority DESC, consensus_submissions
DESC, created_at, id LIMIT 1`` under ``holder = caller AND project = p``. Two indexes give that
order: ``ix_tasks_mine_<stage>`` (holder and project first) and the free take's
``ix_tasks_take_<stage>`` (project first; the holder then a filter). Which one PostgreSQL walked
depended on its statistics: in a fresh clone's CI run, a caller who held a task had it found by
walking the project's queue (``test_a_take_of_ones_own_work_reads_only_ones_own`` failed), though on
this machine it took the caller's index every time.

Now the own-work order ends in ``claimed_until`` after ``id``, and ``ix_tasks_mine_<stage>`` ends in
it too. ``id`` is unique, so the extra key never reorders a row; but only that index gives the whole
order, and the function has sorts and incremental sorts off, so any other walk would need a
disabled sort: the caller's index is the one plan left.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

#: Stage → the column that holds its worker.
_HOLDERS = {"annotate": "assignee_id", "review": "reviewer_id"}
_ORDER = "priority DESC, consensus_submissions DESC, created_at, id"


def _index(stage: str, holder: str, order: str) -> str:
    return (
        f"CREATE INDEX ix_tasks_mine_{stage} ON tasks ({holder}, project_id, {order}) "
        f"WHERE stage = '{stage}' AND removed_at IS NULL AND {holder} IS NOT NULL"
    )


def _function(stage: str, holder: str, tie_break: str = ", t.claimed_until") -> str:
    # Nobody reviews their own work; a consensus task is never handed to someone who submitted to it.
    # A manager's assignment has no lease and keeps none; a claim's lease is renewed. The ETag's
    # version moves only when the holder changes, which here it never does.
    own_work = " AND t.assignee_id IS DISTINCT FROM p_person" if stage == "review" else ""
    return f"""
CREATE OR REPLACE FUNCTION enclave_take_{stage}(p_person uuid, p_org uuid, p_project uuid)
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
    ORDER BY t.priority DESC, t.consensus_submissions DESC, t.created_at, t.id{tie_break}
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
        op.execute(f"DROP INDEX ix_tasks_mine_{stage}")
        op.execute(_index(stage, holder, f"{_ORDER}, claimed_until"))
        op.execute(_function(stage, holder))


def downgrade() -> None:
    for stage, holder in _HOLDERS.items():
        op.execute(f"DROP INDEX ix_tasks_mine_{stage}")
        op.execute(_index(stage, holder, _ORDER))
        op.execute(_function(stage, holder, tie_break=""))
