"""Streaming, segmented AES-256-GCM: the at-rest format of every stored object (format version 1).

Owns turning a stream of plaintext into a self-describing encrypted object and back under a data key
(DEK) the caller has unwrapped, and the arithmetic that maps a plaintext byte range to the stored bytes
covering it. Must never do I/O, log, keep a key beyond a call, or hand out a byte of plaintext from a
segment whose tag has not verified.

Layout
------
An object is a header and one or more segments: ``header ‖ segment_0 ‖ ... ‖ segment_{n-1}``.

Header (integers big-endian; k = length of the key id in bytes, 1..255)::

    offset  size  field
    0       4     magic, b"ENC1"
    4       1     format version, 0x01
    5       2     header length in bytes, u16 (always 32 + k; at most 287 = MAX_HEADER_SIZE)
    7       4     segment size S in plaintext bytes, u32 (4 KiB .. 16 MiB inclusive; default 1 MiB)
    11      16    salt, random per object
    27      1     key id length k, u8
    28      k     key id, UTF-8: names the wrapped DEK (e.g. the tenant's transit key)
    28+k    4     key version, u32

Segments: the plaintext is cut into pieces of exactly S bytes; the last piece holds the rest (1..S
bytes) and is the only one sealed as *final*; an empty object is one empty final piece. An object whose
length is a multiple of S therefore ends with a full final piece, never an extra empty one. Piece i is
stored as AES-256-GCM ciphertext ‖ 16-byte tag, i.e. S + 16 bytes (the last: its length + 16). There is
no per-segment framing: positions follow from S alone, so ``stored size = header length + plaintext
length + 16 * n`` and a plaintext range maps to stored bytes without reading anything else.

Keys, nonces, associated data::

    segment key = HKDF-SHA256(ikm=DEK, salt=salt, info=b"enclave/segmented/v1/segment-key", length=32)
    nonce_i     = 0x00000000 ‖ u64(i)
    ad_i        = u32(len(AD)) ‖ AD ‖ header ‖ u64(i) ‖ (0x01 if segment i is final else 0x00)

AD is the caller's associated data (e.g. organization id ‖ object id), length-prefixed so that it and
the header cannot be re-split; ``header`` is the header's exact bytes, so changing any header field
breaks every segment.

Why derived nonces, not random ones: each object gets its own AES key from its random 128-bit salt, and
within an object every segment index is used once, so a (key, nonce) pair never repeats unless two
objects under one DEK draw the same salt (a birthday bound near 2^64 objects). A DEK can thus be shared
by any number of objects without the 2^32-messages-per-key limit that random 96-bit nonces would impose,
segments carry no stored nonce (12 bytes saved each, fixed positions for Range reads), and a segment
spliced in from another object fails twice over: another segment key, another header in its AD.

Failures
--------
A wrong key, wrong AD, any changed bit, a changed header field, dropped, swapped, reordered, duplicated,
appended or spliced segments, a stream cut at or inside a segment: all raise ``DecryptionFailed``, whose
message names what was wrong with the *format* and never contains key bytes or plaintext. Truncation at
a segment boundary fails because the last remaining segment was sealed non-final; appending fails
because the former last segment was sealed final. A key that is not exactly 32 bytes, or an invalid
argument, raises ``ValueError`` when the function is called, before anything is yielded.

Streaming guarantee
-------------------
Every segment is verified before its plaintext is yielded, so no iterator here ever yields a byte of a
damaged segment. To know whether a segment is the final one, the reader holds it back until it has seen
one more byte or the end of the stream; writer and reader each buffer at most one segment plus the
chunk in hand. What a stream *can* do is stop early: ``decrypt_stream`` may yield segments 0..k-1 (all
genuine) and then raise on segment k or on a missing end. The object as a whole is proven only when the
iterator is exhausted without raising, so a consumer must not commit, publish or act on the output
(mark an upload verified, index it, cache it) until then. An HTTP response streamed from it is aborted
mid-body by the exception: the client sees a failed, short transfer, never altered bytes.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from typing import NamedTuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"ENC1"
FORMAT_VERSION = 1
KEY_BYTES = 32
TAG_BYTES = 16
SALT_BYTES = 16
MIN_SEGMENT = 4 * 1024
MAX_SEGMENT = 16 * 1024 * 1024
DEFAULT_SEGMENT = 1024 * 1024
MAX_KEY_ID_BYTES = 255
MAX_KEY_VERSION = 0xFFFF_FFFF

# magic, format version, header length, segment size, salt; then the key reference (encode_key_ref).
_PREAMBLE = struct.Struct(">4sBH")
_FIXED = struct.Struct(">4sBHI16s")
HEADER_FIXED_BYTES = _FIXED.size + 1 + 4
MAX_HEADER_SIZE = HEADER_FIXED_BYTES + MAX_KEY_ID_BYTES
"""Read this many bytes (or the whole object, if smaller) to be sure ``read_header`` has the header."""

_SEGMENT_KEY_INFO = b"enclave/segmented/v1/segment-key"
_NONCE_PAD = bytes(4)
_FINAL = b"\x01"
_NOT_FINAL = b"\x00"


class DecryptionFailed(Exception):
    """Ciphertext did not verify or is not a well-formed object of a known version.

    The one failure of both formats in this package; its message never holds key material or plaintext.
    """


# --- Shared by both formats of this package (``fields`` imports these). ---------------------------


def check_key(key: bytes) -> None:
    """Raises ``ValueError`` unless ``key`` is an AES-256 key (the message does not echo the key)."""
    if len(key) != KEY_BYTES:
        raise ValueError("the key must be exactly 32 bytes (AES-256)")


def encode_key_ref(key_id: str, key_version: int) -> bytes:
    """``u8 length ‖ key id (UTF-8) ‖ u32 key version``; ``ValueError`` if either does not fit."""
    encoded = key_id.encode("utf-8")
    if not 1 <= len(encoded) <= MAX_KEY_ID_BYTES:
        raise ValueError(f"the key id must be 1 to {MAX_KEY_ID_BYTES} bytes of UTF-8")
    if not 0 <= key_version <= MAX_KEY_VERSION:
        raise ValueError("the key version must fit in an unsigned 32-bit integer")
    return bytes([len(encoded)]) + encoded + key_version.to_bytes(4, "big")


def decode_key_ref(data: bytes, offset: int) -> tuple[str, int, int]:
    """Reads ``encode_key_ref``'s bytes at ``offset``: (key id, key version, offset just after them)."""
    if offset >= len(data) or data[offset] == 0 or offset + 1 + data[offset] + 4 > len(data):
        raise DecryptionFailed("the key reference is truncated or empty")
    start, end = offset + 1, offset + 1 + data[offset]
    try:
        key_id = data[start:end].decode("utf-8")
    except UnicodeDecodeError:
        raise DecryptionFailed("the key id is not valid UTF-8") from None
    return key_id, int.from_bytes(data[end : end + 4], "big"), end + 4


