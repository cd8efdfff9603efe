"""The registry: visibility filters, identifiers that never become paths, layout version.

Tests taking ``db`` run on SQLite and on PostgreSQL (``empty_store``).
"""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.snapshots.conftest import Db, is_pg, rows
from wikipact.errors import ConfigError, NotFoundError, StoreError
from wikipact.snapshots.registry import (
    Registry,
    Snapshot,
    ensure_schema,
    get_snapshot,
    latest,
    list_snapshots,
    register,
    snapshot_file,
    snapshots_named,
    unregister,
)


def make(identifier: str, projects: tuple[str, ...] = ("enwiki",), **fields: object) -> Snapshot:
    base = Snapshot(
        identifier=identifier,
        kind="snapshot",
        name=identifier.rsplit("_", 1)[0],
        projects=projects,
        namespace=0,
        in_language="en",
        path=f"{identifier}.tar.gz",
        size=10,
        sha256="ab" * 32,
        records=1,
        date_modified="2025-01-26T20:35:25Z",
        created_at="2026-11-28T00:00:00Z",
        change_cursor=5,
    )
    return dataclasses.replace(base, **fields)  # type: ignore[arg-type]


@pytest.fixture
def db(empty_store: Db) -> Db:
    return empty_store  # an empty store: the registry lives in the same database


def write(db: Db, sql: str) -> None:
    """Run one statement on either backend, committed."""
    if is_pg(db):
        import psycopg

        with psycopg.connect(str(db), autocommit=True) as conn:
            conn.execute(sql)
        return
    with sqlite3.connect(db) as conn:
        conn.execute(sql)
    conn.close()


def test_visibility_filters(db: Db) -> None:
    en_old = register(db, make("enwiki_namespace_0_20250101", created_at="2026-01-01T00:00:00Z"))
    en_new = register(db, make("enwiki_namespace_0_20250126"))
    mr = register(db, make("mrwiki_namespace_0_20230501", ("mrwiki",), in_language="mr"))
    private = register(
        db,
        make(
            "enwiki_namespace_0_20250126_2",
            name="enwiki_namespace_0",
            owner="p1",
            created_at="2026-12-01T00:00:00Z",
        ),
    )
    both = register(db, make("dataset_x_0123456789ab", ("enwiki", "mrwiki"), kind="dataset"))

    assert list_snapshots(db) == [both, en_new, en_old, mr]  # public only, newest first by name
    assert list_snapshots(db, projects=["enwiki"]) == [en_new, en_old]  # all projects entitled
    assert list_snapshots(db, projects=["enwiki", "mrwiki"]) == [both, en_new, en_old, mr]
    assert list_snapshots(db, projects=[]) == []
    assert list_snapshots(db, owner="p1") == [both, private, en_new, en_old, mr]
    assert list_snapshots(db, owner="p2") == [both, en_new, en_old, mr]
    assert list_snapshots(db, owner="p1", include_public=False) == [private]
    assert len(list_snapshots(db, all_owners=True)) == 5
    assert list_snapshots(db, kind="dataset") == [both]
    assert both.project is None and en_new.project == "enwiki"

    assert latest(db, "enwiki", 0) == en_new
    assert latest(db, "enwiki", 0, owner="p1") == private
    assert latest(db, "enwiki", 14) is None and latest(db, "dewiki", 0) is None
    assert get_snapshot(db, private.identifier) == private  # the API checks the owner

    assert unregister(db, en_new.identifier) and not unregister(db, en_new.identifier)
    assert latest(db, "enwiki", 0) == en_old


def test_reregistering_replaces_the_row(db: Db) -> None:
    register(db, make("enwiki_namespace_0_20250126"))
    changed = register(db, make("enwiki_namespace_0_20250126", size=99, sha256="cd" * 32))
    assert list_snapshots(db) == [changed]


@pytest.mark.parametrize(
    "identifier",
    [
        "",
        ".",
        "..",
        "../w.db",
        "../../etc/passwd",
        "/etc/passwd",
        "enwiki_namespace_0_20250126/../w",
        "enwiki_namespace_0_20250126.tar.gz",
        "%2e%2e",
        "%2e%2e%2fw.db",
        "..%2f..%2fetc",
        "enwiki%2fnamespace",
        "a\\b",
        "enwiki_namespace_0_20250126\x00",
        " enwiki_namespace_0_20250126",
        "enwiki_namespace_0_20250126\n",
        "_hidden",
        "-rf",
        "a" * 201,
        "ﬁle",
    ],
)
def test_identifiers_that_look_like_paths_are_never_found(db: Db, identifier: str) -> None:
    register(db, make("enwiki_namespace_0_20250126"))
    assert get_snapshot(db, identifier) is None
    with pytest.raises(ConfigError, match="invalid snapshot identifier"):
        register(db, dataclasses.replace(make("x"), identifier=identifier))


@pytest.mark.parametrize(
    "path", ["../w.db", "/etc/passwd", "a/../../w.db", "", "a//b", "./a", "C:\\x", "a\\..\\b"]
)
def test_stored_paths_stay_under_the_root(db: Db, tmp_path: Path, path: str) -> None:
    with pytest.raises(ConfigError, match="path"):
        register(db, make("enwiki_namespace_0_20250126", path=path))
    # A row planted by hand is refused when resolved, never opened.
    (tmp_path / "w.db-secret").write_text("secret")
    planted = make("enwiki_namespace_0_20250126", path=path)
    with pytest.raises(StoreError, match="stored path"):
        snapshot_file(tmp_path / "root", planted)


