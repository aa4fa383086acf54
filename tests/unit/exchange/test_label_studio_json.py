"""Reading Label Studio's JSON export: everything kept, and every refusal naming its task and field."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from enclave.exchange.errors import ExchangeError
from enclave.exchange.label_studio_config import parse_config
from enclave.exchange.label_studio_json import Notes, item_name, name_candidates, read_tasks, write_tasks
from enclave.exchange.records import Record
from enclave.tasks.schemas import Box, Polygon, Span
from tests.support.label_studio_exports import FIXTURES, fixture_folders, same_records

BBOX = FIXTURES / "image_bbox_1"
CONFIG = parse_config((BBOX / "label_config.xml").read_bytes())
TASKS: list[dict[str, Any]] = json.loads((BBOX / "JSON.json").read_bytes())


def read(tasks: list[dict[str, Any]]) -> list[Record]:
    return list(read_tasks(json.dumps(tasks).encode(), CONFIG))


class TestRead:
    def test_boxes_in_pixels_with_authors_times_and_skips(self) -> None:
        records = read(TASKS)
        assert len(records) == len(TASKS)
        first = records[0]
        assert (first.source_id, first.item.name, first.item.width, first.item.height) == (
            "2001",
            "img0.jpg",
            640,
            480,
        )
        [submission] = first.submissions
        assert submission.author == "1"
        assert submission.source_id == "2001"
        assert not submission.skipped
        assert submission.created_at is not None
        assert submission.created_at.isoformat().startswith("2026-11-22T15:07:04.188925")
        [box] = submission.payload.objects
        value = TASKS[0]["annotations"][0]["result"][0]["value"]
        assert isinstance(box, Box)
        assert box.label == "person"
        assert box.x == pytest.approx(value["x"] * 6.4)
        assert box.height == pytest.approx(value["height"] * 4.8)
        assert submission.payload.classifications == {"quality": ["blurry"]}
        assert [r.source_id for r in records if r.current is None] == ["2005", "2011"]

    def test_polygons_and_spans(self) -> None:
        polygon_config = parse_config((FIXTURES / "image_polygon_1" / "label_config.xml").read_bytes())
        [first, *_] = read_tasks((FIXTURES / "image_polygon_1" / "JSON.json").read_bytes(), polygon_config)
        [polygon] = first.submissions[0].payload.objects
        assert isinstance(polygon, Polygon)
        assert polygon.points[0] == pytest.approx((87.5909018354875, 374.8812504914858))
        text_config = parse_config((FIXTURES / "text_ner_1" / "label_config.xml").read_bytes())
        [text, *_] = read_tasks((FIXTURES / "text_ner_1" / "JSON.json").read_bytes(), text_config)
        assert text.item.text == "The Red Cross opened an office in Nairobi ."
        assert text.submissions[0].payload.objects[0] == Span(label="ORG", start=4, end=13)

    def test_reviews_are_kept(self) -> None:
        tasks = copy.deepcopy(TASKS[:1])
        tasks[0]["annotations"][0]["reviews"] = [
            {
                "accepted": False,
                "created_by": {"id": 7, "email": "rev@example.org"},
                "created_at": "2026-11-23T10:00:00Z",
                "comment": "tighter",
            }
        ]
        [review] = read(tasks)[0].submissions[0].reviews
        assert (review.accepted, review.reviewer, review.comment) == (False, "rev@example.org", "tighter")

    def test_predictions_and_drafts_are_counted_not_imported(self) -> None:
        tasks = copy.deepcopy(TASKS[:1])
        tasks[0]["predictions"] = [{"result": []}]
        tasks[0]["drafts"] = [{"result": []}, {"result": []}]
        notes = Notes()
        [record] = read_tasks(json.dumps(tasks).encode(), CONFIG, notes)
        assert (notes.predictions, notes.drafts) == (1, 2)
        assert len(record.submissions) == 1

    def test_media_names(self) -> None:
        assert item_name("/data/upload/3/1a2b3c4d-img%200.jpg?x=1") == "1a2b3c4d-img 0.jpg"
        assert name_candidates("1a2b3c4d-img0.jpg") == ["1a2b3c4d-img0.jpg", "img0.jpg"]
        assert name_candidates("img0.jpg") == ["img0.jpg"]


def broken(change: Any) -> list[dict[str, Any]]:
    tasks = copy.deepcopy(TASKS[:2])
    change(tasks)
    return tasks


def _set(path: list[Any], value: Any) -> Any:
    def change(tasks: list[Any]) -> None:
        target: Any = tasks
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


RESULT = [0, "annotations", 0, "result", 0]


class TestRefused:
    @pytest.mark.parametrize(
        ("change", "where", "message"),
        [
            (
                _set([*RESULT, "from_name"], "nope"),
                "task 2001, annotations[0].result[0].from_name",
                "not a control",
            ),
            (
                _set([*RESULT, "to_name"], "other"),
                "task 2001, annotations[0].result[0].to_name",
                "must be 'image'",
            ),
            (
                _set([*RESULT, "value", "x"], 99.0),
                "task 2001, annotations[0].result[0].value.width",
                "outside the image",
            ),
            (
                _set([*RESULT, "value", "x"], -3.0),
                "task 2001, annotations[0].result[0].value.x",
                "outside the image",
            ),
            (
                _set([*RESULT, "value", "rotation"], 30),
                "task 2001, annotations[0].result[0].value.rotation",
                "rotated",
            ),
            (
                _set([*RESULT, "value", "rectanglelabels"], ["bus"]),
                "task 2001, annotations[0].result[0].value.rectanglelabels",
                "'bus' is not a label",
            ),
            (
                _set([*RESULT, "value", "rectanglelabels"], ["car", "person"]),
                "task 2001, annotations[0].result[0].value.rectanglelabels",
                "one label",
            ),
            (
                _set([*RESULT, "original_width"], None),
                "task 2001, annotations[0].result[0].original_width",
                "size in pixels",
            ),
            (
                _set([0, "annotations", 0, "result", 1, "value", "choices"], ["meh"]),
                "task 2001, annotations[0].result[1].value.choices",
                "'meh' is not a choice",
            ),
            (
                _set([0, "annotations", 0, "created_at"], "yesterday"),
                "task 2001, annotations[0].created_at",
                "ISO 8601",
            ),
            (_set([1, "data"], {"picture": "x.jpg"}), "task 2002", "data.image"),
        ],
    )
    def test_names_the_task_and_the_field(self, change: Any, where: str, message: str) -> None:
        with pytest.raises(ExchangeError, match=message) as caught:
            read(broken(change))
        assert caught.value.where == where

    def test_malformed_json(self) -> None:
        with pytest.raises(ExchangeError, match="not valid JSON"):
            list(read_tasks(b'[{"id": 1,', CONFIG))

    def test_not_a_list(self) -> None:
        with pytest.raises(ExchangeError, match="array of tasks"):
            list(read_tasks(b'{"id": 1}', CONFIG))

    def test_span_outside_the_text(self) -> None:
        config = parse_config((FIXTURES / "text_ner_1" / "label_config.xml").read_bytes())
        tasks = json.loads((FIXTURES / "text_ner_1" / "JSON.json").read_bytes())[:1]
        tasks[0]["annotations"][0]["result"][0]["value"]["end"] = 500
        with pytest.raises(ExchangeError, match="does not lie within the text") as caught:
            list(read_tasks(json.dumps(tasks).encode(), config))
        assert caught.value.where == "task 2021, annotations[0].result[0].value"


@pytest.mark.parametrize("folder", fixture_folders(), ids=lambda f: f.name)
def test_written_export_reads_back_the_same(folder: Any) -> None:
    config = parse_config((folder / "label_config.xml").read_bytes())
    records = list(read_tasks((folder / "JSON.json").read_bytes(), config))
    written = b"".join(write_tasks(records, config.definition, config.kind))
    again = list(read_tasks(written, config))
    assert same_records(again, records)
