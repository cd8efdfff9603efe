"""Grounding search on PostgreSQL: the same terms, fallback and ``Passage`` records as on SQLite.

The terms of a query (``wikipact.search.terms``) become one tsquery per text search
configuration present in the index (``postgres_text``): every term must match (AND); when that
finds nothing and there are several terms, any term may match (OR). Stop words of a stemming
configuration drop out of its query (English "the" matches nothing; "the cat" finds "cat").

Ranking is ``ts_rank_cd`` (cover density: how many query words a passage holds and how close
together) with the title weighted ``TITLE_WEIGHT`` times the text, divided by 1 + log(length
in words) (normalization 1) so that long passages do not win by size alone; ties are broken by
passage id. ``ts_rank_cd`` has no inverse document frequency, which matters when any word may
match: there a common word ("2", in "NEAR(anarchism stateless, 2)") would outrank a rare one.
The OR fallback therefore scores like BM25: the sum over terms of ``idf · r / (r + SATURATION)``,
``r`` the term's own ``ts_rank_cd`` (one word of text is 0.2, so it counts half) and ``idf``
BM25's, from the passages holding the term, counted through the index up to ``DF_CAP``. Scores
are comparable within one query.

Snippets come from ``ts_headline`` (one fragment of at most ``SNIPPET_WORDS`` words around the
best match, in the passage's configuration, so "societies" marks "society" in English), with
matches between ``«`` and ``»`` and ``…`` where the fragment does not reach the start or the
end of the passage. They are word-based where FTS5's are token-based, so the exact text can
differ between backends; a match only in the title gives the passage's first words, and a CJK
match a window around the run (``_text.cjk_snippet``), as on SQLite.

Everything is one statement (the hits, their rows and their snippets), so an update committing
meanwhile is never half seen.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection
from typing import Any

from wikipact.errors import StoreError
from wikipact.search import _pg
from wikipact.search._text import CLOSE, ELLIPSIS, OPEN, cjk_snippet
from wikipact.search.postgres_text import SIMPLE, cjk_tsquery, tsquery_text
from wikipact.search.records import MAX_LIMIT, Passage, PassageCitation
from wikipact.search.terms import Term, query_terms
from wikipact.store.pools import connection_pool

TITLE_WEIGHT = 5.0
RANK_NORMALIZATION = 1  # ts_rank_cd: divide by 1 + log(number of words)
DF_CAP = 1000  # passages counted per term and configuration for its IDF
SATURATION = 0.2  # OR fallback: a term's rank r counts r / (r + this); one word of text is 0.2
SNIPPET_WORDS = 32
POOL_CONNECTIONS = 8
# ts_headline marks its matches with these (private-use characters, never in wiki text), which
# are turned into « and » once the fragment has been found in the passage
_START, _STOP = "\U000f0000", "\U000f0001"
_HEADLINE = (
    f"StartSel={_START}, StopSel={_STOP}, MaxWords={SNIPPET_WORDS}, "
    f"MinWords={SNIPPET_WORDS // 2}, MaxFragments=1"
)
# ts_rank_cd weights of {D, C, B, A}: the text is D, the title A
_WEIGHTS = [1.0 / TITLE_WEIGHT, 1.0 / TITLE_WEIGHT, 1.0 / TITLE_WEIGHT, 1.0]


def search_terms(
    db: Any, terms: list[Term], projects: Collection[str] | None, limit: int
) -> list[Passage]:
    """The best ``limit`` passages for ``terms`` in the database at ``db`` (a URL or an object
    with one) or on ``db`` (a psycopg connection, used as given: its settings are the caller's,
    so turn JIT off on it, as ``_pg.SESSION`` does, for millisecond searches)."""
    if type(db).__module__.split(".")[0] == "psycopg":
        return _search(db, terms, projects, limit)
    with _pg.connect(_pg.url_of(db), readonly=True) as conn:
        return _search(conn, terms, projects, limit)


def _search(
    conn: Any, terms: list[Term], projects: Collection[str] | None, limit: int
) -> list[Passage]:
    pg = _pg.psycopg()
    try:
        rows = _ranked(conn, terms, "&", projects, limit)
        if not rows and len(terms) > 1:
            rows = _ranked(conn, terms, "|", projects, limit)
    except pg.errors.UndefinedTable:
        raise StoreError(_pg.NO_INDEX) from None
    except pg.Error as exc:
        raise StoreError(f"search failed: {exc}") from None
    cjk_runs = [t.text for t in terms if t.cjk]
    passages = []
    for score, project, page_id, title, url, revision, language, section, position, text, \
            citations, headline in rows:  # fmt: skip
        snippet = _snippet(headline, text)
        if OPEN not in snippet and cjk_runs:
            snippet = cjk_snippet(text, cjk_runs) or snippet
        passages.append(
            Passage(
                project=project,
                page_id=int(page_id),
                title=title,
                url=url,
                revision_id=int(revision),
                language=language,
                section=section,
                position=position,
                text=text,
                snippet=snippet,
                score=float(score),
                citations=[PassageCitation(**c) for c in json.loads(citations)],
            )
        )
    return passages


def _ranked(
    conn: Any, terms: list[Term], operator: str, projects: Collection[str] | None, limit: int
) -> list[tuple[Any, ...]]:
    """The best rows, with score and snippet, for the terms joined by ``operator``."""
    params: dict[str, object] = {
        "weights": _WEIGHTS,
        "headline": _HEADLINE,
        "limit": min(int(limit), MAX_LIMIT),
        "projects": sorted({str(p) for p in projects}) if projects is not None else None,
    }
    names = [f"t{i}" for i in range(len(terms))]
    per_term = ", ".join(f"{_term_sql(i, t, params)} AS t{i}" for i, t in enumerate(terms))
    in_projects = "AND p.project = ANY(%(projects)s)" if projects is not None else ""
    configs = "WHERE project = ANY(%(projects)s)" if projects is not None else ""
    q = f"""q AS MATERIALIZED (
            SELECT config, {", ".join(names)},
                   ({(" && " if operator == "&" else " || ").join(names)}) AS query
            FROM (SELECT c.config, {per_term}
                  FROM (SELECT DISTINCT config FROM search_configs {configs}) AS c) AS terms
        )"""
    ranks = ""
    if operator == "&":
        score = f"ts_rank_cd(%(weights)s::real[], p.document, q.query, {RANK_NORMALIZATION})"
    else:
        for name, idf in zip(names, _idf(conn, q, names, in_projects, params), strict=True):
            params[f"idf_{name}"] = idf
        ranks = (
            "CROSS JOIN LATERAL (SELECT "
            + ", ".join(
                f"ts_rank_cd(%(weights)s::real[], p.document, q.{n}, 0) AS {n}" for n in names
            )
            + ") AS r"
        )
        score = " + ".join(f"%(idf_{n})s::real * r.{n} / (r.{n} + {SATURATION})" for n in names)
    sql = f"""
        WITH {q}, hits AS (
            SELECT m.id, q.config, q.query, m.score
            FROM q CROSS JOIN LATERAL (
                SELECT p.id, {score} AS score
                FROM search_passages AS p {ranks}
                WHERE p.document @@ q.query AND p.config = q.config {in_projects}
                ORDER BY score DESC, p.id
                LIMIT %(limit)s
            ) AS m
            ORDER BY m.score DESC, m.id
            LIMIT %(limit)s
        )
        SELECT h.score, p.project, p.page_id, p.title, p.url, p.revision_id, p.language,
               p.section, p.position, p.text, p.citations,
               ts_headline(h.config::regconfig, p.text, h.query, %(headline)s)
        FROM hits AS h JOIN search_passages AS p ON p.id = h.id
        ORDER BY h.score DESC, h.id"""
    return conn.execute(sql, params).fetchall()  # type: ignore[no-any-return]


def _term_sql(i: int, term: Term, params: dict[str, object]) -> str:
    """The tsquery of one term, in the configuration ``c.config`` (its text as parameters)."""
    if term.cjk:
        params[f"t{i}"] = cjk_tsquery([term], "&")
        return f"%(t{i})s::tsquery"
    params[f"t{i}"] = tsquery_text([term], "&", prefixes=False)
    params[f"p{i}"] = tsquery_text([term], "&", prefixes=True)
    return (
        f"to_tsquery(c.config::regconfig, "
        f"CASE WHEN c.config = '{SIMPLE}' THEN %(p{i})s ELSE %(t{i})s END)"
    )


def _idf(
    conn: Any, q: str, names: list[str], in_projects: str, params: dict[str, object]
) -> list[float]:
    """BM25's inverse document frequency of each term, ln(1 + (N - n + 0.5) / (n + 0.5)), with
    the passages holding a term (n) counted through the index up to ``DF_CAP`` per
    configuration, so that a very common word costs no more than a rare one to weigh."""
    counts = ", ".join(
        f"(SELECT count(*) FROM q CROSS JOIN LATERAL (SELECT 1 FROM search_passages AS p "
        f"WHERE p.document @@ q.{n} AND p.config = q.config {in_projects} "
        f"LIMIT {DF_CAP}) AS m)"
        for n in names
    )
    row = conn.execute(
        f"WITH {q} SELECT (SELECT reltuples FROM pg_class "
        f"WHERE oid = 'search_passages'::regclass), {counts}",
        params,
    ).fetchone()
    found = [int(n) for n in row[1:]]
    total = max(float(row[0] or 0), float(max(found, default=0)), 1.0)
    return [math.log(1 + (total - n + 0.5) / (n + 0.5)) for n in found]


def _snippet(headline: str, text: str) -> str:
    """The headline with « » marks, and … where it does not reach either end of the text."""
    plain = headline.replace(_START, "").replace(_STOP, "")
    marked = headline.replace(_START, OPEN).replace(_STOP, CLOSE)
    at = text.find(plain) if plain else -1
    if at < 0:
        return marked
    return (ELLIPSIS if at > 0 else "") + marked + (ELLIPSIS if at + len(plain) < len(text) else "")


class PostgresPassageIndex:
    """The passage index of one PostgreSQL database, for a server: searches share a small pool
    of read-only connections (safe to share between threads)."""

    def __init__(self, url: str, *, max_connections: int = POOL_CONNECTIONS) -> None:
        _pg.psycopg()  # a clear error when the driver is missing
        self.url = url
        self.pool = connection_pool(
            url,
            name="wikipact-search",
            max_connections=max_connections,
            read_only=_pg.READ_ONLY_SESSION,
        )

    def search(
        self, q: str, *, projects: Collection[str] | None = None, limit: int = 10
    ) -> list[Passage]:
        terms = query_terms(q)
        if not terms or limit <= 0 or (projects is not None and not projects):
            return []
        if isinstance(projects, str):
            projects = [projects]
        pg = _pg.psycopg()
        try:
            with self.pool.connection() as conn:
                return _search(conn, terms, projects, min(int(limit), MAX_LIMIT))
        except pg.Error as exc:  # the pool could not connect
            raise StoreError(f"search on {_pg.redact(self.url)} failed: {exc}") from None

    def close(self) -> None:
        self.pool.close()
