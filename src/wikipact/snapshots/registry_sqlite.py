"""The snapshot registry's tables in the store's SQLite file (``registry.RegistryTables``).

The ``snapshots`` migration set (``snapshots.schema``), applied on the first write by the one
migrations mechanism; a database where nothing was ever registered reads as an empty registry.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from wikipact.errors import StoreError
from wikipact.snapshots.schema import SNAPSHOTS
from wikipact.store.migrations import migrate, version_in_force

COLUMNS_V1 = (
    "identifier, kind, name, projects, namespace, in_language, path, size, sha256, records, "
    "date_modified, created_at, change_cursor, owner"
)
COLUMNS = COLUMNS_V1 + ", parent"  # the order of registry._row


def columns_at(version: int) -> str:
    """What to select at a layout ``version``: a registry not yet migrated to step 2 (only
    ever read so far) has no ``parent``, and no chunk."""
    return COLUMNS if version >= 2 else COLUMNS_V1 + ", NULL"


class SQLiteTables:
    """The registry's rows on one SQLite connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def select(
        self, where: str, order: Sequence[str], params: tuple[object, ...], limit: int | None
    ) -> list[tuple[Any, ...]]:
        tail = where + (" ORDER BY " + ", ".join(order) if order else "")
        tail += f" LIMIT {int(limit)}" if limit is not None else ""
        try:
            version = self.check_version()
            if version < 2 and "parent" in where:
                return []  # no chunk before step 2 (a registry only ever read so far)
            return self.conn.execute(
                f"SELECT {columns_at(version)} FROM snapshots {tail}", params
            ).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []  # nothing was ever registered in this database
            raise StoreError(f"cannot read the snapshot registry: {exc}") from None

    def put(self, row: tuple[object, ...]) -> None:
        with _transaction(self.conn):
            self.conn.execute(
                f"INSERT OR REPLACE INTO snapshots({COLUMNS}, project) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                row,
            )

    def delete(self, identifier: str) -> bool:
        with _transaction(self.conn):
            self.conn.execute("DELETE FROM snapshots WHERE parent=?", (identifier,))
            deleted = self.conn.execute("DELETE FROM snapshots WHERE identifier=?", (identifier,))
            return deleted.rowcount > 0

    def check_version(self) -> int:
        return version_in_force(self.conn, SNAPSHOTS, label="the snapshot registry")

    def ensure_schema(self) -> None:
        migrate(self.conn, SNAPSHOTS, label="the snapshot registry")


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
def tables(db: sqlite3.Connection | Path, *, write: bool) -> Iterator[SQLiteTables]:
    """The caller's connection as is, or a new one on the database file (closed afterwards);
    a write creates the tables first."""
    if isinstance(db, sqlite3.Connection):
        try:
            found = SQLiteTables(db)
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
        found = SQLiteTables(conn)
        if write:
            found.ensure_schema()
        yield found
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path}: the snapshot registry refused the operation: {exc}") from None
    finally:
        conn.close()