def bind_associated_data(associated_data: bytes, header: bytes) -> bytes:
    """``u32(len(AD)) ‖ AD ‖ header``: the caller's AD, unambiguously followed by the format's header."""
    return len(associated_data).to_bytes(4, "big") + associated_data + header


# --- Header -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    """The self-describing start of an object: which key sealed it, and how it is cut into segments."""

    key_id: str
    key_version: int
    segment_size: int
    salt: bytes

    def __post_init__(self) -> None:
        if not MIN_SEGMENT <= self.segment_size <= MAX_SEGMENT:
            raise ValueError(f"the segment size must be {MIN_SEGMENT} to {MAX_SEGMENT} bytes")
        if len(self.salt) != SALT_BYTES:
            raise ValueError(f"the salt must be {SALT_BYTES} bytes")
        encode_key_ref(self.key_id, self.key_version)

    @property
    def size(self) -> int:
        """Length of the encoded header in bytes."""
        return HEADER_FIXED_BYTES + len(self.key_id.encode("utf-8"))

    @property
    def stored_segment_size(self) -> int:
        """Stored length of every segment but the last: plaintext plus tag."""
        return self.segment_size + TAG_BYTES

    def encode(self) -> bytes:
        return _FIXED.pack(MAGIC, FORMAT_VERSION, self.size, self.segment_size, self.salt) + encode_key_ref(
            self.key_id, self.key_version
        )

    @classmethod
    def parse(cls, data: bytes) -> Header:
        """The header at the start of ``data`` (which may run on into the segments)."""
        length = _header_length(data)
        if len(data) < length:
            raise DecryptionFailed("the object ends inside its header")
        _, _, _, segment_size, salt = _FIXED.unpack_from(data)
        key_id, key_version, end = decode_key_ref(data[:length], _FIXED.size)
        if end != length:
            raise DecryptionFailed("the header length does not match its key id")
        try:
            return cls(key_id=key_id, key_version=key_version, segment_size=segment_size, salt=salt)
        except ValueError:
            raise DecryptionFailed("the header names an unsupported segment size") from None


