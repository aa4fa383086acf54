from __future__ import annotations

import io

import pytest
from PIL import Image

from enclave.storage.image_size import ImageSizeProbe, image_size


def encoded(fmt: str, size: tuple[int, int] = (640, 480), **options: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 20, 30)).save(out, format=fmt, **options)
    return out.getvalue()


def chunks(data: bytes, size: int = 1000) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "WEBP", "TIFF", "BMP"])
def test_every_accepted_kind_tells_its_size(fmt: str) -> None:
    probe = ImageSizeProbe()
    data = encoded(fmt, (321, 123))
    assert b"".join(probe.through(iter(chunks(data)))) == data  # passed through unchanged
    assert probe.size == (321, 123)


def test_a_jpeg_whose_size_follows_a_large_exif_block() -> None:
    exif = Image.Exif()
    exif[0x010E] = "x" * 60_000  # ImageDescription: pushes the frame header 60 kB down
    data = encoded("JPEG", (800, 600), exif=exif.tobytes())
    assert image_size(data[:4096]) is None
    probe = ImageSizeProbe()
    list(probe.through(iter(chunks(data, 65536))))
    assert probe.size == (800, 600)


def test_not_an_image_has_no_size() -> None:
    probe = ImageSizeProbe()
    data = b"%PDF-1.7 not an image" * 1000
    assert b"".join(probe.through(iter(chunks(data)))) == data
    assert probe.size is None


def test_a_header_claiming_absurd_sides_is_not_believed() -> None:
    data = bytearray(encoded("PNG", (10, 10)))
    data[16:24] = (2_000_000).to_bytes(4, "big") + (10).to_bytes(4, "big")  # IHDR width
    assert image_size(bytes(data)) is None
