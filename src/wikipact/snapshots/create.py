"""Make snapshot files from the store, and package dataset builds, for bulk download.

The root of the files is a folder or an object storage URL (``s3://bucket/snapshots``, through
``wikipact.storage``): the bytes, identifiers and registry rows are the same either way.

A snapshot of one project and namespace is ``<root>/<identifier>.tar.gz``: a gzip-compressed tar
holding one member, ``<identifier>.ndjson``, one Article record (JSON) per line in page-id order,
as Wikimedia Enterprise lays out its snapshots. Only live, non-redirect pages of the namespace
are included, as in Enterprise's snapshots (a redirect is not an article; the change log and the
store still know them).

A Structured Contents snapshot (``structured=True``; kind ``structured``) holds the same
articles in the same order, each in Enterprise's Structured Contents shape
(``enterprise.shapes.structured`` of ``enterprise.shapes.article`` with the project's site
information: no ``article_body``, table cells as ``{"value": ...}``); it has the same ``name``
(``enwiki_namespace_0``) and the identifier ``enwiki_namespace_0_structured_20250126``.

Every snapshot is also served as chunks of ``chunk_records`` consecutive records, cut from its
file after it is written (``snapshots.chunks``); re-running ``create_snapshot`` repairs missing
or damaged chunks of a snapshot it reuses.

Determinism: the same store state gives a byte-identical file (``snapshots.archive``: gzip mtime
0 and no file name; the tar member has the newest article's ``date_modified`` as mtime, no
owner, mode 0644). (Different zlib builds may compress differently; the sha256 in the registry
is always that of the file as written.)

Both passes over the store run inside one read transaction (``store_view``, on SQLite or
PostgreSQL), so a concurrent ingest can neither tear a snapshot nor change it between passes:
the first counts records and bytes, in all and per chunk (a tar header needs the member's size
before its data, and memory must stay constant), the second writes. The file appears whole or
not at all (a temp file in the folder, fsynced and renamed into place; or one upload, visible
when complete), its sha256 computed while it is written.

A dataset build (``wikipact build``) is packaged the same way, as
``<root>/dataset_<name>_<manifest sha256[:12]>.tar.gz`` with its files under a directory of that
identifier: ``manifest.json``, ``manifest.json.sig`` and exactly the files the manifest lists,
each checked against its listed sha256 while it is copied (``.wikipact-build/`` and any file the
manifest does not list are left out).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from wikipact import storage
from wikipact.errors import ConfigError, NotFoundError, StoreError
from wikipact.model.article import Article
from wikipact.model.codec import to_json
from wikipact.snapshots.archive import (
    COPY_BYTES,
    epoch,
    file_intact,
    file_ok,
    gzip_tar,
    reader,
    tarinfo,
    write_atomic,
)
from wikipact.snapshots.chunks import CHUNK_RECORDS, Part, Parts, chunks_in_place, ensure_chunks
from wikipact.snapshots.registry import (
    Db,
    Kind,
    Root,
    Snapshot,
    get_snapshot,
    now_iso,
    register,
    snapshots_named,
    valid_identifier,
)
from wikipact.snapshots.store_view import StoreView

if TYPE_CHECKING:
    from wikipact.run.executor import Executor
    from wikipact.storage import Location

__all__ = ["CHUNK_RECORDS", "create_snapshot", "register_dataset", "snapshot_name"]

CHUNK_PAGES = 1000

# progress(phase, done, total): phase "scan" counts pages read (of the project's live pages),
# "write" counts records written (of the snapshot's records), "chunks" counts chunks cut (of
# the snapshot's chunks), "package" counts dataset files.
Progress = Callable[[str, int, int], None]
Encode = Callable[[Article], bytes]  # one record's JSON, without the newline


@dataclass(frozen=True)
class _Target:
    """Which snapshot is asked for."""

    project: str
    namespace: int
    kind: Kind  # snapshot or structured
    owner: str | None

    @property
    def name(self) -> str:
        return snapshot_name(self.project, self.namespace)

    @property
    def stem(self) -> str:
        """What its identifier starts with, before the date."""
        return f"{self.name}_structured" if self.kind == "structured" else self.name


@dataclass(frozen=True)
class _Scan:
    records: int
    size: int  # bytes of the NDJSON member
    newest: str  # greatest date_modified
    language: str
    cursor: int
    parts: tuple[Part, ...]  # per chunk


def snapshot_name(project: str, namespace: int) -> str:
    """Enterprise's name of a project's namespace snapshot: ``enwiki_namespace_0``."""
    return f"{project}_namespace_{namespace}"


def create_snapshot(
    db: Db,
    root: Root,
    project: str,
    namespace: int = 0,
    *,
    owner: str | None = None,
    force: bool = False,
    progress: Progress | None = None,
    chunk_records: int = CHUNK_RECORDS,
    structured: bool = False,
    executor: Executor | None = None,
) -> Snapshot:
    """Write and register the snapshot of ``project``'s live ``namespace`` articles, and its
    chunks of ``chunk_records`` records; with ``structured``, its Structured Contents snapshot.

    ``db``: the store, and the registry with it (a SQLite path or ``sqlite:///`` URL, or a
    ``postgresql://`` URL).

    When the registry already has a snapshot of this kind of the same store state (same project
    change-log cursor and record count) for this owner and its file is in place with its
    registered size, that snapshot is returned and its file is not written, unless ``force``;
    a missing or damaged file is rewritten under its identifier. Its chunks are checked either
    way, and missing or damaged ones are cut again (from the file, once its sha256 is checked).
    Raises ``NotFoundError`` when the namespace holds no live article.

    ``executor`` (``run/executor.py``): with several workers, or on Ray, the chunks are written
    by tasks that read their records from the store themselves, each checked against the
    sha256 the scan took of its records (the same bytes as chunks cut from the file, which is
    what happens without); ``root`` must then be a place every worker can write to: object
    storage (``s3://bucket/snapshots``) or a shared folder.
    """
    from wikipact.snapshots.store_view import read_view

    _check_arguments(project, owner, chunk_records)
    root = _prepare_root(root)
    progress = progress or _no_progress
    target = _Target(project, namespace, "structured" if structured else "snapshot", owner)
    written = False
    with read_view(db) as store:  # one read snapshot of the database for both passes
        encode = _structured_encoder(store, project) if structured else to_json
        scan = _scan(store, target, encode, chunk_records, progress)
        previous = snapshots_named(db, target.name)
        reuse = _reusable(previous, target, scan)
        if reuse is not None and not force and _keep(db, root, reuse, scan):
            snapshot = reuse
        else:
            identifier = reuse.identifier if reuse else _new_identifier(target.stem, scan, previous)
            created = reuse.created_at if reuse else now_iso()
            snapshot = _write(store, root, target, identifier, scan, encode, progress, created)
            written = True
    if written:
        register(db, snapshot)
    write = None
    if executor is not None and (executor.workers > 1 or not executor.runs_tasks_here):
        job = _ChunkJob(str(db), str(root), snapshot.identifier, target.project, target.namespace,
                        structured)  # fmt: skip
        write = functools.partial(_write_chunks, job, scan.parts, executor, progress)
    ensure_chunks(db, root, snapshot, scan.parts, force=force, progress=progress, write=write)
    return snapshot


def _check_arguments(project: str, owner: str | None, chunk_records: int) -> None:
    if not re.fullmatch(r"[a-z0-9_-]{1,100}", project):
        raise ConfigError(f"not a project database name: {project!r} (e.g. enwiki)")
    if owner is not None and not owner.strip():
        raise ConfigError("--owner must be a partner id, not blank")
    if isinstance(chunk_records, bool) or not isinstance(chunk_records, int) or chunk_records < 1:
        raise ConfigError(
            f"--chunk-records must be a whole number of at least 1, not {chunk_records!r}"
        )


def _reusable(previous: list[Snapshot], target: _Target, scan: _Scan) -> Snapshot | None:
    """The registered snapshot of this kind, owner and store state, if there is one."""
    return next(
        (
            s
            for s in previous
            if s.kind == target.kind
            and s.change_cursor == scan.cursor
            and s.records == scan.records
            and s.owner == target.owner
        ),
        None,
    )


def _keep(db: Db, root: Root, snapshot: Snapshot, scan: _Scan) -> bool:
    """Whether a reused snapshot's file can stay: in place, and intact (sha256) when chunks are
    to be cut from it."""
    if not file_ok(root, snapshot):
        return False
    return chunks_in_place(db, root, snapshot, scan.parts) or file_intact(root, snapshot)


def _write(
    store: StoreView,
    root: Root,
    target: _Target,
    identifier: str,
    scan: _Scan,
    encode: Encode,
    progress: Progress,
    created_at: str,
) -> Snapshot:
    """Write the file of ``identifier``; its registry row (not registered yet)."""
    name = f"{identifier}.tar.gz"
    path = storage.join(root, name)
    try:
        size, digest = write_atomic(
            path,
            lambda out: _write_snapshot(out, store, target, identifier, scan, encode, progress),
        )
    except OSError as exc:
        raise StoreError(f"cannot write the snapshot {path}: {exc}") from None
    return Snapshot(
        identifier=identifier,
        kind=target.kind,
        name=target.name,
        projects=(target.project,),
        namespace=target.namespace,
        in_language=scan.language,
        path=name,
        size=size,
        sha256=digest,
        records=scan.records,
        date_modified=scan.newest,
        created_at=created_at,
        change_cursor=scan.cursor,
        owner=target.owner,
    )


def _structured_encoder(store: StoreView, project: str) -> Encode:
    """Encodes an article as Enterprise's Structured Contents, with the project's site info."""
    import msgspec

    from wikipact.enterprise import shapes

    info = store.site(project)
    site = (
        None
        if info is None
        else shapes.Site(
            identifier=project,
            url=info.server,
            sitename=info.sitename,
            namespaces={ns.key: ns.name for ns in info.namespaces},
        )
    )
    encoder = msgspec.json.Encoder()

    def encode(article: Article) -> bytes:
        return encoder.encode(shapes.structured(shapes.article(msgspec.to_builtins(article), site)))

    return encode


def register_dataset(
    db: str | os.PathLike[str] | Any,
    dataset_dir: Location,
    *,
    root: Root | None = None,
    owner: str | None = None,
    progress: Progress | None = None,
) -> Snapshot:
    """Package the dataset build in ``dataset_dir`` (a folder, or the URL ``build --out``
    published to) under ``root`` and register it.

    ``root`` defaults to :func:`wikipact.snapshots.registry.default_root`. The identifier is
    derived from the manifest's bytes, so registering the same build again returns the existing
    entry (rewriting the file only when it is missing or damaged).
    """
    from wikipact.datasets.manifest import MANIFEST_NAME, SIGNATURE_NAME, check_relpath
    from wikipact.snapshots.registry import default_root

    if owner is not None and not owner.strip():
        raise ConfigError("--owner must be a partner id, not blank")
    dataset_dir = storage.path_or_url(dataset_dir)
    root = _prepare_root(root if root is not None else default_root())
    progress = progress or _no_progress
    manifest_path = storage.join(dataset_dir, MANIFEST_NAME)
    try:
        manifest_data = storage.get_bytes(manifest_path)
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
    if not storage.exists(storage.join(dataset_dir, SIGNATURE_NAME)):
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
    if existing is not None and existing.owner == owner and file_ok(root, existing):
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
    name = f"{identifier}.tar.gz"
    size, digest = write_atomic(
        storage.join(root, name),
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
            path=name,
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


def _scan(
    store: StoreView, target: _Target, encode: Encode, chunk_records: int, progress: Progress
) -> _Scan:
    project, namespace = target.project, target.namespace
    cursor = store.last_cursor(project)
    live = store.live_pages(project)
    parts = Parts(chunk_records)
    records = size = 0
    newest = language = ""
    scanned = 0
    for scanned, article in _articles(store, project, namespace):
        data = encode(article) + b"\n"
        records += 1
        size += len(data)
        newest = max(newest, article.date_modified)
        parts.add(len(data), article.date_modified, article.identifier, data)
        language = language or article.in_language.identifier
        if records % CHUNK_PAGES == 0:
            progress("scan", scanned, live)
    progress("scan", live, live)
    if not records:
        raise NotFoundError(
            f"{project} has no live article in namespace {namespace} in the store; ingest its "
            "dump first (`wikipact stats` shows what the store holds)"
        )
    return _Scan(records, size, newest, language, cursor, parts.parts())


def _new_identifier(name: str, scan: _Scan, previous: list[Snapshot]) -> str:
    """``<name>_<YYYYMMDD of the newest article>``, or with ``_2``, ``_3`` ... when taken
    (``name``: ``enwiki_namespace_0``, or ``enwiki_namespace_0_structured``)."""
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


def _write_snapshot(
    out: BinaryIO,
    store: StoreView,
    target: _Target,
    identifier: str,
    scan: _Scan,
    encode: Encode,
    progress: Progress,
) -> None:
    written = 0

    def lines() -> Iterator[bytes]:
        nonlocal written
        for _, article in _articles(store, target.project, target.namespace):
            written += 1
            if written % CHUNK_PAGES == 0:
                progress("write", written, scan.records)
            yield encode(article) + b"\n"

    member = reader(lines())
    gz, tar = gzip_tar(out)
    with gz, tar:
        tar.addfile(tarinfo(f"{identifier}.ndjson", scan.size, epoch(scan.newest)), member)
        if member.read(1) or written != scan.records:
            raise StoreError(
                f"{target.project} changed between the two passes of the snapshot (read "
                "transaction not isolated?); run `wikipact snapshot create` again"
            )
    progress("write", written, scan.records)


def _write_dataset(
    out: BinaryIO,
    directory: Root,
    identifier: str,
    members: list[tuple[str, str | None]],
    modified: str | None,
    progress: Progress,
) -> None:
    mtime = epoch(modified) if modified else 0
    gz, tar = gzip_tar(out)
    with gz, tar:
        for done, (relpath, expected) in enumerate(sorted(members), 1):
            source = storage.join(directory, relpath)
            try:
                with storage.open_read(source) as fh:
                    size = fh.seek(0, os.SEEK_END)  # a file's or an object's size, no read
                    fh.seek(0)
                    digest = hashlib.sha256()
                    member = reader(_read_hashing(fh, digest))
                    tar.addfile(tarinfo(f"{identifier}/{relpath}", size, mtime), member)
                    longer = bool(member.read(1))
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


# -- chunks written by tasks -------------------------------------------------------------------


@dataclass(frozen=True)
class _ChunkJob:
    """What a task needs to write chunks of a snapshot from the store (picklable)."""

    db: str
    root: str
    parent: str  # the snapshot's identifier
    project: str
    namespace: int
    structured: bool


def _write_chunks(
    job: _ChunkJob, parts: tuple[Part, ...], executor: Executor, progress: Progress, todo: set[int]
) -> dict[int, tuple[int, str]]:
    """Chunks ``todo``, one task each, in order; (size, sha256) of each file."""
    from wikipact.run.executor import map_ordered

    wanted = sorted(todo)
    written = {}
    results = map_ordered(executor, _chunk_task, [(job, k, parts[k]) for k in wanted])
    for done, (k, result) in enumerate(zip(wanted, results, strict=True), 1):
        written[k] = result
        progress("chunks", done, len(wanted))
    return written


def _chunk_task(args: tuple[_ChunkJob, int, Part]) -> tuple[int, str]:
    """Write chunk ``k`` from the store: its records (page ids ``part.first`` to ``part.last``)
    must be the bytes the scan saw, else the store changed since and the file is removed."""
    from wikipact.snapshots.chunks import chunk_identifier
    from wikipact.snapshots.store_view import read_view

    job, k, part = args
    identifier = chunk_identifier(job.parent, k)
    path = storage.join(job.root, f"{identifier}.tar.gz")
    digest = hashlib.sha256()
    records = 0
    with read_view(job.db) as store:
        encode = _structured_encoder(store, job.project) if job.structured else to_json

        def lines() -> Iterator[bytes]:
            nonlocal records
            for article in _articles_in(store, job.project, job.namespace, part.first, part.last):
                line = encode(article) + b"\n"
                digest.update(line)
                records += 1
                yield line

        def write(out: BinaryIO) -> None:
            member = reader(lines())
            gz, tar = gzip_tar(out)
            with gz, tar:
                tar.addfile(tarinfo(f"{identifier}.ndjson", part.size, epoch(part.newest)), member)
                if member.read(1):
                    raise _changed(job.project)

        try:
            result = write_atomic(path, write)
        except OSError as exc:
            raise StoreError(f"cannot write the chunk {path}: {exc}") from None
    if records != part.records or digest.hexdigest() != part.digest:
        storage.remove(path)
        raise _changed(job.project)
    return result


def _articles_in(
    store: StoreView, project: str, namespace: int, first: int, last: int
) -> Iterator[Any]:
    """The snapshot's articles whose page ids are ``first`` to ``last`` (as ``_articles``)."""
    for low, high in store.page_id_chunks(project, CHUNK_PAGES):
        if high < first:
            continue
        if low > last:
            return
        for article in store.articles_between(project, max(low, first), min(high, last)):
            if article.namespace.identifier == namespace and article.redirect_target is None:
                yield article


def _changed(project: str) -> StoreError:
    return StoreError(
        f"{project} changed while its snapshot's chunks were written; run `wikipact snapshot "
        "create` again"
    )


# -- helpers -----------------------------------------------------------------------------------


def _prepare_root(root: Root) -> Root:
    """The root as a ``Path`` (a folder, made if missing) or a URL string (object storage has
    no folders to make: a missing bucket is reported by the first write)."""
    if storage.is_url(root):
        return storage.path_or_url(root)
    root = Path(storage.local_path(root))
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot create the snapshots directory {root}: {exc.strerror}; pass --root or set "
            "$WIKIPACT_SNAPSHOTS"
        ) from None
    return root


def _dump_date_iso(yyyymmdd: str) -> str | None:
    if re.fullmatch(r"[0-9]{8}", yyyymmdd):
        return f"{yyyymmdd[:4]}-{yyyymmdd[4:6]}-{yyyymmdd[6:]}T00:00:00Z"
    return None


def _no_progress(phase: str, done: int, total: int) -> None:
    return None
