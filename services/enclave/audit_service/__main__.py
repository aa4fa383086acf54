"""``enclave-audit`` (``python -m enclave.audit_service``): the audit service, and the verifier.

enclave-audit run                 drain the outbox into the chain, sign checkpoints, pull Keycloak's
                                  sign-in events into it (a service)
enclave-audit verify [ORG_ID...]  walk every organization's chain (or the named ones) and compare it
                                  with the locked copy; exit 1 if any record or checkpoint is wrong,
                                  naming the first bad record (2: the copy cannot be read).
                                  --every-record: compare each record's search columns with its
                                  content even where the database's guard on them stands
enclave-audit public-key          print the checkpoint key's public half (to verify exports offline)
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import uuid
from typing import BinaryIO

import anyio.to_thread

from enclave.audit_service.drain import AuditService
from enclave.audit_service.keycloak_events import KeycloakEventSource
from enclave.audit_service.startup import freeze_startup_objects
from enclave.audit_trail.archive import ArchiveUnavailable, LockedArchive
from enclave.audit_trail.export import verify_export
from enclave.audit_trail.signer import CheckpointSigner
from enclave.audit_trail.verification import verify_organization
from enclave.audit_trail.verify import Verdict
from enclave.db.engine import create_engine
from enclave.db.repositories.audit_log import organizations_with_trail
from enclave.db.session import session_factory
from enclave.egress import install as install_egress_guard
from enclave.logging import configure_logging
from enclave.settings import (
    AuditSettings,
    DatabaseSettings,
    KeycloakSettings,
    S3Settings,
    TLSSettings,
    VaultSettings,
)


def _signer() -> CheckpointSigner:
    return CheckpointSigner(VaultSettings(), AuditSettings(), TLSSettings())


def _archive() -> LockedArchive:
    return LockedArchive(S3Settings(), TLSSettings(), AuditSettings())


async def _run() -> None:
    engine = create_engine(DatabaseSettings(), TLSSettings(), as_audit=True, application_name="enclave-audit")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    sessions = session_factory(engine)
    # Keycloak's own events (failed sign-ins, MFA enrolment) are part of the trail: without the
    # client that reads them, the service does not start rather than keep a trail with a hole.
    keycloak = KeycloakEventSource(sessions, AuditSettings(), KeycloakSettings(), TLSSettings())
    freeze_startup_objects()
    try:
        async with asyncio.TaskGroup() as loops:
            loops.create_task(AuditService(sessions, _signer(), _archive(), AuditSettings()).run(stop))
            loops.create_task(keycloak.run(stop))
    finally:
        await engine.dispose()


def _copies(verdict: Verdict) -> str:
    if verdict.copies_guarded:
        return "search columns held to the content by the database's guard"
    return "search columns compared with the content record by record"


async def _verify(organizations: list[uuid.UUID], *, every_record: bool) -> int:
    engine = create_engine(DatabaseSettings(), TLSSettings(), as_audit=True, application_name="enclave-audit")
    public_keys = await anyio.to_thread.run_sync(_signer().public_keys)
    archive = _archive()
    failed = 0
    try:
        sessions = session_factory(engine)
        if not organizations:
            # Every organization with a trail in the database or in the locked copy: a trail deleted
            # from the database altogether is still found, and named, through its copy.
            async with sessions() as session:
                stored = await organizations_with_trail(session)
                found = stored | await anyio.to_thread.run_sync(archive.organizations)
            organizations = sorted(found)
        for organization_id in organizations:
            async with sessions() as session:
                verdict = await verify_organization(
                    session, archive, organization_id, public_keys, every_record=every_record
                )
            if verdict.ok:
                print(
                    f"{organization_id}: ok, {verdict.records} records, {verdict.checkpoints} signed "
                    f"checkpoints, {verdict.locked_segments} locked segments agree; {_copies(verdict)}"
                )
            else:
                failed += 1
                where = f" at record {verdict.bad_seq}" if verdict.bad_seq is not None else ""
                print(f"{organization_id}: FAILED{where}: {verdict.problem}")
    except ArchiveUnavailable as error:
        print(f"cannot verify: the locked copy is unreadable ({error})", file=sys.stderr)
        return 2
    finally:
        await engine.dispose()
    return 1 if failed else 0


def _verify_export(file: BinaryIO, keys: list[str]) -> int:
    public_keys = {}
    for entry in keys:
        version, _, key = entry.partition(":")
        public_keys[int(version.removeprefix("v"))] = key
    verdict = verify_export(file, public_keys)
    if verdict.ok:
        signed = verdict.checkpoints
        print(f"{verdict.organization_id}: ok, {verdict.records} records, {signed} signed checkpoints")
        return 0
    where = f" at record {verdict.bad_seq}" if verdict.bad_seq is not None else ""
    print(f"{verdict.organization_id}: FAILED{where}: {verdict.problem}")
    return 1


def main() -> None:
    parser = argparse.ArgumentParser(prog="enclave-audit", description=__doc__.split("\n")[0])
    verbs = parser.add_subparsers(dest="verb", required=True)
    verbs.add_parser("run", help="drain the outbox into the chain and sign checkpoints")
    verify = verbs.add_parser("verify", help="verify the chains and their checkpoint signatures")
    verify.add_argument("organizations", nargs="*", type=uuid.UUID, help="organization ids (default: all)")
    verify.add_argument(
        "--every-record",
        action="store_true",
        help="compare every record's search columns with its content, trusting no database guard",
    )
    verbs.add_parser("public-key", help="print the checkpoint key's public half")
    offline = verbs.add_parser("verify-export", help="verify an exported trail offline")
    offline.add_argument("file", type=argparse.FileType("rb"), help="the export (JSON lines)")
    offline.add_argument(
        "--public-key",
        action="append",
        required=True,
        help="vN:BASE64, as `public-key` prints it (repeatable)",
    )
    arguments = parser.parse_args()
    configure_logging()
    install_egress_guard()
    if arguments.verb == "verify-export":
        sys.exit(_verify_export(arguments.file, arguments.public_key))
    if arguments.verb == "run":
        asyncio.run(_run())
    elif arguments.verb == "verify":
        sys.exit(asyncio.run(_verify(arguments.organizations, every_record=arguments.every_record)))
    else:
        for version, key in sorted(_signer().public_keys().items()):
            print(f"v{version}:{key}")


if __name__ == "__main__":
    main()
