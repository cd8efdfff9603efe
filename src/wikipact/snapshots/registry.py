"""The registry of snapshots and dataset builds, in the store's own database.

Every function takes the database as ``db``: a SQLite file (a path, a ``sqlite:///`` URL or a
``sqlite3`` connection) or a PostgreSQL database (a ``postgresql://`` URL or a psycopg
connection); a connection is used as given, and a write joins its open transaction. The rows
are read and written through one small protocol, ``RegistryTables``, with a SQLite
(``registry_sqlite``) and a PostgreSQL (``registry_postgres``) implementation that list in the
same order. ``Registry`` is the same for a server.

One table, ``snapshots``, one row per downloadable file (see :class:`Snapshot`): the
``snapshots`` migration set (``snapshots.schema``), created on the first write by the one
migrations mechanism (``store.migrations``); a database written by a newer wikipact is refused
rather than misread.

Identifiers
-----------
A snapshot of one project and namespace is named like Wikimedia Enterprise's
(``enwiki_namespace_0``, kept in :attr:`Snapshot.name`) plus the UTC day of the newest article
it holds, so that history is kept: ``enwiki_namespace_0_20250126``. A second, different state of
the store with the same newest day gets ``_2``, ``_3`` ... (``enwiki_namespace_0_20250126_2``).
A dataset build is ``dataset_<manifest name>_<first 12 hex of the manifest's sha256>``.

Kinds
-----
``snapshot``: a project's namespace as article records; ``structured``: the same articles in
Enterprise's Structured Contents shape (the same ``name``, identifier
``enwiki_namespace_0_structured_20250126``); ``dataset``: a packaged dataset build; ``chunk``:
one consecutive part of a snapshot's (or structured snapshot's) records, as Enterprise serves
them (``<parent identifier>_chunk_<k>``, name ``enwiki_namespace_0_chunk_<k>``, ``parent`` the
snapshot's identifier). Chunks are never listed with the files (:func:`list_snapshots` leaves
them out unless asked for ``kind="chunk"``); :func:`chunks_of` gives a snapshot's chunks in
order, and :func:`unregister` removes them with their snapshot.

Every identifier matches :data:`IDENTIFIER_RE` (ASCII letters, digits, ``_`` and ``-``, at most
200 characters): anything else (``..``, ``/``, ``%2e`` ...) is never looked up. Files are stored
as paths relative to the snapshots root (``<identifier>.tar.gz``) and only ever resolved under it
with :func:`snapshot_file`; no path is ever taken from a request. The root is a folder or an
object storage URL (``s3://bucket/snapshots``, through ``wikipact.storage``); the registry rows
are the same either way.

Visibility
----------
``owner`` NULL means the file is available to every partner entitled to all of its projects; a
partner id means it is private to that partner. The registry only stores and filters on it; the
API decides who may see what.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, Literal, Protocol

from wikipact.errors import ConfigError, NotFoundError, StoreError
from wikipact.store.urls import POSTGRES_PREFIXES

ENV_VAR = "WIKIPACT_SNAPSHOTS"
IDENTIFIER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,199}")
KINDS = ("snapshot", "dataset", "chunk", "structured")
CHUNK_RE = re.compile(r"_chunk_([0-9]+)\Z")  # the end of a chunk's identifier: _chunk_<k>

Kind = Literal["snapshot", "dataset", "chunk", "structured"]
# a SQLite path, sqlite:/// URL or connection; a postgresql:// URL or psycopg connection
Db = sqlite3.Connection | str | os.PathLike[str] | Any
# where the files are: a folder, or an object storage URL (``s3://bucket/snapshots``)
Root = Path | str


class RegistryTables(Protocol):
    """The registry's rows in one database (SQLite or PostgreSQL).

    ``where`` is SQL over the ``snapshots`` columns with ``?`` parameters; ``order`` lists
    ``column`` or ``column DESC`` terms, ordered as SQLite orders them (bytes; NULLs lowest).
    """

    def select(
        self, where: str, order: Sequence[str], params: tuple[object, ...], limit: int | None
    ) -> list[tuple[Any, ...]]: ...

    def put(self, row: tuple[object, ...]) -> None: ...

    def delete(self, identifier: str) -> bool:
        """Remove the row ``identifier`` and the rows whose ``parent`` it is (its chunks);
        True when the row was there."""
        ...


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One downloadable file: a snapshot of a project's namespace (as article records, or as
    Structured Contents), a chunk of one, or a packaged dataset build."""

    identifier: str  # enwiki_namespace_0_20250126, dataset_wikipedia_0123456789ab
    kind: Kind
    name: str  # Enterprise-style name without the date: enwiki_namespace_0; or the dataset name
    projects: tuple[str, ...]  # sorted database names; one for a snapshot
    namespace: int | None  # None for a dataset of several namespaces
    in_language: str | None  # language code (en); None for a dataset of several languages
    path: str  # POSIX path relative to the snapshots root, e.g. enwiki_namespace_0_20250126.tar.gz
    size: int  # bytes of the file
    sha256: str  # hex sha256 of the file
    records: int  # articles (snapshot, structured, chunk) or kept records (dataset)
    date_modified: str | None  # newest article's date_modified (ISO 8601); dataset: dump date
    created_at: str  # when it was registered, ISO 8601 UTC
    change_cursor: int | None  # project's last change-log cursor the file includes
    owner: str | None = None  # None: any entitled partner; else the one partner id
    parent: str | None = None  # a chunk's snapshot (identifier); None for anything else

    @property
    def project(self) -> str | None:
        """The project, when there is exactly one."""
        return self.projects[0] if len(self.projects) == 1 else None

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able data (``projects`` as a list)."""
        out = asdict(self)
        out["projects"] = list(self.projects)
        return out


def valid_identifier(identifier: object) -> bool:
    """Whether ``identifier`` has the shape of an identifier (nothing else is ever looked up)."""
    return isinstance(identifier, str) and IDENTIFIER_RE.fullmatch(identifier) is not None


def default_root() -> Path | str:
    """The settings' snapshots root: ``$WIKIPACT_SNAPSHOTS`` (a folder or an object storage URL
    such as ``s3://bucket/snapshots``), else ``snapshots`` in the per-user data directory."""
    from wikipact.settings import load_settings

    return load_settings().snapshots_root


