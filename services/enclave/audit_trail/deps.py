"""The audit trail domain's one provider: builds the ``AuditTrailService`` of the caller's
organization from the request's session and what the app holds for every request (the locked copy,
the checkpoint key's public half through the KMS, the session factory an export's body reads from).
Wiring only: must never hold a rule or run a query."""

from __future__ import annotations

import functools
from typing import Any

from litestar import Request

from enclave.audit_trail.service import AuditTrailService
from enclave.settings import Settings
from enclave.web.http import Caller, Session


def provide_audit_trail_service(
    session: Session, principal: Caller, request: Request[Any, Any, Any]
) -> AuditTrailService:
    state = request.app.state
    settings: Settings = state.settings
    return AuditTrailService(
        session,
        principal.organization_id,
        archive=state.audit_archive,
        public_keys=functools.partial(
            state.keyring.kms.installation.signing_public_keys, settings.audit.signing_key
        ),
        sessions=state.session_factory,
    )
