"""Tasks, their annotations and reviews: ``/api/v1/projects/{id}/tasks``, ``/api/v1/tasks/{id}``,
``/api/v1/me/tasks``."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody

from enclave.audit.actions import AuditAction
from enclave.authz.permissions import Permission
from enclave.authz.principal import Resource
from enclave.domain.roles import TaskStage
from enclave.tasks.schemas import (
    AnnotationHistory,
    AnnotationSubmit,
    AnnotationVersion,
    NextTask,
    NextTaskRequest,
    Review,
    ReviewCreate,
    ReviewList,
    Task,
    TaskCreate,
    TaskPage,
    TasksCreated,
    TaskUpdate,
)
from enclave.tasks.service import TaskService, to_schema
from enclave.web.audit import audited
from enclave.web.guard import Target, access
from enclave.web.http import (
    Audit,
    Caller,
    Cipher,
    Cursor,
    IdempotencyKey,
    IfMatch,
    Limit,
    Session,
    check_if_match,
    etag,
)
from enclave.web.responses import problems

TASK = "/{task_id:uuid}"


def resource_of(request: Request[Any, Any, Any]) -> Resource:
    resource: Resource = request.state.resource
    return resource


class ProjectTaskController(Controller):
    path = "/projects/{project_id:uuid}/tasks"
    tags = ["tasks"]  # noqa: RUF012

    @post(
        operation_id="task_create",
        responses=problems(404, 409),
        opt=access(Permission.PROJECT_TASK_CREATE, Target.PROJECT) | audited(AuditAction.PROJECT_TASK_CREATE),
    )
    async def create(
        self,
        session: Session,
        principal: Caller,
        cipher: Cipher,
        project_id: FromPath[uuid.UUID],
        data: JSONBody[TaskCreate],
    ) -> Response[TasksCreated]:
        created = await TaskService(session, principal.organization_id, cipher).create(project_id, data)
        return Response(created, status_code=201)

    @get(
        operation_id="task_list",
        responses=problems(404),
        opt=access(Permission.PROJECT_TASK_LIST, Target.PROJECT),
    )
    async def list_tasks(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        principal: Caller,
        cipher: Cipher,
        project_id: FromPath[uuid.UUID],
        stage: FromQuery[TaskStage | None] = None,
        cursor: Cursor = None,
        limit: Limit = 50,
    ) -> TaskPage:
        service = TaskService(session, principal.organization_id, cipher)
        return await service.list(project_id, principal, resource_of(request), stage, cursor, limit)

    @post(
        "/next",
        operation_id="task_next",
        responses=problems(404, 409),
        opt=access(Permission.PROJECT_TASK_NEXT, Target.PROJECT) | audited(AuditAction.TASK_TASK_TAKE),
    )
    async def take_next(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        principal: Caller,
        cipher: Cipher,
        audit: Audit,
        project_id: FromPath[uuid.UUID],
        data: JSONBody[NextTaskRequest],
    ) -> NextTask:
        role = resource_of(request).project_role
        task = await TaskService(session, principal.organization_id, cipher).take_next(
            project_id, principal, role, data.stage
        )
        if task is None:
            audit.suppress()  # nothing was taken, nothing changed
        else:
            audit.note(target=f"task:{task.id}", stage=str(task.stage))
        return NextTask(task)


class MyTaskController(Controller):
    path = "/me/tasks"
    tags = ["tasks"]  # noqa: RUF012

    @get(operation_id="my_task_list", responses=problems(), opt=access(Permission.ORG_MY_TASK_LIST))
    async def list_mine(
        self, session: Session, principal: Caller, cipher: Cipher, cursor: Cursor = None, limit: Limit = 50
    ) -> TaskPage:
        return await TaskService(session, principal.organization_id, cipher).mine(principal, cursor, limit)


class TaskController(Controller):
    path = "/tasks"
    tags = ["tasks"]  # noqa: RUF012

    @get(
        TASK,
        operation_id="task_read",
        responses=problems(404),
        opt=access(Permission.TASK_TASK_READ, Target.TASK),
    )
    async def read(
        self, session: Session, principal: Caller, cipher: Cipher, task_id: FromPath[uuid.UUID]
    ) -> Response[Task]:
        row = await TaskService(session, principal.organization_id, cipher).row(task_id)
        return Response(to_schema(row), headers={"ETag": etag(row.version)})

    @patch(
        TASK,
        operation_id="task_assign",
        responses=problems(404, 409, 412, 428),
        opt=access(Permission.TASK_TASK_ASSIGN, Target.TASK) | audited(AuditAction.TASK_TASK_ASSIGN),
    )
    async def assign(
        self,
        session: Session,
        principal: Caller,
        cipher: Cipher,
        task_id: FromPath[uuid.UUID],
        data: JSONBody[TaskUpdate],
        if_match: IfMatch,
    ) -> Response[Task]:
        service = TaskService(session, principal.organization_id, cipher)
        row = await service.row(task_id, for_update=True)
        check_if_match(if_match, row.version)
        task = await service.assign(row, data)
        return Response(task, headers={"ETag": etag(task.version)})

    @delete(
        TASK,
        operation_id="task_remove",
        responses=problems(404, 409),
        opt=access(Permission.TASK_TASK_REMOVE, Target.TASK) | audited(AuditAction.TASK_TASK_REMOVE),
    )
    async def remove(
        self, session: Session, principal: Caller, cipher: Cipher, task_id: FromPath[uuid.UUID]
    ) -> None:
        service = TaskService(session, principal.organization_id, cipher)
        await service.remove(await service.row(task_id, for_update=True))

    @get(
        TASK + "/annotations",
        operation_id="annotation_list",
        responses=problems(404),
        opt=access(Permission.TASK_ANNOTATION_READ, Target.TASK),
    )
    async def history(
        self, session: Session, principal: Caller, cipher: Cipher, task_id: FromPath[uuid.UUID]
    ) -> AnnotationHistory:
        return await TaskService(session, principal.organization_id, cipher).history(task_id)

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
        session: Session,
        principal: Caller,
        cipher: Cipher,
        task_id: FromPath[uuid.UUID],
        data: JSONBody[AnnotationSubmit],
        idempotency_key: IdempotencyKey,
        audit: Audit,
    ) -> Response[AnnotationVersion]:
        service = TaskService(session, principal.organization_id, cipher)
        version, created = await service.submit(task_id, principal, data.payload, idempotency_key)
        if created:
            audit.note(annotation_version=version.version, objects=len(data.payload.objects))
        else:
            audit.suppress()  # a retry with the same Idempotency-Key: the first one was recorded
        return Response(version, status_code=201 if created else 200)

    @get(
        TASK + "/reviews",
        operation_id="review_list",
        responses=problems(404),
        opt=access(Permission.TASK_REVIEW_READ, Target.TASK),
    )
    async def list_reviews(
        self, session: Session, principal: Caller, cipher: Cipher, task_id: FromPath[uuid.UUID]
    ) -> ReviewList:
        return await TaskService(session, principal.organization_id, cipher).list_reviews(task_id)

    @post(
        TASK + "/reviews",
        operation_id="review_create",
        responses=problems(404, 409),
        opt=access(Permission.TASK_REVIEW_DECIDE, Target.TASK) | audited(AuditAction.TASK_REVIEW_DECIDE),
    )
    async def review(
        self,
        session: Session,
        principal: Caller,
        cipher: Cipher,
        task_id: FromPath[uuid.UUID],
        data: JSONBody[ReviewCreate],
        audit: Audit,
    ) -> Response[Review]:
        review = await TaskService(session, principal.organization_id, cipher).review(
            task_id, principal, data
        )
        audit.note(decision=str(data.decision), review=str(review.id))
        return Response(review, status_code=201)
