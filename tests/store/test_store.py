"""The article store, on SQLite and on PostgreSQL: idempotent ingest, revision history and an
exact change log."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import DATA, ENWIKI_MULTISTREAM
from wikipact.errors import StoreError
from wikipact.run.ingest import IngestOptions, ingest
from wikipact.store import open_store


def _events(store) -> list[tuple[str, int, str]]:
    return [(e.kind, e.page_id, e.title) for e in store.changes(limit=100_000)]


def test_ingesting_the_same_dump_twice_changes_and_logs_nothing(store) -> None:
    first = ingest([ENWIKI_MULTISTREAM], store)
    assert first.status == "completed"
    assert first.result.created == 56 and len(_events(store)) == 56
    before = store.stats()
    second = ingest([ENWIKI_MULTISTREAM], store, IngestOptions(workers=2))
    assert second.result.changed == 0 and second.result.unchanged == 56
    assert second.result.revisions_added == 0
    after = store.stats()
    assert (after.changes, after.revisions, after.last_cursor) == (
        before.changes,
        before.revisions,
        before.last_cursor,
    )


def test_a_newer_dump_logs_exactly_the_changed_page(store) -> None:
    ingest([DATA / "article-pear.xml"], store)  # export 0.3, four revisions of 2004
    cursor = store.stats().last_cursor
    ingest([DATA / "article-pear-0.10.xml"], store)  # the 2015 revision
    events = list(store.changes(after=cursor))
    assert [(e.kind, e.title, e.revision_id, e.previous_revision_id) for e in events] == [
        ("update", "Pear", 638548877, 188924)
    ]
    [pear] = store.find("Pear")
    assert pear.version.identifier == 638548877
    assert [r[0] for r in store.revisions("enwiki", 24278)] == [
        185185,
        185241,
        185408,
        188924,
        638548877,
    ]


def test_an_older_dump_adds_history_but_changes_nothing_current(store) -> None:
    ingest([DATA / "article-pear-0.10.xml"], store)
    cursor = store.stats().last_cursor
    result = ingest([DATA / "article-pear.xml"], store)
    assert list(store.changes(after=cursor)) == []
    assert result.result.revisions_added == 4
    assert store.find("Pear")[0].version.identifier == 638548877


def _pyrus_at(revision_index: int, tmp_path: Path) -> Path:
    """The real Pyrus export cut down to one of its six real revisions (a dump of that day)."""
    xml = (DATA / "article-pyrus.xml").read_text(encoding="utf-8")
    revisions = re.findall(r"\s*<revision>.*?</revision>", xml, flags=re.S)
    head = xml[: xml.index(revisions[0])]
    tail = xml[xml.index(revisions[-1]) + len(revisions[-1]) :]
    chosen = revisions[revision_index]
    if "#REDIRECT" not in chosen:
        head = head.replace("<redirect />", "")
    path = tmp_path / f"pyrus-{revision_index}.xml"
    path.write_text(head + chosen + tail, encoding="utf-8")
    return path


def test_change_kinds_follow_the_real_history_of_a_page(store, tmp_path: Path) -> None:
    for index in range(6):
        ingest([_pyrus_at(index, tmp_path)], store)
    events = list(store.changes())
    assert [(e.kind, e.redirect_target) for e in events] == [
        ("create", "Pyrus (brand)"),
        ("redirect", "Pear"),
        ("redirect", None),  # became a disambiguation page
        ("redirect", "Pear"),
        ("update", "Pear"),
        ("update", "Pear"),
    ]
    cursors = [e.cursor for e in events]
    assert cursors == sorted(cursors) and len(set(cursors)) == 6
    times = [e.recorded_at for e in events]
    assert times == sorted(times)  # the change log's times grow with its cursor
    assert store.cursor_before(times[2]) == cursors[1]
    assert store.cursor_before("9999") == cursors[-1] and store.cursor_before("0") == 0


def test_prune_logs_deletions_of_pages_missing_from_a_complete_dump(store) -> None:
    ingest([ENWIKI_MULTISTREAM], store)
    cursor = store.stats().last_cursor
    summary = ingest([DATA / "enwiki-20120104-id1718.xml"], store, IngestOptions(prune=True))
    deletes = [e for e in store.changes(after=cursor) if e.kind == "delete"]
    assert summary.result.deleted == len(deletes) == 55
    assert [e.page_id for e in deletes] == sorted(e.page_id for e in deletes)
    assert store.stats().articles_by_project == {"enwiki": 1}
    assert store.find("Anarchism") == []
    # the page comes back with the next full dump: logged as a create
    ingest([ENWIKI_MULTISTREAM], store)
    assert store.stats().articles_by_project == {"enwiki": 56}


def test_stored_record_round_trips(store) -> None:
    from wikipact import open_dump
    from wikipact.wikitext import parse_article

    ingest([ENWIKI_MULTISTREAM], store)
    dump = open_dump(ENWIKI_MULTISTREAM)
    for page in dump.pages():
        assert store.get("enwiki", page.identifier) == parse_article(page, dump.site)
    assert store.revision_text("enwiki", page.latest.identifier) == page.latest.text


def test_readonly_store_refuses_writes(store_url: str) -> None:
    open_store(store_url).close()
    reader = open_store(store_url, readonly=True)
    try:
        with pytest.raises(StoreError, match="read-only"):
            reader.start_run(["x"], {})
        assert reader.stats().changes == 0
    finally:
        reader.close()


def test_a_batch_interrupted_inside_its_transaction_leaves_nothing(
    store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C while a batch is being written: nothing of it is kept, and the next write works."""
    from wikipact import crashpoints, open_dump
    from wikipact.wikitext import parse_article

    dump = open_dump(ENWIKI_MULTISTREAM)
    items = [(page, parse_article(page, dump.site)) for page in dump.pages()]
    original = crashpoints.reached
    count = 0

    def interrupt_at_the_tenth_page(point: str) -> None:
        nonlocal count
        count += point == "store.page.applied"
        if count == 10:
            raise KeyboardInterrupt

    monkeypatch.setattr(crashpoints, "reached", interrupt_at_the_tenth_page)
    with pytest.raises(KeyboardInterrupt):
        store.apply(items, source="interrupted")
    monkeypatch.setattr(crashpoints, "reached", original)
    stats = store.stats()
    assert (stats.articles_by_project, stats.revisions, stats.changes) == ({}, 0, 0)
    result = store.apply(items, source="again")
    assert (result.created, result.revisions_added) == (56, 56)
    assert [e.cursor for e in store.changes()] == list(range(1, 57))  # no gap left behind


