"""Unit tests of ``enclave.storage.sniff``: each accepted image type is recognised from minimal real
headers, text only when its head is UTF-8 without NUL (a character cut at the end allowed), and
everything else — other formats, mismatched or malformed declared types, empty uploads — raises
``UnsupportedContent`` with a message that names types but never echoes the content."""

from __future__ import annotations

import struct
import zlib
from typing import Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from enclave.storage.sniff import (
    IMAGE_TYPES,
    SNIFF_BYTES,
    TEXT_PLAIN_UTF8,
    TEXT_TYPES,
    UnsupportedContent,
    sniff,
)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
IHDR = _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0))
PNG = PNG_SIGNATURE + IHDR + _png_chunk(b"IEND", b"")
APNG = PNG_SIGNATURE + IHDR + _png_chunk(b"acTL", struct.pack(">II", 1, 0)) + _png_chunk(b"IEND", b"")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,"
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
TIFF_LE = b"II*\x00\x08\x00\x00\x00\x00\x00"
TIFF_BE = b"MM\x00*\x00\x00\x00\x08\x00\x00"
BMP = b"BM\x3a\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00\x00\x00\x01\x00\x00\x00\x01\x00"
DICOM = bytes(128) + b"DICM"  # exactly the signature: filetype's own matcher wants one byte more
DICOM_WITH_TIFF_PREAMBLE = TIFF_LE + bytes(118) + b"DICM\x02\x00\x00\x00UL\x04\x00"
CANON_RAW = b"II*\x00\x10\x00\x00\x00CR\x02\x00"  # TIFF-based, but not an image we serve
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"
ZIP = b"PK\x03\x04\x14\x00\x00\x00\x08\x00"

IMAGES = [
    pytest.param(PNG, "image/png", id="png"),
    pytest.param(APNG, "image/png", id="apng-is-a-png"),
    pytest.param(JPEG, "image/jpeg", id="jpeg"),
    pytest.param(GIF, "image/gif", id="gif"),
    pytest.param(WEBP, "image/webp", id="webp"),
    pytest.param(TIFF_LE, "image/tiff", id="tiff-little-endian"),
    pytest.param(TIFF_BE, "image/tiff", id="tiff-big-endian"),
    pytest.param(BMP, "image/bmp", id="bmp"),
    pytest.param(DICOM, "application/dicom", id="dicom"),
    pytest.param(DICOM_WITH_TIFF_PREAMBLE, "application/dicom", id="dicom-with-tiff-preamble"),
]

Kind = Literal["image", "text"]


def _rejected(head: bytes, kind: Kind, declared: str | None = None) -> str:
    with pytest.raises(UnsupportedContent) as caught:
        sniff(head, kind=kind, declared=declared)
    return str(caught.value)


class TestConstants:
    def test_image_types_are_exactly_the_accepted_formats(self) -> None:
        assert {
            "image/png",
            "image/jpeg",
            "image/gif",
            "image/webp",
            "image/tiff",
            "image/bmp",
            "application/dicom",
        } == IMAGE_TYPES

    def test_no_type_a_browser_could_run_is_accepted(self) -> None:
        for active in ("image/svg+xml", "text/html", "application/xhtml+xml", "text/javascript"):
            assert active not in IMAGE_TYPES
            assert active not in TEXT_TYPES

    def test_sniff_bytes_covers_the_furthest_signature(self) -> None:
        assert SNIFF_BYTES >= 132

    def test_unsupported_content_is_a_value_error(self) -> None:
        assert issubclass(UnsupportedContent, ValueError)


class TestImages:
    @pytest.mark.parametrize(("head", "expected"), IMAGES)
    def test_detected_from_the_bytes(self, head: bytes, expected: str) -> None:
        assert sniff(head, kind="image", declared=None) == expected

    @pytest.mark.parametrize(("head", "expected"), IMAGES)
    def test_detected_from_a_sniff_bytes_head_of_a_longer_object(self, head: bytes, expected: str) -> None:
        whole = head + bytes(range(256)) * 40
        assert sniff(whole[:SNIFF_BYTES], kind="image", declared=None) == expected

    @pytest.mark.parametrize(("head", "expected"), IMAGES)
    def test_matching_declared_type_is_accepted(self, head: bytes, expected: str) -> None:
        assert sniff(head, kind="image", declared=expected) == expected

    @pytest.mark.parametrize(
        "declared",
        ["IMAGE/PNG", "image/png; charset=binary", "Image/Png ;q=1", "image/x-png", " image/png "],
    )
    def test_declared_type_ignores_case_parameters_and_known_aliases(self, declared: str) -> None:
        assert sniff(PNG, kind="image", declared=declared) == "image/png"

    @pytest.mark.parametrize("declared", ["image/jpg", "image/pjpeg"])
    def test_jpeg_aliases(self, declared: str) -> None:
        assert sniff(JPEG, kind="image", declared=declared) == "image/jpeg"

    @pytest.mark.parametrize(
        "declared", [None, "application/octet-stream", "Application/Octet-Stream; x=y", ""]
    )
    def test_octet_stream_or_nothing_counts_as_undeclared(self, declared: str | None) -> None:
        assert sniff(GIF, kind="image", declared=declared) == "image/gif"

    @pytest.mark.parametrize(
        ("head", "declared", "detected"),
        [
            (PNG, "image/jpeg", "image/png"),
            (JPEG, "image/png", "image/jpeg"),
            (DICOM, "image/tiff", "application/dicom"),
            (BMP, "text/plain", "image/bmp"),
            (GIF, "image/svg+xml", "image/gif"),
        ],
    )
    def test_mismatch_with_declared_type_names_both(self, head: bytes, declared: str, detected: str) -> None:
        message = _rejected(head, "image", declared)
        assert detected in message
        assert declared in message

    @pytest.mark.parametrize(
        "head",
        [
            pytest.param(SVG, id="svg"),
            pytest.param(HTML, id="html"),
            pytest.param(PDF, id="pdf"),
            pytest.param(ZIP, id="zip"),
            pytest.param(CANON_RAW, id="canon-raw"),
            pytest.param(b"plain words", id="text"),
            pytest.param(bytes(131) + b"DICM", id="dicm-one-byte-late"),
            pytest.param(PNG_SIGNATURE[:3], id="png-signature-cut"),
        ],
    )
    def test_other_content_is_not_a_supported_image(self, head: bytes) -> None:
        message = _rejected(head, "image")
        assert "is not a supported image" in message
        assert "PNG, JPEG" in message

    def test_declared_image_type_does_not_make_other_content_acceptable(self) -> None:
        assert "is not a supported image" in _rejected(HTML, "image", "image/png")

    @pytest.mark.parametrize(
        ("head", "kind"),
        [(b"<p>token=s3cr3t-value</p>", "image"), (b"token=s3cr3t-value\x00", "text")],
    )
    def test_message_does_not_echo_the_content(self, head: bytes, kind: Kind) -> None:
        assert "s3cr3t" not in _rejected(head, kind, "image/png")


