"""The one place where exceptions become HTTP answers: ``application/problem+json`` (RFC 9457).

Owns the mapping from errors to status codes and the text clients see. Client errors keep their
clear message; anything unexpected becomes a generic 500 naming only the request id, and the detail
goes to the log, never to the client.
"""

from __future__ import annotations

from typing import Any

import structlog
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

PROBLEM_JSON = "application/problem+json"
log = structlog.get_logger(__name__)


def problem(status: int, title: str, detail: str | None = None, **extra: Any) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return Response(body, status_code=status, media_type=PROBLEM_JSON)


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    extra: dict[str, Any] = {}
    if isinstance(exc, ValidationException) and isinstance(exc.extra, list):
        # Only the field locations and messages; never echo the submitted values back.
        extra["errors"] = [
            {k: item[k] for k in ("key", "message", "source") if k in item}
            for item in exc.extra
            if isinstance(item, dict)
        ]
    response = problem(exc.status_code, _title(exc.status_code), exc.detail or None, **extra)
    if exc.headers:
        response.headers.update(exc.headers)
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


EXCEPTION_HANDLERS = {HTTPException: http_exception_handler, Exception: internal_error_handler}

__all__ = ["EXCEPTION_HANDLERS", "PROBLEM_JSON", "MediaType", "problem"]
