"""How fast does ``wikipact follow`` keep a store current, and how far behind is it?

Run by hand from the repository root (nothing asserts on it):

    .venv/bin/python bench/follow_stream.py                     # SQLite, then a throwaway PostgreSQL
    .venv/bin/python bench/follow_stream.py --backends sqlite --rate 60 --live-seconds 30

The content is real: every revision of the vendored samples (``tests/data``: the enwiki and
mrwiki multistream samples, the dewiki page at two dates, Pear's four revisions) and, when the
shared corpus is there, of its assembled samples (``../shared/corpus/assembled``, 20 wikis).
A local server (``tests/follow/wikiserver.py``) speaks EventStreams and the Action API; each
revision is one ``page_change`` event, its page's creation; the follower fetches every
revision (50 a request) and parses it into a record, as against Wikimedia.

* **backlog**: every event is waiting when the follower starts (a follower catching up after a
  pause): events applied per second, from start to the last commit;
* **live**: events are pushed at ``--rate`` a second for ``--live-seconds`` (English
  Wikipedia's edit rate peaks at a few edits a second; all Wikipedias together at about 25): the
  lag of each event from its push to the commit that stored it (p50, p99, max). A partner's
  realtime feed reads the change log every 0.5 s (``api/realtime.py``), so its lag is at most
  that much more.

The follower runs in this process (``follow.follower.Follower``), with the stream client and the
Action API source of ``wikipact follow``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.follow.corpus_events import edit_event, revisions_from_dump  # noqa: E402
from tests.follow.wikiserver import Revision, WikiServer  # noqa: E402

from wikipact import open_dump  # noqa: E402
from wikipact.follow.fetch import ActionApiSource  # noqa: E402
from wikipact.follow.follower import Follower, FollowOptions  # noqa: E402
from wikipact.follow.stream import EventStream  # noqa: E402
from wikipact.store import open_store  # noqa: E402

DATA = REPO / "tests" / "data"
CORPUS = REPO.parent / "shared" / "corpus" / "assembled"
STREAM = "mediawiki.page_change.v1"
AGENT = "wikipact-bench/1.0 (bench@wikipact.invalid)"


def dumps() -> list[Path]:
    found = [
        DATA / "sample-enwiki-pages-articles-multistream.xml.bz2",
        DATA / "sample-mrwiki-pages-articles-multistream.xml.bz2",
        DATA / "dewiki-20130602-id1.xml",
        DATA / "dewiki-20200801-id1.xml",
        DATA / "article-pear.xml",
    ]
    if CORPUS.is_dir():
        found += sorted(CORPUS.glob("sample-*-pages-articles-multistream.xml.bz2"))
    return found


def corpus() -> tuple[list[Revision], list[Any]]:
    """Every revision (one per wiki and id) and the sites of their wikis."""
    revisions: dict[tuple[str, int], Revision] = {}
    sites = {}
    for path in dumps():
        dump = open_dump(path)
        sites[dump.site.dbname] = dump.site
        for revision in revisions_from_dump(path):
            revisions.setdefault((revision.wiki, revision.revision_id), revision)
    return sorted(revisions.values(), key=lambda r: r.timestamp), list(sites.values())


class Timed(Follower):
    """A follower that notes when each event's batch was committed."""

    committed: dict[int, float]

    def apply(self, batch: list[Any]) -> bool:
        carry_on = super().apply(batch)
        now = time.monotonic()
        for message in batch:
            with contextlib.suppress(ValueError, KeyError, TypeError):
                self.committed[json.loads(message.data)["revision"]["rev_id"]] = now
        return carry_on


def run(url: str, server: WikiServer, options: FollowOptions, idle: float) -> Timed:
    source = ActionApiSource(server.api_url(), user_agent=AGENT, max_requests_per_second=1000)
    store = open_store(url)
    follower = Timed(store, source, options)
    follower.committed = {}
    stream = EventStream(server.stream_url(STREAM), user_agent=AGENT, idle_timeout=idle)
    try:
        follower.run(stream)
    finally:
        source.close()
        store.close()
    return follower


