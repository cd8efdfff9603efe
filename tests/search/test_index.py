"""The passage index: passages and their citations, schema, incremental updates, CJK, CLI."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest

from tests.conftest import ENWIKI_MULTISTREAM, requires_corpus
from wikipact.dumps.reader import open_dump
from wikipact.errors import StoreError
from wikipact.model.article import Article, Part
from wikipact.model.raw import RawPage
from wikipact.run.ingest import IngestOptions, ingest
from wikipact.search import article_passages, build_index, index_status, search, update_index
from wikipact.search.index import MAX_CHARS, MIN_CHARS, SCHEMA_VERSION, passage_rows
from wikipact.store import SQLiteStore
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


def _apply(db: Path, page: RawPage, site: object) -> Article:
    article = parse_article(page, site)  # type: ignore[arg-type]
    store = SQLiteStore(db)
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


def test_a_newer_revision_replaces_the_articles_passages(fresh_db: Path) -> None:
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
    conn = connect(fresh_db, readonly=True)
    rows = conn.execute("SELECT revision_id, text FROM search_passages WHERE page_id=12").fetchall()
    conn.close()
    assert {r[0] for r in rows} == {new.version.identifier}
    assert not any("stateless societies" in r[1] for r in rows)
    assert any("advocate voluntary federations" in r[1] for r in rows)
    again = update_index(fresh_db)
    assert (again.changes_read, again.articles_indexed) == (0, 0)


def test_deleted_pages_and_redirects_lose_their_passages(fresh_db: Path) -> None:
    assert search(fresh_db, "anarchism stateless societies")[0].title == "Anarchism"
    store = SQLiteStore(fresh_db)
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


def test_ingest_with_prune_then_update(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    store = SQLiteStore(db)
    ingest([ENWIKI_MULTISTREAM], store, IngestOptions())
    store.close()
    first = update_index(db)  # no index yet: a full build
    assert first.rebuilt and first.articles_indexed > 40
    # the same dump without Anarchism, ingested as a complete dump, deletes it
    dump = open_dump(ENWIKI_MULTISTREAM)
    pages = [p for p in dump.pages() if p.title != "Anarchism"]
    store = SQLiteStore(db)
    store.apply([(p, parse_article(p, dump.site)) for p in pages], source="test")
    assert store.delete_missing("enwiki", {p.identifier for p in pages}, source="test") == 1
    store.close()
    stats = update_index(db)
    assert stats.articles_removed == 1 and stats.passages_total < first.passages_total
    assert all(h.title != "Anarchism" for h in search(db, "anarchism stateless societies"))


def test_build_index_restricted_to_projects_is_kept_by_updates(fresh_db: Path) -> None:
    stats = build_index(fresh_db, projects=["mrwiki"])
    assert stats.projects == ["mrwiki"] and stats.articles_indexed > 500
    assert search(fresh_db, "anarchism") == []
    page, site = _enwiki_page("Anarchism")
    _apply(fresh_db, _new_revision(page, page.latest.text + "\n\nzyxquorble"), site)
    assert update_index(fresh_db).articles_indexed == 0
    assert search(fresh_db, "zyxquorble") == []
    assert search(fresh_db, "वसंत पंचमी")[0].title == "वसंत पंचमी"


def test_cjk_text_is_found_by_words_inside_runs(fresh_db: Path) -> None:
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
def test_japanese_two_character_words_are_found(tmp_path: Path, corpus: Path) -> None:
    dump = corpus / "original/ssvb+xztextfilter/testfiles/jawiki-truncated-100k.xml.xz"
    db = tmp_path / "ja.db"
    store = SQLiteStore(db)
    ingest([dump], store, IngestOptions(on_error="skip"))
    store.close()
    build_index(db)
    conn = sqlite3.connect(db)
    texts = [r[0] for r in conn.execute("SELECT text FROM search_passages")]
    conn.close()
    for word in ("東京", "日本", "言語"):
        containing = sum(word in t for t in texts)
        hits = search(db, word, limit=100)
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
