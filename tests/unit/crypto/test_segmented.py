"""Unit tests of ``enclave.crypto.segmented``: objects of any length round-trip under any chunking;
every kind of damage (bit flips in each region, truncation, dropped, swapped, duplicated, appended or
spliced segments, changed header fields, wrong key or associated data) raises ``DecryptionFailed``
without yielding a byte of the damaged segment; byte ranges decrypt only the segments they cover."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
from collections.abc import Iterable, Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from enclave.crypto.segmented import (
    DEFAULT_SEGMENT,
    MAX_HEADER_SIZE,
    MAX_SEGMENT,
    MIN_SEGMENT,
    TAG_BYTES,
    DecryptionFailed,
    Header,
    ciphertext_range,
    decrypt_bytes,
    decrypt_range,
    decrypt_segments,
    decrypt_stream,
    encrypt_bytes,
    encrypt_stream,
    plaintext_size,
    read_header,
    segment_count,
)

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
AD = b"org:00000000-0000-4000-8000-00000000000a|object:00000000-0000-4000-8000-000000000001"
OTHER_AD = b"org:00000000-0000-4000-8000-00000000000b|object:00000000-0000-4000-8000-000000000001"
KEY_ID = "tenant-0a/objects"
S = MIN_SEGMENT
STORED = S + TAG_BYTES

# Lengths that matter: empty, around every segment boundary, and anything up to a few segments.
lengths = st.one_of(
    st.integers(0, 4 * S + 7),
    st.builds(lambda n, d: max(0, n * S + d), st.integers(0, 4), st.sampled_from([-1, 0, 1])),
)


def plaintext_of(length: int, seed: int = 0) -> bytes:
    return hashlib.shake_256(seed.to_bytes(8, "big")).digest(length)


def seal(plaintext: bytes, *, key: bytes = KEY, ad: bytes = AD, segment_size: int = S) -> bytes:
    return encrypt_bytes(
        plaintext, key=key, key_id=KEY_ID, key_version=3, associated_data=ad, segment_size=segment_size
    )


def cut(data: bytes, positions: Iterable[int]) -> list[bytes]:
    """``data`` cut at the given positions (clipped, sorted; repeats give empty chunks)."""
    bounds = [0, *sorted(min(p, len(data)) for p in positions), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


def split_object(stored: bytes) -> tuple[bytes, list[bytes]]:
    """(header bytes, stored segments) of an object written with segment size ``S``."""
    size = read_header(stored).size
    body = stored[size:]
    return stored[:size], [body[i : i + STORED] for i in range(0, len(body), STORED)]


def drain_until_refused(pieces: Iterator[bytes]) -> tuple[list[bytes], str]:
    """What ``pieces`` yielded before it raised ``DecryptionFailed`` (which it must), and the message."""
    yielded: list[bytes] = []

    def pull() -> None:
        for piece in pieces:
            yielded.append(piece)

    with pytest.raises(DecryptionFailed) as failure:
        pull()
    return yielded, str(failure.value)


def refused(chunks: Iterable[bytes], *, key: bytes = KEY, ad: bytes = AD) -> tuple[list[bytes], str]:
    """Plaintext ``decrypt_stream`` yielded before it refused the object, and why."""
    return drain_until_refused(decrypt_stream(chunks, key=key, associated_data=ad))


# A three-segment object (two full, one short final) that the damage tests take apart.
PLAIN = plaintext_of(2 * S + 100, seed=7)
PIECES = [PLAIN[:S], PLAIN[S : 2 * S], PLAIN[2 * S :]]
OBJECT = seal(PLAIN)
HEAD, SEGMENTS = split_object(OBJECT)


class TestHeader:
    @given(
        key_id=st.text(min_size=1, max_size=80).filter(lambda s: len(s.encode()) <= 255),
        key_version=st.integers(0, 2**32 - 1),
        segment_size=st.integers(MIN_SEGMENT, MAX_SEGMENT),
        salt=st.binary(min_size=16, max_size=16),
    )
    def test_encode_parse_round_trip(
        self, key_id: str, key_version: int, segment_size: int, salt: bytes
    ) -> None:
        header = Header(key_id=key_id, key_version=key_version, segment_size=segment_size, salt=salt)
        encoded = header.encode()
        assert len(encoded) == header.size <= MAX_HEADER_SIZE
        assert Header.parse(encoded + b"segments follow") == header

    def test_read_header_names_the_key_and_layout(self) -> None:
        header = read_header(OBJECT[:MAX_HEADER_SIZE])
        assert (header.key_id, header.key_version, header.segment_size) == (KEY_ID, 3, S)
        assert OBJECT.startswith(b"ENC1\x01")
        assert header.encode() == HEAD

    def test_each_object_has_its_own_salt(self) -> None:
        assert read_header(seal(b"same")).salt != read_header(seal(b"same")).salt

    def test_default_segment_is_one_mebibyte(self) -> None:
        stored = encrypt_bytes(b"x", key=KEY, key_id=KEY_ID, key_version=1, associated_data=AD)
        assert DEFAULT_SEGMENT == 1_048_576
        assert read_header(stored).segment_size == DEFAULT_SEGMENT

    @pytest.mark.parametrize(
        "changes",
        [
            {"key_id": ""},
            {"key_id": "k" * 256},
            {"key_id": "\ud800"},
            {"key_version": -1},
            {"key_version": 2**32},
            {"segment_size": MIN_SEGMENT - 1},
            {"segment_size": MAX_SEGMENT + 1},
            {"salt": bytes(15)},
        ],
    )
    def test_invalid_fields_are_refused(self, changes: dict[str, object]) -> None:
        fields: dict[str, object] = {"key_id": "k", "key_version": 1, "segment_size": S, "salt": bytes(16)}
        with pytest.raises(ValueError):  # noqa: PT011 - each case has its own message
            Header(**(fields | changes))  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("offset", "replacement"),
        [
            (0, b"ENC2"),  # magic
            (4, b"\x02"),  # unknown format version
            (5, b"\x00\x20"),  # header length below the minimum
            (5, b"\x01\x20"),  # header length above the maximum
            (5, (len(KEY_ID) + 33).to_bytes(2, "big")),  # header length disagrees with the key id
            (7, (MIN_SEGMENT - 1).to_bytes(4, "big")),  # segment size out of range
            (7, (MAX_SEGMENT + 1).to_bytes(4, "big")),
            (27, b"\x00"),  # empty key id
            (27, b"\xff"),  # key id longer than the header
            (28, b"\xff"),  # key id not UTF-8
        ],
    )
    def test_malformed_headers_are_refused(self, offset: int, replacement: bytes) -> None:
        damaged = OBJECT[:offset] + replacement + OBJECT[offset + len(replacement) :]
        with pytest.raises(DecryptionFailed):
            read_header(damaged)

    @pytest.mark.parametrize("length", [0, 3, 7, len(HEAD) - 1])
    def test_a_cut_header_is_refused(self, length: int) -> None:
        with pytest.raises(DecryptionFailed, match="ends inside its header"):
            read_header(HEAD[:length])


class TestRoundTrip:
    @given(length=lengths, seed=st.integers(0, 2**32), cuts=st.lists(st.integers(0, 5 * S), max_size=10))
    def test_any_chunking_of_plaintext(self, length: int, seed: int, cuts: list[int]) -> None:
        plaintext = plaintext_of(length, seed)
        stored = b"".join(
            encrypt_stream(
                cut(plaintext, cuts),
                key=KEY,
                key_id=KEY_ID,
                key_version=1,
                associated_data=AD,
                segment_size=S,
            )
        )
        segments = max(1, -(-length // S))
        assert len(stored) == read_header(stored).size + length + TAG_BYTES * segments
        assert decrypt_bytes(stored, key=KEY, associated_data=AD) == plaintext

    @given(length=lengths, seed=st.integers(0, 2**32), cuts=st.lists(st.integers(0, 5 * STORED), max_size=10))
    def test_any_chunking_of_ciphertext(self, length: int, seed: int, cuts: list[int]) -> None:
        plaintext = plaintext_of(length, seed)
        stored = seal(plaintext)
        pieces = list(decrypt_stream(cut(stored, cuts), key=KEY, associated_data=AD))
        assert pieces == [plaintext[i : i + S] for i in range(0, max(1, length), S)]

    def test_empty_object_is_one_empty_final_segment(self) -> None:
        stored = seal(b"")
        assert len(stored) == read_header(stored).size + TAG_BYTES
        assert list(decrypt_stream([stored], key=KEY, associated_data=AD)) == [b""]

    def test_empty_associated_data_works_and_differs(self) -> None:
        stored = seal(PLAIN, ad=b"")
        assert decrypt_bytes(stored, key=KEY, associated_data=b"") == PLAIN
        assert refused([stored], ad=b"\x00")[0] == []

    def test_writer_holds_at_most_one_segment(self) -> None:
        consumed = 0

        def source() -> Iterator[bytes]:
            nonlocal consumed
            for start in range(0, len(PLAIN), 100):
                consumed += len(PLAIN[start : start + 100])
                yield PLAIN[start : start + 100]

        stream = encrypt_stream(
            source(), key=KEY, key_id=KEY_ID, key_version=1, associated_data=AD, segment_size=S
        )
        next(stream)
        assert consumed == 0  # the header comes before any plaintext is read
        for index, _ in enumerate(stream):
            assert consumed <= (index + 1) * S + 100

    def test_reader_yields_each_segment_as_soon_as_it_verifies(self) -> None:
        consumed = 0

        def source() -> Iterator[bytes]:
            nonlocal consumed
            for start in range(0, len(OBJECT), 100):
                consumed += len(OBJECT[start : start + 100])
                yield OBJECT[start : start + 100]

        for index, piece in enumerate(decrypt_stream(source(), key=KEY, associated_data=AD)):
            assert piece == PIECES[index]
            assert consumed <= len(HEAD) + (index + 1) * STORED + 100


class TestKeysAndArguments:
    @pytest.mark.parametrize("key", [b"", bytes(16), bytes(24), bytes(31), bytes(33)])
    def test_only_aes256_keys(self, key: bytes) -> None:
        with pytest.raises(ValueError, match="exactly 32 bytes"):
            encrypt_stream([b"x"], key=key, key_id=KEY_ID, key_version=1, associated_data=AD)
        with pytest.raises(ValueError, match="exactly 32 bytes"):
            decrypt_stream([OBJECT], key=key, associated_data=AD)
        with pytest.raises(ValueError, match="exactly 32 bytes"):
            decrypt_segments(
                [SEGMENTS[0]],
                key=key,
                associated_data=AD,
                header=read_header(HEAD),
                first_segment=0,
                count=1,
                total_segments=3,
            )

    def test_invalid_segment_size_is_refused_when_called(self) -> None:
        with pytest.raises(ValueError, match="segment size"):
            encrypt_stream(
                [b"x"],
                key=KEY,
                key_id=KEY_ID,
                key_version=1,
                associated_data=AD,
                segment_size=MIN_SEGMENT - 1,
            )

    def test_failure_messages_hold_no_key_or_plaintext(self) -> None:
        for message in (refused([OBJECT], key=OTHER_KEY)[1], refused([OBJECT[:-1]])[1]):
            assert "segment" in message
            for secret in (KEY, OTHER_KEY, PIECES[0][:8], PIECES[2][-8:]):
                assert secret.hex() not in message
                assert repr(secret)[2:-1] not in message


class TestDamage:
    @pytest.mark.parametrize("offset", range(len(KEY_ID) + 32))
    def test_every_bit_of_the_header(self, offset: int) -> None:
        for bit in range(8):
            damaged = bytearray(OBJECT)
            damaged[offset] ^= 1 << bit
            assert refused([bytes(damaged)])[0] == []

    @pytest.mark.parametrize("index", range(3))
    @pytest.mark.parametrize("region", ["ciphertext start", "ciphertext middle", "ciphertext end", "tag"])
    def test_bits_in_each_segment(self, index: int, region: str) -> None:
        length = len(SEGMENTS[index]) - TAG_BYTES
        offsets = {
            "ciphertext start": [0],
            "ciphertext middle": [length // 2],
            "ciphertext end": [length - 1],
            "tag": range(length, length + TAG_BYTES),
        }[region]
        for offset in offsets:
            for bit in (0, 7):
                segment = bytearray(SEGMENTS[index])
                segment[offset] ^= 1 << bit
                chunks = [HEAD, *SEGMENTS[:index], bytes(segment), *SEGMENTS[index + 1 :]]
                assert refused(chunks)[0] == PIECES[:index]

    @given(bit=st.integers(0, len(OBJECT) * 8 - 1))
    def test_any_bit_anywhere(self, bit: int) -> None:
        damaged = bytearray(OBJECT)
        damaged[bit // 8] ^= 1 << (bit % 8)
        position = bit // 8
        damaged_segment = (position - len(HEAD)) // STORED if position >= len(HEAD) else 0
        assert refused([bytes(damaged)])[0] == PIECES[:damaged_segment]

    @pytest.mark.parametrize(
        ("order", "intact"),
        [
            ([0, 1], 1),  # the last segment dropped: segment 1 was not sealed as final
            ([0], 0),  # two dropped
            ([0, 2], 1),  # the middle one dropped
            ([1, 0, 2], 0),  # two swapped
            ([0, 2, 1], 1),  # reordered
            ([0, 0, 1, 2], 1),  # one duplicated
            ([0, 1, 2, 2], 2),  # the final one duplicated
            ([0, 1, 2, 0], 2),  # a segment appended after the final one
            ([], 0),  # only the header
        ],
    )
    def test_segments_dropped_reordered_or_added(self, order: list[int], intact: int) -> None:
        assert refused([HEAD, *(SEGMENTS[i] for i in order)])[0] == PIECES[:intact]

    def test_truncation_at_a_boundary_of_an_exact_multiple(self) -> None:
        plaintext = plaintext_of(2 * S)
        head, segments = split_object(seal(plaintext))
        assert [len(segment) for segment in segments] == [STORED, STORED]  # no empty final segment
        assert refused([head, segments[0]])[0] == []
        assert refused([head, *segments, bytes(TAG_BYTES)])[0] == [plaintext[:S]]

    @pytest.mark.parametrize(
        ("length", "intact"),
        [
            (len(OBJECT) - 1, 2),
            (len(OBJECT) - TAG_BYTES, 2),
            (len(HEAD) + STORED + 1, 1),
            (len(HEAD) - 1, 0),
            (5, 0),
        ],
    )
    def test_cut_inside_a_segment_or_the_header(self, length: int, intact: int) -> None:
        assert refused([OBJECT[:length]])[0] == PIECES[:intact]

    def test_trailing_bytes_after_the_final_segment(self) -> None:
        assert refused([OBJECT + b"\x00"])[0] == PIECES[:2]

    def test_empty_stream(self) -> None:
        assert refused([])[0] == []

    @pytest.mark.parametrize("position", range(3))
    def test_segment_spliced_from_another_object_under_the_same_key(self, position: int) -> None:
        _, other = split_object(seal(PLAIN))  # same key, AD and plaintext; only the salt differs
        chunks = [HEAD, *SEGMENTS[:position], other[position], *SEGMENTS[position + 1 :]]
        assert refused(chunks)[0] == PIECES[:position]

    def test_header_of_another_object(self) -> None:
        other_head, _ = split_object(seal(PLAIN))
        assert refused([other_head, *SEGMENTS])[0] == []

    @pytest.mark.parametrize(
        "changes",
        [
            {"key_id": "tenant-0b/objects"},
            {"key_id": KEY_ID + "x"},
            {"key_version": 4},
            {"segment_size": 2 * S},
            {"segment_size": S + 1},
            {"salt": bytes(16)},
        ],
    )
    def test_rewritten_header_fields(self, changes: dict[str, object]) -> None:
        header = dataclasses.replace(read_header(HEAD), **changes)  # type: ignore[arg-type]
        assert refused([header.encode(), *SEGMENTS])[0] == []

    def test_wrong_key(self) -> None:
        assert refused([OBJECT], key=OTHER_KEY)[0] == []

    def test_wrong_associated_data(self) -> None:
        assert refused([OBJECT], ad=OTHER_AD)[0] == []
        assert refused([OBJECT], ad=AD[:-1])[0] == []


class TestSizes:
    @given(length=lengths)
    def test_sizes_follow_from_header_and_stored_size(self, length: int) -> None:
        stored = seal(bytes(length))
        header = read_header(stored)
        assert plaintext_size(header, len(stored)) == length
        assert segment_count(header, len(stored)) == max(1, -(-length // S))

    @pytest.mark.parametrize(
        "body",
        [-1, 0, TAG_BYTES - 1, STORED + TAG_BYTES, STORED + TAG_BYTES - 1, 2 * STORED + 3],
    )
    def test_impossible_stored_sizes(self, body: int) -> None:
        with pytest.raises(DecryptionFailed, match="stored size"):
            plaintext_size(read_header(HEAD), len(HEAD) + body)


@st.composite
def ranges(draw: st.DrawFn) -> tuple[int, int, int]:
    """(object length, start, end) with ``0 <= start < end <= length``."""
    length = draw(st.integers(1, 5 * S + 3))
    start = draw(st.integers(0, length - 1))
    return length, start, draw(st.integers(start + 1, length))


class TestRanges:
    @given(bounds=ranges(), seed=st.integers(0, 2**32))
    def test_a_range_decrypts_only_its_segments(self, bounds: tuple[int, int, int], seed: int) -> None:
        length, start, end = bounds
        plaintext = plaintext_of(length, seed)
        stored = seal(plaintext)
        header = read_header(stored)
        first, last = start // S, (end - 1) // S
        r = ciphertext_range(header, start, end)
        assert r.start == header.size + first * STORED
        assert r.end == r.start + (last - first + 1) * STORED
        fetched = stored[r.start : r.end]  # all the decryption below is given: only the covering segments

        segments = list(
            decrypt_segments(
                cut(fetched, [7, STORED + 1]),
                key=KEY,
                associated_data=AD,
                header=header,
                first_segment=first,
                count=last - first + 1,
                total_segments=segment_count(header, len(stored)),
            )
        )
        assert len(segments) == last - first + 1
        assert b"".join(segments)[r.skip : r.skip + end - start] == plaintext[start:end]

        trimmed = decrypt_range(
            [fetched],
            key=KEY,
            associated_data=AD,
            header=header,
            stored_size=len(stored),
            plaintext_start=start,
            plaintext_end=end,
        )
        assert b"".join(trimmed) == plaintext[start:end]

    def test_range_in_a_one_mebibyte_object(self) -> None:
        header = Header(key_id=KEY_ID, key_version=1, segment_size=DEFAULT_SEGMENT, salt=bytes(16))
        r = ciphertext_range(header, 3 * DEFAULT_SEGMENT + 5, 3 * DEFAULT_SEGMENT + 6)
        stored_segment = DEFAULT_SEGMENT + TAG_BYTES
        assert r == (header.size + 3 * stored_segment, header.size + 4 * stored_segment, 5)

    @pytest.mark.parametrize(("start", "end"), [(0, 0), (5, 5), (6, 5), (-1, 3)])
    def test_empty_or_negative_ranges_are_refused(self, start: int, end: int) -> None:
        with pytest.raises(ValueError, match="non-empty"):
            ciphertext_range(read_header(HEAD), start, end)

    def test_range_past_the_end_is_refused(self) -> None:
        with pytest.raises(ValueError, match="past the end"):
            decrypt_range(
                [OBJECT],
                key=KEY,
                associated_data=AD,
                header=read_header(HEAD),
                stored_size=len(OBJECT),
                plaintext_start=0,
                plaintext_end=len(PLAIN) + 1,
            )

    @pytest.mark.parametrize(("first", "count"), [(-1, 1), (0, 0), (2, 2), (3, 1)])
    def test_runs_outside_the_object_are_refused(self, first: int, count: int) -> None:
        with pytest.raises(ValueError, match="within the object"):
            decrypt_segments(
                SEGMENTS,
                key=KEY,
                associated_data=AD,
                header=read_header(HEAD),
                first_segment=first,
                count=count,
                total_segments=3,
            )

    @pytest.mark.parametrize(
        ("chunks", "first", "count", "total", "intact"),
        [
            ([SEGMENTS[1]], 1, 2, 3, 1),  # the run stops short
            ([SEGMENTS[0], SEGMENTS[1]], 0, 1, 3, 1),  # more than the run
            ([SEGMENTS[2]], 1, 1, 3, 0),  # a segment presented at another index
            ([SEGMENTS[2]], 2, 1, 4, 0),  # the final segment presented as not final
            ([SEGMENTS[1]], 1, 1, 2, 0),  # a middle segment presented as final
            ([SEGMENTS[1][:-1]], 1, 1, 3, 0),  # cut inside the segment
        ],
    )
    def test_damaged_runs(self, chunks: list[bytes], first: int, count: int, total: int, intact: int) -> None:
        run = decrypt_segments(
            chunks,
            key=KEY,
            associated_data=AD,
            header=read_header(HEAD),
            first_segment=first,
            count=count,
            total_segments=total,
        )
        assert drain_until_refused(run)[0] == PIECES[first : first + intact]
