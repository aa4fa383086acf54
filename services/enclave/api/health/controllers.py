"""``GET /health/live`` and ``GET /health/ready``: unauthenticated, and revealing no detail beyond
each component's state."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from enclave.api.health.probes import ReadinessProbes


class HealthController(Controller):
    path = "/health"
    tags = ["health"]  # noqa: RUF012 — Litestar reads this class attribute
    include_in_schema = False

    @get("/live", operation_id="health_live", cache=False)
    async def live(self) -> dict[str, str]:
        return {"status": "ok"}

    @get("/ready", operation_id="health_ready", cache=False)
    async def ready(self, probes: NamedDependency[ReadinessProbes]) -> Response[dict[str, Any]]:
        results = await probes.check_all()
        healthy = all(result.status == "ok" for result in results.values())
        body = {
            "status": "ok" if healthy else "down",
            "components": {
                name: {k: v for k, v in asdict(result).items() if v is not None}
                for name, result in results.items()
            },
        }
        return Response(body, status_code=HTTP_200_OK if healthy else HTTP_503_SERVICE_UNAVAILABLE)
