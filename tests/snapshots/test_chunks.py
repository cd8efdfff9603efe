"""Chunks of snapshots and Structured Contents snapshots, as Wikimedia Enterprise serves them.

Tests taking ``any_store`` or ``empty_store`` run on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import sqlite3
import subprocess
import sys
import tarfile
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.snapshots.conftest import Db, copy_store, is_pg, rows
from wikipact.enterprise.names import namespace_name
from wikipact.errors import ConfigError
from wikipact.snapshots.create import create_snapshot
from wikipact.snapshots.registry import (
    Registry,
    Snapshot,
    chunks_of,
    get_snapshot,
    latest,
    list_snapshots,
    register,
    snapshots_named,
    unregister,
)
from wikipact.snapshots.schema import SNAPSHOTS

ENWIKI_RECORDS = 55  # live, non-redirect articles of namespace 0 in the enwiki sample


def member(path: Path) -> tuple[tarfile.TarInfo, bytes]:
    """The one member of a snapshot or chunk file, and its bytes."""
    with tarfile.open(path, "r:gz") as tar:
        members = tar.getmembers()
        assert len(members) == 1, [m.name for m in members]
        fh = tar.extractfile(members[0])
        assert fh is not None
        return members[0], fh.read()


def records(data: bytes) -> list[dict[str, Any]]:
    assert data.endswith(b"\n")
    return [json.loads(line) for line in data.split(b"\n")[:-1]]


def chunk_files(root: Path, snapshot: Snapshot) -> dict[str, int]:
    """mtime_ns of each chunk file of ``snapshot`` under ``root``."""
    return {
        p.name: p.stat().st_mtime_ns for p in root.glob(f"{snapshot.identifier}_chunk_*.tar.gz")
    }


def test_chunks_concatenate_to_the_snapshot(any_store: Db, tmp_path: Path) -> None:
    snap = create_snapshot(any_store, tmp_path, "enwiki", chunk_records=7)
    _, whole = member(tmp_path / snap.path)
    chunks = chunks_of(any_store, snap.identifier)
    assert len(chunks) == math.ceil(ENWIKI_RECORDS / 7) == 8
    assert [c.records for c in chunks] == [7] * 7 + [6]

    joined = b""
    for k, chunk in enumerate(chunks):
        identifier = f"{snap.identifier}_chunk_{k}"
        assert (chunk.identifier, chunk.name, chunk.kind, chunk.parent) == (
            identifier,
            f"enwiki_namespace_0_chunk_{k}",
            "chunk",
            snap.identifier,
        )
        assert chunk.path == f"{identifier}.tar.gz"
        assert (chunk.projects, chunk.namespace, chunk.in_language) == (("enwiki",), 0, "en")
        assert (chunk.owner, chunk.change_cursor) == (snap.owner, snap.change_cursor)
        data = (tmp_path / chunk.path).read_bytes()
        assert chunk.size == len(data) and chunk.sha256 == hashlib.sha256(data).hexdigest()
        assert data[4:8] == b"\0\0\0\0"  # gzip header mtime 0, as the snapshot's
        info, body = member(tmp_path / chunk.path)
        assert info.name == f"{identifier}.ndjson" and info.size == len(body)
        assert (info.mode, info.uid, info.gid, info.uname, info.gname) == (0o644, 0, 0, "", "")
        newest = max(r["date_modified"] for r in records(body))
        assert chunk.date_modified == newest
        assert info.mtime == int(datetime.fromisoformat(newest).timestamp())
        assert len(records(body)) == chunk.records
        joined += body
    assert joined == whole  # byte for byte
    assert max(c.date_modified or "" for c in chunks) == snap.date_modified

    # listings show the snapshot, never its chunks, unless asked for them
    assert list_snapshots(any_store) == [snap]
    assert list_snapshots(any_store, all_owners=True) == [snap]
    assert list_snapshots(any_store, kind="chunk") == sorted(
        chunks, key=lambda c: (c.name, c.identifier)
    )
    assert latest(any_store, "enwiki", 0) == snap
    assert not list(tmp_path.glob(".*.tmp"))


def test_chunks_come_in_chunk_order(any_store: Db, tmp_path: Path) -> None:
    """Chunk 10 comes after chunk 9 (not after chunk 1, as text would sort it)."""
    snap = create_snapshot(any_store, tmp_path, "enwiki", chunk_records=5)
    chunks = chunks_of(any_store, snap.identifier)
    assert [c.identifier for c in chunks] == [f"{snap.identifier}_chunk_{k}" for k in range(11)]
    registry = Registry(str(any_store) if is_pg(any_store) else any_store)
    try:
        assert registry.chunks(snap.identifier) == chunks
        assert registry.list() == [snap] and len(registry.list(kind="chunk")) == 11
        assert registry.latest("enwiki", 0) == snap
        assert registry.latest("enwiki", 0, kind="structured") is None
    finally:
        registry.close()
    assert chunks_of(any_store, "no_such_snapshot") == [] and chunks_of(any_store, "../x") == []


def test_one_chunk_when_the_snapshot_is_small(any_store: Db, tmp_path: Path) -> None:
    snap = create_snapshot(any_store, tmp_path, "enwiki")  # the default: 100,000 records
    (chunk,) = chunks_of(any_store, snap.identifier)
    assert member(tmp_path / chunk.path)[1] == member(tmp_path / snap.path)[1]
    assert chunk.records == snap.records and chunk.date_modified == snap.date_modified


def test_rerunning_reuses_and_repairs_the_chunks(any_store: Db, tmp_path: Path) -> None:
    first = create_snapshot(any_store, tmp_path, "enwiki", chunk_records=7)
    chunks = chunks_of(any_store, first.identifier)
    made = chunk_files(tmp_path, first)
    data = {c.identifier: (tmp_path / c.path).read_bytes() for c in chunks}

    again = create_snapshot(any_store, tmp_path, "enwiki", chunk_records=7)
    assert again == first and chunks_of(any_store, first.identifier) == chunks
    assert chunk_files(tmp_path, first) == made  # nothing written

    (tmp_path / chunks[3].path).unlink()  # a lost chunk file
    (tmp_path / chunks[5].path).write_bytes(b"damaged")  # a damaged one
    unregister(any_store, chunks[6].identifier)  # a lost row
    snapshot_mtime = (tmp_path / first.path).stat().st_mtime_ns
    repaired = create_snapshot(any_store, tmp_path, "enwiki", chunk_records=7)
    assert repaired == first
    assert (tmp_path / first.path).stat().st_mtime_ns == snapshot_mtime  # the snapshot stays
    now = chunk_files(tmp_path, first)
    assert {name for name in now if now[name] != made.get(name)} == {
        chunks[3].path,
        chunks[5].path,
        chunks[6].path,
    }
    after = chunks_of(any_store, first.identifier)
    assert [dataclasses.replace(c, created_at="") for c in after] == [
        dataclasses.replace(c, created_at="") for c in chunks
    ]
    assert {c.identifier: (tmp_path / c.path).read_bytes() for c in after} == data

    (tmp_path / first.path).unlink()  # the snapshot file lost: rewritten, chunks kept
    restored = create_snapshot(any_store, tmp_path, "enwiki", chunk_records=7)
    assert restored == first and chunk_files(tmp_path, first) == now

    forced = create_snapshot(any_store, tmp_path, "enwiki", chunk_records=7, force=True)
    assert forced.identifier == first.identifier and forced.sha256 == first.sha256
    assert {c.identifier: (tmp_path / c.path).read_bytes() for c in after} == data


def test_other_chunk_records_replace_the_chunks(any_store: Db, tmp_path: Path) -> None:
    snap = create_snapshot(any_store, tmp_path, "enwiki", chunk_records=7)
    assert len(chunk_files(tmp_path, snap)) == 8
    again = create_snapshot(any_store, tmp_path, "enwiki", chunk_records=20)
    assert again == snap  # the same snapshot, cut otherwise
    chunks = chunks_of(any_store, snap.identifier)
    assert [c.records for c in chunks] == [20, 20, 15]
    assert sorted(chunk_files(tmp_path, snap)) == sorted(c.path for c in chunks)  # old gone
    joined = b"".join(member(tmp_path / c.path)[1] for c in chunks)
    assert joined == member(tmp_path / snap.path)[1]


def test_a_replaced_snapshot_file_is_rewritten_before_chunks_are_cut(
    any_store: Db, tmp_path: Path
) -> None:
    """A snapshot file of the right size but other bytes is not cut into chunks."""
    snap = create_snapshot(any_store, tmp_path, "enwiki", chunk_records=7)
    data = (tmp_path / snap.path).read_bytes()
    (tmp_path / snap.path).write_bytes(bytes(len(data)))  # same size, zeros
    (tmp_path / chunks_of(any_store, snap.identifier)[0].path).unlink()
    again = create_snapshot(any_store, tmp_path, "enwiki", chunk_records=7)
    assert again.sha256 == snap.sha256 and (tmp_path / snap.path).read_bytes() == data
    chunks = chunks_of(any_store, snap.identifier)
    assert b"".join(member(tmp_path / c.path)[1] for c in chunks) == member(tmp_path / snap.path)[1]


def test_same_store_state_gives_the_same_chunks(any_store: Db, tmp_path: Path) -> None:
    first = create_snapshot(any_store, tmp_path / "a", "enwiki", chunk_records=7)
    other = copy_store(any_store, tmp_path / "other.db")
    second = create_snapshot(other, tmp_path / "b", "enwiki", chunk_records=7)
    a, b = chunks_of(any_store, first.identifier), chunks_of(other, second.identifier)
    assert [c.identifier for c in a] == [c.identifier for c in b]
    assert [c.sha256 for c in a] == [c.sha256 for c in b]
    for x, y in zip(a, b, strict=True):
        assert (tmp_path / "a" / x.path).read_bytes() == (tmp_path / "b" / y.path).read_bytes()


def test_private_snapshots_have_private_chunks(any_store: Db, tmp_path: Path) -> None:
    private = create_snapshot(any_store, tmp_path, "mrwiki", 14, owner="p1", chunk_records=100)
    chunks = chunks_of(any_store, private.identifier)
    assert [c.records for c in chunks] == [100] * 4 + [63]
    assert {c.owner for c in chunks} == {"p1"} and {c.namespace for c in chunks} == {14}
    assert list_snapshots(any_store, owner="p1") == [private]
    assert list_snapshots(any_store, owner="p1", kind="chunk") == sorted(
        chunks, key=lambda c: c.name
    )
    assert list_snapshots(any_store, kind="chunk") == []  # public only: none


def test_unregister_removes_the_chunks_rows(any_store: Db, tmp_path: Path) -> None:
    snap = create_snapshot(any_store, tmp_path, "enwiki", chunk_records=7)
    other = create_snapshot(any_store, tmp_path, "mrwiki", chunk_records=500)
    assert len(chunks_of(any_store, other.identifier)) == 2
    assert unregister(any_store, snap.identifier)
    assert chunks_of(any_store, snap.identifier) == []
    assert list_snapshots(any_store, all_owners=True, kind="chunk") == chunks_of(
        any_store, other.identifier
    )
    assert get_snapshot(any_store, f"{snap.identifier}_chunk_0") is None
    assert (tmp_path / f"{snap.identifier}_chunk_0.tar.gz").is_file()  # files are left alone


def test_structured_snapshot(any_store: Db, tmp_path: Path) -> None:
    plain = create_snapshot(any_store, tmp_path, "enwiki", chunk_records=7)
    structured = create_snapshot(any_store, tmp_path, "enwiki", chunk_records=7, structured=True)
    assert structured.kind == "structured" and structured.name == plain.name
    assert structured.identifier == "enwiki_namespace_0_structured_20250126"
    assert (structured.records, structured.date_modified, structured.change_cursor) == (
        plain.records,
        plain.date_modified,
        plain.change_cursor,
    )
    data = (tmp_path / structured.path).read_bytes()
    assert structured.size == len(data) and structured.sha256 == hashlib.sha256(data).hexdigest()
    info, body = member(tmp_path / structured.path)
    assert info.name == f"{structured.identifier}.ndjson"
    found = records(body)
    plain_records = records(member(tmp_path / plain.path)[1])
    assert [r["identifier"] for r in found] == [r["identifier"] for r in plain_records]
    cells = 0
    for record in found:
        assert "article_body" not in record
        assert record["is_part_of"]["name"] == "Wikipedia"  # the sitename, from the store
        assert record["is_part_of"]["url"] == "https://en.wikipedia.org"
        assert record["namespace"]["name"] == namespace_name(0, None)  # Enterprise's
        for table in record.get("tables", ()):
            for row in table["rows"]:
                for cell in row:
                    assert set(cell) == {"value"}
                    cells += 1
    assert cells > 100  # the sample has tables

    # its own chunks, concatenating to its member
    chunks = chunks_of(any_store, structured.identifier)
    assert len(chunks) == 8 and {c.parent for c in chunks} == {structured.identifier}
    assert chunks[0].identifier == f"{structured.identifier}_chunk_0"
    assert b"".join(member(tmp_path / c.path)[1] for c in chunks) == body

    # found by kind; reused per kind
    assert latest(any_store, "enwiki", 0) == plain
    assert latest(any_store, "enwiki", 0, kind="structured") == structured
    assert snapshots_named(any_store, plain.name, kind="structured") == [structured]
    assert snapshots_named(any_store, plain.name, kind="snapshot") == [plain]
    assert list_snapshots(any_store, kind="structured") == [structured]
    assert {s.identifier for s in list_snapshots(any_store)} == {
        plain.identifier,
        structured.identifier,
    }
    again = create_snapshot(any_store, tmp_path, "enwiki", chunk_records=7, structured=True)
    assert again == structured
    assert create_snapshot(any_store, tmp_path, "enwiki", chunk_records=7) == plain


def test_structured_snapshots_are_the_same_on_both_backends(
    store_db: Path, sample_store_pg: str, tmp_path: Path
) -> None:
    from tests.snapshots.conftest import copy_database

    pg = copy_database(sample_store_pg)
    for structured in (False, True):
        on_sqlite = create_snapshot(
            store_db, tmp_path / "s", "mrwiki", chunk_records=300, structured=structured
        )
        on_pg = create_snapshot(
            pg, tmp_path / "p", "mrwiki", chunk_records=300, structured=structured
        )
        assert on_pg.sha256 == on_sqlite.sha256 and on_pg.identifier == on_sqlite.identifier
        a, b = chunks_of(store_db, on_sqlite.identifier), chunks_of(pg, on_pg.identifier)
        assert [c.records for c in a] == [c.records for c in b] == [300, 300, 300, 49]
        assert [c.sha256 for c in a] == [c.sha256 for c in b]


def test_refusals(any_store: Db, tmp_path: Path) -> None:
    for bad in (0, -1):
        with pytest.raises(ConfigError, match="chunk-records"):
            create_snapshot(any_store, tmp_path, "enwiki", chunk_records=bad)
    snap = Snapshot(
        identifier="enwiki_namespace_0_20250126_chunk_0",
        kind="chunk",
        name="enwiki_namespace_0_chunk_0",
        projects=("enwiki",),
        namespace=0,
        in_language="en",
        path="enwiki_namespace_0_20250126_chunk_0.tar.gz",
        size=1,
        sha256="ab" * 32,
        records=1,
        date_modified=None,
        created_at="2026-01-01T00:00:00Z",
        change_cursor=1,
    )
    with pytest.raises(ConfigError, match="parent"):
        register(any_store, snap)  # a chunk without its snapshot
    with pytest.raises(ConfigError, match="parent"):
        register(any_store, dataclasses.replace(snap, kind="snapshot", parent="x"))
    with pytest.raises(ConfigError, match="parent"):
        register(any_store, dataclasses.replace(snap, parent="../x"))
    assert list_snapshots(any_store, all_owners=True, kind="chunk") == []


# -- the registry's step 2, from a registry made at step 1 -------------------------------------


def run(db: Db, *statements: str) -> None:
    """Run statements on either backend, in one committed transaction."""
    if is_pg(db):
        import psycopg

        with psycopg.connect(str(db)) as conn, conn.transaction():
            for sql in statements:
                conn.execute(sql)
        return
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("BEGIN")
        for sql in statements:
            conn.execute(sql)
        conn.execute("COMMIT")
    finally:
        conn.close()


V1_ROW = (
    "INSERT INTO snapshots (identifier, kind, name, project, projects, namespace, in_language, "
    "path, size, sha256, records, date_modified, created_at, change_cursor, owner) VALUES "
    "('enwiki_namespace_0_20250126', 'snapshot', 'enwiki_namespace_0', 'enwiki', '[\"enwiki\"]', "
    "0, 'en', 'enwiki_namespace_0_20250126.tar.gz', 10, 'abab', 1, '2025-01-26T20:35:25Z', "
    "'2026-11-28T00:00:00Z', 5, 'p1')"
)


def test_a_registry_made_at_step_1_is_migrated(empty_store: Db) -> None:
    db = empty_store
    dialect = "postgres" if is_pg(db) else "sqlite"
    step1 = SNAPSHOTS.steps[0].statements(dialect)
    renamed = (
        # a kind check under another name than PostgreSQL's default: found all the same
        ("ALTER TABLE snapshots RENAME CONSTRAINT snapshots_kind_check TO older_kind_check",)
        if is_pg(db)
        else ()
    )
    run(
        db,
        *step1,
        *renamed,
        V1_ROW,
        "INSERT INTO wikipact_migrations (name, version, applied_at) VALUES "
        "('snapshots', 1, 'then')",
    )
    old = Snapshot(
        identifier="enwiki_namespace_0_20250126",
        kind="snapshot",
        name="enwiki_namespace_0",
        projects=("enwiki",),
        namespace=0,
        in_language="en",
        path="enwiki_namespace_0_20250126.tar.gz",
        size=10,
        sha256="abab",
        records=1,
        date_modified="2025-01-26T20:35:25Z",
        created_at="2026-11-28T00:00:00Z",
        change_cursor=5,
        owner="p1",
    )
    # read at step 1 (readers never migrate): the row, and no chunks
    assert list_snapshots(db, all_owners=True) == [old]
    assert chunks_of(db, old.identifier) == [] and get_snapshot(db, old.identifier) == old

    chunk = dataclasses.replace(
        old,
        identifier=f"{old.identifier}_chunk_0",
        kind="chunk",
        name="enwiki_namespace_0_chunk_0",
        path=f"{old.identifier}_chunk_0.tar.gz",
        parent=old.identifier,
    )
    register(db, chunk)  # a write migrates
    ledger = "SELECT version FROM wikipact_migrations WHERE name='snapshots' ORDER BY version"
    assert rows(db, ledger) == [(1,), (2,)]
    assert get_snapshot(db, old.identifier) == old
    assert list_snapshots(db, all_owners=True) == [old]
    assert chunks_of(db, old.identifier) == [chunk]
    structured = register(
        db,
        dataclasses.replace(
            old,
            identifier="enwiki_namespace_0_structured_20250126",
            kind="structured",
            path="enwiki_namespace_0_structured_20250126.tar.gz",
        ),
    )
    assert latest(db, "enwiki", 0, owner="p1", kind="structured") == structured
    assert latest(db, "enwiki", 0, owner="p1") == old

    # the check still refuses other kinds; the indexes are there
    bogus = V1_ROW.replace("'snapshot'", "'bogus'").replace("20250126'", "20250127'", 1)
    with pytest.raises(Exception, match=r"(?i)check"):
        run(db, bogus)
    if is_pg(db):
        checks = rows(
            db,
            "SELECT conname FROM pg_constraint WHERE conrelid = 'snapshots'::regclass "
            "AND contype = 'c'",
        )
        assert checks == [("snapshots_kind_check",)]
        indexes = {
            r[0]
            for r in rows(db, "SELECT indexname FROM pg_indexes WHERE tablename=?", ("snapshots",))
        }
    else:
        indexes = {
            r[0]
            for r in rows(
                db,
                "SELECT name FROM sqlite_master WHERE type='index' AND tbl_name=?",
                ("snapshots",),
            )
        }
    assert {"snapshots_by_name", "snapshots_by_parent"} <= indexes
    assert unregister(db, old.identifier) and chunks_of(db, old.identifier) == []


def test_a_new_registry_is_made_at_step_2(empty_store: Db) -> None:
    db = empty_store
    ledger = "SELECT version FROM wikipact_migrations WHERE name='snapshots' ORDER BY version"
    assert SNAPSHOTS.latest == 2
    from wikipact.snapshots.registry import ensure_schema

    ensure_schema(db)
    assert rows(db, ledger) == [(1,), (2,)]
    ensure_schema(db)  # nothing more to do
    assert rows(db, ledger) == [(1,), (2,)]


# -- the command line --------------------------------------------------------------------------


def wikipact(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wikipact", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200", **env},
    )


def test_cli_chunks_and_structured(store_db: Path, tmp_path: Path) -> None:
    env = {"WIKIPACT_DB": f"sqlite:///{store_db}", "WIKIPACT_SNAPSHOTS": str(tmp_path / "s")}
    made = wikipact("snapshot", "create", "--project", "enwiki", "--chunk-records", "7", env=env)
    assert made.returncode == 0, made.stderr
    assert "enwiki_namespace_0_20250126" in made.stdout and "chunks    8" in made.stdout
    assert (tmp_path / "s" / "enwiki_namespace_0_20250126_chunk_7.tar.gz").is_file()
    structured = wikipact(
        "snapshot", "create", "--project", "enwiki", "--structured", "--chunk-records", "20",
        env=env,
    )  # fmt: skip
    assert structured.returncode == 0, structured.stderr
    assert "structured" in structured.stdout and "chunks    3" in structured.stdout
    assert "enwiki_namespace_0_structured_20250126" in structured.stdout

    listed = wikipact("snapshot", "list", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    found = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(r["identifier"], r["kind"], r["chunks"]) for r in found] == [
        ("enwiki_namespace_0_structured_20250126", "structured", 3),
        ("enwiki_namespace_0_20250126", "snapshot", 8),
    ]
    table = wikipact("snapshot", "list", env=env)
    assert table.returncode == 0, table.stderr
    assert "chunks" in table.stdout and "_chunk_" not in table.stdout
    line = next(x for x in table.stdout.splitlines() if "structured_20250126" in x)
    assert "structured" in line.split("structured_20250126", 1)[1] and " 3 " in line

    refused = wikipact("snapshot", "create", "--project", "enwiki", "--chunk-records", "0", env=env)
    assert refused.returncode == 2 and "chunk-records" in refused.stderr
    helped = wikipact("snapshot", "create", "--help", env=env)
    assert "--chunk-records" in helped.stdout and "--structured" in helped.stdout
