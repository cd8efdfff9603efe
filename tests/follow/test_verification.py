"""Verification signals and the settled view, on the real history of a real page.

The Afar Wikipedia's "Main Page" (``tests/data/aawiki-20260101-pages-meta-history.xml.7z``: 81
revisions from 2005 on) was vandalised and reverted again and again: its dump's own SHA-1 fields
say which revisions restore an earlier text. The follower takes that history as a change stream,
one revision a batch, and each stored record must carry the signals the dump's facts give.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import DATA
from tests.follow.corpus_events import edit_event, revisions_from_dump
from tests.follow.wikiserver import Revision, WikiServer
from wikipact import open_dump
from wikipact.follow.fetch import ActionApiSource
from wikipact.follow.follower import Follower, FollowOptions
from wikipact.follow.settled import settled_article
from wikipact.follow.stream import EventStream
from wikipact.model.raw import RawPage
from wikipact.store import open_store
from wikipact.store.base import PageUpsert
from wikipact.wikitext.parse import parse_article

pytest.importorskip("py7zr", reason="the aawiki history is 7z-compressed (extra: 7z)")

HISTORY = DATA / "aawiki-20260101-pages-meta-history.xml.7z"
MAIN_PAGE = 1269
AGENT = "wikipact-tests/1.0 (tests@wikipact.invalid)"


def history() -> list[Revision]:
    revisions = [r for r in revisions_from_dump(HISTORY) if r.page_id == MAIN_PAGE]
    return sorted(revisions, key=lambda r: r.revision_id)


def expected_reverts(revisions: list[Revision]) -> dict[int, int]:
    """revision -> the revision whose text it restores, from the dump's SHA-1s (a revision with
    its parent's text is a null edit, not a revert)."""
    found = {}
    for index, revision in enumerate(revisions):
        if index == 0 or revisions[index - 1].sha1 == revision.sha1:
            continue  # the parent's own text: a null edit
        for earlier in reversed(revisions[: max(index - 1, 0)]):
            if earlier.sha1 == revision.sha1:
                found[revision.revision_id] = earlier.revision_id
                break
    return found


@pytest.fixture(scope="module")
def followed(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[int, object]]:
    """The store after following the page's history; each revision's record as stored."""
    revisions = history()
    url = f"sqlite:///{tmp_path_factory.mktemp('aawiki') / 'w.db'}"
    dump = open_dump(HISTORY)
    store = open_store(url)
    store.put_site(dump.site)
    page = next(p for p in dump.pages() if p.identifier == MAIN_PAGE)
    first = RawPage(title=page.title, namespace=page.namespace, identifier=page.identifier,
                    revisions=(page.revisions[0],))  # fmt: skip
    store.apply_changes([PageUpsert(first, parse_article(first, dump.site))], source="seed")
    events = [
        ("mediawiki.page_change.v1", edit_event(r, parent=p))
        for p, r in itertools.pairwise(revisions)
    ]
    records: dict[int, object] = {}

    def keep(state: object, size: int) -> None:
        article = store.find("Main Page", "aawiki")[0]
        records[article.version.identifier] = article

    with WikiServer(revisions=revisions, events=events) as server:
        server.end_stream()
        source = ActionApiSource(server.api_url(), user_agent=AGENT, max_requests_per_second=1e6)
        follower = Follower(store, source, FollowOptions(batch_events=1), on_batch=keep)
        follower.run(EventStream(server.stream_url("mediawiki.page_change.v1"),
                                 user_agent=AGENT, idle_timeout=2.0))  # fmt: skip
        source.close()
    store.close()
    return url, records


def test_each_revision_carries_its_signals(followed: tuple[str, dict[int, object]]) -> None:
    _, records = followed
    revisions = history()
    reverts = expected_reverts(revisions)
    assert reverts[1378] == 1272 and reverts[2028] == 1942  # as the dump's SHA-1s say
    by_id = {r.revision_id: r for r in revisions}
    checked = 0
    for index, revision in enumerate(revisions[1:], start=1):
        record = records.get(revision.revision_id)
        if record is None:  # a later revision of the same batch overtook it (not with size 1)
            continue
        signals = record.version.verification  # type: ignore[attr-defined]
        assert signals is not None
        assert signals.reverts_to == reverts.get(revision.revision_id), revision.revision_id
        assert signals.is_revert is (revision.revision_id in reverts)
        previous = by_id[revisions[index - 1].revision_id]
        gap = datetime.fromisoformat(revision.timestamp) - datetime.fromisoformat(
            previous.timestamp
        )
        assert signals.seconds_since_previous_edit == int(gap.total_seconds())
        day = [
            r for r in revisions[: index + 1]
            if datetime.fromisoformat(revision.timestamp) - datetime.fromisoformat(r.timestamp)
            < timedelta(hours=24)
        ]  # fmt: skip
        assert signals.edits_last_24h == len(day)
        anonymous = revision.editor is not None and revision.editor_id in (None, 0)
        assert signals.editor_kind == ("anonymous" if anonymous else "registered")
        checked += 1
    assert checked == len(revisions) - 1  # one revision a batch: every record was seen


