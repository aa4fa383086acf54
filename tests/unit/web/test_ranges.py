"""Unit tests of ``enclave.web.ranges``: every single-range form of RFC 9110 §14 with clamping and
suffixes, ignored headers (garbage, other units, several ranges, invalid ranges) giving the whole
representation, unsatisfiable ranges raising ``RangeNotSatisfiable``, and ``Content-Range`` values."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from enclave.web.ranges import RangeNotSatisfiable, content_range, parse_range

SIZE = 1000


class TestSatisfiable:
    @pytest.mark.parametrize(
        ("header", "expected"),
        [
            ("bytes=0-0", (0, 1)),
            ("bytes=0-499", (0, 500)),
            ("bytes=500-999", (500, 1000)),
            ("bytes=999-999", (999, 1000)),
            ("bytes=100-", (100, 1000)),
            ("bytes=0-", (0, 1000)),
            ("bytes=999-", (999, 1000)),
            ("bytes=-1", (999, 1000)),
            ("bytes=-500", (500, 1000)),
            ("bytes=-1000", (0, 1000)),
            ("bytes=007-010", (7, 11)),
            ("bytes=" + "0" * 5000 + "7-" + "0" * 5000 + "10", (7, 11)),
            ("bytes=-" + "0" * 5000 + "1", (999, 1000)),
        ],
    )
    def test_each_form(self, header: str, expected: tuple[int, int]) -> None:
        assert parse_range(header, SIZE) == expected

    @pytest.mark.parametrize(
        ("header", "expected"),
        [
            ("bytes=0-1000", (0, 1000)),
            ("bytes=500-5000", (500, 1000)),
            ("bytes=999-" + "9" * 5000, (999, 1000)),
        ],
    )
    def test_last_pos_past_the_end_is_clamped(self, header: str, expected: tuple[int, int]) -> None:
        assert parse_range(header, SIZE) == expected

    @pytest.mark.parametrize("header", ["bytes=-1001", "bytes=-99999999999", "bytes=-" + "9" * 5000])
    def test_suffix_longer_than_the_representation_is_all_of_it(self, header: str) -> None:
        assert parse_range(header, SIZE) == (0, SIZE)

    @pytest.mark.parametrize(
        "header",
        [
            "BYTES=10-19",
            "Bytes=10-19",
            "bytes= 10-19",
            "bytes=\t10-19",
            "bytes=10-19, ",
            "bytes=, 10-19",
            "bytes=10-19,,",
            "  bytes=10-19  ",
        ],
    )
    def test_unit_case_and_the_allowed_whitespace_and_empty_elements(self, header: str) -> None:
        assert parse_range(header, SIZE) == (10, 20)

    def test_one_byte_representation(self) -> None:
        assert parse_range("bytes=0-0", 1) == (0, 1)
        assert parse_range("bytes=-5", 1) == (0, 1)
        assert parse_range("bytes=0-", 1) == (0, 1)


class TestIgnored:
    @pytest.mark.parametrize(
        "header",
        [
            None,
            "",
            "bytes",
            "bytes=",
            "bytes=,",
            "bytes=-",
            "bytes=abc",
            "bytes=1-2-3",
            "bytes=--5",
            "bytes=-5-10",
            "bytes=5--3",
            "bytes=+5-10",
            "bytes=1e3-",
            "bytes=0x10-0x20",
            "bytes=1_000-2_000",
            "bytes=٣-٤",  # Arabic-Indic digits: int() would take them, the grammar does not
            "bytes=²-",
            "bytes=1.5-2",
            "items=0-9",
            "none",
            "0-9",
            "=0-9",
            "bytes 0-9",
            "bytes:0-9",
        ],
    )
    def test_garbage_and_other_units(self, header: str | None) -> None:
        assert parse_range(header, SIZE) is None

    @pytest.mark.parametrize(
        "header",
        [
            "bytes =0-9",
            " bytes =0-9",
            "bytes=0 -9",
            "bytes=0- 9",
            "bytes=- 5",
            "bytes=1 0-20",
            "bytes\t=0-9",
        ],
    )
    def test_whitespace_anywhere_else(self, header: str) -> None:
        assert parse_range(header, SIZE) is None

    @pytest.mark.parametrize("header", ["bytes=10-5", "bytes=1-0", "bytes=999-998"])
    def test_last_pos_before_first_pos_is_an_invalid_range(self, header: str) -> None:
        assert parse_range(header, SIZE) is None

    @pytest.mark.parametrize(
        "header",
        [
            "bytes=0-9,20-29",
            "bytes=0-9, 20-29",
            "bytes=0-9 ,20-29",
            "bytes=0-0,-1",
            "bytes=0-9,0-9",
            "bytes=0-9,garbage",
            "bytes=5000-,0-9",
        ],
    )
    def test_more_than_one_range_gets_the_whole_representation(self, header: str) -> None:
        assert parse_range(header, SIZE) is None


class TestNotSatisfiable:
    @pytest.mark.parametrize(
        ("header", "size"),
        [
            ("bytes=1000-", SIZE),
            ("bytes=1000-1000", SIZE),
            ("bytes=5000-6000", SIZE),
            ("bytes=" + "9" * 5000 + "-", SIZE),
            ("bytes=-0", SIZE),
            ("bytes=-000", SIZE),
            ("bytes=0-", 0),
            ("bytes=0-0", 0),
            ("bytes=-0", 0),
        ],
    )
    def test_raises_with_the_size(self, header: str, size: int) -> None:
        with pytest.raises(RangeNotSatisfiable) as caught:
            parse_range(header, size)
        assert caught.value.size == size
        assert caught.value.content_range == f"bytes */{size}"

    def test_non_zero_suffix_of_an_empty_representation_is_all_of_it(self) -> None:
        # RFC 9110 §14.1.1: the one satisfiable form for zero length; it covers nothing, so send 200.
        assert parse_range("bytes=-1", 0) is None

    @pytest.mark.parametrize("header", ["bytes=5000-4000", "bytes=" + "9" * 5000 + "-" + "9" * 4999])
    def test_invalid_range_is_ignored_even_past_the_end(self, header: str) -> None:
        assert parse_range(header, SIZE) is None


class TestContentRange:
    @pytest.mark.parametrize(
        ("start", "end", "size", "expected"),
        [
            (0, 1, 1, "bytes 0-0/1"),
            (0, 500, 1000, "bytes 0-499/1000"),
            (999, 1000, 1000, "bytes 999-999/1000"),
        ],
    )
    def test_inclusive_last_byte(self, start: int, end: int, size: int, expected: str) -> None:
        assert content_range(start, end, size) == expected

    @pytest.mark.parametrize(("start", "end", "size"), [(5, 5, 10), (6, 5, 10), (-1, 5, 10), (0, 11, 10)])
    def test_empty_or_outside_range_is_a_programming_error(self, start: int, end: int, size: int) -> None:
        with pytest.raises(ValueError, match="non-empty"):
            content_range(start, end, size)


def test_negative_size_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="negative"):
        parse_range("bytes=0-1", -1)


sizes = st.integers(min_value=1, max_value=10**15)


@st.composite
def int_ranges(draw: st.DrawFn) -> tuple[str, int, tuple[int, int]]:
    size = draw(sizes)
    first = draw(st.integers(min_value=0, max_value=size - 1))
    last = draw(st.none() | st.integers(min_value=first, max_value=2 * size))
    spec = f"{first}-" if last is None else f"{first}-{last}"
    end = size if last is None else min(last + 1, size)
    return spec, size, (first, end)


@st.composite
def suffix_ranges(draw: st.DrawFn) -> tuple[str, int, tuple[int, int]]:
    size = draw(sizes)
    length = draw(st.integers(min_value=1, max_value=2 * size))
    return f"-{length}", size, (max(size - length, 0), size)


class TestProperties:
    @given(int_ranges() | suffix_ranges(), st.sampled_from(["", " ", "\t "]))
    def test_any_valid_single_range_is_non_empty_within_the_representation(
        self, case: tuple[str, int, tuple[int, int]], space: str
    ) -> None:
        spec, size, expected = case
        result = parse_range(f"bytes={space}{spec}", size)
        assert result == expected
        start, end = expected
        assert 0 <= start < end <= size
        header = content_range(start, end, size)
        assert re.fullmatch(rf"bytes {start}-{end - 1}/{size}", header)

    @given(
        st.text(max_size=40) | st.text(alphabet="bytes=0123456789-, \t", max_size=30),
        st.integers(min_value=0, max_value=100) | st.integers(min_value=0, max_value=10**12),
    )
    def test_any_header_gives_none_a_valid_range_or_not_satisfiable(self, header: str, size: int) -> None:
        try:
            result: tuple[int, int] | RangeNotSatisfiable | None = parse_range(header, size)
        except RangeNotSatisfiable as unsatisfiable:
            result = unsatisfiable
        if isinstance(result, RangeNotSatisfiable):
            assert result.size == size
        else:
            assert result is None or 0 <= result[0] < result[1] <= size
