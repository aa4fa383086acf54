"""Label Studio's JSON export: read into records, and written from them.

A task's ``data[<subject value>]`` is its item: an image's URL (only its file name is kept, to match
an uploaded file; it is never fetched) or a text's text. Each annotation becomes a submission with its
author and times as recorded; ``was_cancelled`` marks it skipped; a ``reviews`` list (Label Studio
Enterprise) becomes review marks. Box and polygon coordinates, percentages of ``original_width`` and
``original_height`` in Label Studio, become pixels. Predictions and drafts are not work anyone
submitted: they are counted in ``notes``, never imported silently as annotations.

Must never accept what it cannot represent: a result whose control the config lacks, a label the
control does not define, a rotated box or a shape outside its image stops the read with the task and
the field named.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
import urllib.parse
from collections.abc import Iterable, Iterator
from typing import Any

import msgspec

from enclave.exchange.errors import ExchangeError
from enclave.exchange.label_studio_config import RESULT_TYPES, LabelingConfig, control_names
from enclave.exchange.records import Item, Record, ReviewMark, Submission
from enclave.ontologies.schemas import OntologyDefinition
from enclave.tasks.schemas import AnnotationPayload, Box, Polygon, Span

#: How far past an image's edge a coordinate may lie (in percent) and still be the edge: Label
#: Studio's editor stores floating-point sums that overshoot 100 by rounding, never by more.
EDGE_TOLERANCE = 1e-6

#: Label Studio prefixes an uploaded file's name with eight hex digits and a dash.
_UPLOAD_PREFIX = re.compile(r"^[0-9a-f]{8}-(?=.)")


class Notes(msgspec.Struct):
    """What a read passed over on purpose, for the import report."""

    predictions: int = 0
    drafts: int = 0


def item_name(reference: str) -> str:
    """The file name a media reference points at: the last path segment, URL-decoded, without a
    query. ``/data/upload/3/1a2b3c4d-img0.jpg`` is ``1a2b3c4d-img0.jpg``; see ``name_candidates``."""
    path = urllib.parse.urlsplit(reference).path
    return posixpath.basename(urllib.parse.unquote(path))


def name_candidates(name: str) -> list[str]:
    """The names an uploaded file may have for a referenced one: itself, then without Label Studio's
    upload prefix."""
    bare = _UPLOAD_PREFIX.sub("", name)
    return [name] if bare == name else [name, bare]


def read_tasks(document: bytes, config: LabelingConfig, notes: Notes | None = None) -> Iterator[Record]:
    """The records of a Label Studio JSON export, in its order."""
    try:
        tasks = msgspec.json.decode(document)
    except msgspec.DecodeError as exc:
        raise ExchangeError(f"not valid JSON ({exc})", "export") from exc
    if not isinstance(tasks, list):
        raise ExchangeError("expected a JSON array of tasks", "export")
    notes = notes if notes is not None else Notes()
    for index, task in enumerate(tasks):
        yield _record(task, index, config, notes)


def _record(task: Any, index: int, config: LabelingConfig, notes: Notes) -> Record:
    where = f"task {task.get('id', f'#{index}')}" if isinstance(task, dict) else f"task #{index}"
    if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
        raise ExchangeError("a task must be an object with a data object", where)
    source_id = str(task["id"]) if "id" in task else None
    value = task["data"].get(config.subject.value)
    if not isinstance(value, str) or not value:
        raise ExchangeError(f"data.{config.subject.value} must be a non-empty string", where)
    item = (
        Item(name=item_name(value), kind="image")
        if config.kind == "image"
        else Item(name=f"{source_id or index}.txt", kind="text", text=value)
    )
    notes.predictions += len(task.get("predictions") or [])
    notes.drafts += len(task.get("drafts") or [])
    annotations = task.get("annotations") or []
    if not isinstance(annotations, list):
        raise ExchangeError("annotations must be an array", where)
    submissions = [
        _submission(a, f"{where}, annotations[{i}]", item, config) for i, a in enumerate(annotations)
    ]
    return Record(item=item, submissions=submissions, source_id=source_id)


def _submission(annotation: Any, where: str, item: Item, config: LabelingConfig) -> Submission:
    if not isinstance(annotation, dict):
        raise ExchangeError("an annotation must be an object", where)
    results = annotation.get("result") or []
    if not isinstance(results, list):
        raise ExchangeError("must be an array", f"{where}.result")
    objects: list[Box | Polygon | Span] = []
    classifications: dict[str, list[str]] = {}
    for i, result in enumerate(results):
        _result(result, f"{where}.result[{i}]", item, config, objects, classifications)
    try:
        payload = msgspec.convert(
            {"objects": msgspec.to_builtins(objects), "classifications": classifications}, AnnotationPayload
        )
    except msgspec.ValidationError as exc:
        raise ExchangeError(f"the annotation is not one the platform can hold ({exc})", where) from exc
    return Submission(
        author=_author(annotation.get("completed_by"), where),
        payload=payload,
        created_at=_time(annotation.get("created_at"), f"{where}.created_at"),
        skipped=bool(annotation.get("was_cancelled", False)),
        source_id=str(annotation["id"]) if "id" in annotation else None,
        reviews=[_review(r, f"{where}.reviews[{i}]") for i, r in enumerate(annotation.get("reviews") or [])],
    )


def _result(
    result: Any,
    where: str,
    item: Item,
    config: LabelingConfig,
    objects: list[Box | Polygon | Span],
    classifications: dict[str, list[str]],
) -> None:
    if not isinstance(result, dict) or not isinstance(result.get("value"), dict):
        raise ExchangeError("a result must be an object with a value object", where)
    control = result.get("from_name")
    kind = config.control(control) if isinstance(control, str) else None
    if kind is None or not isinstance(control, str):
        raise ExchangeError(
            f"from_name {control!r} is not a control of the labeling config", f"{where}.from_name"
        )
    if result.get("to_name") != config.subject.name:
        raise ExchangeError(f"to_name must be {config.subject.name!r}", f"{where}.to_name")
    value = result["value"]
    if kind == "choices":
        choices = value.get("choices")
        if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
            raise ExchangeError("must be an array of strings", f"{where}.value.choices")
        question = next(c for c in config.definition.classifications if c.name == control)
        unknown = [c for c in choices if c not in question.options]
        if unknown:
            raise ExchangeError(f"{unknown[0]!r} is not a choice of {control!r}", f"{where}.value.choices")
        answers = classifications.setdefault(control, [])
        answers.extend(c for c in dict.fromkeys(choices) if c not in answers)
        return
    result_type = RESULT_TYPES[kind]
    if result.get("type") != result_type:
        raise ExchangeError(f"{control!r} results must be of type {result_type!r}", f"{where}.type")
    labels = value.get(result_type)
    if not isinstance(labels, list) or len(labels) != 1 or not isinstance(labels[0], str):
        raise ExchangeError("exactly one label per region is supported", f"{where}.value.{result_type}")
    label = labels[0]
    if label not in config.labels_of(control):
        raise ExchangeError(f"{label!r} is not a label of {control!r}", f"{where}.value.{result_type}")
    if kind == "span":
        objects.append(_span(value, label, where, item))
        return
    width, height = _image_size(result, where, item)
    if kind == "bbox":
        objects.append(_box(value, label, where, width, height))
    else:
        objects.append(_polygon(value, label, where, width, height))


def _image_size(result: dict[str, Any], where: str, item: Item) -> tuple[int, int]:
    size = []
    for field in ("original_width", "original_height"):
        number = result.get(field)
        if not isinstance(number, int) or isinstance(number, bool) or number <= 0:
            raise ExchangeError("must be the image's size in pixels, a positive integer", f"{where}.{field}")
        size.append(number)
    width, height = size
    if item.width is None:
        item.width, item.height = width, height
    elif (item.width, item.height) != (width, height):
        raise ExchangeError(
            f"the image is {width} by {height} here but {item.width} by {item.height} in another result",
            where,
        )
    return width, height


def _number(value: dict[str, Any], field: str, where: str) -> float:
    number = value.get(field)
    if not isinstance(number, int | float) or isinstance(number, bool):
        raise ExchangeError("must be a number", f"{where}.value.{field}")
    return float(number)


def _percent(number: float, field: str, where: str) -> float:
    if not -EDGE_TOLERANCE <= number <= 100 + EDGE_TOLERANCE:
        raise ExchangeError(f"{number} lies outside the image (0 to 100 percent)", f"{where}.value.{field}")
    return min(max(number, 0.0), 100.0)


def _box(value: dict[str, Any], label: str, where: str, width: int, height: int) -> Box:
    if _number(value, "rotation", where) if "rotation" in value else 0.0:
        raise ExchangeError("rotated boxes are not supported", f"{where}.value.rotation")
    x = _percent(_number(value, "x", where), "x", where)
    y = _percent(_number(value, "y", where), "y", where)
    w = _number(value, "width", where)
    h = _number(value, "height", where)
    if w <= 0 or h <= 0:
        raise ExchangeError("a box must have a positive width and height", f"{where}.value")
    right = _percent(x + w, "width", where)
    bottom = _percent(y + h, "height", where)
    return Box(
        label=label,
        x=x * width / 100,
        y=y * height / 100,
        width=(right - x) * width / 100,
        height=(bottom - y) * height / 100,
    )


def _polygon(value: dict[str, Any], label: str, where: str, width: int, height: int) -> Polygon:
    points = value.get("points")
    if not isinstance(points, list) or len(points) < 3:
        raise ExchangeError("a polygon needs at least three points", f"{where}.value.points")
    pixels = []
    for i, point in enumerate(points):
        if not (isinstance(point, list) and len(point) == 2):
            raise ExchangeError("a point is a pair of numbers", f"{where}.value.points[{i}]")
        px = _percent(_number({"x": point[0]}, "x", f"{where}.value.points[{i}]"), f"points[{i}]", where)
        py = _percent(_number({"y": point[1]}, "y", f"{where}.value.points[{i}]"), f"points[{i}]", where)
        pixels.append((px * width / 100, py * height / 100))
    return Polygon(label=label, points=pixels)


def _span(value: dict[str, Any], label: str, where: str, item: Item) -> Span:
    start, end = value.get("start"), value.get("end")
    if (
        not isinstance(start, int)
        or not isinstance(end, int)
        or isinstance(start, bool)
        or isinstance(end, bool)
    ):
        raise ExchangeError("start and end must be character offsets", f"{where}.value")
    text = item.text or ""
    if not 0 <= start < end <= len(text):
        raise ExchangeError(
            f"the span {start}-{end} does not lie within the text ({len(text)} characters)", f"{where}.value"
        )
    quoted = value.get("text")
    if quoted is not None and quoted != text[start:end]:
        raise ExchangeError(f"{quoted!r} is not the text at {start}-{end}", f"{where}.value.text")
    return Span(label=label, start=start, end=end)


def _author(completed_by: Any, where: str) -> str:
    if isinstance(completed_by, dict):
        completed_by = completed_by.get("email") or completed_by.get("id")
    if isinstance(completed_by, bool) or not isinstance(completed_by, int | str) or completed_by == "":
        raise ExchangeError(
            "must name the annotator (a user id or an object with an email)", f"{where}.completed_by"
        )
    return str(completed_by)


def _review(review: Any, where: str) -> ReviewMark:
    if not isinstance(review, dict) or not isinstance(review.get("accepted"), bool):
        raise ExchangeError("a review must be an object with accepted true or false", where)
    return ReviewMark(
        accepted=review["accepted"],
        reviewer=_author(review.get("created_by"), where),
        created_at=_time(review.get("created_at"), f"{where}.created_at"),
        comment=str(review.get("comment") or ""),
    )


def _time(value: Any, where: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return msgspec.convert(value, dt.datetime)
    except msgspec.ValidationError as exc:
        raise ExchangeError("must be an ISO 8601 time", where) from exc


# --- writing -----------------------------------------------------------------------------------


def write_tasks(records: Iterable[Record], definition: OntologyDefinition, kind: str) -> Iterator[bytes]:
    """A Label Studio JSON export of the records, a task per chunk: it imports into Label Studio with
    ``write_config``'s config (or the one the ontology came from) and back into the platform."""
    subject_name = definition.subject.name if definition.subject else kind
    subject_value = definition.subject.value if definition.subject else kind
    controls = control_names(definition.objects)
    encoder = msgspec.json.Encoder()
    first = True
    for index, record in enumerate(records, start=1):
        task_id = _task_id(record, index)
        reference = record.item.text if record.item.kind == "text" else f"/data/upload/{record.item.name}"
        task = {
            "id": task_id,
            "data": {subject_value: reference},
            "annotations": [
                _annotation(s, i, record.item, subject_name, controls)
                for i, s in enumerate(record.submissions, 1)
            ],
        }
        yield (b"[\n" if first else b",\n") + encoder.encode(task)
        first = False
    yield b"[]\n" if first else b"\n]\n"


