"""Grounding search: passages ranked by BM25, each with its article, revision and citations.

Any Unicode string is a valid query. FTS5's query language (quotes, ``*``, ``NEAR``, ``AND``,
``OR``, ``NOT``, ``-``, ``:``, parentheses, column filters) is never exposed: binding the raw
query to ``MATCH ?`` still failed on 7 of 12 classic hostile queries, so every term is written as
an FTS5 string literal (inner double quotes doubled) and the literals are joined here. Before
that, lone surrogates (which cannot be encoded as UTF-8) and control characters (NUL included)
become spaces, terms without a single letter or digit are dropped, and at most ``MAX_TERMS``
terms of the first ``MAX_QUERY_CHARS`` characters are kept. A term is a whitespace-separated
word; inside it the tokenizer splits at punctuation, so ``anarcho-syndicalism`` is the phrase
"anarcho syndicalism". A word of a script other than Latin (and CJK) is a prefix, so that it
finds its inflected forms (see ``_is_prefix_term``). A run of CJK characters becomes a phrase of single characters on the
shadow columns (see ``wikipact.search.index``).

Every term must match (AND); when that finds nothing and there are several terms, any term may
match (OR), still ranked by BM25 with the title weighted ``TITLE_WEIGHT`` times the text.
Snippets mark matches with ``«`` and ``»`` and elide with ``…``.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import unicodedata
from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from wikipact.errors import ConfigError, StoreError
from wikipact.search._text import CJK_RUN, is_token_char
from wikipact.store.sqlite import connect, retry_locked

MAX_QUERY_CHARS = 2000
MAX_TERMS = 32
MAX_LIMIT = 100
TITLE_WEIGHT = 5.0
SNIPPET_TOKENS = 32
OPEN, CLOSE, ELLIPSIS = "«", "»", "…"


@dataclass(frozen=True, slots=True)
class PassageCitation:
    """A reference cited in the passage, as the article's record describes it."""

    identifier: str  # the reference's id in the article record (``cite_note-...``)
    type: str | None = None  # web | book | news | journal | generic | short | text | note
    title: str | None = None
    url: str | None = None
    doi: str | None = None
    isbn: str | None = None
    text: str | None = None  # the reference as rendered in the article


@dataclass(frozen=True, slots=True)
class Passage:
    """One search hit: a paragraph-level passage of an article at one revision."""

    project: str  # enwiki
    page_id: int
    title: str
    url: str
    revision_id: int
    language: str  # en
    section: str  # innermost section heading ("Abstract" for the lead)
    position: int  # 0-based order of the passage in the article
    text: str
    snippet: str  # part of the text with matches between « and »
    score: float  # -bm25: higher is better; comparable within one query only
    citations: list[PassageCitation] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form; citation fields that are unknown are left out."""
        data = asdict(self)
        data["citations"] = [
            {k: v for k, v in c.items() if v is not None} for c in data["citations"]
        ]
        return data


@dataclass(frozen=True, slots=True)
class _Term:
    text: str
    cjk: bool

    def expression(self) -> str:
        if self.cjk:
            return '{title_cjk text_cjk} : "' + " ".join(self.text) + '"'
        literal = '"' + self.text.replace('"', '""') + '"'
        return f"{literal} *" if _is_prefix_term(self.text) else literal


def _is_prefix_term(text: str) -> bool:
    """Words of scripts other than Latin also match their inflected forms (as prefixes).

    Measured on the Marathi sample (8 common words): exact terms found 45-94% of the passages
    where the word starts a token (महाराष्ट्र misses महाराष्ट्रात, महाराष्ट्रातील ...); as prefixes,
    100%, with precision still 1.00. Latin-script terms stay exact ("art" must not find
    "article").
    """
    letters = [ch for ch in text if ch.isalpha()]
    return len(letters) >= 2 and not any(ch.isascii() or _is_latin(ch) for ch in letters)


def _is_latin(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith("LATIN")


def query_terms(q: str) -> list[str]:
    """The FTS5 expressions for the terms of ``q`` (each a quoted literal); [] when none."""
    return [t.expression() for t in _terms(q)]


def _terms(q: str) -> list[_Term]:
    if not isinstance(q, str):
        raise ConfigError(f"a search query must be a string, not {type(q).__name__}")
    cleaned = "".join(
        " " if (ch < " " or "\ud800" <= ch <= "\udfff" or ch == "\x7f") else ch
        for ch in q[:MAX_QUERY_CHARS]
    )
    terms: dict[_Term, None] = {}
    for word in cleaned.split():
        pos = 0
        for match in CJK_RUN.finditer(word):
            _add(terms, word[pos : match.start()], cjk=False)
            _add(terms, match.group(), cjk=True)
            pos = match.end()
        _add(terms, word[pos:], cjk=False)
    return list(terms)[:MAX_TERMS]


def _add(terms: dict[_Term, None], text: str, *, cjk: bool) -> None:
    if text and any(is_token_char(ch) for ch in text):
        terms[_Term(text, cjk)] = None


def search(
    db_path_or_conn: str | Path | sqlite3.Connection,
    q: str,
    *,
    projects: Collection[str] | None = None,
    limit: int = 10,
) -> list[Passage]:
    """The best ``limit`` passages for ``q`` (at most ``MAX_LIMIT``), best first.

    ``projects`` restricts hits to those wikis (None: every indexed project; empty: no hits).
    A path is opened read-only for this call; a connection is used as given (read-only is fine).
    """
    terms = _terms(q)
    if not terms or limit <= 0 or (projects is not None and not projects):
        return []
    if isinstance(projects, str):
        projects = [projects]
    limit = min(int(limit), MAX_LIMIT)
    if isinstance(db_path_or_conn, sqlite3.Connection):
        return _search(db_path_or_conn, terms, projects, limit)
    conn = connect(Path(db_path_or_conn), readonly=True)
    try:
        return _search(conn, terms, projects, limit)
    finally:
        conn.close()


def _search(
    conn: sqlite3.Connection,
    terms: list[_Term],
    projects: Collection[str] | None,
    limit: int,
) -> list[Passage]:
    expressions = [t.expression() for t in terms]
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
            snippet = _cjk_snippet(text, cjk_runs) or snippet
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


def _cjk_snippet(text: str, runs: list[str], width: int = 60) -> str | None:
    """A snippet around the first CJK run found in ``text`` (FTS5 cannot mark those)."""
    found = [(text.find(run), run) for run in runs if run in text]
    if not found:
        return None
    start, run = min(found)
    left = max(0, start - width)
    right = min(len(text), start + len(run) + width)
    pattern = "|".join(re.escape(r) for r in sorted(set(runs), key=len, reverse=True))
    window = re.sub(pattern, lambda m: f"{OPEN}{m.group()}{CLOSE}", text[left:right])
    return (ELLIPSIS if left else "") + window + (ELLIPSIS if right < len(text) else "")


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
    """The passage index of one SQLite file, for a server: each thread reads through its own
    read-only connection, opened on first use."""

    def __init__(self, db_path: str | Path) -> None:
        self.path = Path(db_path)
        self._local = threading.local()

    def search(
        self, q: str, *, projects: Collection[str] | None = None, limit: int = 10
    ) -> list[Passage]:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = connect(self.path, readonly=True)
        return search(conn, q, projects=projects, limit=limit)
