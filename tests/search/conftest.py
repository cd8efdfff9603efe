"""A store of both vendored samples (enwiki and mrwiki), indexed once per session and copied."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import ENWIKI_MULTISTREAM, MRWIKI_MULTISTREAM
from wikipact.run.ingest import IngestOptions, ingest
from wikipact.search import build_index
from wikipact.store import SQLiteStore


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
