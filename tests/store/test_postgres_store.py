"""The PostgreSQL store: the same dumps give the same store as on SQLite (articles, change log
with its cursors, history, statistics), and what only a server has: URLs, a schema made once
and versioned, read-only sessions."""

from __future__ import annotations

import dataclasses
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.conftest import DATA, ENWIKI_MULTISTREAM, MRWIKI_MULTISTREAM
from wikipact.errors import ConfigError, StoreError
from wikipact.run.ingest import IngestOptions, ingest
from wikipact.store import open_store

# (dump, options): two real wikis, a page at two real revisions (dewiki 2013, then 2020), a
# repeated dump (nothing changes), a complete dump without 55 of the pages (--prune: deletes),
# then the first dump again (they come back)
STEPS = [
    (ENWIKI_MULTISTREAM, IngestOptions(workers=2)),
    (DATA / "dewiki-20130602-id1.xml", IngestOptions()),
    (DATA / "dewiki-20200801-id1.xml", IngestOptions()),
    (MRWIKI_MULTISTREAM, IngestOptions(workers=2, task_bytes=200_000)),
    (ENWIKI_MULTISTREAM, IngestOptions()),
    (DATA / "enwiki-20120104-id1718.xml", IngestOptions(prune=True)),
    (ENWIKI_MULTISTREAM, IngestOptions(workers=2)),
]


def _everything(store) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """All a store answers, but the wall-clock times it recorded (on SQLite, ``find`` in a
    project and ``revisions`` scan the project: a sample of titles and pages is asked)."""
    log = list(store.changes(limit=1_000_000))
    pages = sorted({(e.project, e.page_id) for e in log})
    titles = sorted({e.title for e in log})
    projects = store.projects()
    return {
        "stats": store.stats(),
        "projects": projects,
        "sites": [store.site(p) for p in projects],
        "log": [dataclasses.replace(e, recorded_at="") for e in log],
        "paged log": [e.cursor for e in store.changes(after=100, limit=7)],
        "get": [store.get(*key) for key in pages],
        "find": [store.find(title) for title in titles],
        "find in project": [store.find(t.replace(" ", "_"), "mrwiki") for t in titles[::20]],
        "find_json": [store.find_json(title) for title in titles],
        "history": [store.revisions(*key) for key in pages[::10] + pages[-60:]],
        "texts": [
            store.revision_text(e.project, revision)
            for e in log
            for revision in (e.revision_id, e.previous_revision_id)
            if revision is not None
        ],
        "chunks": {p: list(store.page_id_chunks(p, 97)) for p in projects},
        "between": {p: list(_articles(store, p)) for p in projects},
        "revision range": {p: store.revision_range(p) for p in projects},
        "cursor before the end": store.cursor_before("9999-12-31T00:00:00.000000Z"),
        "cursor before the start": store.cursor_before("2000-01-01T00:00:00.000000Z"),
    }


def _articles(store, project: str):  # type: ignore[no-untyped-def]
    for first, last in store.page_id_chunks(project, 500):
        for article in store.articles_between(project, first, last):
            yield article.identifier


def test_the_same_dumps_give_the_same_store_on_both_backends(
    postgres_url: str, tmp_path: Path
) -> None:
    summaries = []
    answers = []
    for url in (f"sqlite:///{tmp_path / 'same.db'}", postgres_url):
        store = open_store(url)
        try:
            summaries.append([ingest([path], store, options).result for path, options in STEPS])
            answers.append(_everything(store))
        finally:
            store.close()
    sqlite, postgres = answers
    assert summaries[0] == summaries[1]
    for name in sqlite:
        assert sqlite[name] == postgres[name], name
    assert sqlite["stats"].articles_by_project == {"dewiki": 1, "enwiki": 56, "mrwiki": 1820}
    kinds = [event.kind for event in sqlite["log"]]
    assert kinds.count("delete") == 55 and kinds.count("update") == 1
    assert sqlite["cursor before the end"] == len(kinds)
    assert sqlite["cursor before the start"] == 0


def test_postgres_urls_open_the_postgres_store(postgres_url: str) -> None:
    from wikipact.store.postgres import PostgresStore

    for url in (postgres_url, postgres_url.replace("postgresql://", "postgres://", 1)):
        store = open_store(url)
        try:
            assert isinstance(store, PostgresStore)
            store.checkpoint_wal()  # nothing to do, as callers of either backend may ask
        finally:
            store.close()


def test_a_server_that_cannot_be_reached_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="cannot open the PostgreSQL store at") as caught:
        open_store("postgresql://someone:secret@127.0.0.1:1/nothing")
    assert "secret" not in str(caught.value)


def test_a_read_only_store_needs_one_to_exist(postgres_url: str) -> None:
    with pytest.raises(StoreError, match="no wikipact store in this database"):
        open_store(postgres_url, readonly=True)


def test_a_store_of_a_newer_schema_is_refused(postgres_url: str) -> None:
    import psycopg

    open_store(postgres_url).close()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("INSERT INTO wikipact_migrations VALUES ('store', 99, 'later')")
    for readonly in (False, True):
        with pytest.raises(
            StoreError, match="store tables are at version 99, newer than this wikipact"
        ):
            open_store(postgres_url, readonly=readonly)


def test_processes_opening_a_new_database_together_create_the_schema_once(
    postgres_url: str,
) -> None:
    import psycopg

    start = threading.Barrier(4)

    def open_close() -> None:
        start.wait()
        open_store(postgres_url).close()

    with ThreadPoolExecutor(4) as pool:
        for job in [pool.submit(open_close) for _ in range(4)]:
            job.result()
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute(
            "SELECT name, version FROM wikipact_migrations ORDER BY version"
        ).fetchall() == [("store", 1), ("store", 2), ("store", 3)]


def test_a_read_only_session_cannot_write_even_by_mistake(postgres_url: str) -> None:
    """The reader's connections are read-only themselves, not only its methods."""
    open_store(postgres_url).close()
    reader = open_store(postgres_url, readonly=True)
    try:
        with (
            reader.pool.connection() as conn,  # type: ignore[attr-defined]
            pytest.raises(Exception, match="read-only transaction"),
        ):
            conn.execute("DELETE FROM changes")
    finally:
        reader.close()
