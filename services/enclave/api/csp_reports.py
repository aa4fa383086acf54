"""``POST /csp-reports``: where browsers report Content Security Policy violations. Each report is
counted (Redis ``enclave:csp:violations``, which the browser tests read and hold at zero) and logged
with the directive and the blocked origin only — never the page's full URL, which may carry ids.

Open to anyone (a browser sends reports without credentials), bounded in size and in rate per
address (:data:`REPORTS`: a page with a real violation sends a handful, a flood is refused with a 429
before it is read), and it stores nothing a caller sends beyond a count.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

import msgspec
import structlog
from litestar import Controller, Request, Response, post

from enclave.api.security_headers import REPORT_PATH
from enclave.web.address_limits import Limit, count, refuse_if_over

log = structlog.get_logger("enclave.csp")
COUNTER = "enclave:csp:violations"
MAX_REPORT_BYTES = 64 * 1024
#: Reports per address: far above what one browser's pages send, far below a log flood.
REPORTS = Limit("csp-report", 120, 60, "Too many reports from this address; wait a minute.")


class CspReportController(Controller):
    path = REPORT_PATH
    include_in_schema = False

    @post(status_code=204, request_max_body_size=MAX_REPORT_BYTES)
    async def report(self, request: Request[Any, Any, Any]) -> Response[None]:
        await refuse_if_over(request, REPORTS)
        await count(request, REPORTS)
        body = await request.body()
        try:
            document = msgspec.json.decode(body)
        except msgspec.DecodeError:
            return Response(None, status_code=400)
        for report in _reports(document):
            await request.app.state.redis.incr(COUNTER)
            log.warning(
                "csp_violation",
                directive=str(report.get("effective-directive") or report.get("effectiveDirective") or ""),
                blocked=_origin(str(report.get("blocked-uri") or report.get("blockedURL") or "")),
            )
        return Response(None, status_code=204)


def _reports(document: Any) -> list[dict[str, Any]]:
    """The violations in either format: ``{"csp-report": {...}}`` (report-uri) or a list of
    ``{"type": "csp-violation", "body": {...}}`` (the Reporting API)."""
    if isinstance(document, dict) and isinstance(document.get("csp-report"), dict):
        return [document["csp-report"]]
    if isinstance(document, list):
        return [r["body"] for r in document if isinstance(r, dict) and isinstance(r.get("body"), dict)]
    return []


def _origin(uri: str) -> str:
    parts = urllib.parse.urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else uri.split(":", 1)[0][:20]