def test_snapshot_file_resolves_under_the_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    snap = make("enwiki_namespace_0_20250126")
    with pytest.raises(NotFoundError, match="missing"):
        snapshot_file(root, snap)
    (root / snap.path).write_bytes(b"x" * 10)
    assert snapshot_file(root, snap) == (root / snap.path).resolve()
    (tmp_path / "w.db").write_bytes(b"a database")
    (root / "link.tar.gz").symlink_to(tmp_path / "w.db")
    with pytest.raises(StoreError, match="leaves the root"):
        snapshot_file(root, make("link", path="link.tar.gz"))


def test_layout_version_and_empty_databases(db: Db, tmp_path: Path) -> None:
    assert list_snapshots(db) == [] and get_snapshot(db, "enwiki_namespace_0_1") is None
    register(db, make("enwiki_namespace_0_20250126"))
    ledger = "SELECT version FROM wikipact_migrations WHERE name='snapshots' ORDER BY version"
    assert rows(db, ledger) == [(1,), (2,)]
    write(db, "INSERT INTO wikipact_migrations VALUES ('snapshots', 99, 'later')")
    with pytest.raises(StoreError, match="upgrade wikipact"):
        list_snapshots(db)
    with pytest.raises(StoreError, match="upgrade wikipact"):
        register(db, make("enwiki_namespace_0_20250127"))
    if is_pg(db):
        unreachable = str(db).rsplit("/", 1)[0] + "/no_such_database"
        with pytest.raises(ConfigError, match="cannot connect"):
            list_snapshots(unreachable)
    else:
        with pytest.raises(StoreError, match="run `wikipact ingest`"):
            list_snapshots(tmp_path / "absent.db")


def test_a_caller_connection_is_used_as_is(db: Db) -> None:
    if is_pg(db):
        import psycopg

        conn: Any = psycopg.connect(str(db))
    else:
        conn = sqlite3.connect(db, isolation_level=None)
    snap = register(conn, make("enwiki_namespace_0_20250126"))
    assert get_snapshot(conn, snap.identifier) == snap and list_snapshots(conn) == [snap]
    assert get_snapshot(db, snap.identifier) == snap  # committed for others too
    conn.close()


def test_postgres_a_write_joins_the_callers_transaction(postgres_url: str) -> None:
    import psycopg

    with psycopg.connect(postgres_url) as conn:
        with pytest.raises(RuntimeError), conn.transaction():
            register(conn, make("enwiki_namespace_0_20250126"))
            assert len(list_snapshots(conn)) == 1  # seen inside the transaction
            raise RuntimeError("roll back")
        assert list_snapshots(conn) == [] and list_snapshots(postgres_url) == []


def test_listing_order_is_the_same_on_both_backends(db: Db) -> None:
    """Byte order of text (upper case before lower, é after z) and NULL cursors last in
    ``latest``, exactly as SQLite lists them."""
    names = ["b_namespace_0", "B_namespace_0", "a_namespace_0", "Z_namespace_0", "z_namespace_0"]
    for i, name in enumerate(names):
        register(db, make(f"{name}_2025010{i}", name=name))
    register(db, make("x_namespace_0_1", name="x_namespace_0", change_cursor=None))
    register(db, make("x_namespace_0_2", name="x_namespace_0", change_cursor=3))
    register(db, make("dataset_e_0", ("enwiki",), kind="dataset", name="é"))
    listed = [s.name for s in list_snapshots(db)]
    assert listed == sorted(listed, key=lambda n: n.encode()) == [
        "B_namespace_0", "Z_namespace_0", "a_namespace_0", "b_namespace_0", "x_namespace_0",
        "x_namespace_0", "z_namespace_0", "é",
    ]  # fmt: skip
    assert [s.identifier for s in snapshots_named(db, "x_namespace_0")] == [
        "x_namespace_0_2",
        "x_namespace_0_1",
    ]
    # newest first by created_at (equal), then change_cursor DESC: NULL is lowest on both
    register(db, make("dewiki_namespace_0_b", ("dewiki",), change_cursor=None))
    register(db, make("dewiki_namespace_0_a", ("dewiki",), change_cursor=1))
    assert latest(db, "dewiki", 0).identifier == "dewiki_namespace_0_a"  # type: ignore[union-attr]


def test_registry_for_a_server_reads_what_was_registered(db: Db) -> None:
    ensure_schema(db)
    snap = register(db, make("enwiki_namespace_0_20250126"))
    registry = Registry(str(db) if is_pg(db) else db)
    try:
        registry.ensure_schema()  # as Backends.prepare() asks: the tables exist already
        assert registry.get(snap.identifier) == snap
        assert registry.list(owner="p1") == [snap] and registry.list(kind="dataset") == []
        assert registry.get("../w.db") is None
        assert (registry.path is None) == is_pg(db)
    finally:
        registry.close()


def test_registry_creates_its_tables_when_asked(db: Db) -> None:
    """Reads never create the tables; ``ensure_schema`` (``Backends.prepare``) does."""

    def has_registry() -> bool:
        if is_pg(db):
            return rows(db, "SELECT to_regclass('snapshots') IS NOT NULL") == [(True,)]
        return bool(rows(db, "SELECT 1 FROM sqlite_master WHERE name='snapshots'"))

    registry = Registry(str(db) if is_pg(db) else db)
    try:
        assert registry.list() == [] and registry.get("enwiki_namespace_0_1") is None
        assert not has_registry()
        registry.ensure_schema()
        ledger = "SELECT version FROM wikipact_migrations WHERE name='snapshots' ORDER BY version"
        assert has_registry() and rows(db, ledger) == [(1,), (2,)]
        assert registry.list() == []
    finally:
        registry.close()
