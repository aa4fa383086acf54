"""``/api/v1/organization/key`` and ``/api/v1/organization/termination``: the organization's key in
the customer's KMS (state and rotation), and the end of the organization (crypto-shredding)."""

from __future__ import annotations

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody

from enclave.audit.actions import AuditAction
from enclave.authz.permissions import Permission
from enclave.organizations.deps import provide_organization_service
from enclave.organizations.schemas import KeyRotationStarted, KeyStatus, Termination, TerminationRequest
from enclave.organizations.service import OrganizationService
from enclave.web.audit import audited
from enclave.web.guard import access
from enclave.web.http import Audit
from enclave.web.responses import problems


class OrganizationKeyController(Controller):
    path = "/organization"
    tags = ["organization"]  # noqa: RUF012
    dependencies = {  # noqa: RUF012
        "organization_service": Provide(provide_organization_service, sync_to_thread=False)
    }

    @get(
        "/key",
        operation_id="organization_key_read",
        responses=problems(),
        opt=access(Permission.ORG_KEY_READ),
    )
    async def key(self, organization_service: NamedDependency[OrganizationService]) -> KeyStatus:
        return await organization_service.key_status()

    @post(
        "/key/rotations",
        operation_id="organization_key_rotate",
        summary="Rotate the organization's key",
        description=(
            "Makes a new key version at once; re-wraps every data key under it in the background (no bulk "
            "data is re-encrypted); then raises the minimum decryption version so older versions open "
            "nothing. `GET /organization/key` shows the progress."
        ),
        responses=problems(),
        opt=access(Permission.ORG_KEY_ROTATE) | audited(AuditAction.ORG_KEY_ROTATE),
        status_code=202,
    )
    async def rotate(
        self, organization_service: NamedDependency[OrganizationService], audit: Audit
    ) -> Response[KeyRotationStarted]:
        started = await organization_service.rotate_key()
        audit.note(key_version=started.latest_version)
        return Response(started, status_code=202)

    @post(
        "/termination",
        operation_id="organization_terminate",
        summary="Terminate the organization",
        description=(
            "Confirm with the organization's slug. The organization becomes read-only at once; after its "
            "`retention_days` (the export window) its key is destroyed and its data can never be read again."
        ),
        responses=problems(409),
        opt=access(Permission.ORG_ORGANIZATION_TERMINATE) | audited(AuditAction.ORG_ORGANIZATION_TERMINATE),
        status_code=202,
    )
    async def terminate(
        self, organization_service: NamedDependency[OrganizationService], data: JSONBody[TerminationRequest]
    ) -> Response[Termination]:
        return Response(await organization_service.terminate(data.confirm), status_code=202)
