"""Annotation payloads are checked against the project's ontology before anything is written."""

from __future__ import annotations

import msgspec
import pytest

from enclave.domain.errors import InvalidInput
from enclave.ontologies.schemas import OntologyDefinition
from enclave.tasks.payloads import check_payload
from enclave.tasks.schemas import AnnotationPayload

ONTOLOGY = msgspec.convert(
    {
        "objects": [
            {"name": "car", "kind": "bbox"},
            {"name": "road", "kind": "polygon"},
            {"name": "PER", "kind": "span"},
        ],
        "classifications": [
            {"name": "weather", "options": ["sunny", "rainy"]},
            {"name": "tags", "options": ["a", "b"], "multiple": True},
        ],
    },
    OntologyDefinition,
)


def payload(**raw: object) -> AnnotationPayload:
    return msgspec.convert(raw, AnnotationPayload)


class TestCheckPayload:
    def test_accepts_labels_of_the_right_kind(self) -> None:
        check_payload(
            payload(
                objects=[
                    {"kind": "bbox", "label": "car", "x": 0, "y": 0, "width": 1, "height": 1},
                    {"kind": "polygon", "label": "road", "points": [[0, 0], [1, 0], [1, 1]]},
                    {"kind": "span", "label": "PER", "start": 0, "end": 4},
                ],
                classifications={"weather": ["sunny"], "tags": ["a", "b"]},
            ),
            ONTOLOGY,
        )

    @pytest.mark.parametrize(
        ("raw", "message"),
        [
            (
                {"objects": [{"kind": "bbox", "label": "bus", "x": 0, "y": 0, "width": 1, "height": 1}]},
                "'bus'",
            ),
            (
                {"objects": [{"kind": "bbox", "label": "road", "x": 0, "y": 0, "width": 1, "height": 1}]},
                "bbox",
            ),
            ({"objects": [{"kind": "span", "label": "PER", "start": 5, "end": 5}]}, "end after"),
            ({"classifications": {"season": ["winter"]}}, "'season'"),
            ({"classifications": {"weather": ["foggy"]}}, "options"),
            ({"classifications": {"weather": ["sunny", "rainy"]}}, "one answer"),
        ],
    )
    def test_refuses(self, raw: dict[str, object], message: str) -> None:
        with pytest.raises(InvalidInput, match=message):
            check_payload(payload(**raw), ONTOLOGY)

    @pytest.mark.parametrize(
        "raw",
        [
            {"objects": [{"kind": "bbox", "label": "car", "x": -1, "y": 0, "width": 1, "height": 1}]},
            {"objects": [{"kind": "bbox", "label": "car", "x": 0, "y": 0, "width": 0, "height": 1}]},
            {"objects": [{"kind": "polygon", "label": "road", "points": [[0, 0], [1, 1]]}]},
            {"objects": [{"kind": "circle", "label": "car"}]},
            {"objects": [], "extra": 1},
        ],
    )
    def test_malformed_payloads_do_not_decode(self, raw: dict[str, object]) -> None:
        with pytest.raises(msgspec.ValidationError):
            payload(**raw)
