"""Ontology definitions: names unique within their list, options unique within a question."""

from __future__ import annotations

import msgspec
import pytest

from enclave.domain.errors import InvalidInput
from enclave.ontologies.schemas import OntologyDefinition
from enclave.ontologies.service import check_definition


def definition(**raw: object) -> OntologyDefinition:
    return msgspec.convert(raw, OntologyDefinition)


class TestCheckDefinition:
    def test_accepts_a_valid_definition(self) -> None:
        check_definition(definition(objects=[{"name": "car", "kind": "bbox"}], classifications=[]))

    @pytest.mark.parametrize(
        "raw",
        [
            {"objects": [{"name": "car", "kind": "bbox"}, {"name": "car", "kind": "polygon"}]},
            {"classifications": [{"name": "w", "options": ["a"]}, {"name": "w", "options": ["b"]}]},
            {"classifications": [{"name": "w", "options": ["a", "a"]}]},
        ],
    )
    def test_refuses_duplicates(self, raw: dict[str, object]) -> None:
        with pytest.raises(InvalidInput):
            check_definition(definition(**raw))

    def test_unknown_kinds_and_fields_do_not_decode(self) -> None:
        with pytest.raises(msgspec.ValidationError):
            definition(objects=[{"name": "car", "kind": "cube"}])
        with pytest.raises(msgspec.ValidationError):
            definition(objects=[], colour="red")
