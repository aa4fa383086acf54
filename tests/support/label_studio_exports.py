"""Label Studio's own exports of the fixture projects (``tests/fixtures/labelstudio``, made by Label
Studio 1.23.2), and the comparisons that hold the platform's exports to them.

Agreement means: the same images or texts, and on each the same boxes in pixels within 0.01, the same
polygons, the same spans and tags. Where Label Studio's file differs on purpose of its own, the
comparison says which quirk it is and checks the difference is exactly that quirk:

- **Choices become detection classes.** Label Studio's COCO categories and YOLO ``classes.txt`` list
  the answers of ``Choices`` (``good``, ``blurry``) as if they were object classes, though no box
  carries them. Ours list only the labels drawn as shapes.
- **Class ids.** Label Studio numbers classes alphabetically from 0 (choices included); COCO ids
  here start at 1 in ontology order, YOLO ids at 0 in ontology order. Compared by name.
- **VOC truncates.** Label Studio writes ``xmin = int(x)`` and ``xmax = int(x) + int(width)`` (the
  same for y): each edge moves up to one pixel, the far edge up to two, always up and left. Ours round
  each edge to the nearest pixel (``tests/unit/exchange/test_voc.py``), so the two differ by at most 2.
- **CoNLL's first line.** Label Studio writes ``-DOCSTART- -X- O`` (three columns, no blank line
  after); ours writes the four-column ``-DOCSTART- -X- -X- O`` and a blank line, as CoNLL 2003 does.
- **Image file names.** Label Studio's COCO ``file_name`` is the upload URL; ours is the file name.
"""

from __future__ import annotations

import io
import json
import posixpath
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "labelstudio"
#: Pixels two exports may differ by and still agree.
PIXELS = 0.01


def fixture_folders() -> list[Path]:
    """Every fixture project: a folder with a labeling config and a JSON export (a new one is
    picked up without a change here)."""
    return sorted(
        p for p in FIXTURES.iterdir() if (p / "label_config.xml").is_file() and (p / "JSON.json").is_file()
    )


def choice_options(folder: Path) -> set[str]:
    from enclave.exchange.label_studio_config import parse_config

    definition = parse_config((folder / "label_config.xml").read_bytes()).definition
    return {option for question in definition.classifications for option in question.options}


def their_zip(folder: Path, name: str) -> zipfile.ZipFile | None:
    path = folder / f"{name}.zip"
    return zipfile.ZipFile(path) if path.is_file() else None


def _close(a: Iterable[float], b: Iterable[float]) -> bool:
    a, b = list(a), list(b)
    return len(a) == len(b) and all(abs(x - y) <= PIXELS for x, y in zip(a, b, strict=True))


def _match(ours: list[tuple[str, list[float]]], theirs: list[tuple[str, list[float]]], where: str) -> None:
    """Each of ours pairs with one of theirs: the same name and numbers within ``PIXELS``."""
    assert len(ours) == len(theirs), f"{where}: {len(ours)} shapes here, {len(theirs)} in Label Studio's"
    left = list(theirs)
    for name, numbers in ours:
        found = next((t for t in left if t[0] == name and _close(t[1], numbers)), None)
        assert found is not None, f"{where}: no {name} at {numbers} in Label Studio's export (left: {left})"
        left.remove(found)


# --- COCO ----------------------------------------------------------------------------------------


def compare_coco(ours: dict[str, Any], folder: Path) -> int:
    """Asserts agreement with Label Studio's COCO; returns the number of shapes compared."""
    archive = their_zip(folder, "COCO")
    assert archive is not None
    theirs = json.loads(archive.read("result.json"))
    # Quirk: choices as categories.
    their_names = {c["name"] for c in theirs["categories"]}
    our_names = {c["name"] for c in ours["categories"]}
    assert our_names <= their_names
    assert their_names - our_names <= choice_options(folder)
    shapes = 0
    for side in (ours, theirs):
        side["_by_image"] = {}
        names = {c["id"]: c["name"] for c in side["categories"]}
        files = {i["id"]: posixpath.basename(i["file_name"]) for i in side["images"]}
        for image in side["images"]:
            side["_by_image"][posixpath.basename(image["file_name"])] = (image["width"], image["height"], [])
        for a in side["annotations"]:
            numbers = [*a["bbox"], *(a["segmentation"][0] if a["segmentation"] else []), a["area"]]
            side["_by_image"][files[a["image_id"]]][2].append((names[a["category_id"]], numbers))
    assert ours["_by_image"].keys() == theirs["_by_image"].keys()
    for image, (width, height, shapes_here) in ours["_by_image"].items():
        their_width, their_height, their_shapes = theirs["_by_image"][image]
        assert (width, height) == (their_width, their_height), image
        _match(shapes_here, their_shapes, f"COCO {image}")
        shapes += len(shapes_here)
    return shapes


