"""The writers agree with Label Studio's own COCO, YOLO, VOC and CoNLL files for every fixture project
(the rules and the quirks: ``tests.support.label_studio_exports``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from enclave.exchange.formats import FORMATS
from enclave.exchange.label_studio_config import parse_config
from enclave.exchange.label_studio_json import read_tasks
from enclave.exchange.records import Record
from tests.support import label_studio_exports as ls

FOLDERS = ls.fixture_folders()
THEIR_FILES = {"coco": "COCO.zip", "yolo": "YOLO.zip", "voc": "VOC.zip", "conll2003": "CONLL2003.txt"}
CASES = [
    (folder, fmt) for folder in FOLDERS for fmt, name in THEIR_FILES.items() if (folder / name).is_file()
]


def records_of(folder: Path) -> tuple[list[Record], object]:
    config = parse_config((folder / "label_config.xml").read_bytes())
    return list(read_tasks((folder / "JSON.json").read_bytes(), config)), config


def test_every_fixture_folder_is_compared() -> None:
    assert {f.name for f in FOLDERS} >= {"image_bbox_1", "image_polygon_1", "text_ner_1"}
    assert {fmt for _, fmt in CASES} == set(THEIR_FILES)


@pytest.mark.parametrize(("folder", "fmt"), CASES, ids=[f"{f.name}-{fmt}" for f, fmt in CASES])
def test_agrees_with_label_studio(folder: Path, fmt: str) -> None:
    records, config = records_of(folder)
    files = ls.read_tree(FORMATS[fmt].write(lambda: iter(records), config.definition, config.kind))  # type: ignore[attr-defined]
    if fmt == "coco":
        shapes = ls.compare_coco(json.loads(files["coco.json"]), folder)
    elif fmt == "yolo":
        sizes = {r.item.name.rsplit(".", 1)[0]: (r.item.width, r.item.height) for r in records}
        shapes = ls.compare_yolo(files, folder, sizes)  # type: ignore[arg-type]
    elif fmt == "voc":
        shapes = ls.compare_voc(files, folder)
    else:
        shapes = ls.compare_conll(files["conll2003.txt"].decode(), folder)
    assert shapes > 0  # something was compared


def test_skipped_work_is_not_exported() -> None:
    # image_bbox_1's tasks 2005 and 2011 were cancelled in Label Studio: their only annotation is
    # kept as a skipped submission, and no training format carries it.
    records, config = records_of(ls.FIXTURES / "image_bbox_1")
    skipped = [r.source_id for r in records if r.submissions and all(s.skipped for s in r.submissions)]
    assert skipped == ["2005", "2011"]
    coco = json.loads(
        ls.read_tree(FORMATS["coco"].write(lambda: iter(records), config.definition, "image"))["coco.json"]
    )  # type: ignore[attr-defined]
    assert {i["file_name"] for i in coco["images"]}.isdisjoint({"img4.jpg", "img10.jpg"})
