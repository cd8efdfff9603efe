"""Grounding search: the public ``search`` and ``PassageIndex``, and the SQLite FTS5 side.

``search(db, q)`` and ``PassageIndex(db)`` take a SQLite file (path, ``sqlite:///`` URL or
connection) or a PostgreSQL database (``postgresql://`` URL, psycopg connection); PostgreSQL is
searched by ``wikipact.search.postgres_query``, with the same terms, the same AND-then-OR
fallback and the same ``Passage`` records. The rest of this module is the SQLite side:
passages ranked by BM25, each with its article, revision and citations.

Any Unicode string is a valid query (``wikipact.search.terms`` cuts it into terms). FTS5's
query language (quotes, ``*``, ``NEAR``, ``AND``, ``OR``, ``NOT``, ``-``, ``:``, parentheses,
column filters) is never exposed: binding the raw query to ``MATCH ?`` still failed on 7 of 12
classic hostile queries, so every term is written as an FTS5 string literal (inner double quotes
doubled) and the literals are joined here. Inside a term the tokenizer splits at punctuation, so
``anarcho-syndicalism`` is the phrase "anarcho syndicalism". A word of a script other than
Latin (and CJK) is a prefix, so that it finds its inflected forms (see
``terms.is_prefix_term``). A run of CJK characters becomes a phrase of single characters on the
shadow columns (see ``wikipact.search.index``).

Every term must match (AND); when that finds nothing and there are several terms, any term may
match (OR), still ranked by BM25 with the title weighted ``TITLE_WEIGHT`` times the text.
Snippets mark matches with ``«`` and ``»`` and elide with ``…``.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Collection
from pathlib import Path
from typing import Any

from wikipact.errors import StoreError
from wikipact.search._target import is_postgres, sqlite_file
from wikipact.search._text import CLOSE, ELLIPSIS, OPEN, cjk_snippet
from wikipact.search.records import MAX_LIMIT, Passage, PassageCitation, PassageSearch
from wikipact.search.terms import MAX_QUERY_CHARS, MAX_TERMS, Term, is_prefix_term
from wikipact.search.terms import query_terms as _terms
from wikipact.store.sqlite import connect, retry_locked

__all__ = [
    "MAX_LIMIT",
    "MAX_QUERY_CHARS",
    "MAX_TERMS",
    "Passage",
    "PassageCitation",
    "PassageIndex",
    "query_terms",
    "search",
]

TITLE_WEIGHT = 5.0
SNIPPET_TOKENS = 32


def _expression(term: Term) -> str:
    """The FTS5 form of a term: a string literal (a prefix for non-Latin words), or a phrase of
    single characters on the CJK shadow columns."""
    if term.cjk:
        return '{title_cjk text_cjk} : "' + " ".join(term.text) + '"'
    literal = '"' + term.text.replace('"', '""') + '"'
    return f"{literal} *" if is_prefix_term(term.text) else literal


def query_terms(q: str) -> list[str]:
    """The FTS5 expressions for the terms of ``q`` (each a quoted literal); [] when none."""
    return [_expression(t) for t in _terms(q)]


def search(
    db: str | os.PathLike[str] | sqlite3.Connection | Any,
    q: str,
    *,
    projects: Collection[str] | None = None,
    limit: int = 10,
) -> list[Passage]:
    """The best ``limit`` passages for ``q`` (at most ``MAX_LIMIT``), best first.

    ``projects`` restricts hits to those wikis (None: every indexed project; empty: no hits).
    ``db``: a SQLite path or ``sqlite:///`` URL (opened read-only for this call) or connection
    (used as given; read-only is fine), or a ``postgresql://`` URL or psycopg connection.
    """
    terms = _terms(q)
    if not terms or limit <= 0 or (projects is not None and not projects):
        return []
    if isinstance(projects, str):
        projects = [projects]
    limit = min(int(limit), MAX_LIMIT)
    if is_postgres(db):
        from wikipact.search import postgres_query

        return postgres_query.search_terms(db, terms, projects, limit)
    if isinstance(db, sqlite3.Connection):
        return _search(db, terms, projects, limit)
    conn = connect(sqlite_file(db), readonly=True)
    try:
        return _search(conn, terms, projects, limit)
    finally:
        conn.close()


def _search(
    conn: sqlite3.Connection,
    terms: list[Term],
    projects: Collection[str] | None,
    limit: int,
) -> list[Passage]:
    expressions = [_expression(t) for t in terms]
    match = " AND ".join(expressions)
    hits = _ranked(conn, match, projects, limit)
    if not hits and len(expressions) > 1:
        match = " OR ".join(expressions)
        hits = _ranked(conn, match, projects, limit)
    cjk_runs = [t.text for t in terms if t.cjk]
    passages = []
    for rowid, score in hits:
        row = _fetch(
            conn,
            "SELECT p.project, p.page_id, p.title, p.url, p.revision_id, p.language, p.section, "
            f"p.position, p.text, p.citations, snippet(search_fts, 1, '{OPEN}', '{CLOSE}', "
            f"'{ELLIPSIS}', {SNIPPET_TOKENS}) FROM search_fts JOIN search_passages AS p "
            "ON p.id = search_fts.rowid WHERE search_fts MATCH ? AND search_fts.rowid = ?",
            (match, rowid),
        )
        if not row:
            continue  # replaced by an update between the two queries
        (project, page_id, title, url, revision, language, section, position, text) = row[0][:9]
        citations, snippet = row[0][9], row[0][10]
        if OPEN not in snippet and cjk_runs:
            snippet = cjk_snippet(text, cjk_runs) or snippet
        passages.append(
            Passage(
                project=project,
                page_id=page_id,
                title=title,
                url=url,
                revision_id=revision,
                language=language,
                section=section,
                position=position,
                text=text,
                snippet=snippet,
                score=-score,
                citations=[PassageCitation(**c) for c in json.loads(citations)],
            )
        )
    return passages


def _ranked(
    conn: sqlite3.Connection, match: str, projects: Collection[str] | None, limit: int
) -> list[tuple[int, float]]:
    """(rowid, bm25) of the best matches; only ids and scores go through the sort."""
    weights = f"{TITLE_WEIGHT}, 1.0, {TITLE_WEIGHT}, 1.0"
    if projects is None:
        sql = (
            f"SELECT rowid, bm25(search_fts, {weights}) AS s FROM search_fts "
            "WHERE search_fts MATCH ? ORDER BY s LIMIT ?"
        )
        params: tuple[object, ...] = (match, limit)
    else:
        sql = (
            f"SELECT f.rowid, bm25(search_fts, {weights}) AS s FROM search_fts AS f "
            "JOIN search_passages AS p ON p.id = f.rowid WHERE search_fts MATCH ? "
            "AND p.project IN (SELECT value FROM json_each(?)) ORDER BY s LIMIT ?"
        )
        params = (match, json.dumps([str(p) for p in projects]), limit)
    return [(int(r[0]), float(r[1])) for r in _fetch(conn, sql, params)]


def _fetch(conn: sqlite3.Connection, sql: str, params: tuple[object, ...]) -> list[tuple[Any, ...]]:
    """Run a read, retrying a momentary SQLITE_BUSY for up to 5 s (read-only connections do
    not wait by themselves); a missing index becomes an actionable StoreError."""
    try:
        return retry_locked(
            lambda: conn.execute(sql, params).fetchall(),
            seconds=5.0,
            step=0.0005,
            message="the database stayed locked for 5 s during a search",
        )
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            raise StoreError(
                "the database has no search index; run `wikipact index` on it first"
            ) from None
        raise StoreError(f"search failed: {exc}") from None


class PassageIndex:
    """The passage index of one database, for a server; safe to share between threads.

    On a SQLite file each thread reads through its own read-only connection, opened on first
    use; on PostgreSQL (a ``postgresql://`` URL) searches share a small connection pool
    (``postgres_query.PostgresPassageIndex``).
    """

    def __init__(self, db: str | os.PathLike[str]) -> None:
        self._backend: PassageSearch
        if is_postgres(db):
            from wikipact.search.postgres_query import PostgresPassageIndex

            self.path: Path | None = None
            self._backend = PostgresPassageIndex(str(db))
        else:
            self.path = sqlite_file(db)
            self._backend = _SQLitePassageIndex(self.path)

    def search(
        self, q: str, *, projects: Collection[str] | None = None, limit: int = 10
    ) -> list[Passage]:
        return self._backend.search(q, projects=projects, limit=limit)

    def close(self) -> None:
        self._backend.close()


class _SQLitePassageIndex:
    """Per-thread read-only connections to one SQLite file, opened on first use."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()

    def search(
        self, q: str, *, projects: Collection[str] | None = None, limit: int = 10
    ) -> list[Passage]:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = connect(self.path, readonly=True)
        return search(conn, q, projects=projects, limit=limit)

    def close(self) -> None:
        """Close this thread's connection (the others close with their threads' end)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
