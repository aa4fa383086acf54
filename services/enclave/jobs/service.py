"""A project's jobs as the api sees them: asking for an export or an import, following it, cancelling
it, and downloading what an export made; and the way in from Label Studio (its labeling config
becomes an ontology at once, its JSON export an import job).

Owns the rules of a job's life seen from outside (an export in a format the project's labels fit; a
cancel of a queued job ends it at once, of a running one asks its worker to stop; only a succeeded
export has an artifact) and returns the jobs domain's schemas. The work itself is the worker's
(``enclave.jobs.export_run``, ``enclave.jobs.import_run``). Must never build a query nor hand out a
byte of an artifact the database does not record whole.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import anyio.to_thread
import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from enclave.authz.principal import Principal
from enclave.crypto.content import ContentCipher
from enclave.datasets.uploads import SizeCounter
from enclave.db.models import Job as JobRow
from enclave.db.repositories.jobs import JobRepository
from enclave.domain.errors import InvalidInput, InvalidState, NotFound, TooLarge, UnsupportedContent
from enclave.domain.jobs import JobFailure, JobKind, JobState
from enclave.exchange.errors import ExchangeError
from enclave.exchange.formats import FORMATS
from enclave.exchange.label_studio_config import parse_config
from enclave.jobs.runner import object_key
from enclave.jobs.schemas import Artifact, ExportCreate, Job, JobList, LabelStudioOntologyCreate, Progress
from enclave.ontologies.schemas import Ontology, OntologyCreate, OntologyDefinition
from enclave.ontologies.service import OntologyService
from enclave.projects.service import ProjectService
from enclave.storage.homes import OrganizationObjects
from enclave.web.sealed_objects import read_range

#: What the person who asked reads for each failure with no words of its own.
FAILURE_WORDS = {
    JobFailure.CANCELLED: "Cancelled; nothing was kept.",
    JobFailure.FAULT: "The job failed on the server; nothing was kept. Ask again, or ask your administrator.",
    JobFailure.ABANDONED: "The job stopped 3 times without finishing; nothing was kept.",
    JobFailure.INVALID: "The job could not be done; its reason was not kept.",
}


def artifact_of(row: JobRow) -> Artifact | None:
    """What a finished export made (None for anything else)."""
    if row.state is not JobState.SUCCEEDED or row.artifact_key is None:
        return None
    return Artifact(
        row.artifact_name or "export",
        row.artifact_type or "application/octet-stream",
        row.artifact_size or 0,
    )


async def to_schema(row: JobRow, cipher: ContentCipher) -> Job:
    """The job as the api shows it; an invalid input's reason is opened here (it is stored sealed)."""
    error = None
    if row.failure_detail is not None:
        error = await cipher.open_job_failure(row.id, row.failure_detail)
    elif row.failure is not None:
        error = FAILURE_WORDS[JobFailure(row.failure)]
    return Job(
        id=row.id,
        project_id=row.project_id,
        kind=row.kind,
        state=row.state,
        parameters=row.parameters,
        progress=Progress(row.progress_done, row.progress_total),
        attempts=row.attempts,
        cancel_requested=row.cancel_requested,
        requested_by=row.requested_by,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        error=error,
        artifact=artifact_of(row),
        result=row.result,
    )


def item_kind(definition: OntologyDefinition) -> str | None:
    """The kind of item an ontology's shapes are drawn on (None: only classifications)."""
    kinds = {obj.kind for obj in definition.objects}
    if kinds & {"bbox", "polygon"}:
        return "image"
    return "text" if "span" in kinds else None


@dataclass(frozen=True, slots=True)
class Download:
    artifact: Artifact
    start: int
    end: int
    chunks: AsyncIterator[bytes]


