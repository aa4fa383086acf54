"""A Label Studio import job's work: the project's labeling config (its ontology) and a Label Studio
JSON export become the project's tasks, annotation versions and reviews — with their authors and
times as recorded, skipped work as skipped — on the items already uploaded under the same names.

Everything is read and checked first: a malformed export, a result whose control the config lacks, a
shape outside its image, an image not uploaded under any of its names, an item that already has a
task in the project: the job fails naming the task and the field, and nothing is written. Then one
transaction writes it all. Text tasks carry their text: their items are added to the project's text
dataset. A source's author becomes the member with that e-mail address where there is one, else the
member who asked for the import, the source's name kept beside it. Predictions and drafts are not
work: they are counted in the report, not imported. Media are matched by name, never fetched.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import anyio.to_thread

from enclave.crypto.content import ContentCipher
from enclave.datasets.service import DatasetService
from enclave.datasets.texts import TextRecord
from enclave.db.models import Job as JobRow
from enclave.db.repositories.imports import ImportRepository
from enclave.db.session import bind_tenant
from enclave.domain.errors import InvalidInput
from enclave.domain.roles import ReviewDecision, TaskStage
from enclave.exchange.label_studio_config import LabelingConfig
from enclave.exchange.label_studio_json import Notes, name_candidates, read_tasks
from enclave.exchange.records import Record
from enclave.jobs.runner import Attempt
from enclave.jobs.service import item_kind
from enclave.projects.service import ProjectService
from enclave.storage.homes import OrganizationObjects

#: How many missing names an error lists before it says "and N more".
SHOWN = 5


def stage_after_import(record: Record, review_required: bool) -> TaskStage:
    """Where an imported task stands: its current work approved is done, rejected is back with its
    annotator, not reviewed waits for review (or is done where the project does not review); a task
    with no work, or only skipped work, waits for annotation."""
    current = record.current
    if current is None:
        return TaskStage.ANNOTATE
    if current.reviews:
        return TaskStage.DONE if current.reviews[-1].accepted else TaskStage.ANNOTATE
    return TaskStage.REVIEW if review_required else TaskStage.DONE


async def run_import(attempt: Attempt, job: JobRow) -> dict[str, Any]:
    context = attempt.context
    organization_id = job.organization_id
    async with context.sessions() as session, session.begin():
        await bind_tenant(session, organization_id)
        cipher = ContentCipher(context.keyring, session, organization_id)
        document = await _input(attempt.objects, cipher, job)
        projects = ProjectService(session, organization_id)
        project = await projects.get(job.project_id)
        ontology = await projects.ontology(job.project_id)
        repository = ImportRepository(session, organization_id)
        datasets = await repository.attached_datasets(job.project_id)
        kind = item_kind(ontology.definition) or (datasets[0][1] if datasets else "image")
        config = LabelingConfig(ontology.definition, "text" if kind == "text" else "image")
        notes = Notes()
        records = await anyio.to_thread.run_sync(lambda: list(read_tasks(document, config, notes)))
        attempt.total = len(records)
        attempt.check()
        if config.kind == "text":
            item_ids = await _text_items(session, cipher, attempt.objects, datasets, records)
        else:
            item_ids = await _image_items(repository, cipher, datasets, records)
        taken = await repository.items_with_tasks(job.project_id, item_ids)
        if taken:
            index = item_ids.index(next(iter(taken)))
            raise InvalidInput(
                f"{records[index].label}: its item already has a task in this project; nothing was imported."
            )
        authors = await repository.members_by_email(_emails(records))
        counts = await _write(
            attempt,
            repository,
            cipher,
            job,
            project.review_required,
            ontology.current_version,
            records,
            item_ids,
            authors,
        )
    return {
        "progress_done": attempt.done,
        "result": {
            **counts,
            "predictions_not_imported": notes.predictions,
            "drafts_not_imported": notes.drafts,
        },
    }


async def _input(objects: OrganizationObjects, cipher: ContentCipher, job: JobRow) -> bytes:
    if job.input_key is None or job.input_header is None:  # pragma: no cover — the api stores it first
        raise InvalidInput("This import has no input.")
    input_key = job.input_key
    opener = await cipher.job_file_opener(job.id, input_key, job.input_header)

    def read() -> bytes:
        return b"".join(opener.decrypt(objects.get(input_key)))

    return await anyio.to_thread.run_sync(read)


async def _image_items(
    repository: ImportRepository,
    cipher: ContentCipher,
    datasets: list[tuple[uuid.UUID, str]],
    records: list[Record],
) -> list[uuid.UUID]:
    """Each record's uploaded image, by its file name (or that name without Label Studio's upload
    prefix), in the project's image datasets; its size checked against (or set from) the export's."""
    image_sets = [dataset_id for dataset_id, kind in datasets if kind == "image"]
    if not image_sets:
        raise InvalidInput("Attach the dataset holding the images to the project before importing.")
    wanted: dict[bytes, str] = {}
    candidates: list[list[bytes]] = []
    for record in records:
        indexes = []
        for name in name_candidates(record.item.name):
            for dataset_id in image_sets:
                index = await cipher.name_index(dataset_id, name)
                wanted[index] = name
                indexes.append(index)
        candidates.append(indexes)
    found = await repository.items_named(image_sets, list(wanted))
    item_ids: list[uuid.UUID] = []
    missing: list[str] = []
    for record, indexes in zip(records, candidates, strict=True):
        match = next((found[i][0] for i in indexes if i in found), None)
        if match is None:
            missing.append(record.item.name)
            continue
        item_id, width, height = match
        known = record.item.width is not None and (width, height) != (None, None)
        if known and (width, height) != (record.item.width, record.item.height):
            raise InvalidInput(
                f"{record.label}: the export drew on a {record.item.width}x{record.item.height} image, "
                f"but {record.item.name!r} is {width}x{height}; nothing was imported."
            )
        item_ids.append(item_id)
    if missing:
        more = f" and {len(missing) - SHOWN} more" if len(missing) > SHOWN else ""
        raise InvalidInput(
            f"{len(missing)} images are not uploaded to the project's datasets: "
            f"{', '.join(missing[:SHOWN])}{more}; nothing was imported."
        )
    for record, item_id in zip(records, item_ids, strict=True):
        if record.item.width is not None and record.item.height is not None:
            await repository.set_image_size(item_id, record.item.width, record.item.height)
    return item_ids


async def _text_items(
    session: Any,
    cipher: ContentCipher,
    objects: OrganizationObjects,
    datasets: list[tuple[uuid.UUID, str]],
    records: list[Record],
) -> list[uuid.UUID]:
    text_sets = [dataset_id for dataset_id, kind in datasets if kind == "text"]
    if not text_sets:
        raise InvalidInput("Attach a text dataset to the project to receive the imported texts.")
    texts = [TextRecord(r.item.name, r.item.text or "", {}) for r in records]
    service = DatasetService(session, objects.organization_id, cipher, objects)
    return list(await service.add_texts(text_sets[0], texts))


def _emails(records: list[Record]) -> list[str]:
    names = {s.author for r in records for s in r.submissions} | {
        m.reviewer for r in records for s in r.submissions for m in s.reviews
    }
    return sorted(name for name in names if "@" in name)


async def _write(
    attempt: Attempt,
    repository: ImportRepository,
    cipher: ContentCipher,
    job: JobRow,
    review_required: bool,
    ontology_version: int,
    records: list[Record],
    item_ids: list[uuid.UUID],
    authors: dict[str, uuid.UUID],
) -> dict[str, int]:
    def member(name: str) -> uuid.UUID:
        return authors.get(name.lower(), job.requested_by)

    tasks, versions, reviews = [], [], []
    # Tasks keep the export's order (a project's tasks are listed and exported oldest first).
    start = dt.datetime.now(dt.UTC)
    for number, (record, item_id) in enumerate(zip(records, item_ids, strict=True)):
        attempt.check()
        task_id = uuid.uuid4()
        tasks.append(
            {
                "id": task_id,
                "project_id": job.project_id,
                "data_item_id": item_id,
                "stage": stage_after_import(record, review_required),
                "created_at": start + dt.timedelta(microseconds=number),
            }
        )
        for version, submission in enumerate(record.submissions, start=1):
            version_id = uuid.uuid4()
            versions.append(
                {
                    "id": version_id,
                    "task_id": task_id,
                    "version": version,
                    "author_id": member(submission.author),
                    "source_author": submission.author,
                    "recorded_at": submission.created_at,
                    "skipped": submission.skipped,
                    "ontology_version": ontology_version,
                    "payload": await cipher.seal_annotation_payload(version_id, submission.payload),
                }
            )
            for mark in submission.reviews:
                review_id = uuid.uuid4()
                reviews.append(
                    {
                        "id": review_id,
                        "task_id": task_id,
                        "annotation_version_id": version_id,
                        "reviewer_id": member(mark.reviewer),
                        "source_reviewer": mark.reviewer,
                        "recorded_at": mark.created_at,
                        "decision": ReviewDecision.APPROVE if mark.accepted else ReviewDecision.REJECT,
                        "comment": await cipher.seal_review_comment(review_id, mark.comment),
                    }
                )
        attempt.done += 1
    await repository.add_tasks(tasks)
    await repository.add_versions(versions)
    await repository.add_reviews(reviews)
    return {
        "tasks": len(tasks),
        "annotations": len(versions),
        "skipped": sum(1 for v in versions if v["skipped"]),
        "reviews": len(reviews),
    }
