"""The registry of snapshots and dataset builds, in the store's own SQLite file.

Two tables, created with ``CREATE TABLE IF NOT EXISTS`` next to the store's (the store's own
migrations are not involved):

``snapshots_schema``
    one row, the version of the layout below (``SCHEMA_VERSION``); a database written by a newer
    wikipact is refused rather than misread.
``snapshots``
    one row per downloadable file (see :class:`Snapshot`).

Identifiers
-----------
A snapshot of one project and namespace is named like Wikimedia Enterprise's
(``enwiki_namespace_0``, kept in :attr:`Snapshot.name`) plus the UTC day of the newest article
it holds, so that history is kept: ``enwiki_namespace_0_20250126``. A second, different state of
the store with the same newest day gets ``_2``, ``_3`` ... (``enwiki_namespace_0_20250126_2``).
A dataset build is ``dataset_<manifest name>_<first 12 hex of the manifest's sha256>``.

Every identifier matches :data:`IDENTIFIER_RE` (ASCII letters, digits, ``_`` and ``-``, at most
200 characters): anything else (``..``, ``/``, ``%2e`` ...) is never looked up. Files are stored
as paths relative to the snapshots root (``<identifier>.tar.gz``) and only ever resolved under it
with :func:`snapshot_file`; no path is ever taken from a request.

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
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from wikipact.errors import ConfigError, NotFoundError, StoreError

SCHEMA_VERSION = 1
ENV_VAR = "WIKIPACT_SNAPSHOTS"
IDENTIFIER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,199}")
KINDS = ("snapshot", "dataset")

Kind = Literal["snapshot", "dataset"]
Db = sqlite3.Connection | str | os.PathLike[str]

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS snapshots_schema ("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " version INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS snapshots ("
    " identifier TEXT PRIMARY KEY,"
    " kind TEXT NOT NULL CHECK (kind IN ('snapshot', 'dataset')),"
    " name TEXT NOT NULL,"  # enwiki_namespace_0, or the dataset's manifest name
    " project TEXT,"  # the one project, NULL for a dataset of several
    " projects TEXT NOT NULL,"  # JSON array, sorted
    " namespace INTEGER,"
    " in_language TEXT,"
    " path TEXT NOT NULL,"  # relative to the snapshots root
    " size INTEGER NOT NULL,"
    " sha256 TEXT NOT NULL,"
    " records INTEGER NOT NULL,"
    " date_modified TEXT,"
    " created_at TEXT NOT NULL,"
    " change_cursor INTEGER,"
    " owner TEXT)",
    "CREATE INDEX IF NOT EXISTS snapshots_by_name ON snapshots(name, created_at)",
)
_COLUMNS = (
    "identifier, kind, name, projects, namespace, in_language, path, size, sha256, records, "
    "date_modified, created_at, change_cursor, owner"
)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One downloadable file: a snapshot of a project's namespace, or a packaged dataset build."""

    identifier: str  # enwiki_namespace_0_20250126, dataset_wikipedia_0123456789ab
    kind: Kind
    name: str  # Enterprise-style name without the date: enwiki_namespace_0; or the dataset name
    projects: tuple[str, ...]  # sorted database names; one for a snapshot
    namespace: int | None  # None for a dataset of several namespaces
    in_language: str | None  # language code (en); None for a dataset of several languages
    path: str  # POSIX path relative to the snapshots root, e.g. enwiki_namespace_0_20250126.tar.gz
    size: int  # bytes of the file
    sha256: str  # hex sha256 of the file
    records: int  # articles (snapshot) or kept records (dataset)
    date_modified: str | None  # newest article's date_modified (ISO 8601); dataset: dump date
    created_at: str  # when it was registered, ISO 8601 UTC
    change_cursor: int | None  # project's last change-log cursor the file includes
    owner: str | None = None  # None: any entitled partner; else the one partner id

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


def default_root() -> Path:
    """``$WIKIPACT_SNAPSHOTS``, else ``snapshots`` in the per-user data directory."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    from platformdirs import user_data_dir

    return Path(user_data_dir("wikipact", appauthor=False)) / "snapshots"


def now_iso() -> str:
    """The current UTC time as ``2026-11-28T12:00:00Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def snapshot_file(root: Path, snapshot: Snapshot) -> Path:
    """The file of ``snapshot`` under ``root``; refuses any stored path that would leave it.

    Raises ``NotFoundError`` when the file is missing (the registry row outlived its file).
    """
    problem = _check_relpath(snapshot.path)
    if problem:
        raise StoreError(f"snapshot {snapshot.identifier}: stored path {snapshot.path!r} {problem}")
    base = Path(root).resolve()
    path = (base / snapshot.path).resolve()
    if not path.is_relative_to(base):
        raise StoreError(f"snapshot {snapshot.identifier}: stored path leaves the root {base}")
    if not path.is_file():
        raise NotFoundError(
            f"snapshot {snapshot.identifier}: file {path} is missing; recreate it with "
            "`wikipact snapshot create` (or check --root / $WIKIPACT_SNAPSHOTS)"
        )
    return path


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
    projects = sorted(set(snapshot.projects))
    with _connection(db, write=True) as conn, _transaction(conn):
        conn.execute(
            f"INSERT OR REPLACE INTO snapshots({_COLUMNS}, project) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
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
                projects[0] if len(projects) == 1 else None,
            ),
        )
    return snapshot


