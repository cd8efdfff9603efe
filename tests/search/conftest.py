"""A store of both vendored samples (enwiki and mrwiki), indexed once per session and copied.

``indexed_db``/``fresh_db`` are the SQLite file; ``index_db``/``fresh_index_db`` run a test once
on SQLite and once on PostgreSQL (a throwaway server's database made from one indexed template;
skipped, saying why, where no PostgreSQL server can be started).
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ENWIKI_MULTISTREAM, MRWIKI_MULTISTREAM
from wikipact.run.ingest import IngestOptions, ingest
from wikipact.search import build_index
from wikipact.store import SQLiteStore, open_store

Db = Path | str  # a SQLite file or a postgresql:// URL


@pytest.fixture(scope="session")
def indexed_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The samples ingested and indexed; read it only (tests that write use ``fresh_db``)."""
    path = tmp_path_factory.mktemp("search") / "w.db"
    store = SQLiteStore(path)
    try:
        summary = ingest([ENWIKI_MULTISTREAM, MRWIKI_MULTISTREAM], store, IngestOptions())
        assert summary.status == "completed" and not summary.errors
        store.checkpoint_wal()
    finally:
        store.close()
    build_index(path)
    store = SQLiteStore(path)
    store.checkpoint_wal()
    store.close()
    return path


@pytest.fixture
def fresh_db(indexed_db: Path, tmp_path: Path) -> Path:
    """A private copy of the indexed store, for tests that change it."""
    path = tmp_path / "w.db"
    shutil.copyfile(indexed_db, path)
    return path


@pytest.fixture(scope="session")
def indexed_template(postgres_server: Any) -> str:
    """The samples ingested into PostgreSQL and indexed, as a template no test connects to."""
    url = postgres_server.database()
    store = open_store(url)
    try:
        summary = ingest([ENWIKI_MULTISTREAM, MRWIKI_MULTISTREAM], store, IngestOptions())
        assert summary.status == "completed" and not summary.errors
    finally:
        store.close()
    build_index(url)
    return url


def copy_database(template: str) -> str:
    """A new database on the same server, a copy of ``template`` (no one may be connected to it)."""
    import psycopg

    name = "wikipact_copy_" + uuid.uuid4().hex[:12]
    server, source = template.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    return f"{server}/{name}"


@pytest.fixture(scope="session")
def indexed_pg(indexed_template: str) -> str:
    """A read-only-by-convention copy of the indexed PostgreSQL samples."""
    return copy_database(indexed_template)


@pytest.fixture(params=["sqlite", "postgresql"])
def index_db(request: pytest.FixtureRequest, indexed_db: Path) -> Db:
    """The indexed samples on each backend; read them only."""
    if request.param == "sqlite":
        return indexed_db
    return str(request.getfixturevalue("indexed_pg"))


@pytest.fixture
def fresh_pg(indexed_template: str) -> str:
    """A private, writable copy of the indexed samples on PostgreSQL."""
    return copy_database(indexed_template)


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_index_db(request: pytest.FixtureRequest, tmp_path: Path) -> Db:
    """A private, writable copy of the indexed samples on each backend."""
    if request.param == "sqlite":
        return request.getfixturevalue("fresh_db")  # type: ignore[no-any-return]
    return copy_database(str(request.getfixturevalue("indexed_template")))


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db(request: pytest.FixtureRequest, tmp_path: Path) -> Db:
    """An empty store on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "w.db"
        SQLiteStore(path).close()
        return path
    url = str(request.getfixturevalue("postgres_url"))
    open_store(url).close()
    return url


def is_pg(db: Db) -> bool:
    return isinstance(db, str) and db.startswith("postgresql://")


def rows(db: Db, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Run a read on either backend (write the SQL with ``?`` placeholders)."""
    if is_pg(db):
        import psycopg

        with psycopg.connect(str(db)) as conn:
            return conn.execute(sql.replace("?", "%s"), params).fetchall()
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


@pytest.fixture
def store_of() -> Iterator[Any]:
    """``store_of(db)``: the article store of either backend, closed after the test."""
    opened: list[Any] = []

    def open_(db: Db, *, readonly: bool = False) -> Any:
        store = open_store(str(db), readonly=readonly)
        opened.append(store)
        return store

    yield open_
    for store in opened:
        store.close()
