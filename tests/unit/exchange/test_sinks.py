from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from enclave.exchange import sinks
from enclave.exchange.errors import ExchangeError


def failing() -> Iterator[bytes]:
    yield b"half"
    raise ExchangeError("bad input found late", "task 9")


class TestZipStream:
    def test_a_zip_any_reader_opens(self) -> None:
        big = bytes(range(256)) * 4096
        data = b"".join(sinks.zip_stream([("a.txt", iter([b"hello ", b"world"])), ("d/b.bin", iter([big]))]))
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            assert archive.testzip() is None
            assert archive.read("a.txt") == b"hello world"
            assert archive.read("d/b.bin") == big

    def test_bytes_come_as_they_are_made(self) -> None:
        chunks = sinks.zip_stream([(f"f{n}.txt", iter([bytes(100_000)])) for n in range(5)])
        first = next(chunks)
        assert 0 < len(first) < 5 * 100_000


class TestWholeOrNothing:
    def test_a_file_is_replaced_only_on_success(self, tmp_path: Path) -> None:
        out = tmp_path / "out.json"
        out.write_text("before")
        with pytest.raises(ExchangeError):
            sinks.to_file([("out.json", failing())], out)
        assert out.read_text() == "before"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]
        sinks.to_file([("out.json", iter([b"after"]))], out)
        assert out.read_text() == "after"

    def test_a_folder_appears_only_on_success(self, tmp_path: Path) -> None:
        with pytest.raises(ExchangeError):
            sinks.to_folder([("a.txt", iter([b"a"])), ("b.txt", failing())], tmp_path / "out")
        assert list(tmp_path.iterdir()) == []
        sinks.to_folder([("labels/a.txt", iter([b"a"]))], tmp_path / "out")
        assert (tmp_path / "out" / "labels" / "a.txt").read_text() == "a"

    def test_names_outside_the_folder_are_refused(self, tmp_path: Path) -> None:
        with pytest.raises(ExchangeError, match="outside the export"):
            sinks.to_folder([("../escape.txt", iter([b"x"]))], tmp_path / "out")
        assert list(tmp_path.iterdir()) == []