def test_the_settled_view_skips_what_was_reverted(
    followed: tuple[str, dict[int, object]],
) -> None:
    url, _ = followed
    store = open_store(url, readonly=True)
    try:
        (current,) = store.find("Main Page", "aawiki")
        at_1378 = datetime(2005, 8, 7, 19, 27, 22, tzinfo=UTC)  # rev 1378 restores 1272's text
        # ten minutes after the revert, asking for an hour of settling: 1377 (vandalism) was
        # reverted and 1378 is too young, so the settled revision is 1272
        settled = settled_article(
            store, current, timedelta(hours=1), at_1378 + timedelta(minutes=10)
        )
        assert settled is not None and settled.version.identifier == 1272
        assert settled.article_body == store.revision_text("aawiki", 1272) or settled.abstract
        # a day later 1378 (and the revisions after it up to then) have settled
        later = settled_article(store, current, timedelta(hours=1), at_1378 + timedelta(days=1))
        assert later is not None and later.version.identifier == 1378
        before = settled_article(
            store, current, timedelta(hours=1), datetime(2005, 1, 1, tzinfo=UTC)
        )
        assert before is None  # nothing was old enough
        now = settled_article(store, current, timedelta(0), datetime.now(UTC))
        assert now is not None and now.version.identifier == current.version.identifier
    finally:
        store.close()


def test_the_api_serves_the_settled_view(
    followed: tuple[str, dict[int, object]], tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    from wikipact.api.app import create_app
    from wikipact.backends import open_backends

    url, _ = followed
    backends = open_backends(url, snapshots=tmp_path / "snapshots")
    access = backends.access()
    access.add_partner("acme", "Acme AI", actor="test")
    access.add_agreement("acme", name="aa", projects=["aawiki"], channels=["on-demand"],
                         starts="2026-01-01", rate_limit=100, burst=100, actor="test")  # fmt: skip
    key = access.create_key("acme", label="t", actor="test")[1]
    headers = {"Authorization": f"Bearer {key}"}
    with TestClient(create_app(backends)) as client:
        live = client.get("/v2/articles/Main Page", headers=headers)
        settled = client.get("/v2/articles/Main Page", params={"settled_minutes": 60},
                             headers=headers)  # fmt: skip
        refused = client.get("/v2/articles/Main Page", params={"settled_minutes": -1},
                             headers=headers)  # fmt: skip
    assert live.status_code == settled.status_code == 200
    (record,) = settled.json()
    # the page's newest revision is years old and unreverted: it is its own settled revision
    assert record["version"]["identifier"] == live.json()[0]["version"]["identifier"]
    assert record["version"]["verification"]["edits_last_24h"] >= 1
    assert refused.status_code == 422


def test_a_dataset_recipe_asks_for_the_settled_view(
    followed: tuple[str, dict[int, object]], tmp_path: Path
) -> None:
    import os
    import subprocess
    import sys

    import pyarrow.parquet as pq

    from wikipact.datasets.signing import init_keys
    from wikipact.model.instants import parse_instant

    url, _ = followed
    store = open_store(url, readonly=True)
    last = store.stats().last_cursor
    (newest,) = list(store.changes(after=last - 1, limit=1))
    store.close()
    # settle back to one minute before rev 1378 (the revert of the vandalism in 1377)
    at_1378 = datetime(2005, 8, 7, 19, 27, 22, tzinfo=UTC)
    age = parse_instant(newest.recorded_at) - (at_1378 - timedelta(minutes=1))
    minutes = int(age.total_seconds() // 60)
    signing = tmp_path / "signing"
    init_keys(signing)
    env = {**os.environ, "WIKIPACT_SIGNING_DIR": str(signing)}
    revisions = {}
    for name, extra in (("current", ""), ("settled", f"settled_minutes: {minutes}\n")):
        recipe = tmp_path / f"{name}.yaml"
        recipe.write_text(f"name: aa-{name}\nfilters:\n  min_words: 1\n{extra}", encoding="utf-8")
        out = tmp_path / name
        built = subprocess.run(
            [sys.executable, "-m", "wikipact", "build", "--db", url, "-o", str(out),
             "--recipe", str(recipe)],
            capture_output=True, text=True, timeout=600, env=env,
        )  # fmt: skip
        assert built.returncode == 0, built.stderr
        rows = [
            row
            for shard in out.rglob("*.parquet")
            if ".wikipact-build" not in shard.parts
            for row in pq.read_table(shard, columns=["title", "revision_id"]).to_pylist()
        ]
        revisions[name] = {r["title"]: r["revision_id"] for r in rows}
    # the page's current revision is too short to keep; its settled revision is the full page
    # as it stood before the vandalism of 1377
    excluded = (tmp_path / "current" / "exclusions.jsonl").read_text(encoding="utf-8")
    assert "Main Page" not in revisions["current"]
    assert '"title":"Main Page","reason":"too_short"' in excluded
    assert revisions["settled"]["Main Page"] == 1272
    dumps = subprocess.run(
        [sys.executable, "-m", "wikipact", "build", str(HISTORY), "-o", str(tmp_path / "d"),
         "--recipe", str(tmp_path / "settled.yaml")],
        capture_output=True, text=True, timeout=600, env=env,
    )  # fmt: skip
    assert dumps.returncode != 0 and "settled_minutes needs a store" in dumps.stderr
