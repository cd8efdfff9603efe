"""Copy every table of one wikipact database into another: SQLite to PostgreSQL (moving a pilot
up), PostgreSQL to SQLite, or between two of a kind.

Both backends keep the same tables with the same columns; only types differ (SQLite's integers
are PostgreSQL's booleans, BLOB is BYTEA). Rows are read in primary-key order, in batches, and
written with their keys as they are: change-log cursors, agreement and audit numbers, key ids
and digests, and the installation secret that keys are digested with, so a partner's key, its
``Last-Event-ID`` and its snapshot ids mean the same on the copy. Identity columns of the
destination continue after the copied numbers.

The destination must be empty (its schemas made, no rows): ``copy_database`` refuses
otherwise. Each table is verified after copying: the row count and a SHA-256 over its rows,
normalised the same way on both sides, must match.

The search index is not copied: ``wikipact index`` rebuilds it from the store on the copy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from wikipact.errors import ConfigError, StoreError
from wikipact.store.urls import is_postgres_url

BATCH = 2000

# (table, primary-key columns): the order they are copied in (parents before children)
TABLES: list[tuple[str, tuple[str, ...]]] = [
    ("sites", ("project",)),
    ("articles", ("project", "page_id")),
    ("revisions", ("project", "revision_id")),
    ("changes", ("cursor",)),
    ("ingest_runs", ("id",)),
    ("ingest_tasks", ("run_id", "task_key")),
    ("ingest_errors", ("id",)),
    ("stream_positions", ("name",)),
    ("access_partners", ("identifier",)),
    ("access_agreements", ("identifier",)),
    ("access_keys", ("identifier",)),
    ("access_refresh_tokens", ("digest",)),
    ("access_audit", ("seq",)),
    ("access_rate", ("key",)),
    ("access_quota", ("agreement", "channel", "period")),
    ("access_usage", ("event",)),
    ("snapshots", ("identifier",)),
]
SECRET_TABLE = "access_schema"  # one row; the destination's own is replaced by the source's
Progress = Callable[[str, int], None]  # (table, rows copied so far)


@dataclass
class TableReport:
    table: str
    rows: int
    sha256: str


@dataclass
class CopyReport:
    tables: list[TableReport] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


class _Side:
    """One database, seen as tables of rows (the only place its connection is used)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.postgres = is_postgres_url(url)
        if self.postgres:
            import psycopg

            self.conn: Any = psycopg.connect(url)
        else:
            from wikipact.store import sqlite_path
            from wikipact.store.sqlite import connect

            path = sqlite_path(url)
            if not path.exists():
                raise StoreError(f"{path}: no such database")
            self.conn = connect(path)
        self.mark = "%s" if self.postgres else "?"

    def tables(self) -> set[str]:
        if self.postgres:
            rows = self.conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = "
                "current_schema()"
            ).fetchall()
        else:
            rows = self.conn.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
        return {r[0] for r in rows}

    def columns(self, table: str) -> dict[str, str]:
        """Column name -> 'bool', 'bytes' or 'other', in table order."""
        if self.postgres:
            rows = self.conn.execute(
                "SELECT column_name, data_type FROM information_schema.columns WHERE "
                "table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position",
                (table,),
            ).fetchall()
            kinds = {"boolean": "bool", "bytea": "bytes"}
            return {name: kinds.get(kind, "other") for name, kind in rows}
        rows = self.conn.execute(f'PRAGMA table_info("{table}")').fetchall()
        return {r[1]: "bytes" if r[2].upper() == "BLOB" else "other" for r in rows}

    def count(self, table: str) -> int:
        return int(self.conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])

    def read(self, table: str, columns: Sequence[str], key: Sequence[str]) -> Iterator[list[Any]]:
        names = ", ".join(f'"{c}"' for c in columns)
        collate = ' COLLATE "C"' if self.postgres else ""
        order = ", ".join(f'"{k}"{collate if self._is_text(table, k) else ""}' for k in key)
        cursor = self.conn.cursor()
        cursor.execute(f'SELECT {names} FROM "{table}" ORDER BY {order}')
        while batch := cursor.fetchmany(BATCH):
            yield [list(row) for row in batch]

    def _is_text(self, table: str, column: str) -> bool:
        if not self.postgres:
            return False
        row = self.conn.execute(
            "SELECT data_type FROM information_schema.columns WHERE table_schema = "
            "current_schema() AND table_name = %s AND column_name = %s",
            (table, column),
        ).fetchone()
        return bool(row) and row[0] in ("text", "character varying")

    def write(self, table: str, columns: Sequence[str], rows: list[list[Any]]) -> None:
        names = ", ".join(f'"{c}"' for c in columns)
        marks = ", ".join([self.mark] * len(columns))
        sql = f'INSERT INTO "{table}" ({names}) VALUES ({marks})'
        if self.postgres:
            with self.conn.cursor() as cursor:
                cursor.executemany(sql, rows)
        else:
            self.conn.executemany(sql, rows)

    def begin(self) -> None:
        if not self.postgres:
            self.conn.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self.conn.commit() if self.postgres else self.conn.execute("COMMIT")

    def rollback(self) -> None:
        self.conn.rollback() if self.postgres else self.conn.execute("ROLLBACK")

    def secret(self) -> bytes | None:
        if SECRET_TABLE not in self.tables():
            return None
        row = self.conn.execute(f"SELECT secret FROM {SECRET_TABLE}").fetchone()
        return bytes(row[0]) if row else None

    def set_secret(self, secret: bytes) -> None:
        self.conn.execute(f"UPDATE {SECRET_TABLE} SET secret = {self.mark}", (secret,))

    def continue_identities(self, table: str, column: str) -> None:
        """After rows with explicit numbers, new rows continue after the largest (PostgreSQL;
        SQLite's AUTOINCREMENT does it by itself)."""
        if not self.postgres:
            return
        sequence = self.conn.execute(
            "SELECT pg_get_serial_sequence(%s, %s)", (table, column)
        ).fetchone()[0]
        if sequence:
            self.conn.execute(
                f'SELECT setval(%s, COALESCE((SELECT MAX("{column}") FROM "{table}"), 0) + 1, '
                "false)",
                (sequence,),
            )

    def close(self) -> None:
        self.conn.close()


