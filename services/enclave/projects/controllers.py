"""``/api/v1/projects`` and a project's members and datasets."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Stream

from enclave.audit.actions import AuditAction
from enclave.authz.permissions import Permission
from enclave.ontologies.schemas import Ontology
from enclave.projects.deps import provide_project_service
from enclave.projects.schemas import (
    Project,
    ProjectCreate,
    ProjectDataset,
    ProjectDatasetAttach,
    ProjectDatasetList,
    ProjectMember,
    ProjectMemberAdd,
    ProjectMemberList,
    ProjectMemberUpdate,
    ProjectPage,
    ProjectUpdate,
    Workflow,
    WorkflowUpdate,
)
from enclave.projects.service import ProjectService
from enclave.web.audit import audited
from enclave.web.guard import Target, access
from enclave.web.http import Audit, Caller, Cursor, IfMatch, Limit, Visible, etag
from enclave.web.responses import problems
from enclave.web.streaming import attachment, primed, tenant_lines

PROJECT = "/{project_id:uuid}"
MEMBER = "/{project_id:uuid}/members/{user_id:uuid}"
#: Export formats; later ones (COCO, YOLO) share the streaming path.
ExportFormat = Annotated[Literal["jsonl"], QueryParameter(description="The export's format.")]


class ProjectController(Controller):
    path = "/projects"
    tags = ["projects"]  # noqa: RUF012
    dependencies = {"project_service": Provide(provide_project_service, sync_to_thread=False)}  # noqa: RUF012

    @get(
        operation_id="project_list",
        responses=problems(),
        opt=access(Permission.ORG_PROJECT_LIST, rows=Permission.PROJECT_PROJECT_READ),
    )
    async def list_projects(
        self,
        project_service: NamedDependency[ProjectService],
        principal: Caller,
        visibility: Visible,
        cursor: Cursor = None,
        limit: Limit = 50,
    ) -> ProjectPage:
        return await project_service.list(principal, visibility, cursor, limit)

    @post(
        operation_id="project_create",
        responses=problems(409),
        opt=access(Permission.ORG_PROJECT_CREATE) | audited(AuditAction.PROJECT_PROJECT_CREATE),
    )
    async def create(
        self, project_service: NamedDependency[ProjectService], audit: Audit, data: JSONBody[ProjectCreate]
    ) -> Response[Project]:
        project = await project_service.create(data)
        audit.note(target=f"project:{project.id}")
        return Response(project, status_code=201, headers={"ETag": etag(project.version)})

    @get(
        PROJECT,
        operation_id="project_read",
        responses=problems(404),
        opt=access(Permission.PROJECT_PROJECT_READ, Target.PROJECT),
    )
    async def read(
        self, project_service: NamedDependency[ProjectService], project_id: FromPath[uuid.UUID]
    ) -> Response[Project]:
        project = await project_service.get(project_id)
        return Response(project, headers={"ETag": etag(project.version)})

    @patch(
        PROJECT,
        operation_id="project_update",
        responses=problems(404, 409, 412, 428),
        opt=access(Permission.PROJECT_PROJECT_UPDATE, Target.PROJECT)
        | audited(AuditAction.PROJECT_PROJECT_UPDATE),
    )
    async def update(
        self,
        project_service: NamedDependency[ProjectService],
        project_id: FromPath[uuid.UUID],
        data: JSONBody[ProjectUpdate],
        if_match: IfMatch,
    ) -> Response[Project]:
        project = await project_service.update(project_id, data, if_match)
        return Response(project, headers={"ETag": etag(project.version)})

    @get(
        PROJECT + "/workflow",
        operation_id="project_workflow_read",
        responses=problems(404),
        opt=access(Permission.PROJECT_WORKFLOW_READ, Target.PROJECT),
    )
    async def read_workflow(
        self, project_service: NamedDependency[ProjectService], project_id: FromPath[uuid.UUID]
    ) -> Response[Workflow]:
        """The project's labeling workflow: review, its sample, consensus, the queue's lease."""
        workflow = await project_service.workflow(project_id)
        return Response(workflow, headers={"ETag": etag(workflow.version)})

    @put(
        PROJECT + "/workflow",
        operation_id="project_workflow_update",
        responses=problems(404, 409, 412, 428),
        opt=access(Permission.PROJECT_PROJECT_UPDATE, Target.PROJECT)
        | audited(AuditAction.PROJECT_WORKFLOW_UPDATE),
    )
    async def update_workflow(
        self,
        project_service: NamedDependency[ProjectService],
        audit: Audit,
        project_id: FromPath[uuid.UUID],
        data: JSONBody[WorkflowUpdate],
        if_match: IfMatch,
    ) -> Response[Workflow]:
        """Sets the workflow (the project's ETag in If-Match). Submissions made after the change
        follow it; work in review or done is not moved."""
        workflow = await project_service.update_workflow(project_id, data, if_match)
        audit.note(
            review_required=workflow.review_required,
            review_sample_percent=workflow.review_sample_percent,
            consensus_annotators=workflow.consensus_annotators,
            consensus_threshold=str(workflow.consensus_threshold),
            claim_lease_seconds=workflow.claim_lease_seconds,
            seed_changed=data.sampling_seed is not None,
        )
        return Response(workflow, headers={"ETag": etag(workflow.version)})

    @get(
        PROJECT + "/ontology",
        operation_id="project_ontology_read",
        responses=problems(404),
        opt=access(Permission.PROJECT_PROJECT_READ, Target.PROJECT),
    )
    async def read_ontology(
        self, project_service: NamedDependency[ProjectService], project_id: FromPath[uuid.UUID]
    ) -> Ontology:
        """The ontology a project's annotators label with, in its current version."""
        return await project_service.ontology(project_id)

    @get(
        PROJECT + "/export",
        operation_id="project_export",
        summary="Export the project as JSON lines (streamed)",
        description=(
            "One line per task, in creation order: the task, its item, its current annotation version "
            "(payload included) and its latest review decision. The body streams; memory on the server "
            "stays flat however large the project."
        ),
        media_type="application/jsonl",
        responses=problems(404),
        opt=access(Permission.PROJECT_PROJECT_EXPORT, Target.PROJECT)
        | audited(AuditAction.PROJECT_PROJECT_EXPORT),
    )
    async def export(
        self,
        request: Request[Any, Any, Any],
        project_service: NamedDependency[ProjectService],
        principal: Caller,
        audit: Audit,
        project_id: FromPath[uuid.UUID],
        format: ExportFormat = "jsonl",
    ) -> Stream:
        source = await project_service.export_jsonl(project_id, request.app.state.keyring)
        audit.note(target=f"project:{project_id}", format=format)
        factory = request.app.state.session_factory
        lines = await primed(tenant_lines(factory, principal.organization_id, source))
        return attachment(lines, "application/jsonl", f"project-{project_id}.jsonl")

    @get(
        PROJECT + "/members",
        operation_id="project_member_list",
        responses=problems(404),
        opt=access(Permission.PROJECT_MEMBER_LIST, Target.PROJECT),
    )
    async def list_members(
        self, project_service: NamedDependency[ProjectService], project_id: FromPath[uuid.UUID]
    ) -> ProjectMemberList:
        return await project_service.list_members(project_id)

    @post(
        PROJECT + "/members",
        operation_id="project_member_add",
        responses=problems(404, 409),
        opt=access(Permission.PROJECT_MEMBER_ADD, Target.PROJECT_MEMBER)
        | audited(AuditAction.PROJECT_MEMBER_ADD),
    )
    async def add_member(
        self,
        project_service: NamedDependency[ProjectService],
        project_id: FromPath[uuid.UUID],
        data: JSONBody[ProjectMemberAdd],
    ) -> Response[ProjectMember]:
        member = await project_service.add_member(project_id, data)
        return Response(member, status_code=201, headers={"ETag": etag(member.version)})

    @patch(
        MEMBER,
        operation_id="project_member_update",
        responses=problems(404, 409, 412, 428),
        opt=access(Permission.PROJECT_MEMBER_UPDATE, Target.PROJECT_MEMBER)
        | audited(AuditAction.PROJECT_MEMBER_UPDATE),
    )
    async def update_member(
        self,
        project_service: NamedDependency[ProjectService],
        project_id: FromPath[uuid.UUID],
        user_id: FromPath[uuid.UUID],
        data: JSONBody[ProjectMemberUpdate],
        if_match: IfMatch,
    ) -> Response[ProjectMember]:
        member = await project_service.update_member(project_id, user_id, data.role, if_match)
        return Response(member, headers={"ETag": etag(member.version)})

    @delete(
        MEMBER,
        operation_id="project_member_remove",
        responses=problems(404, 409),
        opt=access(Permission.PROJECT_MEMBER_REMOVE, Target.PROJECT_MEMBER)
        | audited(AuditAction.PROJECT_MEMBER_REMOVE),
    )
    async def remove_member(
        self,
        project_service: NamedDependency[ProjectService],
        project_id: FromPath[uuid.UUID],
        user_id: FromPath[uuid.UUID],
    ) -> None:
        await project_service.remove_member(project_id, user_id)

    @get(
        PROJECT + "/datasets",
        operation_id="project_dataset_list",
        responses=problems(404),
        opt=access(Permission.PROJECT_DATASET_LIST, Target.PROJECT),
    )
    async def list_datasets(
        self, project_service: NamedDependency[ProjectService], project_id: FromPath[uuid.UUID]
    ) -> ProjectDatasetList:
        return await project_service.list_datasets(project_id)

    @post(
        PROJECT + "/datasets",
        operation_id="project_dataset_attach",
        responses=problems(404, 409),
        opt=access(Permission.PROJECT_DATASET_ATTACH, Target.PROJECT)
        | audited(AuditAction.PROJECT_DATASET_ATTACH),
    )
    async def attach_dataset(
        self,
        project_service: NamedDependency[ProjectService],
        project_id: FromPath[uuid.UUID],
        data: JSONBody[ProjectDatasetAttach],
    ) -> Response[ProjectDataset]:
        attached = await project_service.attach_dataset(project_id, data.dataset_id)
        return Response(attached, status_code=201)