def now_iso() -> str:
    """The current UTC time as ``2026-11-28T12:00:00Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def file_location(root: Root, snapshot: Snapshot) -> Path | str:
    """Where the file of ``snapshot`` belongs under ``root`` (a folder or an object storage
    URL), whether or not it is there; refuses any stored path that would leave the root."""
    from wikipact import storage

    problem = _check_relpath(snapshot.path)
    if problem:
        raise StoreError(f"snapshot {snapshot.identifier}: stored path {snapshot.path!r} {problem}")
    if storage.is_url(root):
        # the relative path has no '.', '..', '//' or backslash: it stays under the prefix
        return storage.join(root, snapshot.path)
    base = Path(root).resolve()
    path = (base / snapshot.path).resolve()
    if not path.is_relative_to(base):
        raise StoreError(f"snapshot {snapshot.identifier}: stored path leaves the root {base}")
    return path


def snapshot_file(root: Root, snapshot: Snapshot) -> Path | str:
    """The file of ``snapshot`` under ``root``: a ``Path`` in a folder, a URL in object storage;
    refuses any stored path that would leave the root.

    Raises ``NotFoundError`` when the file is missing (the registry row outlived its file).
    """
    from wikipact import storage

    location = file_location(root, snapshot)
    remote = storage.is_url(location)
    if not (storage.exists(location) if remote else Path(location).is_file()):
        raise NotFoundError(
            f"snapshot {snapshot.identifier}: file {location} is missing; recreate it with "
            "`wikipact snapshot create` (or check --root / $WIKIPACT_SNAPSHOTS)"
        )
    return location


# -- writing -----------------------------------------------------------------------------------


def register(db: Db, snapshot: Snapshot) -> Snapshot:
    """Insert ``snapshot``, or replace the row with the same identifier; returns it."""
    if not valid_identifier(snapshot.identifier):
        raise ConfigError(
            f"invalid snapshot identifier {snapshot.identifier!r}: use letters, digits, '_' "
            "and '-' (at most 200)"
        )
    if snapshot.kind not in KINDS:
        raise ConfigError(f"snapshot kind must be one of {KINDS}, not {snapshot.kind!r}")
    problem = _check_relpath(snapshot.path)
    if problem:
        raise ConfigError(f"snapshot path {snapshot.path!r} {problem}")
    if not snapshot.projects:
        raise ConfigError(f"snapshot {snapshot.identifier} names no project")
    if (snapshot.kind == "chunk") != (snapshot.parent is not None):
        raise ConfigError(
            f"snapshot {snapshot.identifier}: a chunk, and only a chunk, has a parent"
        )
    if snapshot.parent is not None and not valid_identifier(snapshot.parent):
        raise ConfigError(f"snapshot {snapshot.identifier}: invalid parent {snapshot.parent!r}")
    projects = sorted(set(snapshot.projects))
    with _tables(db, write=True) as tables:
        tables.put(
            (
                snapshot.identifier,
                snapshot.kind,
                snapshot.name,
                json.dumps(projects),
                snapshot.namespace,
                snapshot.in_language,
                snapshot.path,
                snapshot.size,
                snapshot.sha256,
                snapshot.records,
                snapshot.date_modified,
                snapshot.created_at,
                snapshot.change_cursor,
                snapshot.owner,
                snapshot.parent,
                projects[0] if len(projects) == 1 else None,
            ),
        )
    return snapshot


def unregister(db: Db, identifier: str) -> bool:
    """Remove a row and its chunks' rows (not their files); True when there was the row."""
    if not valid_identifier(identifier):
        return False
    with _tables(db, write=True) as tables:
        return tables.delete(identifier)


