"""A snapshot's chunks, as Wikimedia Enterprise serves them: separate files of consecutive records.

Chunk ``k`` of the snapshot ``enwiki_namespace_0_20250126`` is
``<root>/enwiki_namespace_0_20250126_chunk_<k>.tar.gz`` (a folder or object storage), one member
``enwiki_namespace_0_20250126_chunk_<k>.ndjson`` holding records ``k * n`` to ``k * n + n - 1``
of the snapshot (``n`` = ``chunk_records``), written with the snapshot file's deterministic
tar/gzip settings (member mtime: the newest ``date_modified`` in the chunk). Concatenating the
chunks' members gives exactly the snapshot's member, byte for byte: the chunks are cut from the
snapshot file itself, streamed (memory stays constant), each checked to end on a record boundary
with its expected number of records. Enterprise rolls chunks by size; wikipact by records, so
that the same snapshot always has the same chunk boundaries.

Each chunk is registered as kind ``chunk`` with ``parent`` the snapshot's identifier, ``name``
``<snapshot name>_chunk_<k>`` (``enwiki_namespace_0_chunk_0``), the snapshot's projects,
namespace, language, owner and change cursor, and its own size, sha256, records and
``date_modified``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import tarfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import IO, Any, BinaryIO

from wikipact import storage
from wikipact.errors import ConfigError, NotFoundError, StoreError
from wikipact.snapshots.archive import (
    COPY_BYTES,
    epoch,
    file_ok,
    gzip_tar,
    tarinfo,
    write_atomic,
)
from wikipact.snapshots.registry import (
    Db,
    Root,
    Snapshot,
    chunks_of,
    file_location,
    now_iso,
    register,
    snapshot_file,
    unregister,
)

CHUNK_RECORDS = 100_000  # records per chunk, unless told otherwise

Progress = Callable[[str, int, int], None]
WriteChunks = Callable[[set[int]], dict[int, tuple[int, str]]]


@dataclass(frozen=True)
class Part:
    """What the store scan learnt of one chunk: records, bytes of its member, newest record."""

    records: int
    size: int
    newest: str
    # page ids of its first and last record, and the sha256 of its NDJSON: what a task needs
    # to write the chunk from the store itself (``snapshots.create``, with an executor)
    first: int = 0
    last: int = 0
    digest: str = ""


class Parts:
    """Cuts a stream of records (their encoded size and ``date_modified``) into chunks of
    ``per_chunk`` records; keeps only the per-chunk totals."""

    def __init__(self, per_chunk: int) -> None:
        self.per_chunk = per_chunk
        self.done: list[Part] = []
        self._start()

    def _start(self) -> None:
        self.records = self.size = 0
        self.newest = ""
        self.first = self.last = 0
        self.hash = hashlib.sha256()

    def add(self, size: int, modified: str, page_id: int = 0, line: bytes = b"") -> None:
        """One record: its size in the member (with its newline), its ``date_modified``, and
        optionally its page id and line (for ``Part.first``, ``last`` and ``digest``)."""
        if not self.records:
            self.first = page_id
        self.records += 1
        self.size += size
        self.newest = max(self.newest, modified)
        self.last = page_id
        self.hash.update(line)
        if self.records == self.per_chunk:
            self._close()

    def parts(self) -> tuple[Part, ...]:
        if self.records:
            self._close()
        return tuple(self.done)

    def _close(self) -> None:
        self.done.append(
            Part(self.records, self.size, self.newest, self.first, self.last, self.hash.hexdigest())
        )
        self._start()


def chunk_identifier(parent: str, k: int) -> str:
    """``enwiki_namespace_0_20250126_chunk_0``."""
    return f"{parent}_chunk_{k}"


def ensure_chunks(
    db: Db,
    root: Root,
    parent: Snapshot,
    parts: Sequence[Part],
    *,
    force: bool = False,
    progress: Progress | None = None,
    write: WriteChunks | None = None,
) -> list[Snapshot]:
    """Make the chunks of ``parent`` (whose file must be in place) match ``parts``: write and
    register the missing or damaged ones (every one with ``force``), and remove the rows and
    files of chunks that are no longer wanted (an earlier run with another ``chunk_records``).
    Returns the chunks in order.

    ``write(todo)`` writes the chunks numbered ``todo`` some other way than cutting them from
    the parent's file (tasks reading the store, in ``snapshots.create``), and returns the
    (size, sha256) of each."""
    existing = {c.identifier: c for c in chunks_of(db, parent.identifier)}
    wanted = [_planned(parent, k, part) for k, part in enumerate(parts)]
    todo = {
        k
        for k, plan in enumerate(wanted)
        if force or not _in_place(root, existing.get(plan.identifier), plan)
    }
    if todo:
        if write is not None:
            written = write(todo)
        else:
            written = _cut(root, parent, parts, todo, progress or _no_progress)
        for k, (size, digest) in sorted(written.items()):
            old = existing.get(wanted[k].identifier)
            register(
                db,
                dataclasses.replace(
                    wanted[k],
                    size=size,
                    sha256=digest,
                    created_at=old.created_at if old else now_iso(),
                ),
            )
    keep = {plan.identifier for plan in wanted}
    for stale in existing.values():
        if stale.identifier not in keep:
            unregister(db, stale.identifier)
            _remove_file(root, stale)
    return chunks_of(db, parent.identifier)


def chunks_in_place(db: Db, root: Root, parent: Snapshot, parts: Sequence[Part]) -> bool:
    """Whether ``parent``'s registered chunks are exactly ``parts``, with their files in place."""
    existing = {c.identifier: c for c in chunks_of(db, parent.identifier)}
    wanted = [_planned(parent, k, part) for k, part in enumerate(parts)]
    return len(existing) == len(wanted) and all(
        _in_place(root, existing.get(plan.identifier), plan) for plan in wanted
    )