class JobService:
    def __init__(
        self,
        session: AsyncSession,
        organization_id: uuid.UUID,
        cipher: ContentCipher,
        objects: OrganizationObjects,
    ) -> None:
        self.session = session
        self.organization_id = organization_id
        self.cipher = cipher
        self.objects = objects
        self.jobs = JobRepository(session, organization_id)
        self.projects = ProjectService(session, organization_id)

    async def _row(self, project_id: uuid.UUID, job_id: uuid.UUID, *, for_update: bool = False) -> JobRow:
        row = await self.jobs.of_project(project_id, job_id, for_update=for_update)
        if row is None:
            raise NotFound("No such job.")
        return row

    async def request_export(self, project_id: uuid.UUID, requester: Principal, data: ExportCreate) -> Job:
        ontology = await self.projects.ontology(project_id)  # 404 for a project that is not open
        kind = item_kind(ontology.definition)
        chosen = FORMATS[data.format]
        if kind is not None and kind not in chosen.kinds:
            raise InvalidInput(
                f"{data.format} holds {' or '.join(sorted(chosen.kinds))} labels; "
                f"this project labels {kind}s."
            )
        if data.since is not None and data.until is not None and data.until <= data.since:
            raise InvalidInput("'until' must come after 'since'.")
        row = self.jobs.add(
            JobRow(
                id=uuid.uuid4(),
                project_id=project_id,
                kind=JobKind.EXPORT,
                requested_by=requester.user_id,
                parameters=msgspec.to_builtins(data),
                state=JobState.QUEUED,
                cancel_requested=False,
                attempts=0,
                progress_done=0,
            )
        )
        await self.session.flush()
        await self.session.refresh(row)
        return await to_schema(row, self.cipher)

    async def request_import(
        self,
        project_id: uuid.UUID,
        requester: Principal,
        content_type: str | None,
        content_length: int | None,
        body: AsyncIterator[bytes],
        max_bytes: int,
    ) -> Job:
        """Stores a Label Studio JSON export (encrypted, as it streams) as the input of a new import
        job into the project. The project's ontology is the labeling config the export is read with."""
        await self.projects.ontology(project_id)  # 404 for a project that is not open
        if (content_type or "").split(";")[0].strip().lower() != "application/json":
            raise UnsupportedContent("Send the Label Studio export as application/json.")
        # Refused before a byte is read, as uploads are: an announced length over the limit would
        # otherwise hold the connection and stream up to the limit into storage only to be aborted.
        if content_length is not None and content_length > max_bytes:
            raise TooLarge(f"An import may be at most {max_bytes} bytes.")
        job_id = uuid.uuid4()
        key = object_key(job_id, 0, "input")
        sealer = await self.cipher.job_file_sealer(job_id, key)  # Vault first: 503 before anything is stored
        counted = SizeCounter(max_bytes, content_length)
        await anyio.to_thread.run_sync(self.objects.put, key, sealer.encrypt(counted.wrap(b"", b"", body)))
        if counted.seen == 0:
            await anyio.to_thread.run_sync(self.objects.delete, key)
            raise InvalidInput("The import is empty.")
        row = self.jobs.add(
            JobRow(
                id=job_id,
                project_id=project_id,
                kind=JobKind.IMPORT,
                requested_by=requester.user_id,
                parameters={"format": "label-studio"},
                state=JobState.QUEUED,
                cancel_requested=False,
                attempts=0,
                progress_done=0,
                input_key=key,
                input_header=sealer.header,
                input_size=counted.seen,
            )
        )
        await self.session.flush()
        await self.session.refresh(row)
        return await to_schema(row, self.cipher)

    async def ontology_from_label_studio(
        self, data: LabelStudioOntologyCreate, author_id: uuid.UUID
    ) -> Ontology:
        """A new ontology from a Label Studio labeling config: a config that cannot be read, or that
        uses tags with no equivalent here, is refused with them named."""
        try:
            definition = parse_config(data.label_config).definition
        except ExchangeError as error:
            raise InvalidInput(f"The labeling config cannot be imported: {error}") from None
        ontologies = OntologyService(self.session, self.organization_id)
        return await ontologies.create(OntologyCreate(data.name, definition), author_id)

    async def list(self, project_id: uuid.UUID) -> JobList:
        await self.projects.get(project_id)
        return JobList(
            [await to_schema(row, self.cipher) for row in await self.jobs.list_of_project(project_id)]
        )

    async def get(self, project_id: uuid.UUID, job_id: uuid.UUID) -> Job:
        return await to_schema(await self._row(project_id, job_id), self.cipher)

    async def cancel(self, project_id: uuid.UUID, job_id: uuid.UUID) -> Job:
        """A queued job ends now; a running one is asked to stop (its worker ends it within a lease
        renewal, keeping nothing it made); a finished one cannot be cancelled."""
        row = await self._row(project_id, job_id, for_update=True)
        if row.state.finished:
            raise InvalidState(f"This job has already {row.state.value}.")
        row.cancel_requested = True
        if row.state is JobState.QUEUED:
            row.state = JobState.CANCELLED
            row.failure = JobFailure.CANCELLED
            row.finished_at = dt.datetime.now(dt.UTC)
        await self.session.flush()
        return await to_schema(row, self.cipher)

    async def artifact(self, project_id: uuid.UUID, job_id: uuid.UUID) -> Artifact:
        row = await self._row(project_id, job_id)
        artifact = artifact_of(row)
        if artifact is None:
            raise InvalidState("This job has no artifact to download (it is not a finished export).")
        return artifact

    async def read_artifact(self, project_id: uuid.UUID, job_id: uuid.UUID, start: int, end: int) -> Download:
        row = await self._row(project_id, job_id)
        artifact = artifact_of(row)
        if artifact is None or row.artifact_key is None or row.artifact_header is None:
            raise InvalidState("This job has no artifact to download (it is not a finished export).")
        opener = await self.cipher.job_file_opener(row.id, row.artifact_key, row.artifact_header)
        chunks = await read_range(
            opener,
            self.objects,
            row.artifact_key,
            row.artifact_header,
            artifact.size,
            start,
            end,
        )
        return Download(artifact, start, end, chunks)
