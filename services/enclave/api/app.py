"""Builds the Litestar application: routes, dependencies, error mapping, lifecycle of shared clients.

Owns wiring only; no route logic and no rules live here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig

from enclave.api.errors import EXCEPTION_HANDLERS
from enclave.api.health.controllers import HealthController
from enclave.api.health.probes import ReadinessProbes
from enclave.api.request_id import request_id_middleware
from enclave.db.engine import create_engine
from enclave.logging import configure_logging
from enclave.settings import Settings, get_settings
from enclave.tls import client_context


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    configure_logging()
    engine = create_engine(settings.db, settings.tls)
    probes = ReadinessProbes(settings, engine, client_context(settings.tls.ca_file))

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await probes.close()
            await engine.dispose()

    return Litestar(
        route_handlers=[HealthController],
        dependencies={"probes": Provide(lambda: probes, use_cache=True, sync_to_thread=False)},
        middleware=[request_id_middleware],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        lifespan=[lifespan],
        openapi_config=OpenAPIConfig(title="Enclave API", version="1", path="/api/v1/schema"),
    )
