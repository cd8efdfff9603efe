"""Markup residue fixed as classes, each pinned on the real corpus page where it was met.

``bench/residue.py`` parses every dump of the corpus and lists the articles whose text still
holds markup, by class and language; these are the pages it found, parsed again here. The
minimal cases of the same classes (which run without the corpus) are in ``cases/markup.txt``
and ``cases/links.txt``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from tests.conftest import CORPUS, corpus_available
from wikipact.dumps import open_dump
from wikipact.model.raw import SiteInfo
from wikipact.wikitext.document import ParsedPage, parse_wikitext

pytestmark = pytest.mark.skipif(
    not corpus_available(),
    reason=f"the shared corpus is not at {CORPUS} (set WIKIPACT_CORPUS); CI has it",
)


@cache
def _pages(wiki: str) -> tuple[SiteInfo, dict[str, str]]:
    path = Path(CORPUS) / "assembled" / f"sample-{wiki}-pages-articles-multistream.xml.bz2"
    dump = open_dump(path)
    pages = {
        page.title: page.latest.text
        for page in dump.pages(on_error="skip")
        if page.namespace == 0 and page.redirect_title is None
    }
    return dump.site, pages


def parsed(wiki: str, title: str) -> ParsedPage:
    site, pages = _pages(wiki)
    return parse_wikitext(pages[title], site, title)


def test_a_layout_tables_second_cell_leaves_no_bar_elwiki_preveza() -> None:
    # "|| <center>'''Δίκτυο Δωδεκάδας'''": a cell line that starts with two bars
    text = parsed("elwiki", "Πρέβεζα").text
    assert "Δίκτυο Δωδεκάδας" in text
    assert "| Δίκτυο" not in text
    assert not [line for line in text.split("\n") if line.lstrip().startswith("|")]


def test_quotes_inside_a_links_text_stay_apart_ukwiki_khvylovy() -> None:
    # "''[[Грабович Григорій Юлійович|''Грабович Г.]]''": italics around italics, not "''''"
    text = parsed("ukwiki", "Микола Хвильовий").text
    assert "Грабович Г." in text
    assert "''" not in text


def test_another_wikis_category_reads_as_its_name_jawiki_geography() -> None:
    # "[[:en:Category:Geography of Oceania]]"
    text = parsed("jawiki", "地理").text
    assert "Geography of Oceania" in text
    assert "Category:" not in text


@pytest.mark.parametrize("title", ["Менделєєв Дмитро Іванович", "Мороз Олександр Олександрович"])
def test_a_table_built_with_bar_templates_in_an_infobox_value_is_its_cells_ukwiki(
    title: str,
) -> None:
    # "| нагороди = {{(!}} style="background: transparent"\n{{!}} {{Орден …}} ..."
    page = parsed("ukwiki", title)
    values = [
        part.value or ""
        for infobox in page.infoboxes
        for section in infobox.has_parts
        for part in section.has_parts
    ]
    assert values
    for value in values:
        assert "{|" not in value and "|}" not in value, value
        assert "background: transparent" not in value, value
