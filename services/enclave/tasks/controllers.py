"""Tasks, their annotations, drafts and reviews: ``/api/v1/projects/{id}/tasks``,
``/api/v1/tasks/{id}``, ``/api/v1/me/tasks``."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.di import NamedDependency, Provide
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody

from enclave.audit.actions import AuditAction
from enclave.audit.events import Detail
from enclave.authz.permissions import Permission
from enclave.authz.principal import Resource
from enclave.domain.roles import TaskStage
from enclave.tasks.deps import provide_draft_service, provide_task_service
from enclave.tasks.drafts import DraftService
from enclave.tasks.schemas import (
    AnnotationHistory,
    AnnotationSubmit,
    AnnotationVersion,
    Draft,
    DraftSave,
    NextTask,
    NextTaskRequest,
    Review,
    ReviewCreate,
    ReviewList,
    Routed,
    Task,
    TaskCreate,
    TaskPage,
    TasksCreated,
    TaskUpdate,
)
from enclave.tasks.service import TaskService
from enclave.web.audit import audited
from enclave.web.guard import Target, access
from enclave.web.http import Audit, Caller, Cursor, IdempotencyKey, IfMatch, Limit, Visible, etag
from enclave.web.responses import problems

TASK = "/{task_id:uuid}"


def resource_of(request: Request[Any, Any, Any]) -> Resource:
    resource: Resource = request.state.resource
    return resource


def route_details(routed: Routed) -> dict[str, Detail]:
    """The stage a submission or review moved its task to, for its audit record: every transition
    of the workflow is in the trail."""
    details: dict[str, Detail] = {"stage": str(routed.stage)}
    if routed.sampled is not None:
        details["sampled_for_review"] = routed.sampled
    if routed.agreement is not None:
        details["agreement"] = f"{routed.agreement:.4f}"
    return details


class ProjectTaskController(Controller):
    path = "/projects/{project_id:uuid}/tasks"
    tags = ["tasks"]  # noqa: RUF012
    dependencies = {"task_service": Provide(provide_task_service, sync_to_thread=False)}  # noqa: RUF012

    @post(
        operation_id="task_create",
        responses=problems(404, 409),
        opt=access(Permission.PROJECT_TASK_CREATE, Target.PROJECT) | audited(AuditAction.PROJECT_TASK_CREATE),
    )
    async def create(
        self,
        task_service: NamedDependency[TaskService],
        project_id: FromPath[uuid.UUID],
        data: JSONBody[TaskCreate],
    ) -> Response[TasksCreated]:
        created = await task_service.create(project_id, data)
        return Response(created, status_code=201)

    @get(
        operation_id="task_list",
        responses=problems(404),
        opt=access(Permission.PROJECT_TASK_LIST, Target.PROJECT, rows=Permission.TASK_TASK_READ),
    )
    async def list_tasks(
        self,
        task_service: NamedDependency[TaskService],
        principal: Caller,
        visibility: Visible,
        project_id: FromPath[uuid.UUID],
        stage: FromQuery[TaskStage | None] = None,
        cursor: Cursor = None,
        limit: Limit = 50,
    ) -> TaskPage:
        return await task_service.list(project_id, principal, visibility, stage, cursor, limit)

    @post(
        "/next",
        operation_id="task_next",
        responses=problems(404, 409),
        opt=access(Permission.PROJECT_TASK_NEXT, Target.PROJECT) | audited(AuditAction.TASK_TASK_TAKE),
    )
    async def take_next(
        self,
        request: Request[Any, Any, Any],
        task_service: NamedDependency[TaskService],
        principal: Caller,
        audit: Audit,
        project_id: FromPath[uuid.UUID],
        data: JSONBody[NextTaskRequest],
    ) -> NextTask:
        role = resource_of(request).project_role
        task = await task_service.take_next(project_id, principal, role, data.stage)
        if task is None:
            audit.suppress()  # nothing was taken, nothing changed
        else:
            lease = None if task.claimed_until is None else task.claimed_until.isoformat()
            audit.note(target=f"task:{task.id}", stage=str(task.stage), claimed_until=lease)
        return NextTask(task)


class MyTaskController(Controller):
    path = "/me/tasks"
    tags = ["tasks"]  # noqa: RUF012
    dependencies = {"task_service": Provide(provide_task_service, sync_to_thread=False)}  # noqa: RUF012

    @get(operation_id="my_task_list", responses=problems(), opt=access(Permission.ORG_MY_TASK_LIST))
    async def list_mine(
        self,
        task_service: NamedDependency[TaskService],
        principal: Caller,
        cursor: Cursor = None,
        limit: Limit = 50,
    ) -> TaskPage:
        return await task_service.mine(principal, cursor, limit)


class TaskController(Controller):
    path = "/tasks"
    tags = ["tasks"]  # noqa: RUF012
    dependencies = {  # noqa: RUF012
        "task_service": Provide(provide_task_service, sync_to_thread=False),
        "draft_service": Provide(provide_draft_service, sync_to_thread=False),
    }

    @get(
        TASK + "/draft",
        operation_id="annotation_draft_read",
        responses=problems(404),
        opt=access(Permission.TASK_DRAFT_KEEP, Target.TASK),
    )
    async def draft(
        self, draft_service: NamedDependency[DraftService], principal: Caller, task_id: FromPath[uuid.UUID]
    ) -> Draft:
        """The caller's own draft of the task (empty when they saved none)."""
        return await draft_service.get(task_id, principal)

    @put(
        TASK + "/draft",
        operation_id="annotation_draft_save",
        responses=problems(404, 409),
        opt=access(Permission.TASK_DRAFT_KEEP, Target.TASK) | audited(AuditAction.TASK_DRAFT_SAVE),
    )
    async def save_draft(
        self,
        draft_service: NamedDependency[DraftService],
        principal: Caller,
        task_id: FromPath[uuid.UUID],
        data: JSONBody[DraftSave],
        audit: Audit,
    ) -> Draft:
        """Keeps unsent work on the task, replacing the caller's earlier draft; submitting ends it."""
        audit.note(objects=len(data.payload.objects))
        return await draft_service.save(task_id, principal, data.payload)

    @get(
        TASK,
        operation_id="task_read",
        responses=problems(404),
        opt=access(Permission.TASK_TASK_READ, Target.TASK),
    )
    async def read(
        self, task_service: NamedDependency[TaskService], task_id: FromPath[uuid.UUID]
    ) -> Response[Task]:
        task = await task_service.get(task_id)
        return Response(task, headers={"ETag": etag(task.version)})

    @patch(
        TASK,
        operation_id="task_assign",
        responses=problems(404, 409, 412, 428),
        opt=access(Permission.TASK_TASK_ASSIGN, Target.TASK) | audited(AuditAction.TASK_TASK_ASSIGN),
    )
    async def assign(
        self,
        task_service: NamedDependency[TaskService],
        task_id: FromPath[uuid.UUID],
        data: JSONBody[TaskUpdate],
        if_match: IfMatch,
    ) -> Response[Task]:
        task = await task_service.assign(task_id, data, if_match)
        return Response(task, headers={"ETag": etag(task.version)})

    @delete(
        TASK,
        operation_id="task_remove",
        responses=problems(404, 409),
        opt=access(Permission.TASK_TASK_REMOVE, Target.TASK) | audited(AuditAction.TASK_TASK_REMOVE),
    )
    async def remove(self, task_service: NamedDependency[TaskService], task_id: FromPath[uuid.UUID]) -> None:
        await task_service.remove(task_id)

    @get(
        TASK + "/annotations",
        operation_id="annotation_list",
        responses=problems(404),
        opt=access(Permission.TASK_ANNOTATION_READ, Target.TASK),
    )
    async def history(
        self,
        request: Request[Any, Any, Any],
        task_service: NamedDependency[TaskService],
        principal: Caller,
        task_id: FromPath[uuid.UUID],
    ) -> AnnotationHistory:
        return await task_service.history(task_id, principal, resource_of(request).project_role)

    @post(
        TASK + "/annotations",
        operation_id="annotation_submit",
        responses=problems(404, 409)
        | {
            200: ResponseSpec(
                data_container=AnnotationVersion,
                description="A retry with an Idempotency-Key already used: the version it made then.",
            )
        },
        opt=access(Permission.TASK_ANNOTATION_SUBMIT, Target.TASK)
        | audited(AuditAction.TASK_ANNOTATION_SUBMIT),
    )
    async def submit(
        self,
        task_service: NamedDependency[TaskService],
        principal: Caller,
        task_id: FromPath[uuid.UUID],
        data: JSONBody[AnnotationSubmit],
        idempotency_key: IdempotencyKey,
        audit: Audit,
    ) -> Response[AnnotationVersion]:
        version, routed = await task_service.submit(task_id, principal, data, idempotency_key)
        if routed is None:
            audit.suppress()  # a retry with the same Idempotency-Key: the first one was recorded
            return Response(version, status_code=200)
        audit.note(
            annotation_version=version.version, objects=len(data.payload.objects), skipped=data.skipped
        )
        audit.details.update(route_details(routed))
        return Response(version, status_code=201)

    @get(
        TASK + "/reviews",
        operation_id="review_list",
        responses=problems(404),
        opt=access(Permission.TASK_REVIEW_READ, Target.TASK),
    )
    async def list_reviews(
        self, task_service: NamedDependency[TaskService], task_id: FromPath[uuid.UUID]
    ) -> ReviewList:
        return await task_service.list_reviews(task_id)

    @post(
        TASK + "/reviews",
        operation_id="review_create",
        responses=problems(404, 409),
        opt=access(Permission.TASK_REVIEW_DECIDE, Target.TASK) | audited(AuditAction.TASK_REVIEW_DECIDE),
    )
    async def review(
        self,
        task_service: NamedDependency[TaskService],
        principal: Caller,
        task_id: FromPath[uuid.UUID],
        data: JSONBody[ReviewCreate],
        audit: Audit,
    ) -> Response[Review]:
        review, routed = await task_service.review(task_id, principal, data)
        audit.note(
            decision=str(data.decision),
            review=str(review.id),
            annotation_version=str(review.annotation_version_id),
            merged=data.payload is not None,
        )
        audit.details.update(route_details(routed))
        return Response(review, status_code=201)
