"""Make snapshot files from the store, and package dataset builds, for bulk download.

A snapshot of one project and namespace is ``<root>/<identifier>.tar.gz``: a gzip-compressed tar
holding one member, ``<identifier>.ndjson``, one Article record (JSON) per line in page-id order,
as Wikimedia Enterprise lays out its snapshots. Only live, non-redirect pages of the namespace
are included, as in Enterprise's snapshots (a redirect is not an article; the change log and the
store still know them).

Determinism: the same store state gives a byte-identical file. The gzip header has mtime 0 and no
file name; the tar member has the newest article's ``date_modified`` as mtime, uid/gid 0, empty
owner names and mode 0644 (PAX format, so members above 8 GiB are fine). (Different zlib builds
may compress differently; the sha256 in the registry is always that of the file as written.)

Both passes over the store run inside one read transaction (``store_view``, on SQLite or
PostgreSQL), so a concurrent ingest can neither tear a snapshot nor change it between passes: the first counts records and bytes (a tar header
needs the member's size before its data, and memory must stay constant), the second writes. The
file is written to a temp file in the root, fsynced and renamed into place, its sha256 computed
while it is written.

A dataset build (``wikipact build``) is packaged the same way, as
``<root>/dataset_<name>_<manifest sha256[:12]>.tar.gz`` with its files under a directory of that
identifier: ``manifest.json``, ``manifest.json.sig`` and exactly the files the manifest lists,
each checked against its listed sha256 while it is copied (``.wikipact-build/`` and any file the
manifest does not list are left out).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import re
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from wikipact.errors import ConfigError, NotFoundError, StoreError
from wikipact.model.codec import to_json
from wikipact.snapshots.registry import (
    Snapshot,
    get_snapshot,
    now_iso,
    register,
    snapshots_named,
    valid_identifier,
)
from wikipact.snapshots.store_view import StoreView

CHUNK_PAGES = 1000
COMPRESS_LEVEL = 6
COPY_BYTES = 1 << 20

# progress(phase, done, total): phase "scan" counts pages read (of the project's live pages),
# "write" counts records written (of the snapshot's records), "package" counts dataset files.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class _Scan:
    records: int
    size: int  # bytes of the NDJSON member
    newest: str  # greatest date_modified
    language: str
    cursor: int


def snapshot_name(project: str, namespace: int) -> str:
    """Enterprise's name of a project's namespace snapshot: ``enwiki_namespace_0``."""
    return f"{project}_namespace_{namespace}"


def create_snapshot(
    db: str | os.PathLike[str] | Any,
    root: Path,
    project: str,
    namespace: int = 0,
    *,
    owner: str | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> Snapshot:
    """Write and register the snapshot of ``project``'s live ``namespace`` articles.

    ``db``: the store, and the registry with it (a SQLite path or ``sqlite:///`` URL, or a
    ``postgresql://`` URL).

    When the registry already has a snapshot of the same store state (same project change-log
    cursor and record count) for this owner and its file is in place with its registered size,
    that snapshot is returned and nothing is written, unless ``force``; a missing or damaged
    file is rewritten under its identifier. Raises ``NotFoundError`` when the namespace holds no
    live article.
    """
    from wikipact.snapshots.store_view import read_view

    if not re.fullmatch(r"[a-z0-9_-]{1,100}", project):
        raise ConfigError(f"not a project database name: {project!r} (e.g. enwiki)")
    if owner is not None and not owner.strip():
        raise ConfigError("--owner must be a partner id, not blank")
    root = _prepare_root(root)
    progress = progress or _no_progress
    name = snapshot_name(project, namespace)
    with read_view(db) as store:  # one read snapshot of the database for both passes
        scan = _scan(store, project, namespace, progress)
        previous = snapshots_named(db, name)
        reuse = next(
            (
                s
                for s in previous
                if s.change_cursor == scan.cursor and s.records == scan.records and s.owner == owner
            ),
            None,
        )
        if reuse is not None and not force and _file_ok(root, reuse):
            return reuse
        identifier = reuse.identifier if reuse else _new_identifier(name, scan, previous)
        path = root / f"{identifier}.tar.gz"
        try:
            size, digest = _write_atomic(
                path,
                lambda out: _write_snapshot(
                    out, store, project, namespace, identifier, scan, progress
                ),
            )
        except OSError as exc:
            raise StoreError(f"cannot write the snapshot {path}: {exc}") from None
    return register(
        db,
        Snapshot(
            identifier=identifier,
            kind="snapshot",
            name=name,
            projects=(project,),
            namespace=namespace,
            in_language=scan.language,
            path=path.name,
            size=size,
            sha256=digest,
            records=scan.records,
            date_modified=scan.newest,
            created_at=reuse.created_at if reuse else now_iso(),
            change_cursor=scan.cursor,
            owner=owner,
        ),
    )


def register_dataset(
    db: str | os.PathLike[str] | Any,
    dataset_dir: Path,
    *,
    root: Path | None = None,
    owner: str | None = None,
    progress: Progress | None = None,
) -> Snapshot:
    """Package the dataset build in ``dataset_dir`` under ``root`` and register it.

    ``root`` defaults to :func:`wikipact.snapshots.registry.default_root`. The identifier is
    derived from the manifest's bytes, so registering the same build again returns the existing
    entry (rewriting the file only when it is missing or damaged).
    """
    from wikipact.datasets.manifest import MANIFEST_NAME, SIGNATURE_NAME, check_relpath
    from wikipact.snapshots.registry import default_root

    if owner is not None and not owner.strip():
        raise ConfigError("--owner must be a partner id, not blank")
    dataset_dir = Path(dataset_dir)
    root = _prepare_root(root if root is not None else default_root())
    progress = progress or _no_progress
    manifest_path = dataset_dir / MANIFEST_NAME
    try:
        manifest_data = manifest_path.read_bytes()
        manifest = json.loads(manifest_data)
    except FileNotFoundError:
        raise ConfigError(
            f"{dataset_dir} has no {MANIFEST_NAME}: give the directory `wikipact build` wrote"
        ) from None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read {manifest_path}: {exc}") from None
    if not isinstance(manifest, dict) or not str(manifest.get("format", "")).startswith(
        "wikipact-dataset-manifest/"
    ):
        raise ConfigError(f"{manifest_path} is not a wikipact dataset manifest")
    if not (dataset_dir / SIGNATURE_NAME).is_file():
        raise ConfigError(f"{dataset_dir} has no {SIGNATURE_NAME}: the build is not finished")
    files: list[dict[str, Any]] = list(manifest.get("files") or [])
    for entry in files:
        problem = check_relpath(str(entry.get("path", "")))
        if problem:
            raise ConfigError(f"{manifest_path} lists {entry.get('path')!r}: {problem}")

    label = re.sub(r"[^a-z0-9-]+", "_", str(manifest.get("name") or "dataset").lower()).strip("_")
    identifier = (
        f"dataset_{label[:150] or 'dataset'}_{hashlib.sha256(manifest_data).hexdigest()[:12]}"
    )
    existing = get_snapshot(db, identifier)
    if existing is not None and existing.owner == owner and _file_ok(root, existing):
        return existing

    inputs = [i for i in manifest.get("inputs") or [] if isinstance(i, dict)]
    projects = sorted({str(i["project"]) for i in inputs if i.get("project")})
    if not projects:
        raise ConfigError(f"{manifest_path} names no input project; cannot tell who may see it")
    languages = sorted((manifest.get("counts") or {}).get("records_by_language") or {})
    namespaces = ((manifest.get("recipe") or {}).get("filters") or {}).get("namespaces") or []
    dates = sorted(str(i["dump_date"]) for i in inputs if i.get("dump_date"))
    cursors = [int(i["last_change_cursor"]) for i in inputs if i.get("last_change_cursor")]
    modified = _dump_date_iso(dates[-1]) if dates else None
    members = [
        (MANIFEST_NAME, None),
        (SIGNATURE_NAME, None),
        *((str(e["path"]), str(e.get("sha256", ""))) for e in files),
    ]
    path = root / f"{identifier}.tar.gz"
    size, digest = _write_atomic(
        path,
        lambda out: _write_dataset(out, dataset_dir, identifier, members, modified, progress),
    )
    return register(
        db,
        Snapshot(
            identifier=identifier,
            kind="dataset",
            name=str(manifest.get("name") or label),
            projects=tuple(projects),
            namespace=int(namespaces[0]) if len(namespaces) == 1 else None,
            in_language=languages[0] if len(languages) == 1 else None,
            path=path.name,
            size=size,
            sha256=digest,
            records=int((manifest.get("counts") or {}).get("kept") or 0),
            date_modified=modified,
            created_at=existing.created_at if existing else now_iso(),
            change_cursor=max(cursors) if cursors else None,
            owner=owner,
        ),
    )


# -- reading the store -------------------------------------------------------------------------


def _articles(store: StoreView, project: str, namespace: int) -> Iterator[tuple[int, Any]]:
    """(pages scanned so far, article) for each live, non-redirect page of the namespace."""
    scanned = 0
    for first, last in store.page_id_chunks(project, CHUNK_PAGES):
        for article in store.articles_between(project, first, last):
            scanned += 1
            if article.namespace.identifier == namespace and article.redirect_target is None:
                yield scanned, article


def _scan(store: StoreView, project: str, namespace: int, progress: Progress) -> _Scan:
    cursor = store.last_cursor(project)
    live = store.live_pages(project)
    records = size = 0
    newest = language = ""
    scanned = 0
    for scanned, article in _articles(store, project, namespace):
        records += 1
        size += len(to_json(article)) + 1
        newest = max(newest, article.date_modified)
        language = language or article.in_language.identifier
        if records % CHUNK_PAGES == 0:
            progress("scan", scanned, live)
    progress("scan", live, live)
    if not records:
        raise NotFoundError(
            f"{project} has no live article in namespace {namespace} in the store; ingest its "
            "dump first (`wikipact stats` shows what the store holds)"
        )
    return _Scan(records=records, size=size, newest=newest, language=language, cursor=cursor)


def _new_identifier(name: str, scan: _Scan, previous: list[Snapshot]) -> str:
    """``<name>_<YYYYMMDD of the newest article>``, or with ``_2``, ``_3`` ... when taken."""
    stem = f"{name}_{scan.newest[:10].replace('-', '')}"
    taken = {s.identifier for s in previous}
    identifier, n = stem, 1
    while identifier in taken:
        n += 1
        identifier = f"{stem}_{n}"
    if not valid_identifier(identifier):
        raise ConfigError(f"cannot make a valid identifier from {name!r}")
    return identifier


# -- writing -----------------------------------------------------------------------------------


class _HashingWriter(io.RawIOBase):
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


def _reader(chunks: Iterator[bytes]) -> io.BufferedReader:
    """A buffered file over ``chunks``: ``read(n)`` returns n bytes unless the data ends."""
    return io.BufferedReader(_LineReader(chunks), buffer_size=COPY_BYTES)


def _tarinfo(name: str, size: int, mtime: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = mtime
    info.mode = 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.type = tarfile.REGTYPE
    return info


def _gzip_tar(out: BinaryIO) -> tuple[gzip.GzipFile, tarfile.TarFile]:
    gz = gzip.GzipFile(filename="", mode="wb", compresslevel=COMPRESS_LEVEL, fileobj=out, mtime=0)
    return gz, tarfile.TarFile(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT)  # type: ignore[arg-type]


def _write_snapshot(
    out: BinaryIO,
    store: StoreView,
    project: str,
    namespace: int,
    identifier: str,
    scan: _Scan,
    progress: Progress,
) -> None:
    written = 0

    def lines() -> Iterator[bytes]:
        nonlocal written
        for _, article in _articles(store, project, namespace):
            written += 1
            if written % CHUNK_PAGES == 0:
                progress("write", written, scan.records)
            yield to_json(article) + b"\n"

    reader = _reader(lines())
    gz, tar = _gzip_tar(out)
    with gz, tar:
        tar.addfile(_tarinfo(f"{identifier}.ndjson", scan.size, _epoch(scan.newest)), reader)
        if reader.read(1) or written != scan.records:
            raise StoreError(
                f"{project} changed between the two passes of the snapshot (read transaction "
                "not isolated?); run `wikipact snapshot create` again"
            )
    progress("write", written, scan.records)


def _write_dataset(
    out: BinaryIO,
    directory: Path,
    identifier: str,
    members: list[tuple[str, str | None]],
    modified: str | None,
    progress: Progress,
) -> None:
    mtime = _epoch(modified) if modified else 0
    gz, tar = _gzip_tar(out)
    with gz, tar:
        for done, (relpath, expected) in enumerate(sorted(members), 1):
            source = directory / relpath
            try:
                with open(source, "rb") as fh:
                    size = os.fstat(fh.fileno()).st_size
                    digest = hashlib.sha256()
                    reader = _reader(_read_hashing(fh, digest))
                    tar.addfile(_tarinfo(f"{identifier}/{relpath}", size, mtime), reader)
                    longer = bool(reader.read(1))
            except FileNotFoundError:
                raise ConfigError(
                    f"{source} is listed in the manifest but missing; rebuild the dataset"
                ) from None
            except OSError as exc:
                raise ConfigError(f"cannot read {source}: {exc}") from None
            if longer or (expected is not None and digest.hexdigest() != expected):
                raise ConfigError(
                    f"{source} does not match its manifest entry (changed after the build?); "
                    "check it with `wikipact verify`"
                )
            progress("package", done, len(members))


def _read_hashing(fh: BinaryIO, digest: Any) -> Iterator[bytes]:
    while chunk := fh.read(COPY_BYTES):
        digest.update(chunk)
        yield chunk


def _write_atomic(path: Path, write: Callable[[BinaryIO], None]) -> tuple[int, str]:
    """Run ``write`` on a temp file beside ``path``, fsync, rename; returns (size, sha256)."""
    from wikipact.run.parse import fsync_replace

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            hashing = _HashingWriter(fh)
            write(hashing)  # type: ignore[arg-type]
            os.fchmod(fh.fileno(), 0o644)
        fsync_replace(tmp, str(path))
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return hashing.size, hashing.digest.hexdigest()


# -- helpers -----------------------------------------------------------------------------------


def _prepare_root(root: Path) -> Path:
    root = Path(root)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot create the snapshots directory {root}: {exc.strerror}; pass --root or set "
            "$WIKIPACT_SNAPSHOTS"
        ) from None
    return root


def _file_ok(root: Path, snapshot: Snapshot) -> bool:
    """Whether the file of ``snapshot`` is in place with its registered size."""
    from wikipact.snapshots.registry import snapshot_file

    try:
        return snapshot_file(root, snapshot).stat().st_size == snapshot.size
    except (NotFoundError, StoreError, OSError):
        return False


def _epoch(iso: str) -> int:
    """Seconds since 1970 of an ISO 8601 time (UTC when it has no offset); 0 when unreadable."""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return 0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0, int(moment.timestamp()))


def _dump_date_iso(yyyymmdd: str) -> str | None:
    if re.fullmatch(r"[0-9]{8}", yyyymmdd):
        return f"{yyyymmdd[:4]}-{yyyymmdd[4:6]}-{yyyymmdd[6:]}T00:00:00Z"
    return None


def _no_progress(phase: str, done: int, total: int) -> None:
    return None