def _task_id(record: Record, index: int) -> int:
    """The task's Label Studio id: its own, where it came from Label Studio; for a text item named as
    the reader names them (``<task id>.txt``), that id, so the name survives a round trip; else its
    place in the export."""
    if record.source_id is not None and record.source_id.isdigit():
        return int(record.source_id)
    stem, _, suffix = record.item.name.rpartition(".")
    if record.item.kind == "text" and suffix == "txt" and stem.isdigit():
        return int(stem)
    return index


def _annotation(
    s: Submission, number: int, item: Item, to_name: str, controls: dict[str, str]
) -> dict[str, Any]:
    results: list[dict[str, Any]] = []
    for i, obj in enumerate(s.payload.objects):
        results.append(_region(obj, f"r{number}_{i}", item, to_name, controls[obj.label]))
    for question, answers in s.payload.classifications.items():
        results.append(
            {
                "id": f"c{number}_{question}",
                "type": "choices",
                "from_name": question,
                "to_name": to_name,
                "value": {"choices": answers},
            }
        )
    annotation: dict[str, Any] = {
        "id": int(s.source_id) if s.source_id and s.source_id.isdigit() else number,
        "completed_by": int(s.author) if s.author.isdigit() else s.author,
        "result": results,
        "was_cancelled": s.skipped,
        "created_at": s.created_at,
        "updated_at": s.created_at,
    }
    if s.reviews:
        annotation["reviews"] = [
            {
                "accepted": r.accepted,
                "created_by": int(r.reviewer) if r.reviewer.isdigit() else r.reviewer,
                "created_at": r.created_at,
                "comment": r.comment,
            }
            for r in s.reviews
        ]
    return annotation


