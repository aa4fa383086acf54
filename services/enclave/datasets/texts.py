"""Text imports: a JSONL or CSV body becomes text items (the text sealed in the database).

JSONL: one JSON object per line, ``{"text": "...", "name": "...", "attributes": {...}}`` with
``name`` and ``attributes`` optional. CSV (RFC 4180, UTF-8, a header row): a ``text`` column, an
optional ``name`` column, and any other columns become string attributes. An item without a name
is named by its line or row number. The whole import is checked before anything is written.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

import msgspec

from enclave.domain.errors import InvalidInput

MAX_ITEMS = 10_000
MAX_TEXT_BYTES = 1024 * 1024
MAX_NAME_CHARS = 500
JSONL_TYPES = frozenset({"application/jsonl", "application/x-ndjson", "application/x-jsonlines"})
CSV_TYPES = frozenset({"text/csv"})


@dataclass(frozen=True, slots=True)
class TextRecord:
    name: str
    text: str
    attributes: dict[str, Any]


class _Line(msgspec.Struct, forbid_unknown_fields=True):
    text: str
    name: str | None = None
    attributes: dict[str, Any] = msgspec.field(default_factory=dict)


def parse(body: bytes, media_type: str) -> list[TextRecord]:
    """The records of a JSONL or CSV body; ``InvalidInput`` naming the first bad line or row."""
    try:
        decoded = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput("A text import must be UTF-8.") from None
    if media_type in JSONL_TYPES:
        records = _jsonl(decoded)
    elif media_type in CSV_TYPES:
        records = _csv(decoded)
    else:
        raise InvalidInput("Send text imports as application/jsonl or text/csv.")
    if not records:
        raise InvalidInput("The import holds no items.")
    if len(records) > MAX_ITEMS:
        raise InvalidInput(f"One import may hold at most {MAX_ITEMS} items.")
    return records


def _checked(number: int, name: str | None, text: str, attributes: dict[str, Any]) -> TextRecord:
    name = name if name is not None else str(number)
    if not 1 <= len(name) <= MAX_NAME_CHARS or any(ord(c) < 0x20 for c in name):
        raise InvalidInput(f"Item {number}: a name must be 1 to {MAX_NAME_CHARS} printable characters.")
    if len(text.encode("utf-8")) > MAX_TEXT_BYTES or "\x00" in text:
        raise InvalidInput(f"Item {number}: a text must be at most {MAX_TEXT_BYTES} bytes, without NUL.")
    if len(attributes) > 50:
        raise InvalidInput(f"Item {number}: at most 50 attributes.")
    return TextRecord(name, text, attributes)


def _jsonl(decoded: str) -> list[TextRecord]:
    records = []
    for number, line in enumerate(decoded.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = msgspec.json.decode(line, type=_Line)
        except msgspec.DecodeError as error:
            raise InvalidInput(f"Line {number} is not a text item: {error}") from None
        records.append(_checked(number, item.name, item.text, item.attributes))
    return records


def _csv(decoded: str) -> list[TextRecord]:
    reader = csv.DictReader(io.StringIO(decoded, newline=""), strict=True)
    if reader.fieldnames is None or "text" not in reader.fieldnames:
        raise InvalidInput("A CSV import needs a header row with a 'text' column.")
    if len(set(reader.fieldnames)) != len(reader.fieldnames):
        raise InvalidInput("The CSV header names a column twice.")
    records = []
    try:
        for number, row in enumerate(reader, start=1):
            if None in row or any(value is None for value in row.values()):
                raise InvalidInput(f"Row {number} does not have one value per column.")
            text = row.pop("text")
            name = row.pop("name", None) or None
            records.append(_checked(number, name, text, dict(row)))
    except csv.Error as error:
        raise InvalidInput(f"The CSV is malformed: {error}") from None
    return records
