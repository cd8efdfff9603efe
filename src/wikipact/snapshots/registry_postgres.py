"""The snapshot registry's tables in the store's PostgreSQL database (``registry.RegistryTables``).

The same table as on SQLite (the ``snapshots`` migration set, ``snapshots.schema``), created on
the first write by the one migrations mechanism under its advisory lock, so that processes
starting together create it once; a database where
nothing was ever registered reads as an empty registry and is never written by a read. Text
columns are ``COLLATE "C"`` and every ``ORDER BY`` names that collation and puts NULLs where
SQLite does (first ascending, last descending), so listings come in SQLite's order exactly.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from wikipact.errors import ConfigError, StoreError
from wikipact.snapshots.registry_sqlite import COLUMNS, columns_at
from wikipact.snapshots.schema import SNAPSHOTS
from wikipact.store.migrations import migrate, version_in_force
from wikipact.store.pools import READ_ONLY, connection_pool
from wikipact.store.urls import redact

TEXT_COLUMNS = frozenset(
    ("identifier", "kind", "name", "project", "projects", "in_language", "path", "sha256",
     "date_modified", "created_at", "owner", "parent")
)  # fmt: skip

_UPSERT = (
    f"INSERT INTO snapshots ({COLUMNS}, project) "
    "VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (identifier) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in (*COLUMNS.split(", ")[1:], "project"))
)


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:  # pragma: no cover - a declared dependency
        raise ConfigError(
            "the snapshot registry on PostgreSQL needs psycopg: pip install 'psycopg[binary]'"
        ) from None
    return psycopg


class PostgresTables:
    """The registry's rows on one PostgreSQL connection."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def select(
        self, where: str, order: Sequence[str], params: tuple[object, ...], limit: int | None
    ) -> list[tuple[Any, ...]]:
        present = self.conn.execute("SELECT to_regclass('snapshots') IS NOT NULL").fetchone()[0]
        if not present:
            return []  # nothing was ever registered in this database
        version = self.check_version()
        if version < 2 and "parent" in where:
            return []  # no chunk before step 2 (a registry only ever read so far)
        tail = where.replace("?", "%s")  # the registry's SQL has no other ? and no %
        tail += (" ORDER BY " + ", ".join(_order_term(t) for t in order)) if order else ""
        tail += f" LIMIT {int(limit)}" if limit is not None else ""
        return self.conn.execute(
            f"SELECT {columns_at(version)} FROM snapshots {tail}", params
        ).fetchall()  # type: ignore[no-any-return]

    def put(self, row: tuple[object, ...]) -> None:
        with self.conn.transaction():
            self.conn.execute(_UPSERT, row)

    def delete(self, identifier: str) -> bool:
        with self.conn.transaction():
            self.conn.execute("DELETE FROM snapshots WHERE parent=%s", (identifier,))
            deleted = self.conn.execute(
                "DELETE FROM snapshots WHERE identifier=%s", (identifier,)
            ).rowcount
        return bool(deleted > 0)

    def check_version(self) -> int:
        return version_in_force(self.conn, SNAPSHOTS, label="the snapshot registry")

    def ensure_schema(self) -> None:
        migrate(self.conn, SNAPSHOTS, label="the snapshot registry")


def _order_term(term: str) -> str:
    """``name`` -> ``name COLLATE "C" ASC NULLS FIRST``: SQLite's byte order and NULL places."""
    column, _, direction = term.partition(" ")
    direction = direction.strip().upper() or "ASC"
    collate = ' COLLATE "C"' if column in TEXT_COLUMNS else ""
    nulls = "NULLS LAST" if direction == "DESC" else "NULLS FIRST"
    return f"{column}{collate} {direction} {nulls}"


class PostgresRegistry:
    """Reads for a server: a small pool of read-only connections (safe to share between
    threads); the tables are never created by it."""

    def __init__(self, url: str, *, max_connections: int = 4) -> None:
        _psycopg()  # a clear error when the driver is missing
        self.url = url
        self.pool = connection_pool(
            url, name="wikipact-registry", max_connections=max_connections, read_only=READ_ONLY
        )

    def close(self) -> None:
        self.pool.close()


@contextmanager
def tables(db: Any, *, write: bool) -> Iterator[PostgresTables]:
    """The registry on ``db``: a psycopg connection (used as given: writes join its open
    transaction as a savepoint), a ``PostgresRegistry``'s pool, or a new connection to a
    ``postgresql://`` URL (closed afterwards). A write creates the tables first."""
    pg = _psycopg()
    label = ""
    try:
        if isinstance(db, PostgresRegistry):
            with db.pool.connection() as conn:
                yield _open(conn, write)
        elif type(db).__module__.split(".")[0] == "psycopg":
            yield _open(db, write)
        else:
            url = str(getattr(db, "url", db))
            label = f"{redact(url)}: "
            try:
                conn = pg.connect(url, autocommit=True, connect_timeout=10)
            except pg.OperationalError as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else "no answer"
                raise ConfigError(
                    f"cannot connect to PostgreSQL at {redact(url)}: {first}"
                ) from None
            with conn:
                yield _open(conn, write)
    except pg.Error as exc:
        raise StoreError(f"{label}the snapshot registry refused the operation: {exc}") from None


def _open(conn: Any, write: bool) -> PostgresTables:
    found = PostgresTables(conn)
    if write:
        found.ensure_schema()
    return found
