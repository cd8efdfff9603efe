"""Database names, hosts, languages and URLs of Wikimedia projects."""

import pytest

from wikipact.model.project import (
    article_url,
    dbname_from_filename,
    dbname_from_server,
    direction_of,
    language_of,
    server_of,
)


@pytest.mark.parametrize(
    ("dbname", "language", "server"),
    [
        ("enwiki", "en", "https://en.wikipedia.org"),
        ("simplewiki", "simple", "https://simple.wikipedia.org"),
        ("dewiktionary", "de", "https://de.wiktionary.org"),
        ("zh_yuewiki", "zh-yue", "https://zh-yue.wikipedia.org"),
        ("enwikivoyage", "en", "https://en.wikivoyage.org"),
        ("commonswiki", "en", "https://commons.wikimedia.org"),
    ],
)
def test_dbname_to_language_and_server(dbname: str, language: str, server: str) -> None:
    assert language_of(dbname) == language
    assert server_of(dbname) == server
    assert dbname_from_server(server) == dbname


def test_unknown_names_give_none() -> None:
    assert language_of("not a wiki") is None
    assert dbname_from_server("https://example.org") is None


@pytest.mark.parametrize(
    ("filename", "dbname"),
    [
        ("dewiki-20130602-id1.xml", "dewiki"),
        ("brwiki-test.xml", "brwiki"),
        ("enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2", "enwiki"),
        ("simplewiki-20161220-id6.xml", "simplewiki"),
        ("frwiktionary-20130321-pages-articles.xml", "frwiktionary"),
        ("wiki.xml.bz2", None),
    ],
)
def test_dbname_from_filename(filename: str, dbname: str | None) -> None:
    assert dbname_from_filename(filename) == dbname


def test_direction() -> None:
    assert direction_of("he") == "rtl"
    assert direction_of("ar") == "rtl"
    assert direction_of("mr") == "ltr"


def test_article_url_escapes_like_wikipedia() -> None:
    assert article_url("https://en.wikipedia.org", "Çullu, Agdam") == (
        "https://en.wikipedia.org/wiki/%C3%87ullu,_Agdam"
    )
    assert article_url("https://en.wikipedia.org", "AC/DC") == "https://en.wikipedia.org/wiki/AC/DC"
    assert article_url("https://en.wikipedia.org", "100% (song)").endswith("/100%25_(song)")
