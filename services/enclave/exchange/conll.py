"""CoNLL 2003 (named entities): a token per line, ``token -X- _ TAG``, a blank line between texts,
tags in IOB2 (``B-PER`` begins an entity, ``I-PER`` continues it, ``O`` is outside).

Tokens are the text's whitespace-separated words (the form CoNLL corpora come in). A token takes the
label of the span it starts in; a span that begins mid-token still tags that token, so no entity is
lost to tokenisation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from enclave.exchange.errors import ExchangeError
from enclave.exchange.records import File, Reread, labeled
from enclave.ontologies.schemas import OntologyDefinition
from enclave.tasks.schemas import Span

_TOKEN = re.compile(r"\S+")


def tag_tokens(text: str, spans: list[Span]) -> list[tuple[str, str]]:
    """Each whitespace token of ``text`` with its IOB2 tag."""
    tagged = []
    previous: Span | None = None
    for match in _TOKEN.finditer(text):
        start, end = match.span()
        span = next((s for s in spans if s.start < end and start < s.end), None)
        tag = "O" if span is None else ("I-" if span is previous else "B-") + span.label
        previous = span
        tagged.append((match.group(), tag))
    return tagged


def write(reread: Reread, definition: OntologyDefinition, kind: str) -> Iterator[File]:
    yield "conll2003.txt", _document(reread)


def _document(reread: Reread) -> Iterator[bytes]:
    yield b"-DOCSTART- -X- -X- O\n\n"
    for record, submission in labeled(reread()):
        if record.item.kind != "text" or record.item.text is None:
            raise ExchangeError("CoNLL 2003 is written from text items", record.label)
        spans = sorted((o for o in submission.payload.objects if isinstance(o, Span)), key=lambda s: s.start)
        lines = [f"{token} -X- _ {tag}\n" for token, tag in tag_tokens(record.item.text, spans)]
        if lines:
            yield ("".join(lines) + "\n").encode()
