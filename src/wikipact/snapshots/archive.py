"""Deterministic ``.tar.gz`` files, written atomically: what snapshots, their chunks and packaged
dataset builds are made of.

The gzip header has mtime 0 and no file name; a tar member has the mtime it is given, uid/gid
0, empty owner names and mode 0644 (PAX format, so members above 8 GiB are fine). A file is
written whole or not at all, in a folder (a temp file beside its final path, fsynced and renamed
into place) or in object storage (one upload, visible when complete), its size and sha256
computed while it is written.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, BinaryIO

from wikipact.errors import ConfigError, NotFoundError, StoreError
from wikipact.snapshots.registry import Root, Snapshot, file_location
from wikipact.storage import Location

COMPRESS_LEVEL = 6
COPY_BYTES = 1 << 20


class HashingWriter(io.RawIOBase):
    """Passes bytes to ``out`` while hashing and counting them."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.digest = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self.out.write(view)
        self.digest.update(view)
        self.size += len(view)
        return len(view)


class _LineReader(io.RawIOBase):
    """A file-like view of an iterator of byte strings (the NDJSON member, made on demand)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks
        self.pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self.pending:
            try:
                self.pending = memoryview(next(self.chunks))
            except StopIteration:
                return 0
        n = min(len(buffer), len(self.pending))
        buffer[:n] = self.pending[:n]
        self.pending = self.pending[n:]
        return n


def reader(chunks: Iterator[bytes]) -> io.BufferedReader:
    """A buffered file over ``chunks``: ``read(n)`` returns n bytes unless the data ends."""
    return io.BufferedReader(_LineReader(chunks), buffer_size=COPY_BYTES)


def tarinfo(name: str, size: int, mtime: int) -> tarfile.TarInfo:
    """A regular member's header, owned by no one."""
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = mtime
    info.mode = 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.type = tarfile.REGTYPE
    return info


def gzip_tar(out: BinaryIO) -> tuple[gzip.GzipFile, tarfile.TarFile]:
    """A tar writer inside a gzip writer on ``out``; close both (``with gz, tar:``)."""
    gz = gzip.GzipFile(filename="", mode="wb", compresslevel=COMPRESS_LEVEL, fileobj=out, mtime=0)
    return gz, tarfile.TarFile(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT)  # type: ignore[arg-type]


def write_atomic(location: Location, write: Callable[[BinaryIO], None]) -> tuple[int, str]:
    """Run ``write`` on a file that appears at ``location`` whole or not at all; returns (size,
    sha256) of what was written.

    In a folder: a temp file beside it, fsynced and renamed; in object storage: one upload,
    visible when complete (``storage.open_write``). If ``write`` raises, nothing is left."""
    from wikipact import storage

    with storage.open_write(location) as fh:
        hashing = HashingWriter(fh)
        write(hashing)  # type: ignore[arg-type]
    return hashing.size, hashing.digest.hexdigest()


def file_ok(root: Root, snapshot: Snapshot) -> bool:
    """Whether the file of ``snapshot`` is in place with its registered size."""
    from wikipact import storage

    try:
        return storage.size(file_location(root, snapshot)) == snapshot.size
    except (NotFoundError, StoreError, ConfigError, OSError):
        return False


def file_intact(root: Root, snapshot: Snapshot) -> bool:
    """Whether the file of ``snapshot`` is in place with its registered size and sha256 (reads
    the whole file)."""
    from wikipact import storage

    if not file_ok(root, snapshot):
        return False
    digest = hashlib.sha256()
    try:
        with storage.open_read(file_location(root, snapshot)) as fh:
            while block := fh.read(COPY_BYTES):
                digest.update(block)
    except (NotFoundError, StoreError, ConfigError, OSError):
        return False
    return digest.hexdigest() == snapshot.sha256


def epoch(iso: str) -> int:
    """Seconds since 1970 of an ISO 8601 time (UTC when it has no offset); 0 when unreadable."""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return 0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0, int(moment.timestamp()))
