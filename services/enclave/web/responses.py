"""The error answers of v1 routes as the OpenAPI document describes them: ``application/problem+json``
bodies (RFC 9457), and ``problem``, which builds one.

Owns the shape of an error answer only; which error a request gets is decided by the one mapping in
``enclave.api.errors``. Must never describe internal detail: this is the public shape of a problem.

A route names the statuses it adds to the ones every protected route can answer:
``@patch(..., responses=problems(404, 412, 428))``.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import msgspec
from litestar import Response
from litestar.openapi import ResponseSpec

PROBLEM_JSON = "application/problem+json"


def problem(status: int, title: str, detail: str | None = None, **extra: Any) -> Response[dict[str, Any]]:
    """An error answer: ``application/problem+json`` with the given status, title and detail."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return Response(body, status_code=status, media_type=PROBLEM_JSON)


class FieldError(msgspec.Struct):
    """One field a request failed validation on (never the value that was sent)."""

    message: str
    key: str | msgspec.UnsetType = msgspec.UNSET
    source: str | msgspec.UnsetType = msgspec.UNSET


class Problem(msgspec.Struct):
    """An error answer (RFC 9457)."""

    type: str
    title: str
    status: int
    detail: str | msgspec.UnsetType = msgspec.UNSET
    #: Request validation failures (400): which fields, and why.
    errors: list[FieldError] | msgspec.UnsetType = msgspec.UNSET
    #: Unexpected failures (500): the id to quote when reporting it.
    request_id: str | msgspec.UnsetType | None = msgspec.UNSET


#: What a client can do about each status, as the documentation says it.
DESCRIPTIONS: dict[int, str] = {
    400: "The request is malformed, or its content cannot be accepted.",
    401: "No valid credentials came with the request.",
    403: "The caller may not do this.",
    404: "No such resource in the caller's organization.",
    409: "The request conflicts with the current state (a duplicate, a reused key, a task in another stage).",
    412: "If-Match names a version that is no longer current: read again and retry.",
    428: "Send If-Match with the ETag of the version being changed.",
    429: "Too many failed API key attempts from this address; wait and retry.",
    503: "A component Enclave depends on is unavailable; nothing was changed.",
}

#: Statuses every protected route can answer: a bad request, no valid caller, a refusal by the
#: policy, too many failed API key attempts, and a component that cannot be reached.
EVERY_ROUTE: tuple[int, ...] = (400, 401, 403, 429, 503)


def problem_response(status: int) -> ResponseSpec:
    return ResponseSpec(
        data_container=Problem,
        description=DESCRIPTIONS.get(status) or HTTPStatus(status).phrase,
        media_type=PROBLEM_JSON,
        generate_examples=False,
    )


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    """A route's ``responses=``: every protected route's errors plus ``statuses``, as problem+json.

    It replaces the 400 Litestar documents by default (its own ``application/json`` validation
    body), which is not what ``enclave.api.errors`` sends.
    """
    return {status: problem_response(status) for status in sorted({*EVERY_ROUTE, *statuses})}
