"""Content-type sniffing of uploads: the media type an object is stored and served under.

Owns deciding, from an upload's leading bytes and the client's declared ``Content-Type``, which media
type the object gets, and refusing content that is not what the dataset holds (``UnsupportedContent``).
The stored type comes from the bytes, never from the client: the declared type can only make an upload
fail, not change what it is stored as. Must never do I/O or log, trust a declared type, accept a type
that a browser could run (no SVG, no HTML), or put any of the content's bytes into an error message.

Detection
---------
Images: DICOM by ``b"DICM"`` at offset 128 (checked first: its 128-byte preamble may itself hold
another format's header, and filetype 1.2.0's own DICOM matcher needs one byte more than the signature),
then filetype's matchers for PNG (APNG included: it is a PNG), JPEG, GIF, WebP, TIFF and BMP, nothing
else. Text: the head is UTF-8 with no NUL byte; a multi-byte character cut by the end of the head is
allowed, since the head is usually a prefix. Only the head is judged: a caller that must know the whole
object is UTF-8 checks the rest as it streams.
"""

from __future__ import annotations

import codecs
import re
from typing import Final, Literal

# filetype ships no type information; its matchers take bytes and return a bool.
from filetype.types import image as _filetype_image  # type: ignore[import-untyped]

SNIFF_BYTES: Final = 512
"""Leading bytes a caller must pass (or the whole object, if shorter). Every signature we accept ends
by byte 132 (DICOM's); the rest is a fairer sample for the text check. More may be passed: all of it is
checked for text."""

DICOM: Final = "application/dicom"
TEXT_PLAIN_UTF8: Final = "text/plain; charset=utf-8"

IMAGE_TYPES: Final = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "image/tiff", "image/bmp", DICOM}
)
"""Media types of image datasets. Never SVG: it is XML that can carry script."""

TEXT_TYPES: Final = frozenset({"text/plain", "text/csv"})
"""Media types a text upload may be declared as. The bytes cannot tell them apart, so every text object
is stored as ``TEXT_PLAIN_UTF8``, which no browser renders as anything active."""

_IMAGE_MATCHERS: Final = (
    _filetype_image.Png(),
    _filetype_image.Jpeg(),
    _filetype_image.Gif(),
    _filetype_image.Webp(),
    _filetype_image.Tiff(),
    _filetype_image.Bmp(),
)
_DICOM_OFFSET: Final = 128
_DICOM_MAGIC: Final = b"DICM"
_OCTET_STREAM: Final = "application/octet-stream"
# Non-standard names that common clients and OS type tables still send for accepted types.
_ALIASES: Final = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "image/x-png": "image/png",
    "image/x-ms-bmp": "image/bmp",
    "image/x-bmp": "image/bmp",
    "text/x-csv": "text/csv",
    "application/csv": "text/csv",
}
_TCHARS: Final = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"  # RFC 9110 §5.6.2
_MEDIA_TYPE: Final = re.compile(rf"{_TCHARS}/{_TCHARS}")
_IMAGE_NAMES: Final = "PNG, JPEG, GIF, WebP, TIFF, BMP or DICOM"


class UnsupportedContent(ValueError):
    """The upload is not content the dataset accepts, or not what its Content-Type says. The message is
    meant for the client: it names media types, never the content's bytes."""


def sniff(head: bytes, *, kind: Literal["image", "text"], declared: str | None) -> str:
    """Return the media type to store an upload under, judged from ``head`` (its first ``SNIFF_BYTES``
    bytes, or all of it if shorter) for a dataset of ``kind``.

    ``declared`` is the request's Content-Type, if any; its parameters are ignored, case does not matter,
    and ``application/octet-stream`` counts as not declared. Raises ``UnsupportedContent`` if the head is
    empty, holds nothing ``kind`` accepts, or is something other than the declared type.
    """
    if not head:
        raise UnsupportedContent("the upload is empty")
    detected = _detect_image(head) if kind == "image" else _detect_text(head)
    if detected is None:
        if kind == "image":
            raise UnsupportedContent(f"the content is not a supported image ({_IMAGE_NAMES})")
        raise UnsupportedContent("the content is not UTF-8 text")
    claimed = _essence(declared)
    if claimed is not None:
        accepted = TEXT_TYPES if detected == TEXT_PLAIN_UTF8 else {detected}
        if claimed not in accepted:
            raise UnsupportedContent(f"the content is {detected}, but it was declared as {claimed}")
    return detected


def _detect_image(head: bytes) -> str | None:
    if head[_DICOM_OFFSET : _DICOM_OFFSET + len(_DICOM_MAGIC)] == _DICOM_MAGIC:
        return DICOM
    for matcher in _IMAGE_MATCHERS:
        if matcher.match(head):
            mime: str = matcher.mime
            return mime
    return None


def _detect_text(head: bytes) -> str | None:
    if b"\x00" in head:
        return None
    try:
        # Not final: an incomplete sequence at the end is held back rather than rejected.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return None
    return TEXT_PLAIN_UTF8


def _essence(declared: str | None) -> str | None:
    """The declared ``type/subtype`` in lower case, or None if nothing (or octet-stream) was declared."""
    if declared is None:
        return None
    essence = declared.split(";", 1)[0].strip(" \t").lower()
    if not essence or essence == _OCTET_STREAM:
        return None
    if not _MEDIA_TYPE.fullmatch(essence):
        # Not echoed: it is client input that is not even a media type.
        raise UnsupportedContent("the declared Content-Type is not a media type")
    return _ALIASES.get(essence, essence)