def test_a_page_twice_in_one_batch_is_applied_in_order(store, tmp_path: Path) -> None:
    from wikipact import open_dump
    from wikipact.wikitext import parse_article

    pages = []
    for index in (0, 1, 4, 1):  # Pyrus (brand), then a redirect to Pear, newer, older again
        dump = open_dump(_pyrus_at(index, tmp_path))
        [page] = dump.pages()
        pages.append((page, parse_article(page, dump.site)))
    result = store.apply(pages, source="batch")
    assert (result.created, result.redirect_changes, result.updated, result.unchanged) == (
        1,
        1,
        1,
        1,
    )
    assert result.revisions_added == 3
    assert [(e.kind, e.redirect_target, e.previous_revision_id) for e in store.changes()] == [
        ("create", "Pyrus (brand)", None),
        ("redirect", "Pear", pages[0][0].latest.identifier),
        ("update", "Pear", pages[1][0].latest.identifier),
    ]
    assert store.get("enwiki", pages[0][0].identifier) == pages[2][1]
    assert [r[0] for r in store.revisions("enwiki", pages[0][0].identifier)] == sorted(
        page.latest.identifier for page, _ in pages[:3]
    )


def test_corpus_revisions_across_dumps(corpus: Path, store) -> None:
    """2012 pages, then the 2016 dump: exactly the pages present in both are updates."""
    old_files = sorted(
        (corpus / "original/lintool+wikiclean/src/test/resources").glob("enwiki-2012*.xml")
    )
    ingest(old_files, store)
    old_ids = {e.page_id for e in store.changes(limit=10_000)}
    cursor = store.stats().last_cursor
    newer = corpus / (
        "original/pypi-gensim-4.4.0/gensim/test/test_data/"
        "enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2"
    )
    ingest([newer], store)
    from wikipact import open_dump

    new_pages = {p.identifier for p in open_dump(newer).pages()}
    events = list(store.changes(after=cursor, limit=10_000))
    assert {e.page_id for e in events if e.kind == "update"} == old_ids & new_pages
    assert {e.page_id for e in events if e.kind == "create"} == new_pages - old_ids
    assert len(events) == len(new_pages)