def _convert(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "bool":
        return bool(value)
    if kind == "bytes":
        return bytes(value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, memoryview):
        return bytes(value)
    return value


def _digest_row(digest: Any, row: Sequence[Any]) -> None:
    """Feed a row to ``digest`` the same way whatever backend it came from."""
    for value in row:
        if isinstance(value, bool):
            value = int(value)
        if isinstance(value, memoryview):
            value = bytes(value)
        if isinstance(value, bytes):
            digest.update(b"b%d:" % len(value) + value)
        elif value is None:
            digest.update(b"n")
        else:
            text = repr(value) if isinstance(value, float) else str(value)
            encoded = text.encode("utf-8", "surrogatepass")
            digest.update(b"t%d:" % len(encoded) + encoded)


def copy_database(source: str, destination: str, *, progress: Progress | None = None) -> CopyReport:
    """Copy every wikipact table of ``source`` into the empty ``destination`` (whose schemas
    exist: open its backends first), verified by counts and checksums."""
    if source == destination:
        raise ConfigError("source and destination are the same database")
    src, dst = _Side(source), _Side(destination)
    try:
        present = src.tables()
        missing = [t for t, _ in TABLES if t in present and t not in dst.tables()]
        if missing:
            raise ConfigError(f"{destination} has no tables {missing}: open its backends first")
        busy = [t for t, _ in TABLES if t in present and dst.count(t)]
        if busy:
            raise ConfigError(f"{destination} is not empty ({', '.join(busy)} have rows)")
        report = CopyReport()
        dst.begin()
        try:
            secret = src.secret()
            if secret is not None:
                dst.set_secret(secret)
            for table, key in TABLES:
                if table in present:
                    report.tables.append(_copy_table(src, dst, table, key, progress))
            for table, column in (("access_agreements", "identifier"), ("access_audit", "seq"),
                                  ("ingest_runs", "id"), ("ingest_errors", "id")):  # fmt: skip
                if table in present:
                    dst.continue_identities(table, column)
            dst.commit()
        except BaseException:
            dst.rollback()
            raise
        _verify(src, dst, report)
        return report
    finally:
        src.close()
        dst.close()


def _copy_table(
    src: _Side, dst: _Side, table: str, key: tuple[str, ...], progress: Progress | None
) -> TableReport:
    source_columns = src.columns(table)
    target = dst.columns(table)
    if set(source_columns) != set(target):
        raise StoreError(
            f"table {table}: the databases' columns differ ({sorted(source_columns)} against "
            f"{sorted(target)}); upgrade both to the same wikipact version"
        )
    columns = list(source_columns)
    kinds = [target[c] for c in columns]
    digest = hashlib.sha256()
    rows = 0
    for batch in src.read(table, columns, key):
        converted = [[_convert(v, k) for v, k in zip(row, kinds, strict=True)] for row in batch]
        dst.write(table, columns, converted)
        for row in converted:
            _digest_row(digest, row)
        rows += len(batch)
        if progress:
            progress(table, rows)
    return TableReport(table, rows, digest.hexdigest())


def _verify(src: _Side, dst: _Side, report: CopyReport) -> None:
    """Read every copied table back from the destination: same count, same checksum."""
    keys = dict(TABLES)
    for copied in report.tables:
        columns = list(src.columns(copied.table))
        digest = hashlib.sha256()
        rows = 0
        for batch in dst.read(copied.table, columns, keys[copied.table]):
            for row in batch:
                _digest_row(digest, row)
            rows += len(batch)
        if rows != copied.rows or digest.hexdigest() != copied.sha256:
            raise StoreError(
                f"table {copied.table}: the copy does not match ({rows} rows read back, "
                f"{copied.rows} copied; checksums {digest.hexdigest()[:12]} and "
                f"{copied.sha256[:12]})"
            )
