"""Snapshot files made from the store of the vendored samples: content, determinism, history.

Every test runs on SQLite and on PostgreSQL (``any_store``, ``empty_store``); the files are the
same bytes on both.
"""

from __future__ import annotations

import hashlib
import tarfile
from datetime import datetime
from pathlib import Path

import msgspec
import pytest

from tests.conftest import DATA
from tests.snapshots.conftest import Db, copy_store, ingest_into, rows
from wikipact.errors import ConfigError, NotFoundError
from wikipact.model.article import Article
from wikipact.snapshots.create import create_snapshot
from wikipact.snapshots.registry import get_snapshot, latest, list_snapshots
from wikipact.store import open_store

_decode = msgspec.json.Decoder(Article)


def live_articles(db: Db, project: str, namespace: int) -> dict[int, Article]:
    """The store's live, non-redirect articles of a namespace, by page id (via the store API)."""
    ids = [
        r[0]
        for r in rows(
            db,
            "SELECT page_id FROM articles WHERE project=? AND namespace=? AND NOT deleted AND "
            "redirect_target IS NULL ORDER BY page_id",
            (project, namespace),
        )
    ]
    store = open_store(str(db), readonly=True)
    try:
        return {i: store.get(project, i) for i in ids}  # type: ignore[misc]
    finally:
        store.close()


def read_member(path: Path) -> tuple[tarfile.TarInfo, list[bytes]]:
    with tarfile.open(path, "r:gz") as tar:
        members = tar.getmembers()
        assert len(members) == 1, [m.name for m in members]
        fh = tar.extractfile(members[0])
        assert fh is not None
        data = fh.read()
    assert data.endswith(b"\n")
    return members[0], data.split(b"\n")[:-1]


@pytest.mark.parametrize(("project", "expected"), [("enwiki", 55), ("mrwiki", 949)])
def test_snapshot_holds_the_live_namespace_articles(
    any_store: Db, tmp_path: Path, project: str, expected: int
) -> None:
    root = tmp_path / "snaps"
    snap = create_snapshot(any_store, root, project, 0)
    path = root / snap.path
    member, lines = read_member(path)
    store_view = live_articles(any_store, project, 0)
    assert len(store_view) == expected  # redirects and other namespaces are left out
    assert snap.records == len(lines) == expected

    articles = [_decode.decode(line) for line in lines]
    assert [a.identifier for a in articles] == sorted(store_view)  # page-id order
    for article in articles:
        assert article == store_view[article.identifier]
        assert article.namespace.identifier == 0 and article.redirect_target is None
        assert article.is_part_of.identifier == project

    newest = max(a.date_modified for a in articles)
    assert member.name == f"{snap.identifier}.ndjson" and member.isreg()
    assert member.size == sum(len(line) + 1 for line in lines)
    assert member.mtime == int(datetime.fromisoformat(newest).timestamp())
    assert (member.mode, member.uid, member.gid, member.uname, member.gname) == (
        0o644,
        0,
        0,
        "",
        "",
    )

    data = path.read_bytes()
    assert snap.sha256 == hashlib.sha256(data).hexdigest() and snap.size == len(data)
    assert data[4:8] == b"\0\0\0\0"  # gzip header mtime 0
    assert snap.identifier == f"{project}_namespace_0_{newest[:10].replace('-', '')}"
    assert snap.name == f"{project}_namespace_0" and snap.projects == (project,)
    assert snap.date_modified == newest and snap.kind == "snapshot" and snap.owner is None
    assert snap.in_language == {"enwiki": "en", "mrwiki": "mr"}[project]
    assert get_snapshot(any_store, snap.identifier) == snap
    assert latest(any_store, project, 0) == snap
    cursor = rows(any_store, "SELECT MAX(cursor) FROM changes WHERE project=?", (project,))
    assert snap.change_cursor == cursor[0][0]
    assert not list(root.glob(".*.tmp"))  # the temp file was renamed away


