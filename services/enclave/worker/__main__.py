"""``enclave-worker`` (``python -m enclave.worker``): takes jobs from PostgreSQL and does them.

Any number of workers may run: each takes the oldest job no live worker holds (``FOR UPDATE SKIP
LOCKED``), one at a time, and renews its lease while it works. SIGTERM or SIGINT stops it: the job in
hand is dropped and its lease released, so another worker starts it over at once; a worker that is
killed outright releases its job when the lease runs out. It connects only to the configured
PostgreSQL, Vault and object store, over verified TLS, as the api's database role.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import uuid

import structlog

from enclave.crypto.keyring import KeyRing
from enclave.crypto.tenant_kms import TenantKms
from enclave.db.engine import create_engine
from enclave.db.repositories.jobs import Claim, JobRepository, claim_next
from enclave.db.session import bind_tenant, session_factory
from enclave.domain.jobs import JobKind
from enclave.egress import install as install_egress_guard
from enclave.jobs.export_run import run_export
from enclave.jobs.import_run import run_import
from enclave.jobs.runner import Work, WorkerContext, run
from enclave.logging import configure_logging
from enclave.settings import get_settings
from enclave.storage.homes import Homes
from enclave.storage.objects import ObjectStore

log = structlog.get_logger("enclave.worker")

WORKS: dict[JobKind, Work] = {JobKind.EXPORT: run_export, JobKind.IMPORT: run_import}


async def serve(context: WorkerContext, stop: asyncio.Event) -> None:
    while not stop.is_set():
        async with context.sessions() as session:
            claim = await claim_next(session, context.name, context.settings.lease_s)
        if claim is None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), context.settings.poll_interval_s)
            continue
        work = asyncio.create_task(run(context, claim, WORKS))
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait({work, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not work.done():
            work.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await work
            await _release(context, claim)


async def _release(context: WorkerContext, claim: Claim) -> None:
    async with context.sessions() as session, session.begin():
        await bind_tenant(session, claim.organization_id)
        await JobRepository(session, claim.organization_id).release(claim, context.name)
    log.info("job_released", job_id=str(claim.job_id))


async def _main() -> None:
    configure_logging()
    settings = get_settings()
    engine = create_engine(settings.db, settings.tls, application_name="enclave-worker", pool_size=4)
    key_engine = create_engine(settings.db, settings.tls, application_name="enclave-worker-keys", pool_size=2)
    key_sessions = session_factory(key_engine)
    keyring = KeyRing(
        TenantKms.of_installation(settings.vault, settings.tls, key_sessions),
        key_sessions,
        max_age_s=settings.api.data_key_max_age_s,
    )
    name = f"{socket.gethostname()}/{os.getpid()}/{uuid.uuid4().hex[:8]}"
    context = WorkerContext(
        session_factory(engine), keyring, Homes(ObjectStore(settings.s3, settings.tls)), settings.worker, name
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info("worker_started", worker=name)
    try:
        await serve(context, stop)
    finally:
        await engine.dispose()
        await key_engine.dispose()
        log.info("worker_stopped", worker=name)


def main() -> None:
    install_egress_guard()
    asyncio.run(_main())


if __name__ == "__main__":
    main()