def _planned(parent: Snapshot, k: int, part: Part) -> Snapshot:
    """Chunk ``k``'s registry row, but for its file's size and sha256 and its creation time."""
    identifier = chunk_identifier(parent.identifier, k)
    return dataclasses.replace(
        parent,
        identifier=identifier,
        kind="chunk",
        name=f"{parent.name}_chunk_{k}",
        path=f"{identifier}.tar.gz",
        size=0,
        sha256="",
        records=part.records,
        date_modified=part.newest,
        created_at="",
        parent=parent.identifier,
    )


def _in_place(root: Root, found: Snapshot | None, plan: Snapshot) -> bool:
    if found is None:
        return False
    same = dataclasses.replace(found, size=0, sha256="", created_at="") == plan
    return same and file_ok(root, found)


def _cut(
    root: Root, parent: Snapshot, parts: Sequence[Part], todo: set[int], progress: Progress
) -> dict[int, tuple[int, str]]:
    """Stream ``parent``'s member once, writing chunks ``todo``; (size, sha256) of each."""
    path = snapshot_file(root, parent)
    written: dict[int, tuple[int, str]] = {}
    try:
        with storage.open_read(path) as fh, tarfile.open(fileobj=fh, mode="r|gz") as tar:
            source = _member(tar, parent, sum(p.size for p in parts))
            for k, part in enumerate(parts):
                lines = _Counting(source)
                if k in todo:
                    written[k] = _write_chunk(root, parent, k, part, lines)
                else:
                    lines.skip(part.size)
                if lines.records != part.records or (part.size and lines.last != b"\n"):
                    raise _mismatch(parent)
                progress("chunks", k + 1, len(parts))
    except (OSError, EOFError, tarfile.TarError) as exc:
        raise StoreError(
            f"cannot cut the chunks of {parent.identifier} from {path}: {exc}"
        ) from None
    return written


def _member(tar: tarfile.TarFile, parent: Snapshot, size: int) -> IO[bytes]:
    member = tar.next()
    if member is None or member.name != f"{parent.identifier}.ndjson" or member.size != size:
        raise _mismatch(parent)
    source = tar.extractfile(member)
    if source is None:
        raise _mismatch(parent)
    return source


def _write_chunk(root: Root, parent: Snapshot, k: int, part: Part, lines: Any) -> tuple[int, str]:
    identifier = chunk_identifier(parent.identifier, k)

    def write(out: BinaryIO) -> None:
        gz, tar = gzip_tar(out)
        with gz, tar:
            tar.addfile(tarinfo(f"{identifier}.ndjson", part.size, epoch(part.newest)), lines)

    return write_atomic(storage.join(root, f"{identifier}.tar.gz"), write)


class _Counting:
    """Reads from ``source``, counting the records (newlines) passed on and the last byte."""

    def __init__(self, source: IO[bytes]) -> None:
        self.source = source
        self.records = 0
        self.last = b""

    def read(self, n: int = -1) -> bytes:
        data = self.source.read(n)
        if data:
            self.records += data.count(b"\n")
            self.last = data[-1:]
        return data

    def skip(self, size: int) -> None:
        while size > 0:
            data = self.read(min(size, COPY_BYTES))
            if not data:
                return
            size -= len(data)


def _mismatch(parent: Snapshot) -> StoreError:
    return StoreError(
        f"the file of {parent.identifier} does not hold the records the store has (replaced or "
        "damaged?); run `wikipact snapshot create --force` to rewrite it"
    )


def _remove_file(root: Root, chunk: Snapshot) -> None:
    with contextlib.suppress(NotFoundError, StoreError, ConfigError, OSError):
        storage.remove(file_location(root, chunk))


def _no_progress(phase: str, done: int, total: int) -> None:
    return None
