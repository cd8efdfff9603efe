"""One consistent read of the article store, for the two passes of a snapshot.

A snapshot reads a project twice (count, then write) and both passes must see the same store
state, whatever an ingest commits meanwhile. ``read_view(db)`` opens one read transaction for
both: on SQLite a ``BEGIN`` on a read-only ``SQLiteStore`` (a WAL read snapshot), on PostgreSQL
a ``REPEATABLE READ, READ ONLY`` transaction on a connection of its own. The PostgreSQL view
reads the store's tables (``articles``, ``changes``) itself, because ``PostgresStore`` gives
each call a pooled connection of its own, and so its own snapshot; it decodes records with the
store's own ``store.records``, so the articles are the store's, byte for byte.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from wikipact.errors import ConfigError, StoreError
from wikipact.model.article import Article
from wikipact.model.raw import SiteInfo


class StoreView(Protocol):
    """What a snapshot reads from the store, inside one read transaction."""

    def last_cursor(self, project: str) -> int: ...

    def live_pages(self, project: str) -> int: ...

    def page_id_chunks(self, project: str, size: int) -> Iterator[tuple[int, int]]: ...

    def articles_between(self, project: str, first: int, last: int) -> Iterator[Article]: ...

    def site(self, project: str) -> SiteInfo | None:
        """The project's site information (sitename, server, namespace names), if stored."""
        ...


@contextmanager
def read_view(db: str | os.PathLike[str] | Any) -> Iterator[StoreView]:
    """The store at ``db`` (a SQLite path or ``sqlite:///`` URL, a ``postgresql://`` URL),
    seen through one read transaction until the block ends."""
    from wikipact.snapshots.registry import is_postgres

    if is_postgres(db):
        with _postgres_view(str(getattr(db, "url", db))) as view:
            yield view
        return
    from wikipact.store import sqlite_path

    with _sqlite_view(sqlite_path(str(db)) if str(db).startswith("sqlite:///") else db) as view:
        yield view


class _SQLiteView:
    def __init__(self, store: Any) -> None:
        self.store = store
        self.page_id_chunks = store.page_id_chunks
        self.articles_between = store.articles_between
        self.site = store.site  # on the view's connection, inside its transaction

    def last_cursor(self, project: str) -> int:
        return int(
            self.store.conn.execute(
                "SELECT COALESCE(MAX(cursor), 0) FROM changes WHERE project=?", (project,)
            ).fetchone()[0]
        )

    def live_pages(self, project: str) -> int:
        return int(
            self.store.conn.execute(
                "SELECT COUNT(*) FROM articles WHERE project=? AND deleted=0", (project,)
            ).fetchone()[0]
        )


@contextmanager
def _sqlite_view(path: str | os.PathLike[str]) -> Iterator[StoreView]:
    from wikipact.store.sqlite import SQLiteStore

    store = SQLiteStore(path, readonly=True)
    try:
        store.conn.execute("BEGIN")  # one read snapshot of the database for both passes
        try:
            yield _SQLiteView(store)
        finally:
            store.conn.execute("COMMIT")
    finally:
        store.close()


class _PostgresView:
    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def last_cursor(self, project: str) -> int:
        return int(
            self.conn.execute(
                "SELECT COALESCE(MAX(cursor), 0) FROM changes WHERE project=%s", (project,)
            ).fetchone()[0]
        )

    def live_pages(self, project: str) -> int:
        return int(
            self.conn.execute(
                "SELECT COUNT(*) FROM articles WHERE project=%s AND NOT deleted", (project,)
            ).fetchone()[0]
        )

    def site(self, project: str) -> SiteInfo | None:
        from wikipact.store.records import site_decoder

        row = self.conn.execute(
            "SELECT siteinfo FROM sites WHERE project=%s", (project,), binary=True
        ).fetchone()
        return site_decoder.decode(row[0]) if row else None

    def page_id_chunks(self, project: str, size: int) -> Iterator[tuple[int, int]]:
        """(first, last) page ids of consecutive chunks of ``size`` live pages, in id order."""
        after = -(2**63)
        while True:
            row = self.conn.execute(
                "SELECT MIN(page_id), MAX(page_id) FROM (SELECT page_id FROM articles "
                "WHERE project=%s AND NOT deleted AND page_id > %s "
                "ORDER BY page_id LIMIT %s) AS chunk",
                (project, after, size),
            ).fetchone()
            if row is None or row[0] is None:
                return
            yield int(row[0]), int(row[1])
            after = int(row[1])

    def articles_between(self, project: str, first: int, last: int) -> Iterator[Article]:
        from wikipact.store.records import decode_article

        rows = self.conn.execute(
            "SELECT record FROM articles WHERE project=%s AND page_id BETWEEN %s AND %s "
            "AND NOT deleted ORDER BY page_id",
            (project, first, last),
            binary=True,
        ).fetchall()
        for (record,) in rows:
            yield decode_article(record)


@contextmanager
def _postgres_view(url: str) -> Iterator[StoreView]:
    from wikipact.snapshots.registry_postgres import _psycopg, redact

    pg = _psycopg()
    try:
        conn = pg.connect(url, connect_timeout=10)
    except pg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "no answer"
        raise ConfigError(f"cannot connect to PostgreSQL at {redact(url)}: {first}") from None
    try:
        conn.isolation_level = pg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        if conn.execute("SELECT to_regclass('articles')").fetchone()[0] is None:
            raise StoreError(
                f"{redact(url)}: no wikipact store in this database; run `wikipact ingest` first"
            )
        yield _PostgresView(conn)
    except pg.Error as exc:
        raise StoreError(f"{redact(url)}: reading the store for a snapshot failed: {exc}") from None
    finally:
        conn.rollback()  # read only: nothing to keep
        conn.close()
