"""An export job's work: the project's records, written in the asked format, encrypted as they are
written, and stored as the attempt's artifact — streamed end to end, so memory stays flat however
large the project.

The format's writer runs in a worker thread (it is synchronous, like the object store's client) and
pulls records batch by batch from the event loop, all from one REPEATABLE READ snapshot: a format read
twice (COCO) sees the same tasks both times. The artifact is uploaded under the attempt's own name
and recorded only after the upload completed: a worker that dies mid-export leaves at most an
unfinished upload, which the store never shows, and the next attempt starts over. Must never store a
plaintext byte.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

import anyio.from_thread
import anyio.to_thread
import msgspec

from enclave.crypto.content import ContentCipher
from enclave.db.models import Job as JobRow
from enclave.db.repositories.exports import ProjectRecordRepository, count_records
from enclave.db.session import bind_tenant
from enclave.exchange import sinks
from enclave.exchange.formats import FORMATS, Format
from enclave.exchange.records import Record
from enclave.jobs.records import ProjectRecords, record_filter
from enclave.jobs.runner import Attempt, object_key
from enclave.jobs.schemas import ExportCreate
from enclave.projects.service import ProjectService


async def run_export(attempt: Attempt, job: JobRow) -> dict[str, Any]:
    context = attempt.context
    export = msgspec.convert(job.parameters, ExportCreate)
    chosen = FORMATS[export.format]
    organization_id = job.organization_id
    async with context.sessions() as session, session.begin():
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        await bind_tenant(session, organization_id)
        ontology = await ProjectService(session, organization_id).ontology(job.project_id)
        attempt.total = chosen.passes * await count_records(
            ProjectRecordRepository(session, organization_id), job.project_id, record_filter(export)
        )
        cipher = ContentCipher(context.keyring, session, organization_id)
        records = ProjectRecords(
            session, cipher, organization_id, job.project_id, export, context.settings.batch_size
        )
        key = object_key(job.id, attempt.claim.attempt, "artifact")
        sealer = await cipher.job_file_sealer(job.id, key)
        kind = "text" if any(o.kind == "span" for o in ontology.definition.objects) else "image"
        portal = _Portal(records, attempt)
        size = _Counter()

        def write() -> None:
            files = chosen.write(portal.reread, ontology.definition, kind)  # type: ignore[arg-type]
            plaintext = _plaintext(chosen, files)
            attempt.stored.append(key)
            attempt.objects.put(key, sealer.encrypt(size.through(plaintext)))

        await anyio.to_thread.run_sync(write)
    if sealer.header is None:  # pragma: no cover — encrypt() writes the header before anything else
        raise RuntimeError("the artifact was stored without its header")
    return {
        "artifact_key": key,
        "artifact_header": sealer.header,
        "artifact_size": size.total,
        "artifact_type": chosen.media_type,
        "artifact_name": f"project-{job.project_id}.{_suffix(chosen)}",
        "progress_done": attempt.done,
    }


def _plaintext(chosen: Format, files: Iterable[tuple[str, Iterator[bytes]]]) -> Iterator[bytes]:
    if chosen.layout == "folder":
        return sinks.zip_stream(files)
    return (chunk for _, chunks in files for chunk in chunks)


def _suffix(chosen: Format) -> str:
    return {
        "coco": "coco.json",
        "conll2003": "conll.txt",
        "jsonl": "jsonl",
        "label-studio": "label-studio.json",
    }.get(chosen.name, f"{chosen.name}.zip")


class _Portal:
    """The records, read from the event loop on behalf of the writer's thread: each pass is a new
    server-side cursor in the same snapshot."""

    def __init__(self, records: ProjectRecords, attempt: Attempt) -> None:
        self._records = records
        self._attempt = attempt

    async def _next(self, batches: AsyncIterator[list[Record]]) -> list[Record] | None:
        await self._attempt.poll()
        self._attempt.check()
        return await anext(batches, None)

    def reread(self) -> Iterator[Record]:
        batches: AsyncIterator[list[Record]] = self._records.batches()
        try:
            while True:
                self._attempt.check()
                batch = anyio.from_thread.run(self._next, batches)
                if batch is None:
                    return
                for record in batch:
                    yield record
                    self._attempt.done += 1
        finally:
            anyio.from_thread.run(_close, batches)


async def _close(batches: AsyncIterator[list[Record]]) -> None:
    await batches.aclose()  # type: ignore[attr-defined]


class _Counter:
    def __init__(self) -> None:
        self.total = 0

    def through(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            self.total += len(chunk)
            yield chunk