def _header_length(data: bytes | bytearray) -> int:
    """Checks magic and version and returns the header length the object claims."""
    if len(data) < _PREAMBLE.size:
        raise DecryptionFailed("the object ends inside its header")
    magic, version, length = _PREAMBLE.unpack_from(data)
    if magic != MAGIC:
        raise DecryptionFailed("not an Enclave encrypted object")
    if version != FORMAT_VERSION:
        raise DecryptionFailed(f"unsupported encrypted-object format version {version}")
    if not HEADER_FIXED_BYTES < length <= MAX_HEADER_SIZE:
        raise DecryptionFailed("the header length is out of range")
    return int(length)


def read_header(prefix: bytes) -> Header:
    """The header of an object from its first bytes (``MAX_HEADER_SIZE`` of them always suffice),
    so the caller can unwrap the named key before decrypting. Reading it proves nothing: the header is
    authenticated only when the segments are decrypted."""
    return Header.parse(prefix)


# --- Segments -----------------------------------------------------------------------------------


class _SegmentCipher:
    """AES-256-GCM under one object's segment key, with format v1's nonces and associated data."""

    def __init__(self, key: bytes, header: Header, associated_data: bytes) -> None:
        hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=header.salt, info=_SEGMENT_KEY_INFO)
        self._aead = AESGCM(hkdf.derive(key))
        self._ad_prefix = bind_associated_data(associated_data, header.encode())

    def _nonce_and_ad(self, index: int, final: bool) -> tuple[bytes, bytes]:
        position = index.to_bytes(8, "big")
        return _NONCE_PAD + position, self._ad_prefix + position + (_FINAL if final else _NOT_FINAL)

    def seal(self, index: int, plaintext: bytes | bytearray | memoryview, *, final: bool) -> bytes:
        nonce, ad = self._nonce_and_ad(index, final)
        return self._aead.encrypt(nonce, plaintext, ad)

    def open(self, index: int, stored: bytes | bytearray | memoryview, *, final: bool) -> bytes:
        nonce, ad = self._nonce_and_ad(index, final)
        try:
            return self._aead.decrypt(nonce, stored, ad)
        except InvalidTag:
            raise DecryptionFailed(
                f"segment {index} does not verify: the object is damaged, truncated or reordered, "
                "or was sealed under another key or associated data"
            ) from None


def _pieces(
    chunks: Iterable[bytes | memoryview], size: int
) -> Iterator[tuple[bytes | bytearray | memoryview, bool]]:
    """Re-cuts ``chunks`` into pieces of exactly ``size`` bytes but the last (0..size bytes), flagging
    the last; a full piece is held back until one more byte or the end shows whether it is the last.

    Pieces that lie whole inside a chunk are handed out as views of it, not copies (a reader that
    fetches exactly one stored segment per chunk copies nothing here); only pieces that straddle
    chunks are assembled in a buffer."""
    pending: bytes | bytearray | memoryview | None = None  # a full piece, held back
    held = bytearray()  # the start of a piece that straddles chunks
    for chunk in chunks:
        rest = memoryview(chunk)
        while rest:
            if pending is not None:  # a byte follows it: it is not the last
                yield pending, False
                pending = None
            if not held and len(rest) >= size:
                pending = rest[:size]
                rest = rest[size:]
                continue
            take = size - len(held)
            held += rest[:take]
            rest = rest[take:]
            if len(held) == size:  # handed over whole: a new buffer starts the next piece
                pending, held = held, bytearray()
    if held:
        if pending is not None:
            yield pending, False
        yield held, True
    elif pending is not None:
        yield pending, True
    else:
        yield b"", True


