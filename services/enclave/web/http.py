"""What every v1 controller shares: ETags and If-Match, pagination parameters, the principal."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request
from litestar.di import NamedDependency
from litestar.params import HeaderParameter, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from enclave.authz.policy import Visibility
from enclave.authz.principal import Principal
from enclave.crypto.content import ContentCipher
from enclave.domain.errors import PreconditionFailed, PreconditionRequired
from enclave.storage.homes import Homes, OrganizationObjects
from enclave.web.audit import AuditNote
from enclave.web.transaction import request_session

#: The request's tenant-bound database session (see ``enclave.web.transaction``).
Session = NamedDependency[AsyncSession]
#: The authenticated, authorized caller (set by the guard).
Caller = NamedDependency[Principal]
#: Seals and opens the caller's organization's content (see ``enclave.crypto.content``).
Cipher = NamedDependency[ContentCipher]
#: The caller's organization's objects, in its home (ciphertext only; see ``enclave.storage.homes``).
Objects = NamedDependency[OrganizationObjects]
#: What the handler adds to its route's audit event (see ``enclave.web.audit``).
Audit = NamedDependency[AuditNote]
#: Which rows of a list the caller may see, derived by the guard from the policy (``access(rows=...)``).
Visible = NamedDependency[Visibility]
Cursor = Annotated[
    str | None, QueryParameter(name="cursor", max_length=200, description="Opaque cursor from `next_cursor`.")
]
Limit = Annotated[int, QueryParameter(name="limit", ge=1, le=200, description="Page size (1-200).")]
IfMatch = Annotated[
    str | None, HeaderParameter(name="If-Match", max_length=100, description="The ETag you last read.")
]
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key", min_length=8, max_length=128, description="Retry-safe submission key."
    ),
]


def etag(version: int) -> str:
    return f'"v{version}"'


def check_if_match(if_match: str | None, current_version: int) -> None:
    """Updates must name the version they were based on; a stale one is refused, not merged."""
    if if_match is None:
        raise PreconditionRequired("Send If-Match with the ETag of the version you are updating.")
    if if_match.strip() not in {etag(current_version), "*"}:
        raise PreconditionFailed("The resource changed since you read it; read it again and retry.")


def principal_of(request: Request[Any, Any, Any]) -> Principal:
    principal: Principal = request.state.principal
    return principal


def visibility_of(request: Request[Any, Any, Any]) -> Visibility:
    visibility: Visibility = request.state.visibility
    return visibility


def provide_cipher(request: Request[Any, Any, Any]) -> ContentCipher:
    principal: Principal = request.state.principal
    return ContentCipher(request.app.state.keyring, request_session(request), principal.organization_id)


async def provide_objects(request: Request[Any, Any, Any]) -> OrganizationObjects:
    principal: Principal = request.state.principal
    homes: Homes = request.app.state.homes
    return await homes.objects(request_session(request), principal.organization_id)