def test_other_namespace_is_its_own_snapshot(any_store: Db, tmp_path: Path) -> None:
    snap = create_snapshot(any_store, tmp_path, "mrwiki", 14)
    _, lines = read_member(tmp_path / snap.path)
    assert len(lines) == snap.records == 463 == len(live_articles(any_store, "mrwiki", 14))
    assert {_decode.decode(line).namespace.identifier for line in lines} == {14}
    assert snap.identifier.startswith("mrwiki_namespace_14_") and snap.namespace == 14


def test_same_store_state_gives_byte_identical_files(any_store: Db, tmp_path: Path) -> None:
    first = create_snapshot(any_store, tmp_path / "a", "enwiki")
    data = (tmp_path / "a" / first.path).read_bytes()
    stat = (tmp_path / "a" / first.path).stat()

    again = create_snapshot(any_store, tmp_path / "a", "enwiki")  # unchanged: nothing written
    assert again == first
    assert (tmp_path / "a" / first.path).stat().st_mtime_ns == stat.st_mtime_ns

    forced = create_snapshot(any_store, tmp_path / "a", "enwiki", force=True)
    assert forced.identifier == first.identifier and forced.sha256 == first.sha256
    assert (tmp_path / "a" / first.path).read_bytes() == data

    other_db = copy_store(any_store, tmp_path / "other.db")  # an independent store and registry
    elsewhere = create_snapshot(other_db, tmp_path / "b", "enwiki")
    assert elsewhere.identifier == first.identifier
    assert (tmp_path / "b" / elsewhere.path).read_bytes() == data

    (tmp_path / "a" / first.path).unlink()  # a lost file is rewritten under its identifier
    restored = create_snapshot(any_store, tmp_path / "a", "enwiki")
    assert restored == first and (tmp_path / "a" / first.path).read_bytes() == data
    assert len(list_snapshots(any_store)) == 1


def test_newer_ingest_gives_a_new_snapshot(empty_store: Db, tmp_path: Path) -> None:
    db = empty_store
    ingest_into(db, DATA / "dewiki-20130602-id1.xml")
    old = create_snapshot(db, tmp_path, "dewiki")
    old_bytes = (tmp_path / old.path).read_bytes()
    ingest_into(db, DATA / "dewiki-20200801-id1.xml")  # the same article, seven years later
    new = create_snapshot(db, tmp_path, "dewiki")

    assert new.identifier != old.identifier and new.sha256 != old.sha256
    assert new.change_cursor is not None and old.change_cursor is not None
    assert new.change_cursor > old.change_cursor
    assert new.date_modified is not None and old.date_modified is not None
    assert new.date_modified > old.date_modified
    (old_article,) = [_decode.decode(x) for x in read_member(tmp_path / old.path)[1]]
    (new_article,) = [_decode.decode(x) for x in read_member(tmp_path / new.path)[1]]
    assert new_article.identifier == old_article.identifier == 1
    assert new_article.version.identifier > old_article.version.identifier
    assert (tmp_path / old.path).read_bytes() == old_bytes  # history is kept
    assert latest(db, "dewiki", 0) == new
    assert [s.identifier for s in list_snapshots(db)] == [new.identifier, old.identifier]


def test_a_new_state_on_the_same_day_gets_a_suffix(any_store: Db, tmp_path: Path) -> None:
    first = create_snapshot(any_store, tmp_path, "enwiki")
    ids = sorted(live_articles(any_store, "enwiki", 0))
    newest = max(live_articles(any_store, "enwiki", 0).values(), key=lambda a: a.date_modified)
    victim = next(i for i in ids if i != newest.identifier)
    all_live = {r[0] for r in rows(any_store, "SELECT page_id FROM articles")}
    store = open_store(str(any_store))
    try:
        assert store.delete_missing("enwiki", all_live - {victim}, source="test") == 1
    finally:
        store.close()
    second = create_snapshot(any_store, tmp_path, "enwiki")
    assert second.identifier == first.identifier + "_2"
    assert second.records == first.records - 1 and second.date_modified == first.date_modified
    ids_in_file = [_decode.decode(x).identifier for x in read_member(tmp_path / second.path)[1]]
    assert victim not in ids_in_file and len(ids_in_file) == 54
    assert latest(any_store, "enwiki", 0) == second


