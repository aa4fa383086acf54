"""The one place where exceptions become HTTP answers: ``application/problem+json`` (RFC 9457).

Owns the mapping from errors to status codes and the text clients see. Client errors keep their
clear message; anything unexpected becomes a generic 500 naming only the request id, and the detail
goes to the log, never to the client.
"""

from __future__ import annotations

from typing import Any

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type information
import redis.exceptions
import structlog
from keycloak.exceptions import KeycloakConnectionError
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from enclave.crypto.kms import KeyUnusable, KmsError
from enclave.crypto.segmented import DecryptionFailed
from enclave.domain import errors as domain
from enclave.identity.keycloak_admin import (
    IdentityError,
    IdentityProviderInvalid,
    RealmNotFound,
    RealmRefused,
)
from enclave.storage.locations import LocationRefused
from enclave.storage.objects import ObjectMissing, StorageError
from enclave.web.responses import problem

log = structlog.get_logger(__name__)

#: Seconds a client waits before retrying a 503: a dependency that went away (a restarted database,
#: an unsealing KMS) is usually back within this; the api itself needs no restart.
RETRY_AFTER_S = 5


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def unavailable(detail: str) -> Response[dict[str, Any]]:
    """A 503 for a dependency that is down: nothing was changed, and ``Retry-After`` says when to
    try again (every 503 of the api goes through here, so none leaves without it)."""
    response = problem(503, "Service Unavailable", detail)
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response


def http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    extra: dict[str, Any] = {}
    if isinstance(exc, ValidationException) and isinstance(exc.extra, list):
        # Only the field locations and messages; never echo the submitted values back.
        extra["errors"] = [
            {k: item[k] for k in ("key", "message", "source") if k in item}
            for item in exc.extra
            if isinstance(item, dict)
        ]
    if isinstance(exc.extra, dict) and isinstance(exc.extra.get("type"), str):
        extra["type"] = exc.extra["type"]  # a problem of its own kind (re-authentication required)
    response = problem(exc.status_code, _title(exc.status_code), exc.detail or None, **extra)
    if exc.headers:
        response.headers.update(exc.headers)
    if exc.status_code == 503:
        response.headers.setdefault("Retry-After", str(RETRY_AFTER_S))
    return response


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    request_id = request.scope.get("state", {}).get("request_id")
    log.error("unhandled_error", path=request.url.path, method=request.method, exc_info=exc)
    return problem(
        HTTP_500_INTERNAL_SERVER_ERROR,
        "Internal Server Error",
        "The server could not complete the request. Quote the request id when reporting it.",
        request_id=request_id,
    )


DOMAIN_STATUS: dict[type[domain.DomainError], int] = {
    domain.InvalidInput: 400,
    domain.Unauthenticated: 401,
    domain.Forbidden: 403,
    domain.NotFound: 404,
    domain.Conflict: 409,
    domain.InvalidState: 409,
    domain.Gone: 410,
    domain.PreconditionFailed: 412,
    domain.TooLarge: 413,
    domain.UnsupportedContent: 415,
    domain.PreconditionRequired: 428,
    domain.RateLimited: 429,
    domain.Unavailable: 503,
}


def domain_error_handler(
    request: Request[Any, Any, Any], exc: domain.DomainError
) -> Response[dict[str, Any]]:
    status = next((code for kind, code in DOMAIN_STATUS.items() if isinstance(exc, kind)), 400)
    if status == 503:
        return unavailable(exc.message)
    response = problem(status, _title(status), exc.message)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="enclave"'
    if status == 429:
        response.headers["Retry-After"] = "900"  # the API key failure window (api_key_auth)
    return response


# PostgreSQL's SQLSTATE classes that mean "the client sent something the database cannot take":
# 22 data exceptions (a NUL byte, a number out of range, a string too long) and 23 constraint
# violations; and class 40, a transaction rolled back because a concurrent one holding the same rows
# won (a deadlock between two changes that each locked what the other needs). Anything else from the
# database is a fault, answered 503 without detail. The same for errors from SQLAlchemy (DBAPIError)
# and from the statements sent by asyncpg itself (``db.raw``).
def database_error_handler(
    request: Request[Any, Any, Any], exc: DBAPIError | asyncpg.PostgresError
) -> Response[dict[str, Any]]:
    if isinstance(exc, asyncpg.PostgresError):
        sqlstate = exc.sqlstate
    else:
        sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(
            getattr(exc.orig, "__cause__", None), "sqlstate", ""
        )
    if isinstance(exc, IntegrityError) or str(sqlstate).startswith("23"):
        return problem(
            409, "Conflict", "The request conflicts with existing data (a duplicate or a missing reference)."
        )
    if str(sqlstate).startswith("22"):
        return problem(
            400, "Bad Request", "A value in the request cannot be stored (wrong format, size or range)."
        )
    if str(sqlstate).startswith("40"):
        return problem(
            409,
            "Conflict",
            "A concurrent change to the same data won; nothing was changed. Read again and retry.",
        )
    if str(sqlstate).startswith("42501"):
        return problem(403, "Forbidden", "The database refused this change.")
    log.error("database_error", sqlstate=sqlstate, exc_info=exc)
    return unavailable("The database could not complete the request; nothing was changed.")


