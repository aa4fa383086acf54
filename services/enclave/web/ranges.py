"""HTTP ``Range`` requests (RFC 9110 §14) against a representation of known size.

Owns turning a ``Range`` header into one half-open plaintext byte range, and formatting the
``Content-Range`` that answers it. Must never do I/O, log, or return more than one range: a request for
several gets the whole representation, which RFC 9110 §14.2 allows (a server MAY ignore Range).

Written by hand: no small, well-kept library parses Range on its own. The parsers that exist come inside a
web framework (werkzeug's ``parse_range_header``, Starlette's ``FileResponse``) and the latter only for
files on disk, while our objects are encrypted and mapped to stored bytes by ``enclave.crypto``.

Ranges are ``(start, end)`` with ``0 <= start < end <= size``: ``end`` is exclusive, unlike the inclusive
last-pos of the header, and the range is never empty.
"""

from __future__ import annotations

import re
from typing import Final

_OWS: Final = " \t"  # RFC 9110 §5.6.3
# unit "=" OWS range-set: no space inside the unit or before "=".
_SPECIFIER: Final = re.compile(r"([!#$%&'*+.^_`|~0-9A-Za-z-]+)=[ \t]*(.*)", re.DOTALL)
_INT_RANGE: Final = re.compile(r"([0-9]+)-([0-9]*)")
_SUFFIX_RANGE: Final = re.compile(r"-([0-9]+)")


class RangeNotSatisfiable(Exception):
    """The header asks for one well-formed range that lies wholly outside the representation: answer
    416 with ``Content-Range: bytes */size`` (``self.content_range``)."""

    def __init__(self, size: int) -> None:
        super().__init__(f"the requested range is outside the representation of {size} bytes")
        self.size = size

    @property
    def content_range(self) -> str:
        """The ``Content-Range`` value of the 416 response."""
        return f"bytes */{self.size}"


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """Return the half-open byte range ``header`` asks for within a representation of ``size`` bytes,
    or None when the whole representation should be sent with 200.

    None for: no header, a unit other than ``bytes``, anything that is not a valid ranges-specifier
    (garbage, a negative number, last-pos < first-pos), and more than one range. A last-pos past the end
    is clamped to it; a suffix longer than the representation means all of it, ``(0, size)``. Raises
    ``RangeNotSatisfiable`` for one valid range that cannot be satisfied: first-pos >= size, or a
    suffix length of 0. For an empty representation, only a suffix range of non-zero length is
    satisfiable (RFC 9110 §14.1.1) and it covers nothing, so it gives None; any other range raises.
    """
    if size < 0:
        raise ValueError("size must not be negative")
    if header is None:
        return None
    # A field value never includes leading or trailing whitespace (RFC 9110 §5.5).
    specifier = _SPECIFIER.fullmatch(header.strip(_OWS))
    if specifier is None or specifier.group(1).lower() != "bytes":
        return None
    # range-set = 1#range-spec: OWS around commas, and empty elements are ignored (RFC 9110 §5.6.1.2).
    specs = [element.strip(_OWS) for element in specifier.group(2).split(",")]
    specs = [spec for spec in specs if spec]
    if len(specs) != 1:
        return None
    return _satisfy(specs[0], size)


def content_range(start: int, end: int, size: int) -> str:
    """The ``Content-Range`` value of a 206 response carrying ``[start, end)`` of ``size`` bytes."""
    if not 0 <= start < end <= size:
        raise ValueError("the range must be non-empty and within the representation")
    return f"bytes {start}-{end - 1}/{size}"


def _satisfy(spec: str, size: int) -> tuple[int, int] | None:
    if int_range := _INT_RANGE.fullmatch(spec):
        first_pos, last_pos = int_range.groups()
        if last_pos and _magnitude(last_pos) < _magnitude(first_pos):
            return None  # an invalid int-range (RFC 9110 §14.1.1)
        first = _position(first_pos, size)
        if first >= size:
            raise RangeNotSatisfiable(size)
        return first, (min(_position(last_pos, size) + 1, size) if last_pos else size)
    if suffix_range := _SUFFIX_RANGE.fullmatch(spec):
        length = _position(suffix_range.group(1), size)
        if length == 0:
            raise RangeNotSatisfiable(size)
        return None if size == 0 else (max(size - length, 0), size)
    return None


def _magnitude(digits: str) -> tuple[int, str]:
    """A key that orders digit strings as the numbers they spell, without converting them."""
    significant = digits.lstrip("0")
    return len(significant), significant


def _position(digits: str, size: int) -> int:
    """``digits`` as an int, capped at ``size + 1``: every rule above treats all numbers past the end
    alike, and the cap spares converting thousands of digits (which ``int()`` refuses past 4300)."""
    length, significant = _magnitude(digits)
    if length > len(str(size)):
        return size + 1
    return min(int(significant or "0"), size + 1)