# --- YOLO ----------------------------------------------------------------------------------------


def compare_yolo(ours: dict[str, bytes], folder: Path, sizes: dict[str, tuple[int, int]]) -> int:
    """``ours``: the export's files by relative path; ``sizes``: each image stem's width and height."""
    archive = their_zip(folder, "YOLO")
    assert archive is not None
    their_classes = archive.read("classes.txt").decode().splitlines()
    our_classes = ours["classes.txt"].decode().splitlines()
    assert set(their_classes) - set(our_classes) <= choice_options(folder)  # quirk: choices as classes
    their_labels = {n for n in archive.namelist() if n.startswith("labels/") and n.endswith(".txt")}
    our_labels = {n for n in ours if n.startswith("labels/")}
    assert our_labels == their_labels
    shapes = 0
    for name in sorted(our_labels):
        stem = posixpath.splitext(posixpath.basename(name))[0]
        width, height = sizes[stem]
        mine = _yolo_pixels(ours[name].decode(), our_classes, width, height)
        _match(mine, _yolo_pixels(archive.read(name).decode(), their_classes, width, height), f"YOLO {name}")
        shapes += len(mine)
    return shapes


def _yolo_pixels(text: str, classes: list[str], width: int, height: int) -> list[tuple[str, list[float]]]:
    shapes = []
    for line in text.splitlines():
        number, *fractions = line.split()
        scaled = [float(f) * (width if i % 2 == 0 else height) for i, f in enumerate(fractions)]
        shapes.append((classes[int(number)], scaled))
    return shapes


# --- Pascal VOC ----------------------------------------------------------------------------------


def compare_voc(ours: dict[str, bytes], folder: Path) -> int:
    import defusedxml.ElementTree as SafeXml

    archive = their_zip(folder, "VOC")
    assert archive is not None
    their_files = {n for n in archive.namelist() if n.startswith("Annotations/") and n.endswith(".xml")}
    assert set(ours) == their_files
    shapes = 0
    for name in sorted(ours):
        mine, theirs = SafeXml.fromstring(ours[name]), SafeXml.fromstring(archive.read(name))
        for tag in ("filename", "size/width", "size/height"):
            assert mine.findtext(tag) == theirs.findtext(tag), f"{name} {tag}"
        my_boxes, their_boxes = _voc_boxes(mine), _voc_boxes(theirs)
        assert [n for n, _ in my_boxes] == [n for n, _ in their_boxes], name
        for (label, box), (_, their_box) in zip(my_boxes, their_boxes, strict=True):
            # Quirk: Label Studio truncates x and width apart, we round each edge.
            assert all(-1 <= a - b <= 2 for a, b in zip(box, their_box, strict=True)), f"{name} {label}"
        shapes += len(my_boxes)
    return shapes


def _voc_boxes(root: Any) -> list[tuple[str, list[int]]]:
    return [
        (obj.findtext("name"), [int(obj.findtext(f"bndbox/{k}")) for k in ("xmin", "ymin", "xmax", "ymax")])
        for obj in root.iter("object")
    ]


# --- CoNLL 2003 ----------------------------------------------------------------------------------


def conll_sentences(text: str) -> list[list[tuple[str, str]]]:
    """The sentences of a CoNLL file as (token, tag) lists, without the document marker."""
    sentences: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] = []
    for line in text.splitlines():
        if line.startswith("-DOCSTART-"):
            continue
        if not line.strip():
            if current:
                sentences.append(current)
            current = []
            continue
        columns = line.split()
        current.append((columns[0], columns[-1]))
    if current:
        sentences.append(current)
    return sentences


def compare_conll(ours: str, folder: Path) -> int:
    theirs = (folder / "CONLL2003.txt").read_text()
    assert theirs.startswith("-DOCSTART- -X- O\n")  # the quirk named above
    assert conll_sentences(ours) == conll_sentences(theirs)
    return sum(1 for sentence in conll_sentences(ours) for _, tag in sentence if tag.startswith("B-"))


def read_tree(files: Iterable[tuple[str, Iterable[bytes]]]) -> dict[str, bytes]:
    return {path: b"".join(chunks) for path, chunks in files}


def zip_tree(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {n: archive.read(n) for n in archive.namelist() if not n.endswith("/")}


def folder_tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def same_records(a: Any, b: Any) -> bool:
    """Equal records, coordinates equal to a millionth of a pixel (percentages and back)."""
    import msgspec

    def rounded(value: Any) -> Any:
        if isinstance(value, float):
            return round(value, 6)
        if isinstance(value, list):
            return [rounded(v) for v in value]
        if isinstance(value, dict):
            return {k: rounded(v) for k, v in value.items()}
        return value

    return bool(rounded(msgspec.to_builtins(a)) == rounded(msgspec.to_builtins(b)))
