"""Where a format's files go: one file, a folder, or a zip stream. Whole or not at all: a file or a
folder is written beside its destination and renamed into place only once every byte is written, so
an error halfway (bad input found late, a full disk) leaves the destination as it was."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from enclave.exchange.errors import ExchangeError
from enclave.exchange.records import File


def to_file(files: Iterable[File], destination: Path) -> None:
    """A one-file format's file, at ``destination`` (replacing what was there only on success)."""
    [(_, chunks)] = _one(files, destination)
    fd, temporary = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, destination)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def _one(files: Iterable[File], destination: Path) -> list[File]:
    entries = list(files)  # a one-file format's files: one pair, its bytes still to come
    if len(entries) != 1:
        raise ExchangeError("this format writes a folder, not one file", str(destination))
    return entries


def to_folder(files: Iterable[File], destination: Path) -> None:
    """A folder format's files under ``destination``, which must not exist or be empty."""
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise ExchangeError("exists and is not an empty folder; nothing was written", str(destination))
    temporary = Path(tempfile.mkdtemp(dir=destination.parent, prefix=f".{destination.name}.", suffix=".part"))
    try:
        for relative, chunks in files:
            path = _inside(temporary, relative)
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as out:
                for chunk in chunks:
                    out.write(chunk)
        if destination.exists():
            destination.rmdir()
        temporary.rename(destination)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


def zip_stream(files: Iterable[File]) -> Iterator[bytes]:
    """A folder format's files as the bytes of a zip, as they are made: a stream that needs neither a
    seekable file nor a disk (an export uploads it as it goes). Entries carry data descriptors and
    ZIP64 sizes, so any size works."""
    sink = _Spool()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for relative, chunks in files:
            with archive.open(relative, "w", force_zip64=True) as entry:
                for chunk in chunks:
                    entry.write(chunk)
                    if sink.pending:
                        yield sink.take()
            if sink.pending:
                yield sink.take()
    yield sink.take()  # the central directory, written on close


class _Spool(io.RawIOBase):
    """What ``zipfile`` writes into: it keeps the bytes until ``zip_stream`` takes them. Not seekable,
    so ``zipfile`` writes sizes after each entry instead of going back for them."""

    def __init__(self) -> None:
        super().__init__()
        self._buffer = bytearray()
        self._position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._buffer += data
        self._position += len(data)
        return len(data)

    def tell(self) -> int:
        return self._position

    def seekable(self) -> bool:
        return False

    def seek(self, offset: int, whence: int = 0) -> int:
        raise io.UnsupportedOperation("a zip stream is written once, in order")

    @property
    def pending(self) -> bool:
        return bool(self._buffer)

    def take(self) -> bytes:
        data = bytes(self._buffer)
        self._buffer.clear()
        return data


def _inside(root: Path, relative: str) -> Path:
    path = (root / relative).resolve()
    if not path.is_relative_to(root.resolve()):  # names come from item names: never outside the export
        raise ExchangeError("names a file outside the export", relative)
    return path
