"""What the follower applied is what partners get, everywhere: on-demand, realtime, search,
snapshots and dataset builds — on SQLite and on PostgreSQL.

One store is followed through the scenario (``tests/follow/scenario.py``); a partner that had
read the realtime feed up to the start then reads on from its ``Last-Event-ID``. The deleted
article ("Anarchism") and the hidden editor and comment of Pear's newest revision must be gone
from every delivery, and every applied change must reach the partner exactly once.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from tests.follow.scenario import DELETED, Scenario, scenario, seed
from tests.follow.test_follow import follow_until_caught_up
from tests.follow.wikiserver import WikiServer
from wikipact.store import open_store


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def followed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Scenario, int, Path]]:
    """A store seeded, indexed, followed through the scenario; (url, plan, cursor before)."""
    from wikipact.search.index import build_index, update_index

    tmp = tmp_path_factory.mktemp(f"followed-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'w.db'}"
    else:
        url = request.getfixturevalue("postgres_server").database()
    plan = scenario()
    store = open_store(url)
    seed(store)
    cursor = store.stats().last_cursor
    store.close()
    database: Any = url if request.param == "postgresql" else tmp / "w.db"
    build_index(database)
    with WikiServer(revisions=plan.revisions, events=plan.events, faults=plan.faults) as server:
        server.end_stream()
        follow_until_caught_up(url, server)
    update_index(database)
    yield url, plan, cursor, tmp


@pytest.fixture(scope="module")
def signing_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from wikipact.datasets.signing import init_keys

    directory = tmp_path_factory.mktemp("signing")
    init_keys(directory)
    return directory


def client_and_key(url: str, tmp: Path) -> tuple[TestClient, str, str]:
    from wikipact.api.app import create_app
    from wikipact.backends import open_backends

    backends = open_backends(url, snapshots=tmp / "snapshots")
    access = backends.access()
    if not access.partners():
        access.add_partner("acme", "Acme AI", actor="test")
        access.add_agreement(
            "acme", name="all", projects=["enwiki", "dewiki"],
            channels=["on-demand", "realtime", "search", "snapshots", "datasets"],
            uses=["training", "grounding", "search"], rate_limit=1000, burst=1000,
            starts="2026-01-01", actor="test",
        )  # fmt: skip
    key = access.create_key("acme", label="t", actor="test")[1]
    admin = access.create_key(None, label="ops", actor="test")[1]
    return TestClient(create_app(backends)), key, admin


def test_on_demand_and_realtime_see_each_change_once(
    followed: tuple[str, Scenario, int, Path],
) -> None:
    url, plan, cursor, tmp = followed
    client, key, admin = client_and_key(url, tmp)
    headers = {"Authorization": f"Bearer {key}"}
    with client:
        assert client.get("/v2/admin/follow", headers=headers).status_code == 403
        health = client.get("/v2/admin/follow", headers={"Authorization": f"Bearer {admin}"})
        assert health.status_code == 200, health.text
        report = health.json()
        assert report["events"] == len(plan.events) and report["malformed"] == 1
        assert report["last_event_time"] == "2020-06-08T13:17:42Z"  # Alan Smithee's edit
        assert report["seconds_behind"] > 0 and report["lag_seconds"]["p99"] > 0
        assert client.get(f"/v2/articles/{DELETED}", headers=headers).status_code == 404
        pear = client.get("/v2/articles/Pear", headers=headers)
        assert pear.status_code == 200
        (record,) = pear.json()
        assert record["version"]["identifier"] == plan.pear[-1]
        assert "editor" not in record["version"] and "comment" not in record["version"]
        feed = client.get(
            "/v2/realtime/articles",
            params={"timeout": "0.2"},
            headers=headers | {"Last-Event-ID": str(cursor), "Accept": "application/x-ndjson"},
        )
    events = [json.loads(line) for line in feed.text.splitlines() if line.strip()]
    store = open_store(url, readonly=True)
    try:
        applied = [(c.cursor, c.kind, c.page_id) for c in store.changes(after=cursor)]
    finally:
        store.close()
    seen = [(e["event"]["identifier"], e["event"]["type"], e["identifier"]) for e in events]
    assert seen == applied  # every applied change, once, in order
    assert ("delete", plan.deleted_page_id) in [(kind, page) for _, kind, page in seen]
    last_pear = [e for e in events if e["name"] == "Pear"][-1]
    assert "editor" not in last_pear.get("version", {})


def test_search_forgets_the_deleted_article(followed: tuple[str, Scenario, int, Path]) -> None:
    from wikipact.search.query import search

    url, plan, _, tmp = followed
    database: Any = url if url.startswith("postgresql") else tmp / "w.db"
    found = search(database, "anarchism anarchist political philosophy", limit=20)
    assert found, "the index answers"
    assert all(p.title != DELETED for p in found)
    pear = search(database, "pear tree fruit", limit=20)
    assert any(p.title == "Pear" and p.revision_id == plan.pear[-1] for p in pear)


def test_the_next_snapshot_and_dataset_leave_out_what_was_removed(
    followed: tuple[str, Scenario, int, Path], signing_dir: Path
) -> None:
    from wikipact.snapshots.create import create_snapshot

    url, _, _, tmp = followed
    database: Any = url if url.startswith("postgresql") else tmp / "w.db"
    snapshot = create_snapshot(database, tmp / "snapshots", "enwiki", 0, force=True)
    with tarfile.open(tmp / "snapshots" / snapshot.path) as archive:
        lines = [
            json.loads(line)
            for member in archive.getmembers()
            if member.isfile()
            for line in io.TextIOWrapper(archive.extractfile(member), encoding="utf-8")  # type: ignore[arg-type]
        ]
    names = {r["name"] for r in lines}
    assert DELETED not in names and "Pear" in names and "Albedo" in names
    (pear,) = [r for r in lines if r["name"] == "Pear"]
    assert "editor" not in pear["version"] and "comment" not in pear["version"]

    out = tmp / "dataset"
    env = {**os.environ, "WIKIPACT_SIGNING_DIR": str(signing_dir)}
    built = subprocess.run(
        [sys.executable, "-m", "wikipact", "build", "--db", url, "-o", str(out)],
        capture_output=True, text=True, timeout=600, env=env,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    titles = set()
    for shard in out.rglob("*.parquet"):
        if ".wikipact-build" not in shard.parts:
            titles |= set(pq.read_table(shard).column("title").to_pylist())
    assert titles and DELETED not in titles and "Pear" in titles
