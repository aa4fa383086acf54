"""The platform's own schema as JSON lines: one ``Record`` per line (its item, every submission with
author, times, skipped flag, payload and reviews). Lossless: ``read_lines`` reads back what
``write`` wrote."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import msgspec

from enclave.exchange.errors import ExchangeError
from enclave.exchange.records import File, Record, Reread
from enclave.ontologies.schemas import OntologyDefinition


def write(reread: Reread, definition: OntologyDefinition, kind: str) -> Iterator[File]:
    yield "export.jsonl", _lines(reread())


def _lines(records: Iterable[Record]) -> Iterator[bytes]:
    encoder = msgspec.json.Encoder()
    for record in records:
        yield encoder.encode(record) + b"\n"


def read_lines(document: bytes) -> Iterator[Record]:
    decoder = msgspec.json.Decoder(Record)
    for number, line in enumerate(document.splitlines(), start=1):
        if line.strip():
            try:
                yield decoder.decode(line)
            except msgspec.DecodeError as exc:
                raise ExchangeError(str(exc), f"line {number}") from exc
