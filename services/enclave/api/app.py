"""Builds the Litestar application: routes, dependencies, error mapping, lifecycle of shared clients.

Owns wiring only; no route logic and no rules live here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin

from enclave.api.allocator import keep_large_buffers
from enclave.api.auth.authenticate import authentication_middleware, authenticators_for
from enclave.api.csp_reports import CspReportController
from enclave.api.egress_audit import egress_audit_middleware
from enclave.api.errors import EXCEPTION_HANDLERS
from enclave.api.health.controllers import HealthController
from enclave.api.health.probes import ReadinessProbes
from enclave.api.request_id import request_id_middleware
from enclave.api.security_headers import security_headers_middleware
from enclave.api.v1.routes import V1_CONTROLLERS
from enclave.api.webapp import webapp_router
from enclave.audit_trail.archive import LockedArchive
from enclave.crypto.keyring import KeyRing
from enclave.crypto.rotation import KeyRotation
from enclave.crypto.sealing import Sealer
from enclave.crypto.tenant_kms import TenantKms
from enclave.db.engine import create_engine
from enclave.db.session import session_factory
from enclave.identity.controllers import AuthController
from enclave.identity.key_owners import KeycloakKeyOwners
from enclave.identity.keycloak_admin import admin_from_settings
from enclave.identity.login import LoginService
from enclave.identity.oidc import RealmClients
from enclave.identity.realms import RealmService
from enclave.identity.sessions import PendingLogins, SessionStore
from enclave.invites.controllers import InviteAcceptController
from enclave.logging import configure_logging
from enclave.redis_client import create_redis
from enclave.settings import Settings, get_settings, read_secret
from enclave.storage.homes import Homes
from enclave.storage.objects import ObjectStore
from enclave.tls import client_context
from enclave.web.audit import provide_audit_note
from enclave.web.guard import authorize
from enclave.web.http import principal_of, provide_cipher, provide_objects, visibility_of
from enclave.web.transaction import close_session_middleware, provide_session


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    configure_logging()
    keep_large_buffers()
    engine = create_engine(settings.db, settings.tls)
    sessions_db = session_factory(engine)
    redis = create_redis(settings.redis, settings.tls)
    probes = ReadinessProbes(settings, engine, client_context(settings.tls.ca_file), redis)
    sealer = Sealer(read_secret(settings.session.key_file).encode())
    sessions = SessionStore(
        redis, sealer, settings.session.idle_timeout_s, settings.session.absolute_timeout_s
    )
    realms = (
        RealmService(admin_from_settings(settings.keycloak, settings.tls))
        if settings.keycloak.admin_password_file
        else None
    )
    # Data keys are read and made in sessions of their own while a request holds its connection:
    # from a pool of their own, so requests waiting for connections can never starve them (deadlock).
    key_engine = create_engine(settings.db, settings.tls, application_name="enclave-api-keys", pool_size=4)
    key_sessions = session_factory(key_engine)
    keyring = KeyRing(
        TenantKms.of_installation(settings.vault, settings.tls, key_sessions),
        key_sessions,
        max_age_s=settings.api.data_key_max_age_s,
    )
    homes = Homes(ObjectStore(settings.s3, settings.tls))
    audit_archive = LockedArchive(settings.s3, settings.tls, settings.audit)
    rotation = KeyRotation(keyring, sessions_db)
    login = LoginService(
        RealmClients(settings.keycloak, settings.tls),
        PendingLogins(redis, sealer),
        sessions,
        sessions_db,
        settings.api.public_url,
    )

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await rotation.close()
            await probes.close()
            await redis.aclose()
            await engine.dispose()
            await key_engine.dispose()

    v1 = Router(
        path="/api/v1",
        route_handlers=V1_CONTROLLERS,
        guards=[authorize],
        dependencies={
            "session": Provide(provide_session),
            "principal": Provide(principal_of, sync_to_thread=False),
            "visibility": Provide(visibility_of, sync_to_thread=False),
            "cipher": Provide(provide_cipher, sync_to_thread=False),
            "audit": Provide(provide_audit_note, sync_to_thread=False),
            "objects": Provide(provide_objects),
        },
    )
    return Litestar(
        route_handlers=[
            HealthController,
            AuthController,
            InviteAcceptController,
            CspReportController,
            webapp_router(settings.api.webapp_dir),
            v1,
        ],
        dependencies={"probes": Provide(lambda: probes, use_cache=True, sync_to_thread=False)},
        middleware=[
            security_headers_middleware,
            request_id_middleware,
            egress_audit_middleware,
            close_session_middleware,
            authentication_middleware(authenticators_for(settings.api.mode)),
        ],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        lifespan=[lifespan],
        logging_config=None,  # enclave.logging owns the log format (JSON lines)
        state=State(
            {
                "settings": settings,
                "session_factory": sessions_db,
                "sessions": sessions,
                "redis": redis,
                "realms": realms,
                "login": login,
                "key_owner_check": KeycloakKeyOwners(
                    realms, redis, settings.session.account_check_interval_s
                ),
                "keyring": keyring,
                "homes": homes,
                "audit_archive": audit_archive,
                "rotation": rotation,
            }
        ),
        openapi_config=OpenAPIConfig(
            title="Enclave API",
            version="1",
            path="/api/v1",
            # The JSON document only: the browser UIs load scripts from the internet, which an
            # air-gapped installation must never ask its users' browsers to do.
            render_plugins=[JsonRenderPlugin()],
        ),
    )
