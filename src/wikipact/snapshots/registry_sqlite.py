"""The snapshot registry's tables in the store's SQLite file (``registry.RegistryTables``).

Created with ``CREATE TABLE IF NOT EXISTS`` next to the store's own tables on the first write
(the store's migrations are not involved); a database where nothing was ever registered reads
as an empty registry.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from wikipact.errors import StoreError

COLUMNS = (
    "identifier, kind, name, projects, namespace, in_language, path, size, sha256, records, "
    "date_modified, created_at, change_cursor, owner"
)
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


class SQLiteTables:
    """The registry's rows on one SQLite connection."""

    def __init__(self, conn: sqlite3.Connection, schema_version: int) -> None:
        self.conn = conn
        self.schema_version = schema_version

    def select(
        self, where: str, order: Sequence[str], params: tuple[object, ...], limit: int | None
    ) -> list[tuple[Any, ...]]:
        tail = where + (" ORDER BY " + ", ".join(order) if order else "")
        tail += f" LIMIT {int(limit)}" if limit is not None else ""
        try:
            self.check_version()
            return self.conn.execute(f"SELECT {COLUMNS} FROM snapshots {tail}", params).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []  # nothing was ever registered in this database
            raise StoreError(f"cannot read the snapshot registry: {exc}") from None

    def put(self, row: tuple[object, ...]) -> None:
        with _transaction(self.conn):
            self.conn.execute(
                f"INSERT OR REPLACE INTO snapshots({COLUMNS}, project) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                row,
            )

    def delete(self, identifier: str) -> bool:
        with _transaction(self.conn):
            return (
                self.conn.execute(
                    "DELETE FROM snapshots WHERE identifier=?", (identifier,)
                ).rowcount
                > 0
            )

    def check_version(self) -> None:
        row = self.conn.execute("SELECT version FROM snapshots_schema WHERE id=1").fetchone()
        if row is not None and row[0] > self.schema_version:
            raise StoreError(
                f"the snapshot registry has layout version {row[0]}, newer than this wikipact "
                f"understands ({self.schema_version}); upgrade wikipact"
            )

    def ensure_schema(self) -> None:
        with _transaction(self.conn):
            for statement in _SCHEMA:
                self.conn.execute(statement)
            self.check_version()
            self.conn.execute(
                "INSERT OR IGNORE INTO snapshots_schema(id, version) VALUES (1, ?)",
                (self.schema_version,),
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
def tables(
    db: sqlite3.Connection | Path, *, write: bool, schema_version: int
) -> Iterator[SQLiteTables]:
    """The caller's connection as is, or a new one on the database file (closed afterwards);
    a write creates the tables first."""
    if isinstance(db, sqlite3.Connection):
        try:
            found = SQLiteTables(db, schema_version)
            if write:
                found.ensure_schema()
            yield found
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
        found = SQLiteTables(conn, schema_version)
        if write:
            found.ensure_schema()
        yield found
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: the snapshot registry refused the operation: {exc}") from None
    finally:
        conn.close()
