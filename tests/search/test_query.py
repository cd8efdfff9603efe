"""Search on the indexed samples: real facts, citations, projects, Marathi, hostile queries."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wikipact.errors import StoreError
from wikipact.model.article import Article, Part
from wikipact.search import Passage, search
from wikipact.search.query import MAX_LIMIT, query_terms
from wikipact.store import SQLiteStore
from wikipact.store.sqlite import connect

# The classic ways to break an FTS5 MATCH: syntax characters, operators, column filters,
# unbalanced quotes and parentheses, NUL, a lone surrogate, a huge string.
HOSTILE = [
    '"',
    'anarchism "stateless',
    "anarch*ism *",
    "NEAR(anarchism stateless, 2)",
    "anarchism AND",
    "OR NOT anarchism",
    "-anarchism +state",
    "title:anarchism text:state",
    "((anarchism) state",
    "{title text}: anarchism ^state",
    "anarchism\x00state",
    "anarchism \ud800 state \udfff",
]


def _paragraphs(parts: tuple[Part, ...]) -> list[Part]:
    found: list[Part] = []
    for part in parts:
        if part.type == "paragraph":
            found.append(part)
        found.extend(_paragraphs(part.has_parts))
    return found


def _article(db: Path, project: str, title: str) -> Article:
    store = SQLiteStore(db, readonly=True)
    try:
        (article,) = store.find(title, project)
    finally:
        store.close()
    return article


def test_a_real_fact_finds_its_article_first_with_the_paragraphs_citations(
    indexed_db: Path,
) -> None:
    hits = search(indexed_db, "anarchism stateless societies")
    assert hits, "no passage found"
    first = hits[0]
    assert (first.project, first.title) == ("enwiki", "Anarchism")
    for term in ("anarchism", "stateless", "societies"):
        assert term in first.text.lower()
        assert f"«{term}»" in first.snippet.lower()
    article = _article(indexed_db, "enwiki", "Anarchism")
    assert first.url == article.url == "https://en.wikipedia.org/wiki/Anarchism"
    assert first.revision_id == article.version.identifier
    assert (first.language, first.section, first.page_id) == ("en", "Abstract", 12)
    # The passage is the lead paragraph; its citations are exactly the ones that paragraph cites.
    (paragraph,) = [p for p in _paragraphs(article.sections) if "stateless societies" in p.value]
    assert paragraph.value.strip() in first.text
    expected = list(dict.fromkeys(c.identifier for c in paragraph.citations))
    assert [c.identifier for c in first.citations] == expected
    assert len(expected) >= 5
    references = {r.identifier: r for r in article.references}
    for citation in first.citations:
        reference = references[citation.identifier]
        assert citation.type == reference.type
        assert citation.title == reference.metadata.get("title")
        if reference.metadata.get("url"):
            assert citation.url == reference.metadata["url"]
    assert first.citations[0].title == "Towards Anarchism"
    assert (
        first.citations[0].url == "http://www.marxists.org/archive/malatesta/1930s/xx/toanarchy.htm"
    )
    assert first.to_dict()["citations"][0]["identifier"] == "cite_note-definition"


def test_results_are_ranked_and_limited(indexed_db: Path) -> None:
    hits = search(indexed_db, "anarchism", limit=7)
    assert len(hits) == 7
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(isinstance(h, Passage) for h in hits)
    assert len(search(indexed_db, "the", limit=10_000)) == MAX_LIMIT
    assert search(indexed_db, "anarchism", limit=0) == []


def test_the_title_weighs_more_than_the_text(indexed_db: Path) -> None:
    # "Albert Einstein" is named in other articles' text; its own article must come first.
    hits = search(indexed_db, "Albert Einstein", projects=["enwiki"], limit=3)
    assert hits[0].title == "Albert Einstein"


def test_projects_restrict_the_results(indexed_db: Path) -> None:
    both = search(indexed_db, "India", limit=100)
    assert {h.project for h in both} == {"enwiki", "mrwiki"}
    only_mr = search(indexed_db, "India", projects=["mrwiki"], limit=100)
    assert only_mr and {h.project for h in only_mr} == {"mrwiki"}
    only_en = search(indexed_db, "India", projects={"enwiki"}, limit=100)
    assert only_en and {h.project for h in only_en} == {"enwiki"}
    assert search(indexed_db, "India", projects=[]) == []
    assert search(indexed_db, "India", projects=["dewiki"]) == []
    # mrwiki has no passage with all three words; the any-word fallback finds no Anarchism there
    fallback = search(indexed_db, "anarchism stateless societies", projects=["mrwiki"])
    assert all(h.project == "mrwiki" and h.title != "Anarchism" for h in fallback)


def test_a_marathi_query_finds_the_marathi_article(indexed_db: Path) -> None:
    hits = search(indexed_db, "वसंत पंचमी", limit=3)
    assert hits[0].title == "वसंत पंचमी"
    assert hits[0].project == "mrwiki" and hits[0].language == "mr"
    assert "«वसंत»" in hits[0].snippet and "पंचमी" in hits[0].text
    article = _article(indexed_db, "mrwiki", "वसंत पंचमी")
    assert hits[0].url == article.url and hits[0].revision_id == article.version.identifier


def test_marathi_words_stay_whole_and_match_their_inflected_forms(indexed_db: Path) -> None:
    conn = connect(indexed_db, readonly=True)
    try:
        texts = dict(conn.execute("SELECT id, title || ' ' || text FROM search_passages"))

        def matches(q: str) -> set[int]:
            (expr,) = query_terms(q)
            return {r[0] for r in conn.execute("SELECT rowid FROM search_fts(?)", (expr,))}

        # राजा (king) used to match inside other words through its fragments (र + ज)
        raja = matches("राजा")
        assert raja and all("राजा" in texts[i] for i in raja)
        # महाराष्ट्रातील ("in Maharashtra") is found by महाराष्ट्र
        inflected = {i for i, t in texts.items() if "महाराष्ट्रातील" in t}
        assert inflected and inflected <= matches("महाराष्ट्र")
        # Latin words stay exact: "art" does not find "article"
        article_only = {
            i for i, t in texts.items() if "article" in t.lower() and " art " not in t.lower()
        }
        assert article_only and not (article_only & matches("art"))
    finally:
        conn.close()


@pytest.mark.parametrize("q", HOSTILE)
def test_hostile_queries_never_raise(indexed_db: Path, q: str) -> None:
    hits = search(indexed_db, q, limit=5)
    assert len(hits) <= 5
    if "anarchism" in q and q not in ("anarch*ism *", "title:anarchism text:state"):
        assert any(h.title == "Anarchism" for h in hits)


def test_the_hostile_queries_do_break_a_bound_match(indexed_db: Path) -> None:
    """The list is hostile: binding the raw string to MATCH fails for most of it."""
    conn = connect(indexed_db, readonly=True)
    failures = 0
    try:
        for q in HOSTILE:
            try:
                conn.execute("SELECT rowid FROM search_fts WHERE search_fts MATCH ?", (q,))
            except (sqlite3.Error, UnicodeEncodeError):
                failures += 1
    finally:
        conn.close()
    assert failures >= 7


@pytest.mark.parametrize("q", ["", "   ", "\n\t", "\x00", "***", '""', "-", "( )", "\ud800"])
def test_queries_without_words_return_nothing(indexed_db: Path, q: str) -> None:
    assert search(indexed_db, q) == []


def test_a_10_kb_query_never_raises(indexed_db: Path) -> None:
    assert len(search(indexed_db, "anarchism " * 1000 + '"(' * 500, limit=3)) <= 3
    assert search(indexed_db, "x" * 10_000) == []


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    q=st.text(st.characters(exclude_categories=()), max_size=200)
    | st.lists(
        st.sampled_from(['"', "*", "NEAR", "AND", "OR", "NOT", "-", ":", "(", ")", "{", "}", "^"])
        | st.sampled_from(["anarchism", "title", "text", "मराठी", "東京", "\x00", "\ud800", " "]),
        max_size=30,
    ).map(" ".join),
    limit=st.integers(min_value=-3, max_value=150),
)
def test_any_text_never_raises(indexed_db: Path, q: str, limit: int) -> None:
    hits = search(indexed_db, q, limit=limit)
    assert len(hits) <= max(0, min(limit, MAX_LIMIT))


def test_a_read_only_connection_works(indexed_db: Path) -> None:
    conn = connect(indexed_db, readonly=True)
    try:
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            conn.execute("DELETE FROM search_passages")
        hits = search(conn, "anarchism stateless societies", limit=1)
        assert hits[0].title == "Anarchism"
        assert search(conn, '"*(', limit=1) == []
        assert search(conn, '"NEAR(', limit=1)[0].snippet.lower().count("«near»") >= 1
    finally:
        conn.close()


def test_a_store_without_index_or_file_is_a_clear_error(tmp_path: Path) -> None:
    SQLiteStore(tmp_path / "empty.db").close()
    with pytest.raises(StoreError, match="wikipact index"):
        search(tmp_path / "empty.db", "anarchism")
    with pytest.raises(StoreError, match="no such database"):
        search(tmp_path / "missing.db", "anarchism")