def unregister(db: Db, identifier: str) -> bool:
    """Remove a row (not its file); True when there was one."""
    if not valid_identifier(identifier):
        return False
    with _connection(db, write=True) as conn, _transaction(conn):
        return conn.execute("DELETE FROM snapshots WHERE identifier=?", (identifier,)).rowcount > 0


# -- reading -----------------------------------------------------------------------------------


def get_snapshot(db: Db, identifier: str) -> Snapshot | None:
    """The snapshot or dataset named ``identifier``; None when there is none or it is malformed."""
    if not valid_identifier(identifier):
        return None
    rows = _select(db, "WHERE identifier=?", (identifier,))
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
    ``kind``: only ``snapshot`` or only ``dataset``.
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
    clause = ("WHERE " + " AND ".join(where)) if where else ""
    found = _select(db, clause + " ORDER BY name, created_at DESC, identifier DESC", tuple(params))
    if projects is None:
        return found
    allowed = set(projects)
    return [s for s in found if set(s.projects) <= allowed]


def latest(
    db: Db, project: str, namespace: int = 0, *, owner: str | None = None
) -> Snapshot | None:
    """The newest snapshot of ``project`` and ``namespace`` visible to ``owner`` (None: public)."""
    if owner is None:
        clause, params = "owner IS NULL", (project, namespace)
    else:
        clause, params = "(owner IS NULL OR owner=?)", (project, namespace, owner)
    rows = _select(
        db,
        f"WHERE kind='snapshot' AND project=? AND namespace=? AND {clause} "
        "ORDER BY created_at DESC, change_cursor DESC, identifier DESC LIMIT 1",
        params,
    )
    return rows[0] if rows else None


def snapshots_named(db: Db, name: str) -> list[Snapshot]:
    """Every row with this Enterprise-style name (``enwiki_namespace_0``), any owner."""
    return _select(db, "WHERE name=? ORDER BY created_at DESC, identifier DESC", (name,))


# -- plumbing ----------------------------------------------------------------------------------


def _select(db: Db, tail: str, params: tuple[object, ...]) -> list[Snapshot]:
    with _connection(db, write=False) as conn:
        try:
            _check_version(conn)
            rows = conn.execute(f"SELECT {_COLUMNS} FROM snapshots {tail}", params).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []  # nothing was ever registered in this database
            raise StoreError(f"cannot read the snapshot registry: {exc}") from None
    return [_row(r) for r in rows]


def _row(row: tuple[Any, ...]) -> Snapshot:
    (ident, kind, name, projects, namespace, language, path, size, sha, records, modified,
     created, cursor, owner) = row  # fmt: skip
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
    )


def _check_version(conn: sqlite3.Connection) -> None:
    row = conn.execute("SELECT version FROM snapshots_schema WHERE id=1").fetchone()
    if row is not None and row[0] > SCHEMA_VERSION:
        raise StoreError(
            f"the snapshot registry has layout version {row[0]}, newer than this wikipact "
            f"understands ({SCHEMA_VERSION}); upgrade wikipact"
        )


def ensure_schema(db: Db) -> None:
    """Create the registry's tables if they are missing (servers call this once at start)."""
    with _connection(db, write=True):
        pass


def _ensure_schema(conn: sqlite3.Connection) -> None:
    with _transaction(conn):
        for statement in _SCHEMA:
            conn.execute(statement)
        _check_version(conn)
        conn.execute(
            "INSERT OR IGNORE INTO snapshots_schema(id, version) VALUES (1, ?)", (SCHEMA_VERSION,)
        )


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, or join the caller's open transaction."""
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextmanager
def _connection(db: Db, *, write: bool) -> Iterator[sqlite3.Connection]:
    """The caller's connection as is, or a new one on the database file (closed afterwards)."""
    if isinstance(db, sqlite3.Connection):
        try:
            if write:
                _ensure_schema(db)
            yield db
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"the snapshot registry refused the operation: {exc}") from None
        return
    from wikipact.store.sqlite import connect

    path = Path(db)
    if not path.exists():
        raise StoreError(f"{path}: no such database; run `wikipact ingest` first")
    try:
        conn = connect(path, readonly=not write)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: not a usable wikipact database ({exc})") from None
    try:
        if write:
            _ensure_schema(conn)
        yield conn
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: the snapshot registry refused the operation: {exc}") from None
    finally:
        conn.close()


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
    """The registry of one SQLite file, for a server: each thread reads through its own
    read-only connection, opened on first use."""

    def __init__(self, db_path: str | os.PathLike[str]) -> None:
        self.path = Path(db_path)
        self._local = threading.local()

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            from wikipact.store.sqlite import connect

            conn = self._local.conn = connect(self.path, readonly=True)
        return conn

    def get(self, identifier: str) -> Snapshot | None:
        return get_snapshot(self._conn(), identifier)

    def list(self, **filters: Any) -> list[Snapshot]:
        return list_snapshots(self._conn(), **filters)
