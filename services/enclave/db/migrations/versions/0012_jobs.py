"""Background jobs, and what imports and exports need of items and annotations.

``jobs``: an organization's exports and imports, each taken by one worker at a time. Row-level
security isolates it like every tenant table, but is not FORCEd: the table's owner may see every
organization's jobs, and only through ``enclave_claim_job``, a SECURITY DEFINER function that hands a
worker the next job (``FOR UPDATE SKIP LOCKED``: several workers never take the same one) and returns
nothing of it but its id, its organization and the attempt's number. Everything else a worker does
happens in a transaction bound to that organization, under the same policies as the api. A job whose
lease ran out (its worker died) is taken again as a new attempt; after ``MAX_ATTEMPTS`` it fails.

``data_items.width``/``height``: an image's size, which COCO, YOLO and VOC are written in.
``annotation_versions.skipped``/``source_author``/``recorded_at`` and ``reviews.source_reviewer``/
``recorded_at``: imported work keeps who made it and when, as its source recorded them.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects import postgresql

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

MAX_ATTEMPTS = 3


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def upgrade() -> None:
    api = quote(context.config.attributes["api_role"])
    kind = postgresql.ENUM("export", "import", name="job_kind")
    state = postgresql.ENUM("queued", "running", "succeeded", "failed", "cancelled", name="job_state")
    op.create_table(
        "jobs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("kind", kind, nullable=False),
        sa.Column("requested_by", sa.Uuid(), nullable=False),
        sa.Column("parameters", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("state", state, nullable=False),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(length=200), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("progress_done", sa.BigInteger(), nullable=False),
        sa.Column("progress_total", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("input_key", sa.String(length=200), nullable=True),
        sa.Column("input_header", sa.LargeBinary(), nullable=True),
        sa.Column("input_size", sa.BigInteger(), nullable=True),
        sa.Column("artifact_key", sa.String(length=200), nullable=True),
        sa.Column("artifact_header", sa.LargeBinary(), nullable=True),
        sa.Column("artifact_size", sa.BigInteger(), nullable=True),
        sa.Column("artifact_type", sa.String(length=100), nullable=True),
        sa.Column("artifact_name", sa.String(length=200), nullable=True),
        sa.Column("result", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"], name=op.f("fk_jobs_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_jobs_project_id_projects"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["requested_by"], ["users.id"], name=op.f("fk_jobs_requested_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )  # fmt: skip
    op.create_index(op.f("ix_jobs_project_id"), "jobs", ["project_id"])
    op.create_index(
        "ix_jobs_claimable",
        "jobs",
        ["created_at"],
        postgresql_where=sa.text("state IN ('queued', 'running')"),
    )
    op.execute("ALTER TABLE jobs ENABLE ROW LEVEL SECURITY")  # not FORCEd: see the docstring
    op.execute(
        "CREATE POLICY tenant_isolation ON jobs "
        "USING (organization_id = enclave_current_org()) "
        "WITH CHECK (organization_id = enclave_current_org())"
    )
    # MAX_ATTEMPTS (3) is spelled out in the function's body.
    op.execute(
        """
        CREATE FUNCTION enclave_claim_job(worker_name text, lease_seconds integer)
        RETURNS TABLE (job_id uuid, organization_id uuid, attempt integer)
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
        BEGIN
          UPDATE jobs SET state = 'failed', finished_at = now(), lease_until = NULL,
                 error = 'The job stopped 3 times without finishing; nothing was kept.'
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
    )
    op.execute("REVOKE ALL ON FUNCTION enclave_claim_job(text, integer) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION enclave_claim_job(text, integer) TO {api}")

    op.add_column("data_items", sa.Column("width", sa.Integer(), nullable=True))
    op.add_column("data_items", sa.Column("height", sa.Integer(), nullable=True))
    op.add_column(
        "annotation_versions",
        sa.Column("skipped", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.add_column("annotation_versions", sa.Column("source_author", sa.String(length=320), nullable=True))
    op.add_column("annotation_versions", sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("reviews", sa.Column("source_reviewer", sa.String(length=320), nullable=True))
    op.add_column("reviews", sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    for table, column in (
        ("reviews", "recorded_at"),
        ("reviews", "source_reviewer"),
        ("annotation_versions", "recorded_at"),
        ("annotation_versions", "source_author"),
        ("annotation_versions", "skipped"),
        ("data_items", "height"),
        ("data_items", "width"),
    ):
        op.drop_column(table, column)
    op.execute("DROP FUNCTION enclave_claim_job(text, integer)")
    op.drop_table("jobs")
    op.execute("DROP TYPE job_state")
    op.execute("DROP TYPE job_kind")
