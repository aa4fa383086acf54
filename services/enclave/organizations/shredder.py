"""``python -m enclave.organizations.shredder``: one pass of crypto-shredding (a CronJob in a cluster).

Destroys the key of every terminated organization whose export window has ended, and prints their ids.
"""

from __future__ import annotations

import asyncio
import datetime as dt

from enclave.crypto.keyring import KeyRing
from enclave.crypto.tenant_kms import TenantKms
from enclave.db.engine import create_engine
from enclave.db.session import session_factory
from enclave.organizations.termination import shred_due
from enclave.settings import get_settings


async def run() -> list[str]:
    settings = get_settings()
    engine = create_engine(settings.db, settings.tls, application_name="enclave-shredder")
    try:
        sessions = session_factory(engine)
        kms = TenantKms.of_installation(settings.vault, settings.tls, sessions)
        keyring = KeyRing(kms, sessions, max_age_s=settings.api.data_key_max_age_s)
        return [str(org) for org in await shred_due(keyring, sessions, dt.datetime.now(dt.UTC))]
    finally:
        await engine.dispose()


def main() -> None:
    for organization_id in asyncio.run(run()):
        print(f"shredded {organization_id}")


if __name__ == "__main__":
    main()
