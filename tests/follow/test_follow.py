"""``wikipact follow`` against a local EventStreams and Action API serving real pages.

The scenario (``tests/follow/scenario.py``) replays edits, a creation, a late and a repeated
revision, a deletion, a move, hidden fields and broken or foreign events on real English and
German pages. The follower runs as partners' operators run it, as a separate process
(``python -m wikipact follow``); the store is then read as partners read it. The fifty kill runs
are separate processes forked from helper interpreters that have imported what the follower
imports (``tests/prewarmed.py``), instead of fresh interpreters that import it again each time.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.follow.scenario import CREATED, DELETED, MOVED, Scenario, scenario, seed, url_of
from tests.follow.wikiserver import WikiServer
from tests.prewarmed import Prewarmed
from wikipact.store import open_store

USER_AGENT = "wikipact-tests/1.0 (tests@wikipact.invalid)"
STREAM_NAME = "mediawiki.page_change.v1"


# what ``wikipact follow`` imports, imported once by each helper (see ``helpers``)
PRELOAD = ("wikipact.cli.main", "wikipact.backends", "wikipact.follow.follower",
           "wikipact.follow.fetch", "wikipact.follow.stream", "wikipact.store.sqlite",
           "wikipact.wikitext.parse", "httpx")  # fmt: skip


def follow(db: str, server: WikiServer, *extra: str, env: dict[str, str] | None = None,
           helper: Prewarmed | None = None) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """``python -m wikipact follow`` in a fresh interpreter, or forked from ``helper``."""
    args = ["follow", "--db", db, "--stream", f"{server.url}/v2/stream", "--api",
            server.api_url(), "--user-agent", USER_AGENT, "--until-idle", "1", *extra]  # fmt: skip
    if helper is not None:
        return helper.run(args, env=env, timeout=300, text=True)
    return subprocess.run(
        [sys.executable, "-m", "wikipact", *args],
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip


def caught_up(db: str, last_offset: int) -> bool:
    store = open_store(db, readonly=True)
    try:
        saved = store.stream_position(STREAM_NAME)
    finally:
        store.close()
    if saved is None or saved.position is None:
        return False
    offsets = [p.get("offset", -1) for p in json.loads(saved.position)]
    return max(offsets) >= last_offset


def follow_until_caught_up(
    db: str, server: WikiServer, *extra: str, helper: Prewarmed | None = None
) -> None:
    """Runs the follower until its saved position is the stream's last event (an idle stop
    on a slow machine just means one more run, never a different result)."""
    last = len(server.events) - 1
    for _ in range(5):
        done = follow(db, server, *extra, helper=helper)
        assert done.returncode == 0, done.stderr
        if caught_up(db, last):
            return
    raise AssertionError(f"not caught up after 5 runs: {done.stderr}")


@pytest.fixture(scope="module")
def plan() -> Scenario:
    return scenario()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("seed") / "seed.db"
    store = open_store(url_of(path))
    seed(store)
    store.close()
    return path


@pytest.fixture(scope="module")
def helpers() -> Iterator[tuple[Prewarmed, Prewarmed]]:
    """Two helpers, used in turn: a killed run and the run that resumes it come from different
    interpreters (each with its own hash seed), as they would from two fresh ones."""
    with Prewarmed(*PRELOAD) as first, Prewarmed(*PRELOAD) as second:
        yield first, second


@pytest.fixture
def server(plan: Scenario) -> Iterator[WikiServer]:
    with WikiServer(revisions=plan.revisions, events=plan.events, faults=plan.faults) as running:
        running.end_stream()
        yield running


def copy_of(seeded: Path, tmp_path: Path) -> str:
    tmp_path.mkdir(parents=True, exist_ok=True)
    target = tmp_path / "w.db"
    shutil.copy(seeded, target)
    return url_of(target)


def snapshot_of(db: str) -> dict[str, Any]:
    """Everything a partner could be served, and the change log without its clock times."""
    from wikipact.store.sqlite import connect

    conn = connect(Path(db.removeprefix("sqlite:///")), readonly=True)
    try:
        return {
            "articles": conn.execute(
                "SELECT project, page_id, title, namespace, revision_id, redirect_target, sha256, "
                "record, deleted FROM articles ORDER BY project, page_id").fetchall(),
            "revisions": conn.execute(
                "SELECT project, revision_id, page_id, parent_id, timestamp, sha1, editor, "
                "comment, minor, wikitext, hidden FROM revisions ORDER BY project, revision_id"
            ).fetchall(),
            "changes": conn.execute(
                "SELECT cursor, project, page_id, title, namespace, kind, revision_id, "
                "previous_revision_id, redirect_target, source FROM changes ORDER BY cursor"
            ).fetchall(),
            "position": conn.execute("SELECT name, position FROM stream_positions").fetchall(),
        }  # fmt: skip
    finally:
        conn.close()


def test_the_stream_brings_the_store_up_to_date(
    plan: Scenario, seeded: Path, server: WikiServer, tmp_path: Path
) -> None:
    db = copy_of(seeded, tmp_path)
    before = open_store(db, readonly=True)
    cursor = before.stats().last_cursor
    before.close()
    follow_until_caught_up(db, server)
    store = open_store(db, readonly=True)
    try:
        r1, _r2, _r3, r4 = plan.pear
        pear = store.find("Pear", "enwiki")[0]
        assert pear.version.identifier == r4  # newest wins; the late R2 changed nothing
        assert pear.version.editor is None and pear.version.comment is None  # hidden
        assert store.revision_text("enwiki", r1) is None  # R1's text hidden for good
        smithee = store.find("Alan Smithee", "dewiki")[0]
        assert smithee.version.identifier == plan.smithee[1]
        assert store.get("enwiki", plan.created_page_id).name == CREATED  # type: ignore[union-attr]
        assert store.get("enwiki", plan.deleted_page_id) is None
        assert store.find_json(DELETED) == []
        moved = store.get("enwiki", plan.moved_page_id)
        assert moved is not None and moved.name == MOVED[1]
        (left,) = store.find(MOVED[0], "enwiki")  # the redirect the move left behind
        assert left.redirect_target is not None and left.redirect_target.name == MOVED[1]
        changes = [(c.kind, c.title, c.source) for c in store.changes(after=cursor)]
        assert changes == [
            ("update", "Pear", "follow"), ("update", "Pear", "follow"),
            ("update", "Alan Smithee", "follow"), ("create", CREATED, "follow"),
            ("update", "Pear", "follow"), ("delete", DELETED, "follow"),
            ("update", MOVED[1], "follow"), ("create", MOVED[0], "follow"),
            ("update", "Pear", "follow"),
        ]  # fmt: skip
    finally:
        store.close()
    status = subprocess.run(
        [sys.executable, "-m", "wikipact", "follow", "--db", db, "--status"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    assert report["events"] == len(plan.events)
    counts = report["counts"]
    assert counts["malformed"] == 1 and counts["unknown wiki"] == 1
    assert counts["stale"] == 2 and counts["hidden"] == 2 and counts["deleted"] == 1
    assert counts["fetch missing"] == 1 and counts["fetch missing: badrevid"] == 1
    assert counts["other namespace"] == 1 and counts["fetched another revision"] == 1
    assert counts["redirect left by a move"] == 1
    assert report["lag_seconds"]["p50"] > 0


def test_a_second_follower_on_the_same_store_is_refused(
    seeded: Path, server: WikiServer, tmp_path: Path
) -> None:
    db = copy_of(seeded, tmp_path)
    store = open_store(db)
    try:
        with store.exclusive(f"follow-{STREAM_NAME}"):
            refused = follow(db, server)
    finally:
        store.close()
    assert refused.returncode != 0
    assert "one `follow-mediawiki.page_change.v1` per store" in refused.stderr


POINTS = ("follow.event.read", "store.page.applied", "follow.batch.committed")


def test_fifty_kills_resume_to_the_same_store(
    seeded: Path, server: WikiServer, tmp_path: Path, helpers: tuple[Prewarmed, Prewarmed]
) -> None:
    """Each run is killed (SIGKILL) at a point and count the test chooses, the next resumes;
    when one reaches the end, its store is compared with an uninterrupted run's and the next
    kill starts again from the seed. One event a batch, so kills land between commits too.
    The uninterrupted run is a fresh interpreter's; the others alternate between the helpers."""
    baseline = copy_of(seeded, tmp_path / "baseline")
    follow_until_caught_up(baseline, server, "--batch-events", "1")
    expected = snapshot_of(baseline)
    last = len(server.events) - 1
    env = dict(os.environ)
    kills = completed = 0
    db = copy_of(seeded, tmp_path / "run0")
    schedule = [(POINTS[i % 3], 1 + (i * 5) % 3) for i in range(50)]
    for number, (point, count) in enumerate(schedule, 1):
        run = follow(db, server, "--batch-events", "1",
                     env=env | {"WIKIPACT_TEST_KILL_AT": f"{point}:{count}"},
                     helper=helpers[number % 2])  # fmt: skip
        if run.returncode == -9:
            kills += 1
            continue
        assert run.returncode == 0, run.stderr
        if caught_up(db, last):  # this run reached the end before its kill point
            assert snapshot_of(db) == expected
            completed += 1
            db = copy_of(seeded, tmp_path / f"run{number}")
    follow_until_caught_up(db, server, "--batch-events", "1", helper=helpers[1])
    assert snapshot_of(db) == expected
    assert kills == 50 - completed and kills >= 40
