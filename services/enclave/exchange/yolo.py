"""YOLO (Ultralytics' text format): ``classes.txt`` (one class per line; its line number is its id)
and ``labels/<image stem>.txt`` per labeled image.

A box is ``class cx cy w h``; a polygon is ``class x1 y1 x2 y2 ...`` (the segmentation format);
every number is a fraction of the image's width or height. An image labeled with nothing gets an
empty file: a known negative, not a missing label.
"""

from __future__ import annotations

from collections.abc import Iterator

from enclave.exchange.records import (
    File,
    Record,
    Reread,
    Stems,
    Submission,
    image_size,
    labeled,
    shape_classes,
)
from enclave.ontologies.schemas import OntologyDefinition
from enclave.tasks.schemas import Box, Polygon


def write(reread: Reread, definition: OntologyDefinition, kind: str) -> Iterator[File]:
    classes = shape_classes(definition)
    yield "classes.txt", iter(["".join(f"{name}\n" for name in classes).encode()])
    ids = {name: number for number, name in enumerate(classes)}
    stem = Stems()
    for record, submission in labeled(reread()):
        yield f"labels/{stem(record)}.txt", iter([_lines(record, submission, ids)])


def _lines(record: Record, submission: Submission, ids: dict[str, int]) -> bytes:
    width, height = image_size(record)
    lines = []
    for obj in submission.payload.objects:
        if isinstance(obj, Box):
            cx, cy = (obj.x + obj.width / 2) / width, (obj.y + obj.height / 2) / height
            numbers = [cx, cy, obj.width / width, obj.height / height]
        elif isinstance(obj, Polygon):
            numbers = [c for x, y in obj.points for c in (x / width, y / height)]
        else:
            continue
        lines.append(" ".join([str(ids[obj.label]), *(_number(n) for n in numbers)]) + "\n")
    return "".join(lines).encode()


def _number(value: float) -> str:
    # Ten significant digits: a thousandth of a pixel on a 100,000-pixel image, without float noise.
    return format(value, ".10g")
