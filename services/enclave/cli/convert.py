"""``enclave convert``: a Label Studio project (labeling config and JSON export) to a training
format, with the service's own readers and writers and no service.

Reads and checks the whole input before writing anything, then writes through a sink that renames
into place only on success: bad input exits with status 2, a message naming the task and the field,
and no output. Shows a progress bar when standard error is a terminal.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress

from enclave.cli.progress import progress_bar
from enclave.exchange import sinks
from enclave.exchange.errors import ExchangeError
from enclave.exchange.formats import FORMATS
from enclave.exchange.label_studio_config import parse_config
from enclave.exchange.label_studio_json import Notes, read_tasks
from enclave.exchange.records import Record

SOURCES = ("label-studio",)


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "convert",
        help="convert a Label Studio export to COCO, YOLO, VOC, CoNLL 2003, JSONL or Label Studio JSON",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    parser.add_argument("--from", dest="source", choices=SOURCES, required=True, help="the input's tool")
    parser.add_argument("--config", type=Path, required=True, help="the project's labeling config (XML)")
    parser.add_argument("--input", type=Path, required=True, help="the tool's JSON export")
    parser.add_argument(
        "--to", dest="format", choices=sorted(FORMATS), required=True, help="the output format"
    )
    parser.add_argument("--out", type=Path, required=True, help="a file, or for yolo and voc a new folder")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    try:
        convert(args.config, args.input, args.format, args.out, console)
    except ExchangeError as exc:
        console.print(
            f"enclave convert: {exc}; nothing was written", markup=False, highlight=False, soft_wrap=True
        )
        return 2
    except OSError as exc:
        console.print(
            f"enclave convert: {exc.filename or ''}: {exc.strerror}; nothing was written",
            markup=False,
            soft_wrap=True,
        )
        return 2
    return 0


def convert(config_path: Path, input_path: Path, format_name: str, out: Path, console: Console) -> None:
    config = parse_config(config_path.read_bytes())
    notes = Notes()
    chosen = FORMATS[format_name]
    chosen.check_kind(config.kind)
    with progress_bar(console) as progress:
        reading = progress.add_task("reading", total=None)
        records: list[Record] = []
        for record in read_tasks(input_path.read_bytes(), config, notes):
            records.append(record)
            progress.advance(reading)
        writing = progress.add_task(f"writing {format_name}", total=len(records) * chosen.passes)

        def reread() -> Iterator[Record]:
            return _counted(records, progress, writing)

        files = chosen.write(reread, config.definition, config.kind)
        if chosen.layout == "folder":
            sinks.to_folder(files, out)
        else:
            sinks.to_file(files, out)
    if notes.predictions or notes.drafts:
        console.print(
            f"enclave convert: {notes.predictions} predictions and {notes.drafts} drafts are not annotations "
            "and were not converted",
            markup=False,
            soft_wrap=True,
        )
    print(f"{len(records)} tasks written to {out} as {format_name}", file=sys.stdout)


def _counted(records: Iterable[Record], progress: Progress, task: Any) -> Iterator[Record]:
    for record in records:
        yield record
        progress.advance(task)
