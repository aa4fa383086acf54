"""The export formats, by the name a person types (``coco``, ``yolo``, ...), and what each writes.

A format writes files, ``(relative path, chunks)``: one for a single-file format, many for a folder
format (YOLO, VOC). Sinks (``enclave.exchange.sinks``) make them a file, a folder or a zip.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

from enclave.exchange import coco, conll, jsonl, label_studio_json, voc, yolo
from enclave.exchange.errors import ExchangeError
from enclave.exchange.records import File, Reread
from enclave.ontologies.schemas import OntologyDefinition

IMAGES = frozenset({"image"})
TEXTS = frozenset({"text"})

Writer = Callable[[Reread, OntologyDefinition, Literal["image", "text"]], Iterator[File]]


def _label_studio(
    reread: Reread, definition: OntologyDefinition, kind: Literal["image", "text"]
) -> Iterator[File]:
    yield "label-studio.json", label_studio_json.write_tasks(reread(), definition, kind)


@dataclass(frozen=True)
class Format:
    name: str
    #: ``file``: the export is one file; ``folder``: a tree of files (a zip when downloaded).
    layout: Literal["file", "folder"]
    media_type: str
    write: Writer
    #: The kinds of item it is written from.
    kinds: frozenset[str] = frozenset({"image", "text"})
    #: How many times ``write`` reads the records (a progress bar counts this many rounds).
    passes: int = 1

    def check_kind(self, kind: str) -> None:
        """Refuses, before anything is written, a project whose items this format cannot hold."""
        if kind not in self.kinds:
            raise ExchangeError(
                f"{self.name} is written from {' or '.join(sorted(self.kinds))} items; these are {kind} items"
            )


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format("coco", "file", "application/json", coco.write, IMAGES, passes=2),
        Format("yolo", "folder", "application/zip", yolo.write, IMAGES),
        Format("voc", "folder", "application/zip", voc.write, IMAGES),
        Format("conll2003", "file", "text/plain; charset=utf-8", conll.write, TEXTS),
        Format("jsonl", "file", "application/x-ndjson", jsonl.write),
        Format("label-studio", "file", "application/json", _label_studio),
    )
}