def test_private_snapshot_is_separate_from_the_public_one(any_store: Db, tmp_path: Path) -> None:
    public = create_snapshot(any_store, tmp_path, "enwiki")
    private = create_snapshot(any_store, tmp_path, "enwiki", owner="partner-7")
    assert private.owner == "partner-7" and private.identifier != public.identifier
    assert private.identifier == public.identifier + "_2"
    assert latest(any_store, "enwiki", 0) == public  # public view: only the public one
    assert latest(any_store, "enwiki", 0, owner="partner-8") == public
    assert latest(any_store, "enwiki", 0, owner="partner-7") == private  # newest visible


def test_refusals(any_store: Db, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="no live article in namespace 4"):
        create_snapshot(any_store, tmp_path, "enwiki", 4)
    with pytest.raises(NotFoundError, match="dewiki"):
        create_snapshot(any_store, tmp_path, "dewiki", 0)
    with pytest.raises(ConfigError, match="project"):
        create_snapshot(any_store, tmp_path, "../enwiki", 0)
    with pytest.raises(ConfigError, match="owner"):
        create_snapshot(any_store, tmp_path, "enwiki", owner=" ")
    assert list_snapshots(any_store) == [] and not list(tmp_path.glob("*.tar.gz"))


def test_postgres_and_sqlite_stores_give_the_same_files(
    store_db: Path, sample_store_pg: str, tmp_path: Path
) -> None:
    from tests.snapshots.conftest import copy_database

    pg = copy_database(sample_store_pg)
    made = {}
    for project, namespace in (("enwiki", 0), ("mrwiki", 0), ("mrwiki", 14)):
        on_sqlite = create_snapshot(store_db, tmp_path / "sqlite", project, namespace)
        on_pg = create_snapshot(pg, tmp_path / "pg", project, namespace)
        assert on_pg.identifier == on_sqlite.identifier and on_pg.records == on_sqlite.records
        assert on_pg.change_cursor == on_sqlite.change_cursor
        assert (tmp_path / "pg" / on_pg.path).read_bytes() == (
            tmp_path / "sqlite" / on_sqlite.path
        ).read_bytes()
        assert on_pg.sha256 == on_sqlite.sha256
        made[project, namespace] = on_sqlite
    assert [s.identifier for s in list_snapshots(pg)] == [
        s.identifier for s in list_snapshots(store_db)
    ]
    # the store URL works as well as its path: the same state, so the same snapshot
    by_url = create_snapshot(f"sqlite:///{store_db}", tmp_path / "sqlite", "enwiki")
    assert by_url == made["enwiki", 0]


def test_postgres_backends_serve_snapshots_through_the_api(
    sample_store_pg: str, tmp_path: Path
) -> None:
    """``Backends.registry()`` on a postgresql:// URL, end to end: listing by entitlement and
    privacy, metadata and a download of a snapshot registered in PostgreSQL."""
    from fastapi.testclient import TestClient

    from tests.api.conftest import auth, make_partners
    from tests.snapshots.conftest import copy_database
    from wikipact.api import create_app
    from wikipact.backends import open_backends

    db, root = copy_database(sample_store_pg), tmp_path / "snapshots"
    english = create_snapshot(db, root, "enwiki", 0)
    private = create_snapshot(db, root, "enwiki", 0, owner="beta", force=True)
    backends = open_backends(db, snapshots=root)
    app = create_app(backends)
    keys = make_partners(app.state.services.access)
    try:
        with TestClient(app) as client:
            listed = client.get("/v2/snapshots", headers=auth(keys.acme)).json()
            assert [(s["identifier"], s["dated_identifier"]) for s in listed] == [
                ("enwiki_namespace_0", english.identifier)  # beta's private file is not acme's
            ]
            meta = client.get(f"/v2/snapshots/{english.identifier}", headers=auth(keys.acme))
            assert meta.json()["sha256"] == english.sha256
            download = client.get(
                f"/v2/snapshots/{english.identifier}/download", headers=auth(keys.acme)
            )
            assert download.status_code == 200
            assert hashlib.sha256(download.content).hexdigest() == english.sha256
            hidden = client.get(f"/v2/snapshots/{private.identifier}", headers=auth(keys.acme))
            assert hidden.status_code == 404
    finally:
        app.state.services.registry.close()
        backends.close()