# -- reading -----------------------------------------------------------------------------------


def get_snapshot(db: Db, identifier: str) -> Snapshot | None:
    """The snapshot or dataset named ``identifier``; None when there is none or it is malformed."""
    if not valid_identifier(identifier):
        return None
    rows = _select(db, "WHERE identifier=?", (), (identifier,))
    return rows[0] if rows else None


def list_snapshots(
    db: Db,
    *,
    projects: Iterable[str] | None = None,
    owner: str | None = None,
    include_public: bool = True,
    all_owners: bool = False,
    kind: Kind | None = None,
) -> list[Snapshot]:
    """Registered files, grouped by name, newest first within a name.

    ``projects``: only files all of whose projects are in it (None: any project).
    ``owner``: also the files private to this partner; None lists public files only.
    ``include_public=False`` with an ``owner``: only that partner's private files.
    ``all_owners=True`` (administration): every file, public or private to anyone.
    ``kind``: only files of this kind. Chunks are listed only when asked for (``chunk``);
    otherwise every kind but ``chunk``.
    """
    where: list[str] = []
    params: list[object] = []
    if not all_owners:
        if owner is None:
            where.append("owner IS NULL")
        elif include_public:
            where.append("(owner IS NULL OR owner=?)")
            params.append(owner)
        else:
            where.append("owner=?")
            params.append(owner)
    if kind is not None:
        where.append("kind=?")
        params.append(kind)
    else:
        where.append("kind<>'chunk'")
    clause = ("WHERE " + " AND ".join(where)) if where else ""
    found = _select(db, clause, ("name", "created_at DESC", "identifier DESC"), tuple(params))
    if projects is None:
        return found
    allowed = set(projects)
    return [s for s in found if set(s.projects) <= allowed]


def latest(
    db: Db,
    project: str,
    namespace: int = 0,
    *,
    owner: str | None = None,
    kind: Kind = "snapshot",
) -> Snapshot | None:
    """The newest file of ``kind`` (``snapshot``, or ``structured`` for Structured Contents) of
    ``project`` and ``namespace`` visible to ``owner`` (None: public)."""
    if owner is None:
        clause, params = "owner IS NULL", (kind, project, namespace)
    else:
        clause, params = "(owner IS NULL OR owner=?)", (kind, project, namespace, owner)
    rows = _select(
        db,
        f"WHERE kind=? AND project=? AND namespace=? AND {clause}",
        ("created_at DESC", "change_cursor DESC", "identifier DESC"),
        params,
        limit=1,
    )
    return rows[0] if rows else None


def snapshots_named(db: Db, name: str, *, kind: Kind | None = None) -> list[Snapshot]:
    """Every row with this Enterprise-style name (``enwiki_namespace_0``), any owner, newest
    first; only those of ``kind`` when given (a snapshot and a structured snapshot share it)."""
    order = ("created_at DESC", "identifier DESC")
    if kind is None:
        return _select(db, "WHERE name=?", order, (name,))
    return _select(db, "WHERE name=? AND kind=?", order, (name, kind))


def chunks_of(db: Db, parent: str) -> list[Snapshot]:
    """The chunks of the snapshot ``parent`` (an identifier), in chunk order (k = 0, 1, ...);
    any owner (a chunk has its snapshot's)."""
    if not valid_identifier(parent):
        return []
    found = _select(db, "WHERE kind='chunk' AND parent=?", (), (parent,))
    return sorted(found, key=_chunk_number)


def _chunk_number(chunk: Snapshot) -> tuple[int, str]:
    match = CHUNK_RE.search(chunk.identifier)
    return (int(match.group(1)) if match else -1, chunk.identifier)


# -- plumbing ----------------------------------------------------------------------------------


def _select(
    db: Db,
    where: str,
    order: Sequence[str],
    params: tuple[object, ...],
    *,
    limit: int | None = None,
) -> list[Snapshot]:
    with _tables(db, write=False) as tables:
        rows = tables.select(where, order, params, limit)
    return [_row(r) for r in rows]


