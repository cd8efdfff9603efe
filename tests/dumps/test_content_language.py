"""A dump that declares the English Wikipedia but holds another language's articles."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from wikipact.dumps.content_language import (
    content_language,
    misdeclared_as,
    prose_sample,
    wiki_of,
)
from wikipact.dumps.reader import open_dump

DATA = Path(__file__).resolve().parents[1] / "data"
# DBpedia's minidump of the Kannada article "Berlin", wrapped in an enwiki <siteinfo>
KANNADA_MINIDUMP = DATA / "dbpedia-minidump-kn-wiki.xml.bz2"


def test_prose_sample_keeps_words_and_drops_markup() -> None:
    wikitext = (
        "{{Infobox settlement|name=Berlin|population_total=3,600,000}}\n"
        "'''Berlin''' is the [[capital city|capital]] of [[Germany]].<ref>{{cite web|url=x}}</ref>"
        "\n[[File:Berlin.jpg|thumb|The city]]\n{|\n| a table || cell\n|}\n[[Category:Cities]]"
    )
    assert prose_sample(wikitext) == "Berlin is the capital of Germany."


def test_wiki_of_maps_codes_that_are_not_subdomains() -> None:
    assert wiki_of("fr") == "frwiki"
    assert wiki_of("yue") == "zh_yuewiki"


def test_a_minidump_wrapped_in_enwiki_siteinfo_is_read_as_its_own_wiki() -> None:
    dump = open_dump(KANNADA_MINIDUMP)
    assert (dump.site.dbname, dump.site.language) == ("knwiki", "kn")
    assert dump.site.server == "https://kn.wikipedia.org"
    assert dump.notes and "enwiki" in dump.notes[0] and "knwiki" in dump.notes[0]
    page = next(dump.pages())
    assert page.title == "ಬರ್ಲಿನ್"


def test_project_keeps_the_declared_wiki() -> None:
    dump = open_dump(KANNADA_MINIDUMP, project="enwiki")
    assert dump.site.dbname == "enwiki"
    assert dump.notes == []


def test_english_dumps_stay_english() -> None:
    for name in ("article-pear-0.10.xml", "sample-enwiki-pages-articles-multistream.xml.bz2"):
        dump = open_dump(DATA / name)
        assert dump.site.dbname == "enwiki", name
        assert dump.notes == [], name


def test_other_wikis_and_thin_samples_are_never_second_guessed() -> None:
    french = "Berlin est la capitale et la plus grande ville d'Allemagne. " * 10
    assert content_language([french])[0] == "fr"
    assert misdeclared_as("frwiki", [french]) is None  # only enwiki is checked
    assert misdeclared_as("commonswiki", [french]) is None
    assert misdeclared_as("enwiki", ["Berlin est une ville."]) is None  # too little prose
    assert misdeclared_as("enwiki", [french])[:2] == ("frwiki", "fr")


@pytest.mark.corpus
def test_every_minidump_of_the_corpus_is_read_as_the_wiki_of_its_folder(corpus: Path) -> None:
    inventory = [json.loads(line) for line in (corpus / "inventory.jsonl").read_text().splitlines()]
    minidumps = {
        row["file"]: row["dbname"]
        for row in inventory
        if "/minidumps/" in row["file"] and row["dbname"] != "commonswiki"
    }
    assert len(minidumps) >= 8
    for file, dbname in minidumps.items():
        assert open_dump(corpus / file).site.dbname == dbname, file