def fresh_store(url: str, sites: list[Any]) -> None:
    store = open_store(url)
    for site in sites:
        store.put_site(site)
    store.close()


def backlog(url: str, revisions: list[Revision], sites: list[Any]) -> dict[str, float]:
    fresh_store(url, sites)
    events = [(STREAM, edit_event(r, kind="create")) for r in revisions]
    with WikiServer(revisions=revisions, events=events) as server:
        server.end_stream()
        started = time.monotonic()
        follower = run(url, server, FollowOptions(namespaces=frozenset({0})), idle=2.0)
        last = max(follower.committed.values())
    seconds = last - started
    state = follower.state
    return {"events": state.events, "applied": state.applied, "seconds": seconds,
            "events_per_s": state.events / seconds}  # fmt: skip


def live(
    url: str, revisions: list[Revision], sites: list[Any], rate: float, seconds: float
) -> dict[str, float]:
    fresh_store(url, sites)
    wanted = revisions[: int(rate * seconds)]
    pushed: dict[int, float] = {}  # revision id -> when its event was pushed
    with WikiServer(revisions=revisions, start="latest") as server:
        result: dict[str, Timed] = {}
        thread = threading.Thread(
            target=lambda: result.setdefault(
                "f", run(url, server, FollowOptions(namespaces=frozenset({0})), idle=3.0)
            )
        )
        thread.start()
        time.sleep(1.0)  # the follower connects (start="latest": it sees what is pushed after)
        began = time.monotonic()
        for number, revision in enumerate(wanted):
            due = began + number / rate
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            event = edit_event(revision, kind="create")
            server.push(STREAM, event)
            pushed[revision.revision_id] = time.monotonic()
        thread.join()
        follower = result["f"]
    lags = sorted(
        follower.committed[rev] - at for rev, at in pushed.items() if rev in follower.committed
    )

    def q(f: float) -> float:
        return lags[min(len(lags) - 1, int(f * (len(lags) - 1)))] if lags else float("nan")

    return {"events": len(wanted), "measured": len(lags), "rate": rate,
            "lag_p50_s": q(0.5), "lag_p99_s": q(0.99), "lag_max_s": q(1.0)}  # fmt: skip


@contextlib.contextmanager
def backend(name: str, tmp: Path, given: str | None) -> Iterator[str]:
    if name == "sqlite":
        counter = len(list(tmp.glob("*.db")))
        yield f"sqlite:///{tmp / f'b{counter}.db'}"
        return
    if given:
        yield given
        return
    from tests import postgres

    with postgres.server() as running:
        yield running.database()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--postgres", help="URL of an empty database (default: throwaway)")
    parser.add_argument("--rate", type=float, default=50.0, help="live events a second")
    parser.add_argument("--live-seconds", type=float, default=20.0)
    args = parser.parse_args()
    revisions, sites = corpus()
    print(f"{len(revisions):,} real revisions of {len(sites)} wikis", flush=True)
    with tempfile.TemporaryDirectory() as scratch:
        tmp = Path(scratch)
        for name in args.backends:
            with backend(name, tmp, args.postgres) as url:
                figures = backlog(url, revisions, sites)
            print(f"{name:<10} backlog: {figures['events']:,} events in "
                  f"{figures['seconds']:.1f} s = {figures['events_per_s']:,.0f} events/s "
                  f"({figures['applied']:,} applied)", flush=True)  # fmt: skip
            with backend(name, tmp, args.postgres) as url:
                lag = live(url, revisions, sites, args.rate, args.live_seconds)
            print(f"{name:<10} live at {lag['rate']:.0f}/s: {lag['measured']:,} of "
                  f"{lag['events']:,} events, lag p50 {lag['lag_p50_s'] * 1000:.0f} ms, p99 "
                  f"{lag['lag_p99_s'] * 1000:.0f} ms, max {lag['lag_max_s'] * 1000:.0f} ms", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
