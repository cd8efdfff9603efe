"""The passage index behind grounding search: SQLite FTS5 tables in the store's own database file.

Layout (created with ``IF NOT EXISTS``; the store's migrations are not involved):

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

Passages follow the article's parsed sections: one per paragraph or list. A passage is at most
``MAX_CHARS`` (1,500) characters: a longer paragraph is split at sentence boundaries (a longer
list between items), and each piece carries only the references its sentences cite (from the
article's claims, which match the paragraph citations exactly on the vendored samples). A
passage under ``MIN_CHARS`` (200) is merged with the next one of the same section when the two
fit; on the samples 40% of paragraphs are that short, and a one-line passage is poor context.

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
import sqlite3
import time
from collections.abc import Callable, Collection, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from wikipact.errors import StoreError
from wikipact.model.article import Article, Part, Reference
from wikipact.search._text import TOKENIZER, cjk_shadow
from wikipact.store.sqlite import SQLiteStore, connect, write_transaction
from wikipact.wikitext.sentences import split_sentences

SCHEMA_VERSION = 1
MAX_CHARS = 1500
MIN_CHARS = 200
BATCH_ARTICLES = 500
CHANGES_PER_BATCH = 1000

ProgressCallback = Callable[[int, int], None]  # (articles read so far, articles to read)

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS search_schema (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        version INTEGER NOT NULL,
        cursor INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('building', 'ready')),
        projects TEXT,
        built_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS search_passages (
        id INTEGER PRIMARY KEY,
        project TEXT NOT NULL,
        page_id INTEGER NOT NULL,
        title TEXT NOT NULL,
        url TEXT NOT NULL,
        revision_id INTEGER NOT NULL,
        language TEXT NOT NULL,
        section TEXT NOT NULL,
        position INTEGER NOT NULL,
        text TEXT NOT NULL,
        citations TEXT NOT NULL,
        title_cjk TEXT,
        text_cjk TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS search_passages_by_page "
    "ON search_passages(project, page_id, position)",
    f"""CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5(
        title, text, title_cjk, text_cjk,
        content='search_passages', content_rowid='id',
        tokenize="{TOKENIZER}"
    )""",
    """CREATE TRIGGER IF NOT EXISTS search_passages_ai AFTER INSERT ON search_passages BEGIN
        INSERT INTO search_fts(rowid, title, text, title_cjk, text_cjk)
        VALUES (new.id, new.title, new.text, new.title_cjk, new.text_cjk);
    END""",
    """CREATE TRIGGER IF NOT EXISTS search_passages_ad AFTER DELETE ON search_passages BEGIN
        INSERT INTO search_fts(search_fts, rowid, title, text, title_cjk, text_cjk)
        VALUES ('delete', old.id, old.title, old.text, old.title_cjk, old.text_cjk);
    END""",
)
_DROP = (
    "DROP TRIGGER IF EXISTS search_passages_ai",
    "DROP TRIGGER IF EXISTS search_passages_ad",
    "DROP TABLE IF EXISTS search_fts",
    "DROP TABLE IF EXISTS search_passages",
    "DROP TABLE IF EXISTS search_schema",
)


@dataclass
class IndexStats:
    """What a build or an update did."""

    rebuilt: bool = False
    articles_indexed: int = 0  # articles whose passages were (re)written
    articles_removed: int = 0  # articles whose passages were dropped (deleted, redirect, ...)
    passages_added: int = 0
    passages_removed: int = 0
    passages_total: int = 0
    changes_read: int = 0  # change-log events followed (updates only)
    cursor: int = 0  # change-log cursor the index is now at
    projects: list[str] | None = None  # None: every project
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class PassageDraft:
    """A passage before it is stored: its section, text and the identifiers it cites."""

    section: str
    text: str
    citations: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class IndexStatus:
    """The state recorded in ``search_schema``."""

    version: int
    cursor: int
    state: str
    projects: list[str] | None
    built_at: str
    updated_at: str


# -- passages ------------------------------------------------------------------------------------


def is_indexable(article: Article) -> bool:
    """Namespace-0 pages that are not redirects are indexed; nothing else is."""
    return article.namespace.identifier == 0 and article.redirect_target is None


def article_passages(article: Article) -> list[PassageDraft]:
    """The passages of an article, in reading order (see the module docstring for the rules)."""
    builder = _PassageBuilder(article)
    for section in article.sections:
        builder.section(section)
    return builder.passages


class _PassageBuilder:
    def __init__(self, article: Article) -> None:
        self.article = article
        self.text = article.text or ""
        self.language = article.in_language.identifier
        self.cursor = 0  # where the next paragraph is looked for in article.text
        self.passages: list[PassageDraft] = []

    def section(self, part: Part, name: str = "") -> None:
        name = part.name or name
        pending: list[tuple[str, tuple[str, ...]]] = []
        for child in part.has_parts:
            if child.type == "section":
                self._flush(name, pending)
                pending = []
                self.section(child, name)
            elif child.type == "paragraph":
                pending.extend(self._paragraph(child))
            elif child.type == "list":
                pending.extend(self._list(child))
        self._flush(name, pending)

    def _flush(self, section: str, segments: list[tuple[str, tuple[str, ...]]]) -> None:
        """Merge short segments into the next one of the section, then keep them."""
        merged: list[tuple[str, tuple[str, ...]]] = []
        for text, cites in segments:
            if merged:
                last_text, last_cites = merged[-1]
                if len(last_text) < MIN_CHARS and len(last_text) + 1 + len(text) <= MAX_CHARS:
                    merged[-1] = (f"{last_text}\n{text}", _union(last_cites, cites))
                    continue
            merged.append((text, cites))
        self.passages.extend(PassageDraft(section, text, cites) for text, cites in merged)

    def _paragraph(self, part: Part) -> list[tuple[str, tuple[str, ...]]]:
        raw = part.value or ""
        value = raw.strip()
        start = self.text.find(raw, self.cursor) if raw else -1
        if start >= 0:
            self.cursor = start + len(raw)
            start += len(raw) - len(raw.lstrip())
        if not value:
            return []
        cites = _ids(part)
        if len(value) <= MAX_CHARS:
            return [(value, cites)]
        pieces: list[tuple[str, tuple[str, ...]]] = []
        for s, e in split_sentences(value, self.language):
            if start < 0:  # not found in article.text: each piece keeps the paragraph's list
                pieces.append((value[s:e], cites))
            else:
                pieces.append((value[s:e], self._claims_between(start + s, start + e, cites)))
        return _pack(pieces, " ")

    def _claims_between(self, start: int, end: int, allowed: tuple[str, ...]) -> tuple[str, ...]:
        found: tuple[str, ...] = ()
        for claim in self.article.claims:
            if claim.start < end and claim.end > start:
                found = _union(found, tuple(c for c in claim.citations if c in allowed))
        return found

    def _list(self, part: Part) -> list[tuple[str, tuple[str, ...]]]:
        items = list(_list_items(part))
        if not items:
            return []
        text = "\n".join(t for t, _ in items)
        if len(text) <= MAX_CHARS:
            cites: tuple[str, ...] = ()
            for _, c in items:
                cites = _union(cites, c)
            return [(text, cites)]
        pieces: list[tuple[str, tuple[str, ...]]] = []
        for item, cites in items:
            if len(item) <= MAX_CHARS:
                pieces.append((item, cites))
            else:
                spans = split_sentences(item, self.language)
                pieces.extend((item[s:e], cites) for s, e in spans)
        return _pack(pieces, "\n")


def _list_items(part: Part, depth: int = 0) -> Iterable[tuple[str, tuple[str, ...]]]:
    for child in part.has_parts:
        if child.type == "list_item":
            value = (child.value or "").strip()
            if value:
                yield ("  " * depth + value, _ids(child))
            for grandchild in child.has_parts:
                if grandchild.type == "list":
                    yield from _list_items(grandchild, depth + 1)
        elif child.type == "list":
            yield from _list_items(child, depth + 1)


def _ids(part: Part) -> tuple[str, ...]:
    return _union((), tuple(c.identifier for c in part.citations))


def _union(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    seen = list(first)
    for item in second:
        if item not in seen:
            seen.append(item)
    return tuple(seen)


def _pack(
    pieces: list[tuple[str, tuple[str, ...]]], joiner: str
) -> list[tuple[str, tuple[str, ...]]]:
    """Consecutive pieces joined into chunks of at most MAX_CHARS (an overlong piece is cut)."""
    chunks: list[tuple[str, tuple[str, ...]]] = []
    text, cites = "", ()  # type: tuple[str, tuple[str, ...]]
    for piece, piece_cites in pieces:
        for part in _hard_split(piece):
            if text and len(text) + len(joiner) + len(part) > MAX_CHARS:
                chunks.append((text, cites))
                text, cites = "", ()
            text = f"{text}{joiner}{part}" if text else part
            cites = _union(cites, piece_cites)
    if text:
        chunks.append((text, cites))
    return chunks


def _hard_split(text: str) -> list[str]:
    """A sentence longer than MAX_CHARS, cut at the last space before the limit (or at it)."""
    parts: list[str] = []
    while len(text) > MAX_CHARS:
        cut = text.rfind(" ", MAX_CHARS // 2, MAX_CHARS + 1)
        cut = cut if cut > 0 else MAX_CHARS
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        parts.append(text)
    return parts


def citation_record(identifier: str, reference: Reference | None) -> dict[str, str]:
    """The JSON form of one citation: what a partner needs to show and check the source."""
    record = {"identifier": identifier}
    if reference is None:
        return record
    record["type"] = reference.type
    meta = reference.metadata
    if meta.get("title"):
        record["title"] = meta["title"]
    url = meta.get("url") or (
        reference.text.links[0].url if reference.text and reference.text.links else ""
    )
    if url:
        record["url"] = url
    for key in ("doi", "isbn"):
        if meta.get(key):
            record[key] = meta[key]
    if reference.text and reference.text.value:
        record["text"] = reference.text.value
    return record


def passage_rows(article: Article) -> list[tuple[object, ...]]:
    """``search_passages`` rows (without id) for an article; none unless it is indexable."""
    if not is_indexable(article):
        return []
    references = {r.identifier: r for r in article.references}
    title_cjk = cjk_shadow(article.name)
    rows: list[tuple[object, ...]] = []
    for position, passage in enumerate(article_passages(article)):
        citations = [citation_record(i, references.get(i)) for i in passage.citations]
        rows.append(
            (
                article.is_part_of.identifier,
                article.identifier,
                article.name,
                article.url,
                article.version.identifier,
                article.in_language.identifier,
                passage.section,
                position,
                passage.text,
                json.dumps(citations, ensure_ascii=False),
                title_cjk,
                cjk_shadow(passage.text),
            )
        )
    return rows


_INSERT = (
    "INSERT INTO search_passages(project, page_id, title, url, revision_id, language, section, "
    "position, text, citations, title_cjk, text_cjk) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)"
)


# -- building and updating -----------------------------------------------------------------------


def build_index(
    db_path: str | Path,
    *,
    projects: Collection[str] | None = None,
    progress: ProgressCallback | None = None,
) -> IndexStats:
    """Drop the passage index of the store at ``db_path`` and build it from every live article.

    ``projects`` restricts the index (and later updates) to those wikis; None means all.
    """
    started = time.monotonic()
    store = _open_store(db_path)
    chosen = sorted(set(projects)) if projects is not None else None
    stats = IndexStats(rebuilt=True, projects=chosen)
    try:
        conn = store.conn
        with _write(conn):
            for statement in _DROP:
                conn.execute(statement)
            _create(conn)
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


def update_index(db_path: str | Path) -> IndexStats:
    """Bring the passage index up to date with the store's change log.

    Follows the change log from the cursor recorded in ``search_schema``: each page created,
    updated, turned into a redirect or deleted gets its passages replaced by those of its current
    record (none for deletions, redirects and other namespaces). Without an index, or after an
    interrupted or outdated build, this builds the index from scratch.
    """
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


def index_status(db: sqlite3.Connection | str | Path) -> IndexStatus | None:
    """The recorded state of the index (on a connection, or the database file at a path), or
    None when there is no index."""
    if isinstance(db, sqlite3.Connection):
        return _status(db)
    conn = connect(Path(db), readonly=True)
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


def _create(conn: sqlite3.Connection) -> None:
    for statement in _SCHEMA:
        conn.execute(statement)


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
