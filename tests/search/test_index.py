"""The passage index: passages and their citations, schema, incremental updates, CJK, CLI.

Tests taking ``fresh_index_db`` or ``empty_db`` run on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest

from tests.conftest import ENWIKI_MULTISTREAM, requires_corpus
from tests.search.conftest import Db, is_pg, rows
from wikipact.dumps.reader import open_dump
from wikipact.errors import ConfigError, StoreError
from wikipact.model.article import Article, Part
from wikipact.model.raw import RawPage
from wikipact.run.ingest import IngestOptions, ingest
from wikipact.search import article_passages, build_index, index_status, search, update_index
from wikipact.search.index import MAX_CHARS, MIN_CHARS, SCHEMA_VERSION, passage_rows
from wikipact.store import SQLiteStore, open_store
from wikipact.store.sqlite import connect
from wikipact.wikitext.parse import parse_article


def _enwiki_page(title: str) -> tuple[RawPage, object]:
    dump = open_dump(ENWIKI_MULTISTREAM)
    for page in dump.pages():
        if page.title == title:
            return page, dump.site
    raise AssertionError(f"{title} is not in the sample")


def _new_revision(page: RawPage, text: str, bump: int = 1) -> RawPage:
    latest = page.latest
    revision = msgspec.structs.replace(
        latest, identifier=latest.identifier + bump, text=text, sha1=None
    )
    return msgspec.structs.replace(page, revisions=(revision,))


def _apply(db: Db, page: RawPage, site: object) -> Article:
    article = parse_article(page, site)  # type: ignore[arg-type]
    store = open_store(str(db))
    try:
        store.apply([(page, article)], source="test")
    finally:
        store.close()
    return article


def _paragraphs(parts: tuple[Part, ...]) -> list[Part]:
    found: list[Part] = []
    for part in parts:
        if part.type == "paragraph":
            found.append(part)
        found.extend(_paragraphs(part.has_parts))
    return found


def test_the_index_lives_in_the_store_file_with_a_schema_row(indexed_db: Path) -> None:
    conn = connect(indexed_db, readonly=True)
    try:
        status = index_status(conn)
        assert status is not None
        assert (status.version, status.state, status.projects) == (SCHEMA_VERSION, "ready", None)
        assert status.cursor == conn.execute("SELECT MAX(cursor) FROM changes").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert {"search_schema", "search_passages", "search_fts", "articles"} <= tables
        row = conn.execute(
            "SELECT project, page_id, title, url, revision_id, language, section, position, "
            "citations FROM search_passages WHERE title='Anarchism' ORDER BY position LIMIT 1"
        ).fetchone()
        assert row[:8] == (
            "enwiki",
            12,
            "Anarchism",
            "https://en.wikipedia.org/wiki/Anarchism",
            469305320,
            "en",
            "Abstract",
            0,
        )
        assert json.loads(row[8])[0]["identifier"] == "cite_note-definition"
        # only namespace-0 articles that are not redirects have passages
        indexed = conn.execute(
            "SELECT COUNT(DISTINCT project || page_id) FROM search_passages"
        ).fetchone()[0]
        others = conn.execute(
            "SELECT COUNT(*) FROM search_passages p JOIN articles a ON a.project=p.project AND "
            "a.page_id=p.page_id WHERE a.namespace != 0 OR a.redirect_target IS NOT NULL"
        ).fetchone()[0]
        assert indexed > 700 and others == 0
    finally:
        conn.close()


def test_passages_are_bounded_and_cover_every_paragraph(indexed_db: Path) -> None:
    store = SQLiteStore(indexed_db, readonly=True)
    try:
        (article,) = store.find("Anarchism", "enwiki")
    finally:
        store.close()
    passages = article_passages(article)
    assert all(0 < len(p.text) <= MAX_CHARS for p in passages)
    joined = "\n".join(p.text for p in passages)
    for paragraph in _paragraphs(article.sections):
        for sentence in paragraph.value.split(". ")[:2]:
            assert sentence.strip()[:60] in joined
    # a short paragraph is merged with the next one of its section
    short = [p for p in passages if len(p.text) < MIN_CHARS]
    assert len(short) < len(passages) // 4


def test_a_long_paragraph_is_split_and_each_piece_keeps_its_own_citations(
    indexed_db: Path,
) -> None:
    store = SQLiteStore(indexed_db, readonly=True)
    try:
        (article,) = store.find("Anarchism", "enwiki")
    finally:
        store.close()
    passages = article_passages(article)
    long_paragraphs = [p for p in _paragraphs(article.sections) if len(p.value) > MAX_CHARS]
    if not long_paragraphs:  # make one: two consecutive paragraphs of a section, joined
        pytest.skip("no paragraph over the limit in Anarchism")
    paragraph = long_paragraphs[0]
    pieces = [p for p in passages if p.text and p.text in paragraph.value]
    assert len(pieces) >= 2
    cited = [c.identifier for c in paragraph.citations]
    union = {c for piece in pieces for c in piece.citations}
    assert union == set(cited)
    assert all(set(piece.citations) <= set(cited) for piece in pieces)
    assert any(set(piece.citations) < set(cited) for piece in pieces)


def test_a_newer_revision_replaces_the_articles_passages(fresh_index_db: Db) -> None:
    fresh_db = fresh_index_db
    page, site = _enwiki_page("Anarchism")
    fact = "Anarchism was first catalogued by the zyxquorble society of Lower Wessex."
    text = page.latest.text.replace(
        "'''Anarchism''' is", f"{fact}\n\n'''Anarchism''' is", 1
    ).replace("[[stateless society|stateless societies]]", "voluntary federations")
    new = _apply(fresh_db, _new_revision(page, text), site)
    assert search(fresh_db, "zyxquorble") == []  # not indexed yet
    stats = update_index(fresh_db)
    assert (stats.rebuilt, stats.changes_read, stats.articles_indexed) == (False, 1, 1)
    assert stats.passages_removed > 0 and stats.passages_added > 0
    hits = search(fresh_db, "zyxquorble society")
    assert [h.title for h in hits] == ["Anarchism"]
    assert hits[0].revision_id == new.version.identifier == page.latest.identifier + 1
    assert search(fresh_db, "advocate voluntary federations")[0].title == "Anarchism"
    # the old wording is gone, and no passage of the old revision is left
    found = rows(fresh_db, "SELECT revision_id, text FROM search_passages WHERE page_id=12")
    assert {r[0] for r in found} == {new.version.identifier}
    assert not any("stateless societies" in r[1] for r in found)
    assert any("advocate voluntary federations" in r[1] for r in found)
    again = update_index(fresh_db)
    assert (again.changes_read, again.articles_indexed) == (0, 0)


def test_deleted_pages_and_redirects_lose_their_passages(fresh_index_db: Db) -> None:
    fresh_db = fresh_index_db
    assert search(fresh_db, "anarchism stateless societies")[0].title == "Anarchism"
    store = open_store(str(fresh_db))
    try:
        ids = {a.identifier for a in store.articles_between("enwiki", 0, 10**12)}
        assert store.delete_missing("enwiki", ids - {12}, source="test") == 1
    finally:
        store.close()
    stats = update_index(fresh_db)
    assert (stats.articles_removed, stats.articles_indexed) == (1, 0)
    assert all(h.title != "Anarchism" for h in search(fresh_db, "anarchism", limit=100))
    # a page that becomes a redirect has no passages either
    page, site = _enwiki_page("Albert Einstein")
    assert search(fresh_db, "Albert Einstein relativity")[0].title == "Albert Einstein"
    redirect = msgspec.structs.replace(
        _new_revision(page, "#REDIRECT [[Einstein]]"), redirect_title="Einstein"
    )
    assert parse_article(redirect, site).redirect_target is not None  # type: ignore[arg-type]
    _apply(fresh_db, redirect, site)
    stats = update_index(fresh_db)
    assert stats.articles_removed == 1
    assert all(h.title != "Albert Einstein" for h in search(fresh_db, "Albert Einstein", limit=100))


def test_ingest_with_prune_then_update(empty_db: Db) -> None:
    db = empty_db
    store = open_store(str(db))
    ingest([ENWIKI_MULTISTREAM], store, IngestOptions())
    store.close()
    first = update_index(db)  # no index yet: a full build
    assert first.rebuilt and first.articles_indexed > 40
    # the same dump without Anarchism, ingested as a complete dump, deletes it
    dump = open_dump(ENWIKI_MULTISTREAM)
    pages = [p for p in dump.pages() if p.title != "Anarchism"]
    store = open_store(str(db))
    store.apply([(p, parse_article(p, dump.site)) for p in pages], source="test")
    assert store.delete_missing("enwiki", {p.identifier for p in pages}, source="test") == 1
    store.close()
    stats = update_index(db)
    assert stats.articles_removed == 1 and stats.passages_total < first.passages_total
    assert all(h.title != "Anarchism" for h in search(db, "anarchism stateless societies"))


def test_build_index_restricted_to_projects_is_kept_by_updates(fresh_index_db: Db) -> None:
    fresh_db = fresh_index_db
    stats = build_index(fresh_db, projects=["mrwiki"])
    assert stats.projects == ["mrwiki"] and stats.articles_indexed > 500
    assert search(fresh_db, "anarchism") == []
    page, site = _enwiki_page("Anarchism")
    _apply(fresh_db, _new_revision(page, page.latest.text + "\n\nzyxquorble"), site)
    assert update_index(fresh_db).articles_indexed == 0
    assert search(fresh_db, "zyxquorble") == []
    assert search(fresh_db, "वसंत पंचमी")[0].title == "वसंत पंचमी"


def test_cjk_text_is_found_by_words_inside_runs(fresh_index_db: Db) -> None:
    fresh_db = fresh_index_db
    page, site = _enwiki_page("Anarchism")
    text = "'''東京都'''は日本の首都です。人口は約千四百万人です。\n\n== 歴史 ==\n江戸は東京の旧称である。"
    _apply(fresh_db, msgspec.structs.replace(_new_revision(page, text), title="東京都"), site)
    update_index(fresh_db)
    for q in ("東京", "首都", "日本 首都", "千四百万", "東京都"):
        hits = search(fresh_db, q, limit=3)
        assert hits and hits[0].title == "東京都", q
    hit = search(fresh_db, "首都")[0]
    assert "«首都»" in hit.snippet
    assert search(fresh_db, "京東") == []  # characters in the wrong order are not a match
    assert search(fresh_db, "江戸")[0].section == "歴史"
    if is_pg(fresh_db):  # bigrams: one character is found, and two runs never meet in a match
        assert search(fresh_db, "都", limit=3)[0].title == "東京都"
        assert search(fresh_db, "京", limit=3)[0].title == "東京都"
        assert search(fresh_db, "す人") == []  # です。人口: two runs


def test_passage_rows_skip_redirects_and_other_namespaces(indexed_db: Path) -> None:
    store = SQLiteStore(indexed_db, readonly=True)
    try:
        (article,) = store.find("Anarchism", "enwiki")
    finally:
        store.close()
    assert passage_rows(article)
    assert (
        passage_rows(
            msgspec.structs.replace(
                article, namespace=msgspec.structs.replace(article.namespace, identifier=4)
            )
        )
        == []
    )


def test_missing_database_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="wikipact ingest"):
        build_index(tmp_path / "nothing.db")
    with pytest.raises(StoreError, match="wikipact ingest"):
        update_index(tmp_path / "nothing.db")
    assert not (tmp_path / "nothing.db").exists()


@requires_corpus
@pytest.mark.corpus
@pytest.mark.slow
def test_japanese_two_character_words_are_found(empty_db: Db, corpus: Path) -> None:
    dump = corpus / "original/ssvb+xztextfilter/testfiles/jawiki-truncated-100k.xml.xz"
    store = open_store(str(empty_db))
    ingest([dump], store, IngestOptions(on_error="skip"))
    store.close()
    build_index(empty_db)
    texts = [r[0] for r in rows(empty_db, "SELECT text FROM search_passages")]
    for word in ("東京", "日本", "言語"):
        containing = sum(word in t for t in texts)
        hits = search(empty_db, word, limit=100)
        assert len(hits) == min(100, containing) and all(
            word in h.text or word in h.title for h in hits
        )


def test_cli_index_and_search(fresh_db: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "wikipact", *args],
            capture_output=True,
            text=True,
            timeout=300,
        )

    url = f"sqlite:///{fresh_db}"
    update = run("index", "--db", url)
    assert update.returncode == 0, update.stderr
    assert "index updated" in update.stdout and "0 articles indexed" in update.stdout
    rebuild = run("index", "--db", url, "--rebuild")
    assert rebuild.returncode == 0, rebuild.stderr
    assert "index built (every project)" in rebuild.stdout
    found = run("search", "anarchism stateless societies", "--db", url, "--limit", "2", "--json")
    assert found.returncode == 0, found.stderr
    lines = [json.loads(line) for line in found.stdout.splitlines()]
    assert len(lines) <= 2 and lines[0]["title"] == "Anarchism"
    assert lines[0]["citations"][0]["url"].startswith("http://www.marxists.org/")
    text = run("search", 'NEAR("x" AND', "--db", url, "--project", "mrwiki")
    assert text.returncode == 0, text.stderr
    human = run("search", "anarchism stateless", "--db", url, "--limit", "1")
    assert "Anarchism" in human.stdout and "Towards Anarchism" in human.stdout
    missing = run("search", "x", "--db", str(fresh_db.parent / "none.db"))
    assert missing.returncode == 1 and "wikipact ingest" in missing.stderr


# -- PostgreSQL ------------------------------------------------------------------------------------


def test_postgres_index_holds_the_same_passages_and_citations(
    indexed_db: Path, indexed_pg: str
) -> None:
    columns = (
        "project, page_id, title, url, revision_id, language, section, position, text, citations"
    )
    sqlite_rows = rows(
        indexed_db, f"SELECT {columns} FROM search_passages ORDER BY project, page_id, position"
    )
    pg_rows = rows(
        indexed_pg,
        f'SELECT {columns} FROM search_passages ORDER BY project COLLATE "C", page_id, position',
    )
    assert len(pg_rows) == len(sqlite_rows) > 8000
    assert [tuple(r) for r in pg_rows] == [tuple(r) for r in sqlite_rows]
    status = index_status(indexed_pg)
    assert status is not None and index_status(indexed_db) is not None
    assert (status.version, status.state, status.projects) == (1, "ready", None)
    assert status.cursor == index_status(indexed_db).cursor  # type: ignore[union-attr]
    configs = rows(
        indexed_pg, 'SELECT project, config FROM search_configs ORDER BY project COLLATE "C"'
    )
    assert configs == [("enwiki", "english"), ("mrwiki", "simple")]
    indexes = {
        r[0]
        for r in rows(
            indexed_pg, "SELECT indexname FROM pg_indexes WHERE tablename = 'search_passages'"
        )
    }
    assert "search_passages_document" in indexes


def test_postgres_text_forms() -> None:
    from wikipact.search.postgres_text import (
        cjk_shadow,
        cjk_tsquery,
        config_for,
        tsquery_text,
        without_cjk,
    )
    from wikipact.search.terms import query_terms

    available = {"english", "german", "simple"}
    assert [config_for(c, available) for c in ("en", "de-ch", "mr", "ja", "fr")] == [
        "english", "german", "simple", "simple", "simple"
    ]  # fmt: skip
    assert without_cjk("Tokyo 東京都は x") == "Tokyo   x"
    assert cjk_shadow("東京都", "日本の都") == (
        "'東京':1A '京都':2A '都':3A,9D '日本':6D '本の':7D 'の都':8D"
    )
    assert cjk_shadow("Anarchism", "no CJK here") == ""
    terms = query_terms("it's a\\b 東京都 京 महाराष्ट्र")
    assert tsquery_text(terms, "&", prefixes=False) == "'it''s' & 'a\\\\b' & 'महाराष्ट्र'"
    assert tsquery_text(terms, "|", prefixes=True) == "'it''s' | 'a\\\\b' | 'महाराष्ट्र':*"
    assert cjk_tsquery(terms, "&") == "( '東京' <-> '京都' ) & '京':*"


def test_postgres_accepts_a_store_and_a_connection(fresh_pg: str) -> None:
    import psycopg

    fresh_index_db = fresh_pg

    store = open_store(str(fresh_index_db))
    try:
        stats = build_index(store, projects=["enwiki"])
        assert stats.projects == ["enwiki"] and stats.articles_indexed > 40
        assert update_index(store).changes_read == 0
    finally:
        store.close()
    with psycopg.connect(str(fresh_index_db)) as conn:
        status = index_status(conn)
    assert status is not None and status.projects == ["enwiki"]
    assert search(fresh_index_db, "वसंत पंचमी") == []


def test_postgres_one_build_or_update_at_a_time(
    fresh_pg: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import psycopg

    from wikipact.search import postgres_index

    monkeypatch.setattr(postgres_index, "LOCK_SECONDS", 1)
    with psycopg.connect(fresh_pg, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", (postgres_index.INDEX_LOCK,))
        with pytest.raises(StoreError, match="another index build or update"):
            update_index(fresh_pg)
        with pytest.raises(StoreError, match="another index build or update"):
            build_index(fresh_pg)
    assert update_index(fresh_pg).changes_read == 0  # the lock went with the connection
    assert search(fresh_pg, "anarchism stateless societies")[0].title == "Anarchism"


def test_postgres_without_a_store_or_a_server_is_a_clear_error(postgres_url: str) -> None:
    assert index_status(postgres_url) is None
    with pytest.raises(StoreError, match="wikipact ingest"):
        build_index(postgres_url)
    with pytest.raises(StoreError, match="wikipact ingest"):
        update_index(postgres_url)
    unreachable = postgres_url.rsplit("/", 1)[0] + "/no_such_database"
    with pytest.raises(ConfigError, match="cannot connect"):
        index_status(unreachable)
