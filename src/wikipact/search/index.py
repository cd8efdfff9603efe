"""The passage index behind grounding search: SQLite FTS5 tables in the store's own database file.

``build_index``, ``update_index`` and ``index_status`` take a SQLite file (path, ``sqlite:///``
URL, or a connection for the status) or a PostgreSQL database (``postgresql://`` URL, or a
``PostgresStore``; a psycopg connection for the status); PostgreSQL is indexed by
``wikipact.search.postgres_index``. What follows describes the SQLite index.

Layout (the ``search`` migration set, ``search.schema``, made afresh by each build):

``search_schema``
    one row: ``version`` (of this layout), ``cursor`` (the last change-log cursor indexed),
    ``state`` (``building`` during a rebuild, ``ready`` after), ``projects`` (JSON list the
    index is restricted to, or NULL for every project), ``built_at``, ``updated_at``.
``search_passages``
    one row per passage: ``id``, ``project``, ``page_id``, ``title``, ``url``, ``revision_id``,
    ``language``, ``section``, ``position`` (0-based order in the article), ``text``,
    ``citations`` (JSON list of ``{identifier, type, title, url, doi, isbn, text}``, keys present
    only when known), ``title_cjk`` and ``text_cjk`` (CJK shadow columns, NULL without CJK).
``search_fts``
    FTS5 over ``title, text, title_cjk, text_cjk`` with ``content='search_passages'`` (the text
    is stored once), kept in step by triggers on ``search_passages``.

Passages are cut from the articles by ``wikipact.search.passages`` (the same for both backends).

Decisions, measured on the vendored samples and the shared corpus's truncated jawiki dump:

* Tokenizer ``unicode61 remove_diacritics 2 categories 'L* N* Co M*'``. With the default
  categories, vowel signs (Unicode M*) are separators: Marathi ``मराठी`` is indexed as ``मर`` +
  ``ठ`` and a query matches inside unrelated words (precision 0.20-0.87 on 8 common Marathi
  words of the mrwiki sample, e.g. राजा: 2,098 hits for 504 relevant passages). With M* words
  stay whole (precision 1.00), and non-Latin query words are prefixes so inflected forms are
  found too (recall 1.00; see ``wikipact.search.query``). Latin diacritics are still folded
  (``café`` = ``cafe``, decomposed or not).
* CJK: ``unicode61`` makes a whole run of Han/Kana one token: on the shared corpus's truncated
  jawiki dump (7,656 passages) 東京 found 21 of the 399 passages containing it, 日本 74 of
  1,661. ``trigram`` cannot match queries under three characters (0 hits for both; most
  Japanese and Chinese words have two) and would triple the index of every language. So CJK
  characters (and Hangul syllables) are also written one per token into the shadow columns and
  a CJK query becomes a phrase of single characters on them: 399/399 and 1,661/1,661 found
  (3 extra hits for 日本, where two runs meet). The cost is the shadow text (1.6 times the
  passage text of a CJK wiki; the jawiki sample grew from 11 to 45 MB with its index, the
  enwiki+mrwiki samples from 17 to 38 MB).

A full rebuild commits every ``BATCH_ARTICLES`` articles so an ingest running alongside is not
locked out; while ``state`` is ``building`` searches see a partial index. ``update_index`` reads
each changed page's current record, so replaying an event twice changes nothing.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Collection
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from wikipact.errors import StoreError
from wikipact.model.article import Article
from wikipact.search._target import is_postgres, sqlite_file
from wikipact.search._text import cjk_shadow
from wikipact.search.passages import (
    MAX_CHARS,
    MIN_CHARS,
    PassageDraft,
    article_passages,
    citation_record,
    is_indexable,
    passage_columns,
)
from wikipact.search.records import IndexStats, IndexStatus
from wikipact.search.schema import SEARCH
from wikipact.store.migrations import recreate
from wikipact.store.sqlite import SQLiteStore, connect, write_transaction

__all__ = [
    "MAX_CHARS",
    "MIN_CHARS",
    "SCHEMA_VERSION",
    "IndexStats",
    "IndexStatus",
    "PassageDraft",
    "article_passages",
    "build_index",
    "citation_record",
    "index_status",
    "is_indexable",
    "passage_rows",
    "update_index",
]

SCHEMA_VERSION = SEARCH.latest
BATCH_ARTICLES = 500
CHANGES_PER_BATCH = 1000

ProgressCallback = Callable[[int, int], None]  # (articles read so far, articles to read)

_DROP = (
    "DROP TRIGGER IF EXISTS search_passages_ai",
    "DROP TRIGGER IF EXISTS search_passages_ad",
    "DROP TABLE IF EXISTS search_fts",
    "DROP TABLE IF EXISTS search_passages",
    "DROP TABLE IF EXISTS search_schema",
)


def passage_rows(article: Article) -> list[tuple[object, ...]]:
    """``search_passages`` rows (without id) for an article; none unless it is indexable."""
    title_cjk = cjk_shadow(article.name)
    return [
        (*columns, title_cjk, cjk_shadow(passage.text))
        for passage, columns in passage_columns(article)
    ]


_INSERT = (
    "INSERT INTO search_passages(project, page_id, title, url, revision_id, language, section, "
    "position, text, citations, title_cjk, text_cjk) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
)


# -- building and updating -----------------------------------------------------------------------


def build_index(
    db: str | os.PathLike[str] | Any,
    *,
    projects: Collection[str] | None = None,
    progress: ProgressCallback | None = None,
) -> IndexStats:
    """Drop the passage index of the store at ``db`` and build it from every live article.

    ``projects`` restricts the index (and later updates) to those wikis; None means all.
    """
    if is_postgres(db):
        from wikipact.search import postgres_index

        return postgres_index.build_index(db, projects=projects, progress=progress)
    db_path = sqlite_file(db)
    started = time.monotonic()
    store = _open_store(db_path)
    chosen = sorted(set(projects)) if projects is not None else None
    stats = IndexStats(rebuilt=True, projects=chosen)
    try:
        conn = store.conn
        with _write(conn):
            recreate(conn, SEARCH, drop=_DROP, label=str(db_path))
            cursor = _last_cursor(conn)
            now = _now()
            conn.execute(
                "INSERT INTO search_schema(id, version, cursor, state, projects, built_at, "
                "updated_at) VALUES (1, ?, ?, 'building', ?, ?, ?)",
                (SCHEMA_VERSION, cursor, _projects_json(chosen), now, now),
            )
        available = store.stats().articles_by_project
        wanted = [p for p in sorted(available) if chosen is None or p in chosen]
        total = sum(available[p] for p in wanted)
        done = 0
        for project in wanted:
            for first, last in list(store.page_id_chunks(project, BATCH_ARTICLES)):
                articles = list(store.articles_between(project, first, last))
                with _write(conn):
                    for article in articles:
                        rows = passage_rows(article)
                        if rows:
                            conn.executemany(_INSERT, rows)
                            stats.articles_indexed += 1
                            stats.passages_added += len(rows)
                done += len(articles)
                if progress is not None:
                    progress(done, total)
        with _write(conn):
            conn.execute("INSERT INTO search_fts(search_fts) VALUES ('optimize')")
            conn.execute(
                "UPDATE search_schema SET state='ready', cursor=?, updated_at=? WHERE id=1",
                (cursor, _now()),
            )
        stats.cursor = cursor
        stats.passages_total = stats.passages_added
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{db_path}: building the search index failed ({exc})") from None
    finally:
        store.close()
    stats.seconds = time.monotonic() - started
    return stats


def update_index(db: str | os.PathLike[str] | Any) -> IndexStats:
    """Bring the passage index up to date with the store's change log.

    Follows the change log from the cursor recorded in ``search_schema``: each page created,
    updated, turned into a redirect or deleted gets its passages replaced by those of its current
    record (none for deletions, redirects and other namespaces). Without an index, or after an
    interrupted or outdated build, this builds the index from scratch.
    """
    if is_postgres(db):
        from wikipact.search import postgres_index

        return postgres_index.update_index(db)
    db_path = sqlite_file(db)
    store = _open_store(db_path)
    try:
        status = _status(store.conn)
    finally:
        store.close()
    if status is None or status.state != "ready" or status.version != SCHEMA_VERSION:
        return build_index(db_path, projects=status.projects if status else None)
    started = time.monotonic()
    stats = IndexStats(projects=status.projects, cursor=status.cursor)
    allowed = set(status.projects) if status.projects is not None else None
    store = _open_store(db_path)
    try:
        conn = store.conn
        while True:
            events = list(store.changes(after=stats.cursor, limit=CHANGES_PER_BATCH))
            if not events:
                break
            keys = dict.fromkeys(
                (e.project, e.page_id) for e in events if allowed is None or e.project in allowed
            )
            with _write(conn):
                for project, page_id in keys:
                    removed = conn.execute(
                        "DELETE FROM search_passages WHERE project=? AND page_id=?",
                        (project, page_id),
                    ).rowcount
                    article = store.get(project, page_id)
                    rows = passage_rows(article) if article is not None else []
                    if rows:
                        conn.executemany(_INSERT, rows)
                        stats.articles_indexed += 1
                    elif removed:
                        stats.articles_removed += 1
                    stats.passages_removed += removed
                    stats.passages_added += len(rows)
                stats.cursor = events[-1].cursor
                stats.changes_read += len(events)
                conn.execute(
                    "UPDATE search_schema SET cursor=?, updated_at=? WHERE id=1",
                    (stats.cursor, _now()),
                )
        stats.passages_total = conn.execute("SELECT COUNT(*) FROM search_passages").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{db_path}: updating the search index failed ({exc})") from None
    finally:
        store.close()
    stats.seconds = time.monotonic() - started
    return stats


def index_status(db: sqlite3.Connection | str | os.PathLike[str] | Any) -> IndexStatus | None:
    """The recorded state of the index (on a connection, or the database at a path or URL), or
    None when there is no index."""
    if is_postgres(db):
        from wikipact.search import postgres_index

        return postgres_index.index_status(db)
    if isinstance(db, sqlite3.Connection):
        return _status(db)
    conn = connect(sqlite_file(db), readonly=True)
    try:
        return _status(conn)
    finally:
        conn.close()


# -- helpers -------------------------------------------------------------------------------------


def _open_store(db_path: str | Path) -> SQLiteStore:
    path = Path(db_path)
    if not path.exists():
        raise StoreError(f"{path}: no such database; run `wikipact ingest` first")
    return SQLiteStore(path)


def _status(conn: sqlite3.Connection) -> IndexStatus | None:
    try:
        row = conn.execute(
            "SELECT version, cursor, state, projects, built_at, updated_at FROM search_schema "
            "WHERE id=1"
        ).fetchone()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return None
        raise
    if row is None:
        return None
    projects = json.loads(row[3]) if row[3] is not None else None
    return IndexStatus(row[0], row[1], row[2], projects, row[4], row[5])


def _last_cursor(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT COALESCE(MAX(cursor), 0) FROM changes").fetchone()[0])


def _projects_json(projects: list[str] | None) -> str | None:
    return json.dumps(projects) if projects is not None else None


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _write(conn: sqlite3.Connection) -> AbstractContextManager[sqlite3.Connection]:
    """A write transaction that waits up to 30 s for another writer (an ingest or index run)."""
    return write_transaction(
        conn,
        seconds=30.0,
        step=0.1,
        message="the database stayed locked by another writer for 30 s; retry when the ingest "
        "or index run holding it has finished",
    )