def _region(
    obj: Box | Polygon | Span, region_id: str, item: Item, to_name: str, control: str
) -> dict[str, Any]:
    if isinstance(obj, Span):
        value: dict[str, Any] = {
            "start": obj.start,
            "end": obj.end,
            "text": (item.text or "")[obj.start : obj.end],
            "labels": [obj.label],
        }
        return {"id": region_id, "type": "labels", "from_name": control, "to_name": to_name, "value": value}
    width, height = item.width or 0, item.height or 0
    if not width or not height:
        raise ExchangeError(
            "an image's size is needed to write its shapes as percentages", f"item {item.name!r}"
        )
    if isinstance(obj, Box):
        value = {
            "x": obj.x * 100 / width,
            "y": obj.y * 100 / height,
            "width": obj.width * 100 / width,
            "height": obj.height * 100 / height,
            "rotation": 0,
            "rectanglelabels": [obj.label],
        }
        kind = "rectanglelabels"
    else:
        value = {
            "points": [[x * 100 / width, y * 100 / height] for x, y in obj.points],
            "closed": True,
            "polygonlabels": [obj.label],
        }
        kind = "polygonlabels"
    return {
        "id": region_id,
        "type": kind,
        "from_name": control,
        "to_name": to_name,
        "original_width": width,
        "original_height": height,
        "image_rotation": 0,
        "value": value,
    }
