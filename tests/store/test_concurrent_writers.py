"""Several writers apply batches at once while a reader follows the change log: the reader sees
every change exactly once, in cursor order, and every page's history is exact.

Writers are threads, each with its own store (its own connection, as separate processes have);
they apply the real enwiki sample's 56 pages at four successive revisions, in batches, in an
order of their own, so they race on the same pages. The interleaving differs from run to run;
what is asserted holds for every interleaving, and nothing is timed.
"""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor

import msgspec
import pytest

from tests.conftest import ENWIKI_MULTISTREAM
from wikipact import open_dump
from wikipact.model.article import Article
from wikipact.model.raw import RawPage
from wikipact.store import ApplyResult, ChangeEvent, open_store
from wikipact.wikitext import parse_article

WRITERS = 3
ROUNDS = 4  # revisions of each page: its own, then +1, +2, +3
BATCH = 8


@pytest.fixture(scope="module")
def items() -> list[tuple[RawPage, Article]]:
    dump = open_dump(ENWIKI_MULTISTREAM)
    return [(page, parse_article(page, dump.site)) for page in dump.pages()]


def _at_round(item: tuple[RawPage, Article], round_: int) -> tuple[RawPage, Article]:
    """The page as a later revision would bring it (the record's revision id moved on)."""
    page, article = item
    version = msgspec.structs.replace(
        article.version, identifier=article.version.identifier + round_
    )
    return page, msgspec.structs.replace(article, version=version)


def _plan(items: list[tuple[RawPage, Article]], seed: int) -> list[list[tuple[RawPage, Article]]]:
    """Every page at every round, in batches, in an order drawn from the seed."""
    rng = random.Random(seed)
    work = [_at_round(item, r) for r in range(ROUNDS) for item in items]
    rng.shuffle(work)
    return [work[i : i + BATCH] for i in range(0, len(work), BATCH)]


def _write(
    url: str, plan: list[list[tuple[RawPage, Article]]], start: threading.Barrier
) -> ApplyResult:
    store = open_store(url)
    total = ApplyResult()
    try:
        start.wait()
        for batch in plan:
            total.add(store.apply(batch, source="race"))
    finally:
        store.close()
    return total


def test_concurrent_writers_and_a_polling_reader(store_url: str, items: list) -> None:
    open_store(store_url).close()  # the schema exists before anyone races
    reader = open_store(store_url, readonly=True)
    start = threading.Barrier(WRITERS + 1)
    seen: list[ChangeEvent] = []
    try:
        with ThreadPoolExecutor(WRITERS) as pool:
            jobs = [
                pool.submit(_write, store_url, _plan(items, seed), start) for seed in range(WRITERS)
            ]
            start.wait()
            last = 0
            while True:
                done = all(job.done() for job in jobs)  # read before polling: then drain once
                events = list(reader.changes(after=last, limit=50))
                seen.extend(events)
                if events:
                    last = events[-1].cursor
                elif done:
                    break
            results = [job.result() for job in jobs]
        log = list(reader.changes(limit=100_000))
    finally:
        reader.close()
    cursors = [e.cursor for e in seen]
    assert cursors == list(range(1, len(seen) + 1))  # in order, once each, no gap
    assert seen == log  # nothing committed was missed
    total = ApplyResult()
    for result in results:
        total.add(result)
    assert total.changed == len(log)
    assert total.created == len(items)  # each page created once, however the writers raced
    assert total.revisions_added == len(items)  # each stored revision inserted once
    assert total.changed + total.unchanged == WRITERS * ROUNDS * len(items)
    by_page: dict[int, list[ChangeEvent]] = {}
    for event in log:
        by_page.setdefault(event.page_id, []).append(event)
    assert len(by_page) == len(items)
    for _page, article in items:
        history = by_page[article.identifier]
        revisions = [e.revision_id for e in history]
        assert revisions == sorted(set(revisions))  # only ever forward
        assert revisions[-1] == article.version.identifier + ROUNDS - 1
        assert [e.kind for e in history] == ["create"] + ["update"] * (len(history) - 1)
        assert [e.previous_revision_id for e in history] == [None, *revisions[:-1]]
    if store_url.startswith("postgresql"):  # taken under the change-log lock (postgres.py)
        times = [e.recorded_at for e in log]
        assert times == sorted(times)
