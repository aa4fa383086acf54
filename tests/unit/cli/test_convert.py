"""``enclave convert`` on every fixture project: its files agree with Label Studio's own, a round trip
through Label Studio JSON loses nothing, and bad input exits non-zero, names the task and the field,
and writes nothing."""

from __future__ import annotations

import io
import json
import shutil
import subprocess  # nosec B404 — runs the installed console command, no shell
import sys
from pathlib import Path

import pytest
from rich.console import Console

from enclave.cli.__main__ import main
from enclave.cli.convert import convert
from enclave.exchange.formats import FORMATS
from enclave.exchange.label_studio_config import parse_config
from enclave.exchange.label_studio_json import read_tasks
from tests.support import label_studio_exports as ls

FOLDERS = ls.fixture_folders()
THEIRS = {"coco": "COCO.zip", "yolo": "YOLO.zip", "voc": "VOC.zip", "conll2003": "CONLL2003.txt"}


def kind_of(folder: Path) -> str:
    return parse_config((folder / "label_config.xml").read_bytes()).kind


def draws_polygons(folder: Path) -> bool:
    return any(
        o.kind == "polygon"
        for o in parse_config((folder / "label_config.xml").read_bytes()).definition.objects
    )


# Every format each project's items can be written in; VOC holds no polygons (refused, tested below).
CASES = [
    (folder, fmt)
    for folder in FOLDERS
    for fmt, f in FORMATS.items()
    if kind_of(folder) in f.kinds and not (fmt == "voc" and draws_polygons(folder))
]


def run(folder: Path, fmt: str, out: Path, *, source: Path | None = None, config: Path | None = None) -> int:
    return main(
        [
            "convert",
            "--from",
            "label-studio",
            "--config",
            str(config or folder / "label_config.xml"),
            "--input",
            str(source or folder / "JSON.json"),
            "--to",
            fmt,
            "--out",
            str(out),
        ]
    )


@pytest.mark.parametrize(("folder", "fmt"), CASES, ids=[f"{f.name}-{fmt}" for f, fmt in CASES])
def test_converts_every_fixture(folder: Path, fmt: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run(folder, fmt, out) == 0
    if (folder / THEIRS.get(fmt, "-")).is_file():
        if fmt == "coco":
            assert ls.compare_coco(json.loads(out.read_bytes()), folder) > 0
        elif fmt == "yolo":
            config = parse_config((folder / "label_config.xml").read_bytes())
            sizes = {
                r.item.name.rsplit(".", 1)[0]: (r.item.width or 0, r.item.height or 0)
                for r in read_tasks((folder / "JSON.json").read_bytes(), config)
            }
            assert ls.compare_yolo(ls.folder_tree(out), folder, sizes) > 0
        elif fmt == "voc":
            assert ls.compare_voc(ls.folder_tree(out), folder) > 0
        elif fmt == "conll2003":
            assert ls.compare_conll(out.read_text(), folder) > 0
    elif fmt == "label-studio":
        config = parse_config((folder / "label_config.xml").read_bytes())
        original = list(read_tasks((folder / "JSON.json").read_bytes(), config))
        assert ls.same_records(list(read_tasks(out.read_bytes(), config)), original)
    else:
        assert out.stat().st_size > 0


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda f: f.name)
def test_round_trip_through_label_studio_json_is_lossless(folder: Path, tmp_path: Path) -> None:
    once, twice, lines = tmp_path / "once.json", tmp_path / "twice.json", tmp_path / "lines.jsonl"
    assert run(folder, "label-studio", once) == 0
    assert run(folder, "label-studio", twice, source=once) == 0
    config = parse_config((folder / "label_config.xml").read_bytes())
    assert ls.same_records(
        list(read_tasks(twice.read_bytes(), config)), list(read_tasks(once.read_bytes(), config))
    )
    assert run(folder, "jsonl", lines) == 0
    assert run(folder, "jsonl", tmp_path / "again.jsonl", source=once) == 0
    assert ls.same_records(
        [json.loads(line) for line in lines.read_text().splitlines()],
        [json.loads(line) for line in (tmp_path / "again.jsonl").read_text().splitlines()],
    )


BBOX = ls.FIXTURES / "image_bbox_1"


