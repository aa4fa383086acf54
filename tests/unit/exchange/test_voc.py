from __future__ import annotations

import defusedxml.ElementTree as SafeXml
import pytest

from enclave.exchange import voc
from enclave.exchange.errors import ExchangeError
from enclave.exchange.records import Item, Record, Submission
from enclave.ontologies.schemas import OntologyDefinition
from enclave.tasks.schemas import AnnotationPayload, Box, Polygon

DEFINITION = OntologyDefinition()


def record(*objects: Box | Polygon, name: str = "a&b.jpg") -> Record:
    return Record(
        item=Item(name=name, kind="image", width=100, height=50),
        submissions=[Submission(author="1", payload=AnnotationPayload(objects=list(objects)))],
        source_id="7",
    )


def test_edges_round_to_the_nearest_pixel_and_stay_in_the_image() -> None:
    [(path, chunks)] = voc.write(
        lambda: [record(Box(label="car", x=10.4, y=0.6, width=89.7, height=20.2))], DEFINITION, "image"
    )
    root = SafeXml.fromstring(b"".join(chunks))
    assert path == "Annotations/a&b.xml"
    assert root.findtext("filename") == "a&b.jpg"
    box = [int(root.findtext(f"object/bndbox/{k}")) for k in ("xmin", "ymin", "xmax", "ymax")]
    assert box == [10, 1, 100, 21]


def test_polygons_are_refused_not_boxed() -> None:
    with pytest.raises(ExchangeError, match="boxes only") as caught:
        list(
            voc.write(
                lambda: [record(Polygon(label="r", points=[(1, 1), (2, 2), (1, 3)]))], DEFINITION, "image"
            )
        )
    assert caught.value.where == "task 7"


def test_two_images_of_one_stem_are_refused() -> None:
    with pytest.raises(ExchangeError, match="same file"):
        list(voc.write(lambda: [record(name="x.jpg"), record(name="x.png")], DEFINITION, "image"))