class TestText:
    @pytest.mark.parametrize(
        "head",
        [
            pytest.param(b"hello, world\n", id="ascii"),
            pytest.param("ünïcödé — 日本語 🙂".encode(), id="multi-byte"),
            pytest.param(b"\xef\xbb\xbfwith a byte order mark", id="bom"),
            pytest.param(b"a,b\n1,2\n", id="csv"),
        ],
    )
    def test_utf8_without_nul_is_plain_text(self, head: bytes) -> None:
        assert sniff(head, kind="text", declared=None) == TEXT_PLAIN_UTF8

    @pytest.mark.parametrize("cut", [1, 2, 3])
    def test_a_character_cut_by_the_end_of_the_head_is_allowed(self, cut: int) -> None:
        emoji = "🙂".encode()  # four bytes
        assert sniff(b"smile " + emoji[:cut], kind="text", declared=None) == TEXT_PLAIN_UTF8

    @pytest.mark.parametrize(
        "head",
        [
            pytest.param(b"caf\xc3 au lait", id="cut-character-inside"),
            pytest.param(b"caf\xe9 cr\xe8me br\xfbl\xe9e", id="latin-1"),
            pytest.param(b"\xff\xfeh\x00i\x00", id="utf-16"),
            pytest.param(b"hello\x00world", id="nul"),
            pytest.param(b"\x00", id="only-nul"),
            pytest.param(b"\xed\xa0\x80", id="surrogate"),
            pytest.param(b"\xc0\xaf", id="overlong"),
            pytest.param(PNG, id="png"),
            pytest.param(JPEG, id="jpeg"),
            pytest.param(ZIP, id="zip"),
        ],
    )
    def test_anything_else_is_rejected(self, head: bytes) -> None:
        assert _rejected(head, "text") == "the content is not UTF-8 text"

    @pytest.mark.parametrize(
        "declared", ["text/plain", "text/plain; charset=utf-8", "TEXT/CSV", "text/csv; header=present"]
    )
    def test_declared_text_types_are_accepted_and_stored_as_plain_text(self, declared: str) -> None:
        assert sniff(b"a,b\n", kind="text", declared=declared) == TEXT_PLAIN_UTF8

    @pytest.mark.parametrize("declared", ["application/json", "text/html", "image/png", "image/svg+xml"])
    def test_other_declared_types_are_a_mismatch(self, declared: str) -> None:
        message = _rejected(b'{"a": 1}', "text", declared)
        assert TEXT_PLAIN_UTF8 in message
        assert declared in message

    def test_svg_in_a_text_dataset_is_stored_as_plain_text(self) -> None:
        assert sniff(SVG, kind="text", declared=None) == TEXT_PLAIN_UTF8

    @given(st.text(min_size=1).filter(lambda text: "\x00" not in text), st.integers(min_value=0))
    def test_any_prefix_of_utf8_text_is_text(self, text: str, cut: int) -> None:
        encoded = text.encode()
        head = encoded[: 1 + cut % len(encoded)]
        assert sniff(head, kind="text", declared=None) == TEXT_PLAIN_UTF8


class TestEveryKind:
    @pytest.mark.parametrize("kind", ["image", "text"])
    def test_empty_upload_is_rejected(self, kind: Kind) -> None:
        assert _rejected(b"", kind) == "the upload is empty"

    @pytest.mark.parametrize(
        "declared", ["image/png\r\nX-Injected: 1", "image", "/png", "image/png/x", "imäge/png", "a b/c"]
    )
    def test_malformed_declared_type_is_rejected_without_echo(self, declared: str) -> None:
        message = _rejected(PNG, "image", declared)
        assert message == "the declared Content-Type is not a media type"
