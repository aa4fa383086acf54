"""``/api/v1/organization/key`` and ``/api/v1/organization/termination``: the organization's key in
the customer's KMS (state and rotation), and the end of the organization (crypto-shredding)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import JSONBody

from enclave.audit.actions import AuditAction
from enclave.authz.permissions import Permission
from enclave.crypto.rotation import KeyRotation
from enclave.organizations import termination
from enclave.organizations.schemas import KeyRotationStarted, KeyStatus, Termination, TerminationRequest
from enclave.organizations.service import OrganizationService
from enclave.web.audit import audited
from enclave.web.guard import access
from enclave.web.http import Audit, Caller, Session
from enclave.web.responses import problems


class OrganizationKeyController(Controller):
    path = "/organization"
    tags = ["organization"]  # noqa: RUF012

    @get(
        "/key",
        operation_id="organization_key_read",
        responses=problems(),
        opt=access(Permission.ORG_KEY_READ),
    )
    async def key(self, request: Request[Any, Any, Any], principal: Caller) -> KeyStatus:
        rotation: KeyRotation = request.app.state.rotation
        status = await rotation.status(principal.organization_id)
        counts = {str(version): count for version, count in sorted(status.data_keys_by_version.items())}
        return KeyStatus(status.latest_version, status.min_decryption_version, counts)

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
        self, request: Request[Any, Any, Any], session: Session, principal: Caller, audit: Audit
    ) -> Response[KeyRotationStarted]:
        rotation: KeyRotation = request.app.state.rotation
        version = await rotation.start(principal.organization_id, session)
        audit.note(key_version=version)
        # It waits for the data-key lock this request holds until it commits, with its audit event.
        rotation.finish_in_background(principal.organization_id)
        return Response(KeyRotationStarted(version), status_code=202)

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
        self, session: Session, principal: Caller, data: JSONBody[TerminationRequest]
    ) -> Response[Termination]:
        row = await OrganizationService(session, principal.organization_id).row()
        done = termination.terminate(row, data.confirm, dt.datetime.now(dt.UTC))
        await session.flush()
        return Response(Termination(done.terminated_at, done.shred_after), status_code=202)