def encrypt_stream(
    chunks: Iterable[bytes],
    *,
    key: bytes,
    key_id: str,
    key_version: int,
    associated_data: bytes,
    segment_size: int = DEFAULT_SEGMENT,
) -> Iterator[bytes]:
    """Yields the header, then each stored segment, for plaintext arriving in chunks of any size."""
    check_key(key)
    salt = os.urandom(SALT_BYTES)
    header = Header(key_id=key_id, key_version=key_version, segment_size=segment_size, salt=salt)
    return _encrypt(chunks, header, _SegmentCipher(key, header, associated_data))


def _encrypt(chunks: Iterable[bytes], header: Header, cipher: _SegmentCipher) -> Iterator[bytes]:
    yield header.encode()
    for index, (plaintext, last) in enumerate(_pieces(chunks, header.segment_size)):
        yield cipher.seal(index, plaintext, final=last)


def decrypt_stream(chunks: Iterable[bytes], *, key: bytes, associated_data: bytes) -> Iterator[bytes]:
    """Yields the plaintext of each segment once it has verified; see "Streaming guarantee" above."""
    check_key(key)
    return _decrypt(iter(chunks), key, associated_data)


def _decrypt(chunks: Iterator[bytes], key: bytes, associated_data: bytes) -> Iterator[bytes]:
    header, body = _split_header(chunks)
    cipher = _SegmentCipher(key, header, associated_data)
    for index, (stored, last) in enumerate(_pieces(body, header.stored_segment_size)):
        yield cipher.open(index, stored, final=last)


def _split_header(chunks: Iterator[bytes]) -> tuple[Header, Iterator[bytes | memoryview]]:
    """Reads just enough of the stream to parse the header; returns it and the rest of the stream."""
    head = bytearray()
    wanted = _PREAMBLE.size
    for chunk in chunks:
        rest = memoryview(chunk)
        while rest and len(head) < wanted:
            take = wanted - len(head)
            head += rest[:take]
            rest = rest[take:]
            if len(head) == _PREAMBLE.size:
                wanted = _header_length(head)
        if len(head) == wanted:
            return Header.parse(bytes(head)), chain([rest], chunks)
    raise DecryptionFailed("the object ends inside its header")


def encrypt_bytes(
    plaintext: bytes,
    *,
    key: bytes,
    key_id: str,
    key_version: int,
    associated_data: bytes,
    segment_size: int = DEFAULT_SEGMENT,
) -> bytes:
    """The whole stored object for a small plaintext held in memory."""
    return b"".join(
        encrypt_stream(
            [plaintext],
            key=key,
            key_id=key_id,
            key_version=key_version,
            associated_data=associated_data,
            segment_size=segment_size,
        )
    )


def decrypt_bytes(stored: bytes, *, key: bytes, associated_data: bytes) -> bytes:
    """The whole plaintext of a small stored object held in memory."""
    return b"".join(decrypt_stream([stored], key=key, associated_data=associated_data))


# --- Sizes and byte ranges ------------------------------------------------------------------------


class StoredRange(NamedTuple):
    """Stored bytes ``[start, end)`` covering a plaintext range in whole segments; the range's first
    plaintext byte is ``skip`` bytes into the first decrypted segment. ``end`` may run past the object
    when the run includes its final, shorter segment: clamp it to the object's size (S3 and MinIO range
    reads do that themselves)."""

    start: int
    end: int
    skip: int