def edited(tmp_path: Path, change: object) -> Path:
    tasks = json.loads((BBOX / "JSON.json").read_bytes())
    change(tasks)  # type: ignore[operator]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks))
    return path


class TestBadInput:
    @pytest.mark.parametrize("fmt", ["coco", "yolo"])
    def test_malformed_json(self, fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        source = tmp_path / "export.json"
        source.write_text('[{"id": 1, "data": ')
        assert run(BBOX, fmt, tmp_path / "out", source=source) == 2
        assert "not valid JSON" in capsys.readouterr().err
        assert not (tmp_path / "out").exists()

    def test_xml_attack_in_the_config(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        config = tmp_path / "label_config.xml"
        config.write_text(
            '<?xml version="1.0"?><!DOCTYPE v [<!ENTITY x SYSTEM "file:///etc/hostname">]><View>'
            '<Image name="image" value="$image"/><RectangleLabels name="label" toName="image">'
            '<Label value="&x;"/></RectangleLabels></View>'
        )
        assert run(BBOX, "coco", tmp_path / "out", config=config) == 2
        err = capsys.readouterr().err
        assert "label_config.xml: refused" in err
        assert "nothing was written" in err
        assert not (tmp_path / "out").exists()

    def test_unknown_from_name(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        def change(tasks: list) -> None:  # type: ignore[type-arg]
            tasks[6]["annotations"][0]["result"][1]["from_name"] = "colour"

        assert run(BBOX, "voc", tmp_path / "out", source=edited(tmp_path, change)) == 2
        err = capsys.readouterr().err
        assert "task 2008, annotations[0].result[1].from_name: from_name 'colour'" in err
        assert not (tmp_path / "out").exists()

    def test_box_outside_the_image(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        def change(tasks: list) -> None:  # type: ignore[type-arg]
            tasks[-1]["annotations"][0]["result"][0]["value"]["y"] = 95.0

        out = tmp_path / "out.json"
        out.write_text("an earlier export")
        assert run(BBOX, "coco", out, source=edited(tmp_path, change)) == 2
        err = capsys.readouterr().err
        assert "task 2011, annotations[0].result[0].value.height" in err
        assert "outside the image" in err
        assert out.read_text() == "an earlier export"  # untouched
        assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")] == []

    def test_a_format_for_other_items(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        assert run(ls.FIXTURES / "text_ner_1", "yolo", tmp_path / "out") == 2
        assert "yolo is written from image items; these are text items" in capsys.readouterr().err
        assert not (tmp_path / "out").exists()

    def test_polygons_in_voc(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        assert run(ls.FIXTURES / "image_polygon_1", "voc", tmp_path / "out") == 2
        assert "task 2013: Pascal VOC holds boxes only" in capsys.readouterr().err
        assert list(tmp_path.iterdir()) == []

    def test_a_folder_format_into_a_full_folder(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        (tmp_path / "out").mkdir()
        (tmp_path / "out" / "keep.txt").write_text("mine")
        assert run(BBOX, "yolo", tmp_path / "out") == 2
        assert "not an empty folder" in capsys.readouterr().err
        assert [p.name for p in (tmp_path / "out").iterdir()] == ["keep.txt"]


def test_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100)
    convert(BBOX / "label_config.xml", BBOX / "JSON.json", "coco", tmp_path / "coco.json", console)
    assert "writing coco" in screen.getvalue()
    quiet = io.StringIO()
    convert(
        BBOX / "label_config.xml", BBOX / "JSON.json", "coco", tmp_path / "again.json", Console(file=quiet)
    )
    assert quiet.getvalue() == ""  # not a terminal: no bar


def test_the_distribution_installs_the_enclave_command(tmp_path: Path) -> None:
    command = shutil.which("enclave", path=str(Path(sys.executable).parent))
    assert command is not None
    out = tmp_path / "ner.txt"
    folder = ls.FIXTURES / "text_ner_1"
    done = subprocess.run(
        [command, "convert", "--from", "label-studio", "--config", str(folder / "label_config.xml"),
         "--input", str(folder / "JSON.json"), "--to", "conll2003", "--out", str(out)],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert ls.compare_conll(out.read_text(), folder) > 0
