"""Pascal VOC: ``Annotations/<image stem>.xml`` per labeled image, one ``<object>`` per box.

Coordinates are whole pixels, rounded to the nearest (VOC readers parse integers). VOC holds boxes
only: a polygon stops the export with a message pointing at COCO or YOLO, rather than being turned
into its bounding box without a word.
"""

from __future__ import annotations

from collections.abc import Iterator
from xml.sax.saxutils import escape  # nosec B406 — escaping output, not parsing

from enclave.exchange.errors import ExchangeError
from enclave.exchange.records import File, Record, Reread, Stems, Submission, image_size, labeled
from enclave.ontologies.schemas import OntologyDefinition
from enclave.tasks.schemas import Box, Polygon


def write(reread: Reread, definition: OntologyDefinition, kind: str) -> Iterator[File]:
    stem = Stems()
    for record, submission in labeled(reread()):
        yield f"Annotations/{stem(record)}.xml", iter([_document(record, submission)])


def _document(record: Record, submission: Submission) -> bytes:
    width, height = image_size(record)
    objects = []
    for obj in submission.payload.objects:
        if isinstance(obj, Polygon):
            raise ExchangeError("Pascal VOC holds boxes only: export polygons as COCO or YOLO", record.label)
        if not isinstance(obj, Box):
            continue
        xmin, ymin = round(obj.x), round(obj.y)
        xmax, ymax = min(round(obj.x + obj.width), width), min(round(obj.y + obj.height), height)
        objects.append(
            f"  <object>\n    <name>{escape(obj.label)}</name>\n    <pose>Unspecified</pose>\n"
            "    <truncated>0</truncated>\n    <difficult>0</difficult>\n"
            f"    <bndbox><xmin>{xmin}</xmin><ymin>{ymin}</ymin>"
            f"<xmax>{xmax}</xmax><ymax>{ymax}</ymax></bndbox>\n"
            "  </object>\n"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n<annotation>\n  <folder>images</folder>\n'
        f"  <filename>{escape(record.item.name)}</filename>\n"
        f"  <size><width>{width}</width><height>{height}</height><depth>3</depth></size>\n"
        "  <segmented>0</segmented>\n" + "".join(objects) + "</annotation>\n"
    ).encode()