def _row(row: tuple[Any, ...]) -> Snapshot:
    (ident, kind, name, projects, namespace, language, path, size, sha, records, modified,
     created, cursor, owner, parent) = row  # fmt: skip
    return Snapshot(
        identifier=ident,
        kind=kind,
        name=name,
        projects=tuple(json.loads(projects)),
        namespace=namespace,
        in_language=language,
        path=path,
        size=size,
        sha256=sha,
        records=records,
        date_modified=modified,
        created_at=created,
        change_cursor=cursor,
        owner=owner,
        parent=parent,
    )


def ensure_schema(db: Db) -> None:
    """Create the registry's tables if they are missing (servers call this once at start)."""
    with _tables(db, write=True):
        pass


def is_postgres(db: object) -> bool:
    """Whether ``db`` is PostgreSQL: a URL, a psycopg connection, or an object with such a URL."""
    url = db if isinstance(db, str) else getattr(db, "url", None)
    if isinstance(url, str) and url.startswith(POSTGRES_PREFIXES):
        return True
    return type(db).__module__.split(".")[0] == "psycopg"


@contextmanager
def _tables(db: Db, *, write: bool) -> Iterator[RegistryTables]:
    """The registry's rows in ``db``, on the backend it names (a write creates the tables)."""
    if is_postgres(db):
        from wikipact.snapshots import registry_postgres

        with registry_postgres.tables(db, write=write) as found:
            yield found
        return
    from wikipact.snapshots import registry_sqlite

    if isinstance(db, str) and db.startswith("sqlite:///"):
        from wikipact.store import sqlite_path

        db = sqlite_path(db)
    with registry_sqlite.tables(db, write=write) as found:
        yield found


def _check_relpath(relpath: str) -> str | None:
    """Why ``relpath`` cannot name a file under the root, or None when it can."""
    if not relpath or "\\" in relpath or "\x00" in relpath or ":" in relpath:
        return "is empty or has a backslash, colon or NUL"
    if PurePosixPath(relpath).is_absolute() or any(
        part in ("", ".", "..") for part in relpath.split("/")
    ):
        return "is not a plain relative path (absolute, or with '.', '..' or '//')"
    return None


class Registry:
    """The registry of one database, for a server; safe to share between threads.

    On a SQLite file each thread reads through its own read-only connection, opened on first
    use; on PostgreSQL (a ``postgresql://`` URL) reads share a small pool of read-only
    connections (``registry_postgres.PostgresRegistry``).
    """

    def __init__(self, db: str | os.PathLike[str]) -> None:
        self._postgres: Any = None
        self.path: Path | None = None
        if is_postgres(db):
            from wikipact.snapshots.registry_postgres import PostgresRegistry

            self._postgres = PostgresRegistry(str(db))
        else:
            from wikipact.store import sqlite_path

            self.path = sqlite_path(str(db)) if str(db).startswith("sqlite:///") else Path(db)
        self._local = threading.local()

    def _conn(self) -> Any:
        if self._postgres is not None:
            return self._postgres
        conn = getattr(self._local, "conn", None)
        if conn is None:
            from wikipact.store.sqlite import connect

            assert self.path is not None
            conn = self._local.conn = connect(self.path, readonly=True)
        return conn

    def get(self, identifier: str) -> Snapshot | None:
        return get_snapshot(self._conn(), identifier)

    def list(self, **filters: Any) -> list[Snapshot]:
        """:func:`list_snapshots` (no chunks unless ``kind="chunk"``)."""
        return list_snapshots(self._conn(), **filters)

    def chunks(self, parent: str) -> list[Snapshot]:
        """:func:`chunks_of`: the chunks of the snapshot ``parent``, in order."""
        return chunks_of(self._conn(), parent)

    def latest(
        self,
        project: str,
        namespace: int = 0,
        *,
        owner: str | None = None,
        kind: Kind = "snapshot",
    ) -> Snapshot | None:
        """:func:`latest`: the newest ``kind`` file of the project's namespace for ``owner``."""
        return latest(self._conn(), project, namespace, owner=owner, kind=kind)

    def ensure_schema(self) -> None:
        """Create the registry's tables if they are missing (on a connection of its own: the
        server's reads are read-only)."""
        ensure_schema(self._postgres.url if self._postgres is not None else self.path)

    def close(self) -> None:
        """Close the pool (PostgreSQL), or this thread's connection (SQLite)."""
        if self._postgres is not None:
            self._postgres.close()
            return
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
