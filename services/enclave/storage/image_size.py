"""An image's size in pixels, read from its first bytes as they stream past on their way to being
encrypted: COCO, YOLO and VOC exports are written in pixels of the image labeled.

Pillow reads the header (``Image.open`` parses it lazily and decodes no pixel) of whatever has come by
so far, at a few sizes up to ``LIMIT`` bytes — a JPEG's size can follow a large EXIF block. Holds at
most ``LIMIT`` bytes, never decodes an image, and never fails an upload: an image whose size it
cannot read is stored without one (and an export that needs it says which).
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator

from PIL import Image, UnidentifiedImageError

#: How much of an image is looked at, at most.
LIMIT = 1024 * 1024
#: When the header is tried: most images tell their size in the first bytes.
ATTEMPTS = (4 * 1024, 64 * 1024, LIMIT)
#: Larger sides than this are not believed (a header can claim anything).
MAX_SIDE = 1_000_000


def image_size(head: bytes) -> tuple[int, int] | None:
    """The width and height an image's leading bytes declare, or None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(head)) as image:
                width, height = image.size
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE):
        return None
    return width, height


class ImageSizeProbe:
    """Passes chunks through unchanged and reads the image's size from the first of them."""

    def __init__(self) -> None:
        self.size: tuple[int, int] | None = None
        self._head = bytearray()
        self._done = False
        self._attempts = list(ATTEMPTS)

    def through(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            self._look(chunk)
            yield chunk
        if not self._done and self._head:
            self.size = image_size(bytes(self._head))  # a small image, whole
            self._done = True

    def _look(self, chunk: bytes) -> None:
        if self._done:
            return
        self._head += chunk[: LIMIT - len(self._head)]
        while self._attempts and len(self._head) >= self._attempts[0]:
            self._attempts.pop(0)
            self.size = image_size(bytes(self._head))
            if self.size is not None or not self._attempts:
                self._done = True
                self._head = bytearray()
                return
