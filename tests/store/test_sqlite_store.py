"""What only the SQLite store does: its file, WAL mode and ``BEGIN IMMEDIATE`` (the behaviour
both backends share is tested on both in test_store.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from wikipact.errors import StoreError
from wikipact.store import SQLiteStore, open_store


def test_readonly_store_refuses_missing_files(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no such database"):
        SQLiteStore(tmp_path / "absent.db", readonly=True)


def test_wal_mode_is_on(db_url: str) -> None:
    store = open_store(db_url)
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_a_transaction_interrupted_before_its_end_does_not_block_the_next(tmp_path: Path) -> None:
    """Ctrl-C between BEGIN and COMMIT: nothing of it is kept and the next write works."""
    store = SQLiteStore(tmp_path / "w.db")
    store.conn.execute("BEGIN IMMEDIATE")  # as a KeyboardInterrupt right after BEGIN leaves it
    store.conn.execute(
        "INSERT INTO sites (project, siteinfo, updated_at) VALUES ('xwiki', x'00', 'now')"
    )
    run = store.start_run(["dump.xml"], {})  # a write after the interruption
    assert run.run_id == 1
    assert store.site("xwiki") is None  # the interrupted transaction was rolled back
    store.close()
