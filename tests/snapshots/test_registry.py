"""The registry: visibility filters, identifiers that never become paths, layout version."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import pytest

from wikipact.errors import ConfigError, NotFoundError, StoreError
from wikipact.snapshots.registry import (
    Snapshot,
    get_snapshot,
    latest,
    list_snapshots,
    register,
    snapshot_file,
    unregister,
)
from wikipact.store.sqlite import SQLiteStore


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
def db(tmp_path: Path) -> Path:
    path = tmp_path / "w.db"
    SQLiteStore(path).close()  # an empty store: the registry lives in the same file
    return path


def test_visibility_filters(db: Path) -> None:
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


def test_reregistering_replaces_the_row(db: Path) -> None:
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
def test_identifiers_that_look_like_paths_are_never_found(db: Path, identifier: str) -> None:
    register(db, make("enwiki_namespace_0_20250126"))
    assert get_snapshot(db, identifier) is None
    with pytest.raises(ConfigError, match="invalid snapshot identifier"):
        register(db, dataclasses.replace(make("x"), identifier=identifier))


@pytest.mark.parametrize(
    "path", ["../w.db", "/etc/passwd", "a/../../w.db", "", "a//b", "./a", "C:\\x", "a\\..\\b"]
)
def test_stored_paths_stay_under_the_root(db: Path, tmp_path: Path, path: str) -> None:
    with pytest.raises(ConfigError, match="path"):
        register(db, make("enwiki_namespace_0_20250126", path=path))
    # A row planted by hand is refused when resolved, never opened.
    (tmp_path / "w.db-secret").write_text("secret")
    planted = make("enwiki_namespace_0_20250126", path=path)
    with pytest.raises(StoreError, match="stored path"):
        snapshot_file(tmp_path / "root", planted)


def test_snapshot_file_resolves_under_the_root(db: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    snap = make("enwiki_namespace_0_20250126")
    with pytest.raises(NotFoundError, match="missing"):
        snapshot_file(root, snap)
    (root / snap.path).write_bytes(b"x" * 10)
    assert snapshot_file(root, snap) == (root / snap.path).resolve()
    (root / "link.tar.gz").symlink_to(tmp_path / "w.db")
    with pytest.raises(StoreError, match="leaves the root"):
        snapshot_file(root, make("link", path="link.tar.gz"))


def test_layout_version_and_empty_databases(db: Path, tmp_path: Path) -> None:
    assert list_snapshots(db) == [] and get_snapshot(db, "enwiki_namespace_0_1") is None
    register(db, make("enwiki_namespace_0_20250126"))
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT id, version FROM snapshots_schema").fetchall() == [(1, 1)]
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("INSERT INTO snapshots_schema VALUES (2, 1)")  # one row only
        conn.execute("UPDATE snapshots_schema SET version=99")
    conn.close()
    with pytest.raises(StoreError, match="upgrade wikipact"):
        list_snapshots(db)
    with pytest.raises(StoreError, match="upgrade wikipact"):
        register(db, make("enwiki_namespace_0_20250127"))
    with pytest.raises(StoreError, match="run `wikipact ingest`"):
        list_snapshots(tmp_path / "absent.db")


def test_a_caller_connection_is_used_as_is(db: Path) -> None:
    conn = sqlite3.connect(db, isolation_level=None)
    snap = register(conn, make("enwiki_namespace_0_20250126"))
    assert get_snapshot(conn, snap.identifier) == snap and list_snapshots(conn) == [snap]
    assert get_snapshot(db, snap.identifier) == snap  # committed for others too
    conn.close()