def stale_data_handler(request: Request[Any, Any, Any], exc: StaleDataError) -> Response[dict[str, Any]]:
    """A versioned row changed (or went away) between this request's read and its write: another
    request won the race. Nothing was written; the client reads again, as after a stale If-Match."""
    changed = domain.PreconditionFailed("The resource changed since you read it; read it again and retry.")
    return domain_error_handler(request, changed)


def connection_error_handler(
    request: Request[Any, Any, Any],
    exc: OSError | asyncpg.InterfaceError | asyncpg.InternalClientError | redis.exceptions.RedisError,
) -> Response[dict[str, Any]]:
    log.error("dependency_unreachable", exc_info=exc)
    return unavailable("A component Enclave depends on is unreachable; nothing was changed.")


def identity_error_handler(request: Request[Any, Any, Any], exc: IdentityError) -> Response[dict[str, Any]]:
    if isinstance(exc, IdentityProviderInvalid | RealmRefused):
        return problem(400, "Bad Request", str(exc))  # names the setting, never its value
    if isinstance(exc, RealmNotFound):
        return problem(409, "Conflict", "This organization's sign-in (its Keycloak realm) is not set up yet.")
    log.error("keycloak_error", error=type(exc).__name__)
    return unavailable("Keycloak could not apply the change; nothing was changed.")


def keycloak_unreachable_handler(
    request: Request[Any, Any, Any], exc: KeycloakConnectionError
) -> Response[dict[str, Any]]:
    """Keycloak could not be reached at all (a call no service mapped): nothing was confirmed."""
    log.error("keycloak_unreachable")
    return unavailable("Keycloak is unreachable; nothing was changed.")


def kms_error_handler(request: Request[Any, Any, Any], exc: KmsError) -> Response[dict[str, Any]]:
    """Fail closed: without the organization's key nothing is sealed, opened or written."""
    log.error("kms_error", error=type(exc).__name__)
    if isinstance(exc, KeyUnusable):
        detail = (
            "The organization's encryption key cannot be used (destroyed or retired); nothing was changed."
        )
    else:
        detail = "The key management service is unreachable; nothing was written or read."
    return unavailable(detail)


def storage_error_handler(request: Request[Any, Any, Any], exc: StorageError) -> Response[dict[str, Any]]:
    log.error("storage_error", error=type(exc).__name__)
    if isinstance(exc, ObjectMissing):
        return problem(
            500,
            "Internal Server Error",
            "The item's stored content is missing.",
            request_id=_request_id(request),
        )
    return unavailable("Object storage is unreachable; nothing was written or read.")


def location_refused_handler(
    request: Request[Any, Any, Any], exc: LocationRefused
) -> Response[dict[str, Any]]:
    return problem(400, "Bad Request", str(exc))  # names what is wrong with the location, never a secret


def integrity_error_handler(
    request: Request[Any, Any, Any], exc: DecryptionFailed
) -> Response[dict[str, Any]]:
    """Stored ciphertext that does not verify: damaged or tampered with. Never any of its data."""
    log.error("integrity_check_failed", path=request.url.path, reason=str(exc))
    return problem(
        500,
        "Internal Server Error",
        "Stored data failed its integrity check and was not returned; quote the request id.",
        request_id=_request_id(request),
    )


def _request_id(request: Request[Any, Any, Any]) -> Any:
    return request.scope.get("state", {}).get("request_id")


EXCEPTION_HANDLERS = {
    KmsError: kms_error_handler,
    StorageError: storage_error_handler,
    LocationRefused: location_refused_handler,
    DecryptionFailed: integrity_error_handler,
    IdentityError: identity_error_handler,
    KeycloakConnectionError: keycloak_unreachable_handler,
    HTTPException: http_exception_handler,
    domain.DomainError: domain_error_handler,
    DBAPIError: database_error_handler,
    asyncpg.PostgresError: database_error_handler,
    StaleDataError: stale_data_handler,
    OSError: connection_error_handler,
    # asyncpg's own connection faults (a connection closed under a statement, a protocol error).
    asyncpg.InterfaceError: connection_error_handler,
    # A connection left mid-protocol by a server that died under it (asyncpg's own state check).
    asyncpg.InternalClientError: connection_error_handler,
    # Redis (sessions, throttles) unreachable, or a pooled connection that died with a restart.
    redis.exceptions.ConnectionError: connection_error_handler,
    redis.exceptions.TimeoutError: connection_error_handler,
    Exception: internal_error_handler,
}

__all__ = ["EXCEPTION_HANDLERS"]
