"""Fixtures for snapshots: a store of the vendored real samples, copied for tests that change it.

``store_db`` is the SQLite file; ``any_store`` and ``empty_store`` run a test once on SQLite and
once on PostgreSQL (a throwaway server's database; skipped, saying why, without one).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ENWIKI_MULTISTREAM, MRWIKI_MULTISTREAM
from tests.search.conftest import Db, copy_database, is_pg, rows

__all__ = ["Db", "copy_database", "copy_store", "ingest_into", "is_pg", "rows"]


def ingest_into(db: Db, *paths: Path) -> None:
    """Ingest ``paths`` into the store at ``db`` with the library, as `wikipact ingest` does."""
    from wikipact.run.ingest import IngestOptions, ingest
    from wikipact.store import open_store

    store = open_store(str(db))
    try:
        ingest(list(paths), store, IngestOptions())
    finally:
        store.close()


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """English and Marathi samples, ingested once; never written to (copy it with `copy_db`)."""
    db = tmp_path_factory.mktemp("store") / "w.db"
    ingest_into(db, ENWIKI_MULTISTREAM, MRWIKI_MULTISTREAM)
    return db


def copy_db(source: Path, target: Path) -> Path:
    """A consistent copy of a SQLite database (backup API: the WAL is included)."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()
    return target


@pytest.fixture
def store_db(sample_store: Path, tmp_path: Path) -> Path:
    """A private copy of the sample store."""
    return copy_db(sample_store, tmp_path / "w.db")


def copy_store(db: Db, target: Path) -> Db:
    """An independent copy of a store (and its registry): a SQLite file at ``target``, or a new
    PostgreSQL database."""
    return copy_database(str(db)) if is_pg(db) else copy_db(Path(db), target)


@pytest.fixture(scope="session")
def sample_store_pg(postgres_server: Any) -> str:
    """The samples ingested into PostgreSQL once, as a template no test connects to."""
    url = str(postgres_server.database())
    ingest_into(url, ENWIKI_MULTISTREAM, MRWIKI_MULTISTREAM)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest) -> Db:
    """A private copy of the sample store on each backend."""
    if request.param == "sqlite":
        return request.getfixturevalue("store_db")  # type: ignore[no-any-return]
    return copy_database(str(request.getfixturevalue("sample_store_pg")))


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_store(request: pytest.FixtureRequest, tmp_path: Path) -> Db:
    """An empty store on each backend."""
    from wikipact.store import open_store

    if request.param == "sqlite":
        db: Db = tmp_path / "w.db"
    else:
        db = str(request.getfixturevalue("postgres_url"))
    open_store(str(db)).close()
    return db
