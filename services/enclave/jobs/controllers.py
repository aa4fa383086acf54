"""``/api/v1/projects/{id}/exports`` and ``/api/v1/projects/{id}/jobs``: asking for an export,
following a project's jobs, cancelling one, and downloading an export's artifact (Range works, so a
broken download resumes where it stopped)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter
from litestar.response import Stream

from enclave.audit.actions import AuditAction
from enclave.authz.permissions import Permission
from enclave.jobs.deps import provide_job_service
from enclave.jobs.schemas import ExportCreate, Job, JobList, LabelStudioOntologyCreate
from enclave.jobs.service import JobService
from enclave.ontologies.schemas import Ontology
from enclave.settings import Settings
from enclave.web.audit import audited
from enclave.web.downloads import ranged
from enclave.web.guard import Target, access
from enclave.web.http import Audit, Caller
from enclave.web.responses import problems

PROJECT = "/{project_id:uuid}"
JOB = "/{project_id:uuid}/jobs/{job_id:uuid}"


ImportFormat = Annotated[Literal["label-studio"], QueryParameter(description="The export's tool.")]


class OntologyImportController(Controller):
    path = "/ontologies"
    tags = ["ontologies"]  # noqa: RUF012
    dependencies = {"job_service": Provide(provide_job_service, sync_to_thread=False)}  # noqa: RUF012

    @post(
        "/label-studio",
        operation_id="ontology_import",
        summary="Create an ontology from a Label Studio labeling config",
        description=(
            "Reads the config's Image or Text tag and its RectangleLabels, PolygonLabels, Labels and "
            "Choices. A config using any other control is refused with every such tag named (its labels "
            "would be lost); an XML entity or DTD is refused, never expanded."
        ),
        responses=problems(409),
        opt=access(Permission.ORG_ONTOLOGY_CREATE) | audited(AuditAction.ORG_ONTOLOGY_CREATE),
    )
    async def create(
        self,
        job_service: NamedDependency[JobService],
        principal: Caller,
        audit: Audit,
        data: JSONBody[LabelStudioOntologyCreate],
    ) -> Response[Ontology]:
        ontology = await job_service.ontology_from_label_studio(data, principal.user_id)
        audit.note(target=f"ontology:{ontology.id}", source="label-studio")
        return Response(ontology, status_code=201)


class JobController(Controller):
    path = "/projects"
    tags = ["jobs"]  # noqa: RUF012
    dependencies = {"job_service": Provide(provide_job_service, sync_to_thread=False)}  # noqa: RUF012

    @post(
        PROJECT + "/exports",
        operation_id="export_create",
        summary="Export the project in a training format (a background job)",
        description=(
            "Queues an export: COCO, YOLO, Pascal VOC, CoNLL 2003, the platform's JSON lines or Label "
            "Studio JSON, of finished work by default. A worker writes it as an encrypted artifact; "
            "follow the job and download the artifact when it has succeeded. Size never times it out."
        ),
        status_code=202,
        responses=problems(404),
        opt=access(Permission.PROJECT_PROJECT_EXPORT, Target.PROJECT)
        | audited(AuditAction.PROJECT_EXPORT_REQUEST),
    )
    async def request_export(
        self,
        job_service: NamedDependency[JobService],
        principal: Caller,
        audit: Audit,
        project_id: FromPath[uuid.UUID],
        data: JSONBody[ExportCreate],
    ) -> Job:
        job = await job_service.request_export(project_id, principal, data)
        audit.note(target=f"job:{job.id}", project=str(project_id), format=data.format)
        return job

    @post(
        PROJECT + "/imports",
        operation_id="import_create",
        summary="Import a Label Studio JSON export into the project (a background job)",
        description=(
            "The body is Label Studio's JSON export (`application/json`), read with the project's "
            "ontology (create it from the Label Studio project's labeling config with "
            "`POST /ontologies/label-studio`). Image tasks are matched by file name to images already "
            "uploaded to the project's datasets, never fetched; text tasks bring their text into the "
            "project's text dataset. Annotations keep their authors and times, skipped work stays "
            "skipped. The job checks everything before it writes: bad input fails it naming the task "
            "and the field, with nothing written."
        ),
        status_code=202,
        request_max_body_size=None,  # the upload limit is the api's own setting, enforced while streaming
        responses=problems(404, 413, 415),
        opt=access(Permission.PROJECT_TASK_CREATE, Target.PROJECT)
        | audited(AuditAction.PROJECT_IMPORT_REQUEST),
    )
    async def request_import(
        self,
        request: Request[Any, Any, Any],
        job_service: NamedDependency[JobService],
        principal: Caller,
        audit: Audit,
        project_id: FromPath[uuid.UUID],
        format: ImportFormat = "label-studio",
    ) -> Job:
        settings: Settings = request.app.state.settings
        job = await job_service.request_import(
            project_id,
            principal,
            request.headers.get("content-type"),
            request.content_length,
            aiter(request.stream()),
            settings.api.max_upload_bytes,
        )
        audit.note(target=f"job:{job.id}", project=str(project_id), format=format)
        return job

    @get(
        PROJECT + "/jobs",
        operation_id="job_list",
        summary="The project's recent jobs, newest first",
        responses=problems(404),
        opt=access(Permission.PROJECT_PROJECT_EXPORT, Target.PROJECT),
    )
    async def list_jobs(
        self, job_service: NamedDependency[JobService], project_id: FromPath[uuid.UUID]
    ) -> JobList:
        return await job_service.list(project_id)

    @get(
        JOB,
        operation_id="job_read",
        summary="A job: its state and progress",
        responses=problems(404),
        opt=access(Permission.PROJECT_PROJECT_EXPORT, Target.PROJECT),
    )
    async def read(
        self,
        job_service: NamedDependency[JobService],
        project_id: FromPath[uuid.UUID],
        job_id: FromPath[uuid.UUID],
    ) -> Job:
        return await job_service.get(project_id, job_id)

    @post(
        JOB + "/cancellation",
        operation_id="job_cancel",
        summary="Cancel a job",
        description=(
            "A queued job ends at once; a running one stops within its worker's next lease renewal, "
            "keeping nothing."
        ),
        status_code=200,
        responses=problems(404, 409),
        opt=access(Permission.PROJECT_PROJECT_EXPORT, Target.PROJECT)
        | audited(AuditAction.PROJECT_JOB_CANCEL),
    )
    async def cancel(
        self,
        job_service: NamedDependency[JobService],
        audit: Audit,
        project_id: FromPath[uuid.UUID],
        job_id: FromPath[uuid.UUID],
    ) -> Job:
        job = await job_service.cancel(project_id, job_id)
        audit.note(target=f"job:{job_id}", project=str(project_id), state=job.state.value)
        return job

    @get(
        JOB + "/artifact",
        operation_id="export_download",
        summary="Download an export's artifact (Range supported)",
        description="The artifact, decrypted as it streams. A single `Range: bytes=...` is answered 206.",
        responses=problems(404, 409, 416),
        opt=access(Permission.PROJECT_PROJECT_EXPORT, Target.PROJECT)
        | audited(AuditAction.PROJECT_EXPORT_DOWNLOAD),
    )
    async def download(
        self,
        job_service: NamedDependency[JobService],
        audit: Audit,
        project_id: FromPath[uuid.UUID],
        job_id: FromPath[uuid.UUID],
        range_: Annotated[str | None, HeaderParameter(name="Range", max_length=200)] = None,
    ) -> Response[bytes] | Stream:
        artifact = await job_service.artifact(project_id, job_id)
        audit.note(target=f"job:{job_id}", project=str(project_id))

        async def read(start: int, end: int) -> AsyncIterator[bytes]:
            return (await job_service.read_artifact(project_id, job_id, start, end)).chunks

        disposition = {"Content-Disposition": f'attachment; filename="{artifact.name}"'}
        return await ranged(
            range_, artifact.size, artifact.media_type.split(";")[0], read, audit, disposition
        )
