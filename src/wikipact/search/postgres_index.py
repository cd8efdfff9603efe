"""The passage index on PostgreSQL: full-text search tables in the store's own database.

The same passages, citations, status row and change-log cursor as the SQLite index
(``wikipact.search.index``); what differs is how the text is made searchable
(``wikipact.search.postgres_text``: per-language configurations, a CJK bigram shadow).

Layout (the ``search`` migration set, ``search.schema``, made afresh by each build):

``search_schema``
    one row, as on SQLite: ``version``, ``cursor``, ``state`` (``building``/``ready``),
    ``projects`` (JSON list, or NULL for every project), ``built_at``, ``updated_at``.
``search_passages``
    one row per passage: the SQLite columns (``project`` ... ``citations``, the same JSON), the
    row's text search ``config`` and ``document``, a ``tsvector``:
    ``setweight(to_tsvector(config, title), 'A') || setweight(to_tsvector(config, text), 'D')``
    (CJK runs taken out) ``||`` the CJK shadow (bigrams, title ``A``, text ``D``). A GIN index on
    ``document`` serves every query; it is made after a full build's rows are in (faster than
    keeping it up to date row by row).
``search_configs``
    the (project, configuration) pairs the index holds, so that a query is parsed once per
    configuration present (in the projects asked for) and not once per language PostgreSQL has.

One build or update runs at a time per database: each holds a session advisory lock
(``INDEX_LOCK``), waiting up to ``LOCK_SECONDS`` for another to finish. A full rebuild commits
every ``BATCH_ARTICLES`` articles (searches see a partial index while ``state`` is
``building``); ``update_index`` follows the change log from the recorded cursor, replacing each
changed page's passages by those of its current record in the same transaction as the new
cursor, so replaying an event twice changes nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from wikipact.errors import StoreError
from wikipact.model.article import Article
from wikipact.search import _pg
from wikipact.search.passages import passage_columns
from wikipact.search.postgres_text import cjk_shadow, config_for, without_cjk
from wikipact.search.records import IndexStats, IndexStatus
from wikipact.search.schema import SEARCH
from wikipact.store.migrations import recreate
from wikipact.store.records import now as _now

SCHEMA_VERSION = SEARCH.latest
INDEX_LOCK = 7_236_712_201  # pg_advisory_lock key: one index build or update at a time
LOCK_SECONDS = 30
BATCH_ARTICLES = 500
CHANGES_PER_BATCH = 1000

ProgressCallback = Callable[[int, int], None]  # (articles read so far, articles to read)

_DOCUMENT_INDEX = (
    "CREATE INDEX IF NOT EXISTS search_passages_document ON search_passages USING GIN (document)"
)
_DROP = (
    "DROP TABLE IF EXISTS search_configs",
    "DROP TABLE IF EXISTS search_passages",
    "DROP TABLE IF EXISTS search_schema",
)
_INSERT = (
    "INSERT INTO search_passages (project, page_id, title, url, revision_id, language, section, "
    "position, text, citations, config, document) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s, "
    "setweight(to_tsvector(%s::regconfig, %s), 'A') || "
    "setweight(to_tsvector(%s::regconfig, %s), 'D') || %s::tsvector)"
)


def passage_rows(article: Article, configs: Collection[str]) -> list[tuple[object, ...]]:
    """``search_passages`` rows (parameters of ``_INSERT``) for an article; none unless it is
    indexable. ``configs``: the text search configurations the server has."""
    config = config_for(article.in_language.identifier, configs)
    title = without_cjk(article.name)
    return [
        (*columns, config, config, title, config, without_cjk(passage.text),
         cjk_shadow(article.name, passage.text))
        for passage, columns in passage_columns(article)
    ]  # fmt: skip


# -- building and updating -----------------------------------------------------------------------


def build_index(
    db: Any,
    *,
    projects: Collection[str] | None = None,
    progress: ProgressCallback | None = None,
) -> IndexStats:
    """Drop the passage index of the PostgreSQL store ``db`` (a URL, or a ``PostgresStore``) and
    build it from every live article; ``projects`` restricts it (and later updates)."""
    started = time.monotonic()
    url = _pg.url_of(db)
    chosen = sorted(set(projects)) if projects is not None else None
    stats = IndexStats(rebuilt=True, projects=chosen)
    with _store(db, url) as store, _pg.connect(url) as conn, _locked(conn, url):
        configs = _configs(conn)
        with conn.transaction():
            recreate(conn, SEARCH, drop=_DROP, label=_pg.redact(url))
            cursor = _last_cursor(conn)
            now = _now()
            conn.execute(
                "INSERT INTO search_schema (id, version, cursor, state, projects, built_at, "
                "updated_at) VALUES (1, %s, %s, 'building', %s, %s, %s)",
                (SCHEMA_VERSION, cursor, json.dumps(chosen) if chosen is not None else None,
                 now, now),
            )  # fmt: skip
        available = store.stats().articles_by_project
        wanted = [p for p in sorted(available) if chosen is None or p in chosen]
        total = sum(available[p] for p in wanted)
        done = 0
        for project in wanted:
            for first, last in list(store.page_id_chunks(project, BATCH_ARTICLES)):
                articles = list(store.articles_between(project, first, last))
                with conn.transaction():
                    batch = [passage_rows(article, configs) for article in articles]
                    added = _insert(conn, [row for rows in batch for row in rows])
                    stats.articles_indexed += sum(1 for rows in batch if rows)
                    stats.passages_added += added
                done += len(articles)
                if progress is not None:
                    progress(done, total)
        with conn.transaction():
            conn.execute(_DOCUMENT_INDEX)
            conn.execute("ANALYZE search_passages")
            conn.execute("ANALYZE search_configs")  # a query plans a LATERAL per row of it
            conn.execute(
                "UPDATE search_schema SET state='ready', cursor=%s, updated_at=%s WHERE id=1",
                (cursor, _now()),
            )
    stats.cursor = cursor
    stats.passages_total = stats.passages_added
    stats.seconds = time.monotonic() - started
    return stats


def update_index(db: Any) -> IndexStats:
    """Bring the passage index up to date with the store's change log (see the module's notes);
    without a ready index of this version, build it from scratch."""
    url = _pg.url_of(db)
    status = index_status(url)
    if status is None or status.state != "ready" or status.version != SCHEMA_VERSION:
        return build_index(db, projects=status.projects if status else None)
    started = time.monotonic()
    allowed = set(status.projects) if status.projects is not None else None
    stats = IndexStats(projects=status.projects)
    with _store(db, url) as store, _pg.connect(url) as conn, _locked(conn, url):
        current = _status(conn)  # again under the lock: another run may have moved it
        if current is None or current.state != "ready":
            raise StoreError("the search index was dropped meanwhile; run `wikipact index` again")
        stats.cursor = current.cursor
        configs = _configs(conn)
        while True:
            events = list(store.changes(after=stats.cursor, limit=CHANGES_PER_BATCH))
            if not events:
                break
            keys = dict.fromkeys(
                (e.project, e.page_id) for e in events if allowed is None or e.project in allowed
            )
            with conn.transaction():
                for project, page_id in keys:
                    removed = conn.execute(
                        "DELETE FROM search_passages WHERE project=%s AND page_id=%s",
                        (project, page_id),
                    ).rowcount
                    article = store.get(project, page_id)
                    added = _insert(conn, passage_rows(article, configs) if article else [])
                    if added:
                        stats.articles_indexed += 1
                    elif removed:
                        stats.articles_removed += 1
                    stats.passages_removed += removed
                    stats.passages_added += added
                stats.cursor = events[-1].cursor
                stats.changes_read += len(events)
                conn.execute(
                    "UPDATE search_schema SET cursor=%s, updated_at=%s WHERE id=1",
                    (stats.cursor, _now()),
                )
        stats.passages_total = conn.execute("SELECT COUNT(*) FROM search_passages").fetchone()[0]
    stats.seconds = time.monotonic() - started
    return stats


def index_status(db: Any) -> IndexStatus | None:
    """The recorded state of the index (on a psycopg connection, or the database at a URL), or
    None when there is no index."""
    if type(db).__module__.split(".")[0] == "psycopg":
        return _status(db)
    with _pg.connect(_pg.url_of(db), readonly=True) as conn:
        return _status(conn)


# -- helpers -------------------------------------------------------------------------------------


def _insert(conn: Any, rows: list[tuple[object, ...]]) -> int:
    """Insert passage rows (and their project's configuration, once); how many there were."""
    if not rows:
        return 0
    conn.cursor().executemany(_INSERT, rows)
    conn.cursor().executemany(
        "INSERT INTO search_configs (project, config) VALUES (%s, %s) ON CONFLICT DO NOTHING",
        sorted({(row[0], row[10]) for row in rows}),
    )
    return len(rows)


def _status(conn: Any) -> IndexStatus | None:
    if not _pg.table_exists(conn, "search_schema"):
        return None
    row = conn.execute(
        "SELECT version, cursor, state, projects, built_at, updated_at FROM search_schema "
        "WHERE id=1"
    ).fetchone()
    if row is None:
        return None
    projects = json.loads(row[3]) if row[3] is not None else None
    return IndexStatus(row[0], int(row[1]), row[2], projects, row[4], row[5])


def _configs(conn: Any) -> set[str]:
    return {row[0] for row in conn.execute("SELECT cfgname FROM pg_ts_config")}


def _last_cursor(conn: Any) -> int:
    return int(conn.execute("SELECT COALESCE(MAX(cursor), 0) FROM changes").fetchone()[0])


@contextmanager
def _store(db: Any, url: str) -> Iterator[Any]:
    """The article store: ``db`` itself when it is one, else opened read-only for this run."""
    if hasattr(db, "articles_between"):
        yield db
        return
    from wikipact.store import open_store

    store = open_store(url, readonly=True)
    try:
        yield store
    finally:
        store.close()


@contextmanager
def _locked(conn: Any, url: str) -> Iterator[None]:
    """Hold ``INDEX_LOCK`` (waiting up to ``LOCK_SECONDS`` for another build or update)."""
    pg = _pg.psycopg()
    conn.execute(f"SET lock_timeout = '{int(LOCK_SECONDS)}s'")
    try:
        conn.execute("SELECT pg_advisory_lock(%s)", (INDEX_LOCK,))
    except pg.errors.LockNotAvailable:
        raise StoreError(
            f"{_pg.redact(url)}: another index build or update held the search index for "
            f"{LOCK_SECONDS} s; retry when it has finished"
        ) from None
    conn.execute("SET lock_timeout = 0")
    try:
        yield
    finally:
        # on a broken connection the server releases the lock as the connection closes
        with suppress(pg.Error):
            conn.execute("SELECT pg_advisory_unlock(%s)", (INDEX_LOCK,))
