"""Where a format's files go: one file, a folder, or a zip stream. Whole or not at all: a file or a
folder is written beside its destination and renamed into place only once every byte is written, so
an error halfway (bad input found late, a full disk) leaves the destination as it was."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO

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


def to_zip(files: Iterable[File], out: IO[bytes]) -> None:
    """A folder format's files as a zip written to a stream that need not seek (an upload)."""
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for relative, chunks in files:
            with archive.open(relative, "w", force_zip64=True) as entry:
                for chunk in chunks:
                    entry.write(chunk)


def _inside(root: Path, relative: str) -> Path:
    path = (root / relative).resolve()
    if not path.is_relative_to(root.resolve()):  # names come from item names: never outside the export
        raise ExchangeError("names a file outside the export", relative)
    return path