def _layout(header: Header, stored_size: int) -> tuple[int, int]:
    """(segment count, plaintext length) of an object of ``stored_size`` bytes with this header."""
    body = stored_size - header.size
    segments = max(1, -(-body // header.stored_segment_size))
    last_plaintext = body - (segments - 1) * header.stored_segment_size - TAG_BYTES
    # Only the first segment may be empty: writers never end a longer object with an empty segment.
    if last_plaintext < 0 or (last_plaintext == 0 and segments > 1):
        raise DecryptionFailed("the stored size does not match any object with this header")
    return segments, body - segments * TAG_BYTES


def segment_count(header: Header, stored_size: int) -> int:
    """How many segments an object of ``stored_size`` bytes holds (``DecryptionFailed`` if none fits)."""
    return _layout(header, stored_size)[0]


def plaintext_size(header: Header, stored_size: int) -> int:
    """The plaintext length of an object of ``stored_size`` bytes (``DecryptionFailed`` if none fits)."""
    return _layout(header, stored_size)[1]


def _segment_run(header: Header, plaintext_start: int, plaintext_end: int) -> tuple[int, int]:
    """(first segment, number of segments) covering plaintext bytes ``[start, end)``."""
    if not 0 <= plaintext_start < plaintext_end:
        raise ValueError("a plaintext range must be non-empty and start at 0 or later")
    first = plaintext_start // header.segment_size
    return first, (plaintext_end - 1) // header.segment_size - first + 1


def ciphertext_range(header: Header, plaintext_start: int, plaintext_end: int) -> StoredRange:
    """The stored bytes to fetch for plaintext bytes ``[start, end)`` (end exclusive, as in slicing)."""
    first, count = _segment_run(header, plaintext_start, plaintext_end)
    start = header.size + first * header.stored_segment_size
    return StoredRange(
        start=start,
        end=start + count * header.stored_segment_size,
        skip=plaintext_start - first * header.segment_size,
    )


def decrypt_segments(
    chunks: Iterable[bytes],
    *,
    key: bytes,
    associated_data: bytes,
    header: Header,
    first_segment: int,
    count: int,
    total_segments: int,
) -> Iterator[bytes]:
    """Yields the verified plaintext of segments ``first_segment .. first_segment + count - 1`` of an
    object of ``total_segments`` segments (see ``segment_count``), from exactly their stored bytes.
    Each is checked under its own index and final flag; fewer or more bytes than those segments fail."""
    check_key(key)
    if first_segment < 0 or count < 1 or first_segment + count > total_segments:
        raise ValueError("the segment run must be non-empty and lie within the object")
    cipher = _SegmentCipher(key, header, associated_data)
    return _decrypt_run(chunks, header, cipher, first_segment, count, total_segments)


def _decrypt_run(
    chunks: Iterable[bytes], header: Header, cipher: _SegmentCipher, first: int, count: int, total: int
) -> Iterator[bytes]:
    opened = 0
    for offset, (stored, _) in enumerate(_pieces(chunks, header.stored_segment_size)):
        if offset == count:
            raise DecryptionFailed("more ciphertext follows the requested segments")
        yield cipher.open(first + offset, stored, final=first + offset == total - 1)
        opened += 1
    if opened != count:
        raise DecryptionFailed("the ciphertext ends before the requested segments")


def decrypt_range(
    chunks: Iterable[bytes],
    *,
    key: bytes,
    associated_data: bytes,
    header: Header,
    stored_size: int,
    plaintext_start: int,
    plaintext_end: int,
) -> Iterator[bytes]:
    """Yields exactly plaintext ``[start, end)`` from the stored bytes ``ciphertext_range`` named,
    decrypting only those segments, each verified before any of it is yielded."""
    total, size = _layout(header, stored_size)
    if plaintext_end > size:
        raise ValueError("the plaintext range runs past the end of the object")
    first, count = _segment_run(header, plaintext_start, plaintext_end)
    segments = decrypt_segments(
        chunks,
        key=key,
        associated_data=associated_data,
        header=header,
        first_segment=first,
        count=count,
        total_segments=total,
    )
    return _trim(segments, plaintext_start - first * header.segment_size, plaintext_end - plaintext_start)


def _trim(segments: Iterator[bytes], skip: int, length: int) -> Iterator[bytes]:
    for plaintext in segments:
        piece = plaintext[skip : skip + length]
        skip, length = 0, length - len(piece)
        yield piece
