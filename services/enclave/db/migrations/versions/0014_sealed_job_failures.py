"""A job's failure is a code, and its words are sealed: they could quote the customer's content.

``jobs.error`` held the reason a job failed as plain text, and an import's reason can quote an item's
name, a label or a span's text (``task 2004, annotations[0].result[1] ...``, ``photo-of-a-patient.png
is not uploaded``) — content that is sealed everywhere else. It becomes ``failure`` (a code from
``JobFailure``: cancelled, invalid, fault, abandoned) and ``failure_detail`` (the words of an
``invalid`` failure, sealed with the organization's key and bound to the job's row, as a review's
comment is). The claim function writes the code ``abandoned`` instead of its sentence.

Rows failed before this migration keep their code; their words are dropped, not sealed (a migration
holds no key), and the api says the reason was not kept.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_FAILURES = "failure IN ('cancelled', 'invalid', 'fault', 'abandoned')"
_FAULT = "The job failed on the server; nothing was kept. Ask again, or ask your administrator."

# The claim function of migration 0012, with the code in place of the sentence.
_CLAIM = """
CREATE OR REPLACE FUNCTION enclave_claim_job(worker_name text, lease_seconds integer)
RETURNS TABLE (job_id uuid, organization_id uuid, attempt integer)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  UPDATE jobs SET state = 'failed', finished_at = now(), lease_until = NULL, {column} = {value}
   WHERE state = 'running' AND lease_until < now() AND attempts >= 3;
  RETURN QUERY
  UPDATE jobs AS j
     SET state = 'running', worker = worker_name, attempts = j.attempts + 1,
         lease_until = now() + make_interval(secs => lease_seconds),
         started_at = coalesce(j.started_at, now()), progress_done = 0
   WHERE j.id = (
         SELECT c.id FROM jobs AS c
          WHERE (c.state = 'queued' OR (c.state = 'running' AND c.lease_until < now()))
            AND NOT c.cancel_requested
          ORDER BY c.created_at
          FOR UPDATE SKIP LOCKED
          LIMIT 1)
  RETURNING j.id, j.organization_id, j.attempts;
END $$
"""


def upgrade() -> None:
    op.add_column("jobs", sa.Column("failure", sa.String(length=20), nullable=True))
    op.add_column("jobs", sa.Column("failure_detail", sa.LargeBinary(), nullable=True))
    op.create_check_constraint(op.f("ck_jobs_failure"), "jobs", _FAILURES)
    op.execute(
        sa.text(
            "UPDATE jobs SET failure = CASE"
            " WHEN error LIKE 'Cancelled%' THEN 'cancelled'"
            " WHEN error LIKE 'The job stopped%' THEN 'abandoned'"
            " WHEN error = :fault THEN 'fault'"
            " ELSE 'invalid' END"
            " WHERE error IS NOT NULL"
        ).bindparams(fault=_FAULT)
    )
    op.drop_column("jobs", "error")
    op.execute(_CLAIM.format(column="failure", value="'abandoned'"))


def downgrade() -> None:
    op.add_column("jobs", sa.Column("error", sa.Text(), nullable=True))
    op.execute(
        sa.text(
            "UPDATE jobs SET error = CASE failure"
            " WHEN 'cancelled' THEN 'Cancelled; nothing was kept.'"
            " WHEN 'abandoned' THEN 'The job stopped 3 times without finishing; nothing was kept.'"
            " WHEN 'fault' THEN :fault"
            " ELSE 'The job could not be done; its reason was not kept.' END"
            " WHERE failure IS NOT NULL"
        ).bindparams(fault=_FAULT)
    )
    op.drop_constraint(op.f("ck_jobs_failure"), "jobs", type_="check")
    op.drop_column("jobs", "failure_detail")
    op.drop_column("jobs", "failure")
    op.execute(
        _CLAIM.format(column="error", value="'The job stopped 3 times without finishing; nothing was kept.'")
    )
