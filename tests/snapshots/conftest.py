"""Fixtures for snapshots: a store of the vendored real samples, copied for tests that change it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.conftest import ENWIKI_MULTISTREAM, MRWIKI_MULTISTREAM


def ingest_into(db: Path, *paths: Path) -> None:
    """Ingest ``paths`` into the store at ``db`` with the library, as `wikipact ingest` does."""
    from wikipact.run.ingest import IngestOptions, ingest
    from wikipact.store.sqlite import SQLiteStore

    store = SQLiteStore(db)
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
