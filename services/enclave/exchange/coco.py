"""COCO (object detection and segmentation): one JSON document of images, categories and annotations.

Boxes are ``bbox: [x, y, width, height]`` in pixels; polygons are ``segmentation: [[x1, y1, ...]]``
with their bounding box and their area (the shoelace formula, as pycocotools does for one polygon).
Category ids start at 1 (0 is "background" to most detection trainers) in ontology order; image ids
are 1..n in export order. Two passes over the records (images, then annotations) keep memory flat.
"""

from __future__ import annotations

from collections.abc import Iterator

import msgspec

from enclave.exchange.records import File, Reread, image_size, labeled, shape_classes
from enclave.ontologies.schemas import OntologyDefinition
from enclave.tasks.schemas import Box, Polygon


def polygon_area(points: list[tuple[float, float]]) -> float:
    n = len(points)
    twice = sum(
        points[i][0] * points[(i + 1) % n][1] - points[(i + 1) % n][0] * points[i][1] for i in range(n)
    )
    return abs(twice) / 2


def write(reread: Reread, definition: OntologyDefinition, kind: str) -> Iterator[File]:
    yield "coco.json", _document(reread, definition)


def _document(reread: Reread, definition: OntologyDefinition) -> Iterator[bytes]:
    encode = msgspec.json.Encoder().encode
    classes = {name: number for number, name in enumerate(shape_classes(definition), start=1)}
    categories = [{"id": number, "name": name, "supercategory": ""} for name, number in classes.items()]
    yield b'{"info":{"description":"Enclave export","version":"1.0"},"categories":' + encode(categories)
    yield b',"images":['
    for image_id, (record, _) in enumerate(labeled(reread()), start=1):
        width, height = image_size(record)
        entry = {"id": image_id, "file_name": record.item.name, "width": width, "height": height}
        yield (b"" if image_id == 1 else b",") + encode(entry)
    yield b'],"annotations":['
    annotation_id = 0
    for image_id, (_, submission) in enumerate(labeled(reread()), start=1):
        chunk = bytearray()
        for obj in submission.payload.objects:
            if not isinstance(obj, Box | Polygon):
                continue
            annotation_id += 1
            chunk += (b"" if annotation_id == 1 else b",") + encode(
                _annotation(obj, annotation_id, image_id, classes)
            )
        if chunk:
            yield bytes(chunk)
    yield b"]}\n"


def _annotation(
    obj: Box | Polygon, annotation_id: int, image_id: int, classes: dict[str, int]
) -> dict[str, object]:
    if isinstance(obj, Box):
        bbox = [obj.x, obj.y, obj.width, obj.height]
        segmentation: list[list[float]] = []
        area = obj.width * obj.height
    else:
        xs = [x for x, _ in obj.points]
        ys = [y for _, y in obj.points]
        bbox = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
        segmentation = [[c for point in obj.points for c in point]]
        area = polygon_area(obj.points)
    return {
        "id": annotation_id,
        "image_id": image_id,
        "category_id": classes[obj.label],
        "bbox": bbox,
        "segmentation": segmentation,
        "area": area,
        "iscrowd": 0,
    }
