"""Filters on real pages: every drop reason, list titles by language, the blocklist first."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import msgspec
import pytest

from tests.conftest import DATA, ENWIKI_PLAIN, MRWIKI_MULTISTREAM
from wikipact.datasets import stage
from wikipact.datasets.filters import REASONS, Blocklist, Filter, is_list_title
from wikipact.datasets.recipe import Filters, Recipe
from wikipact.dumps.reader import open_dump
from wikipact.model.article import Article
from wikipact.model.raw import RawPage, SiteInfo
from wikipact.wikitext.parse import parse_article

ALAN_2020 = DATA / "dewiki-20200801-id1.xml"
# a real disambiguation page ("Çullu, Agdam may refer to: …" with {{geodis}}) and its talk page
PAIR = DATA / "pair-0.10.xml"


@cache
def _pages(path: Path) -> tuple[SiteInfo, dict[str, RawPage]]:
    dump = open_dump(path)
    return dump.site, {p.title: p for p in dump.pages()}


@cache
def _article(path: Path, title: str) -> Article:
    site, pages = _pages(path)
    return parse_article(pages[title], site)


def _reason(path: Path, title: str, **rules: object) -> str | None:
    return Filter(Filters(**rules)).reason(_article(path, title))  # type: ignore[arg-type]


# (page, recipe filters, expected reason): a real page for every reason in REASONS
CASES = [
    (ENWIKI_PLAIN, "Anarchism", {"blocklist": ["enwiki:12"]}, "blocklist"),
    (ENWIKI_PLAIN, "Anarchism", {"projects": ["dewiki", "mrwiki"]}, "project"),
    (ALAN_2020, "Alan Smithee", {"languages": ["en"]}, "language"),
    (PAIR, "Talk:Çullu, Agdam", {}, "namespace"),
    (ENWIKI_PLAIN, "City of Toronto", {}, "redirect"),
    (PAIR, "Çullu, Agdam", {}, "disambiguation"),
    (ENWIKI_PLAIN, "List of RNLI stations", {}, "list_page"),
    (ENWIKI_PLAIN, "Britt Morgan", {"drop_stubs": True}, "stub"),
    (ENWIKI_PLAIN, "Toronto Blue Jays minor league players", {}, "too_short"),
    (
        ENWIKI_PLAIN,
        "Alexander Y-type",
        {"min_references_per_1000_words": 5.0},
        "low_reference_density",
    ),
    (ENWIKI_PLAIN, "Abacus", {"max_citation_needed": 1}, "citation_needed"),
]


@pytest.mark.parametrize(("path", "title", "rules", "reason"), CASES)
def test_a_real_page_is_dropped_for_the_reason(
    path: Path, title: str, rules: dict[str, object], reason: str
) -> None:
    assert _reason(path, title, **rules) == reason
    # the page is only dropped because of that setting: without it, it is kept (or, for the
    # rules on by default, the default is what drops it)
    if rules:
        assert _reason(path, title) is None


def test_every_reason_is_produced_by_some_real_page() -> None:
    assert {reason for *_, reason in CASES} == set(REASONS)


def test_the_sample_articles_are_kept_by_default() -> None:
    for title in ("Anarchism", "Albedo", "Abacus", "Angela Merkel", "Ambrosiaster"):
        assert _reason(ENWIKI_PLAIN, title) is None, title
    assert _reason(ALAN_2020, "Alan Smithee") is None


def test_each_rule_is_off_when_its_setting_is_off() -> None:
    assert _reason(PAIR, "Talk:Çullu, Agdam", namespaces=[0, 1], min_words=0) is None
    assert _reason(ENWIKI_PLAIN, "City of Toronto", drop_redirects=False) is None
    assert _reason(PAIR, "Çullu, Agdam", drop_disambiguation=False) == "too_short"
    assert _reason(PAIR, "Çullu, Agdam", drop_disambiguation=False, min_words=0) is None
    assert _reason(ENWIKI_PLAIN, "List of RNLI stations", drop_lists=False) is None
    # a stub is kept unless stubs are dropped (and it is long enough)
    assert _reason(ENWIKI_PLAIN, "Britt Morgan") is None
    assert _reason(ENWIKI_PLAIN, "Toronto Blue Jays minor league players", min_words=6) is None
    assert _reason(ENWIKI_PLAIN, "Toronto Blue Jays minor league players", min_words=7) == (
        "too_short"
    )


def test_thresholds_are_inclusive_where_the_recipe_says_at_least_or_at_most() -> None:
    # Albedo: one {{citation needed}}; 29 references over 1954 words
    assert _reason(ENWIKI_PLAIN, "Albedo", max_citation_needed=0) == "citation_needed"
    assert _reason(ENWIKI_PLAIN, "Albedo", max_citation_needed=1) is None
    density = _article(ENWIKI_PLAIN, "Albedo").signals.references_per_1000_words  # type: ignore[union-attr]
    assert _reason(ENWIKI_PLAIN, "Albedo", min_references_per_1000_words=density) is None
    assert (
        _reason(ENWIKI_PLAIN, "Albedo", min_references_per_1000_words=density + 0.01)
        == "low_reference_density"
    )


def test_project_and_language_filters_keep_the_listed_ones() -> None:
    assert _reason(ENWIKI_PLAIN, "Anarchism", projects=["enwiki"]) is None
    assert _reason(ALAN_2020, "Alan Smithee", projects=["enwiki"]) == "project"
    assert _reason(ALAN_2020, "Alan Smithee", languages=["de", "mr"]) is None
    assert _reason(ENWIKI_PLAIN, "Anarchism", languages=["de", "mr"]) == "language"


def test_an_article_without_signals_is_judged_on_its_text() -> None:
    # e.g. an article from a store written before signals existed
    anarchism = msgspec.structs.replace(_article(ENWIKI_PLAIN, "Anarchism"), signals=None)
    short = msgspec.structs.replace(
        _article(ENWIKI_PLAIN, "Toronto Blue Jays minor league players"), signals=None
    )
    rules = Filter(Filters(drop_stubs=True, max_citation_needed=0))
    assert rules.reason(anarchism) is None
    assert rules.reason(short) == "too_short"


@pytest.mark.parametrize(
    ("title", "language"),
    [
        ("List of RNLI stations", "en"),
        ("List of British films of 2014", "en"),
        ("Lists of films", "en"),
        ("List of rivers", "simple"),
        ("List of Marathi films", "aa"),  # languages without rules use the English prefixes
        ("Liste der Baudenkmäler in Berlin", "de"),
        ("Liste des communes du Pas-de-Calais", "fr"),
        ("Anexo:Países", "es"),
        ("Lijst van steden in Nederland", "nl"),
        ("日本の漫画家一覧", "ja"),
        ("日本の川の一覧", "ja"),
        ("Список городов России", "ru"),
        ("Список міст України", "uk"),
        ("柏林行政区列表", "zh"),
        ("भारतीय राज्यांची यादी", "mr"),
    ],
)
def test_list_titles_by_language(title: str, language: str) -> None:
    assert is_list_title(title, language)


@pytest.mark.parametrize(
    ("title", "language"),
    [
        ("Anarchism", "en"),
        ("Listeria", "en"),
        ("Alan Smithee", "de"),
        ("Listenpreis", "de"),
        ("吉田秋生", "ja"),
        ("一覧表示", "ja"),  # "list" at the start is not an index page
        ("Литва", "ru"),
        ("Список", "ru"),  # the word alone (no "Список …") is not a list title
        ("Liste der Baudenkmäler", "en"),  # German rules do not apply to English titles
    ],
)
def test_article_titles_are_not_list_titles(title: str, language: str) -> None:
    assert not is_list_title(title, language)


def test_the_real_articles_of_the_golden_wikis_are_not_list_pages() -> None:
    for path in sorted((DATA / "golden").glob("*.xml")):
        site, pages = _pages(path)
        for page in pages.values():
            assert not is_list_title(page.title, site.language), (path.name, page.title)


@pytest.mark.parametrize(
    ("entry", "path", "title"),
    [
        ("enwiki:12", ENWIKI_PLAIN, "Anarchism"),  # project:page id
        ("enwiki:Angela Merkel", ENWIKI_PLAIN, "Angela Merkel"),  # project:Title
        ("enwiki:Angela_Merkel", ENWIKI_PLAIN, "Angela Merkel"),  # underscores for spaces
        ("enwiki:angela Merkel", ENWIKI_PLAIN, "Angela Merkel"),  # the first letter's case
        ("  enwiki:Albedo  ", ENWIKI_PLAIN, "Albedo"),  # surrounding spaces
        ("Alan Smithee", ALAN_2020, "Alan Smithee"),  # a bare title: in every project
        ("Alan_Smithee", ALAN_2020, "Alan Smithee"),
        ("dewiki:1", ALAN_2020, "Alan Smithee"),
        ("Clint Murchison Sr.", ENWIKI_PLAIN, "Clint Murchison Sr."),
        ("Çullu, Agdam", PAIR, "Çullu, Agdam"),
    ],
)
def test_blocklist_entry_forms(entry: str, path: Path, title: str) -> None:
    assert _reason(path, title, blocklist=[entry]) == "blocklist"


@pytest.mark.parametrize(
    ("entry", "path", "title"),
    [
        ("dewiki:12", ENWIKI_PLAIN, "Anarchism"),  # the id in another project
        ("enwiki:1", ALAN_2020, "Alan Smithee"),
        ("dewiki:Anarchism", ENWIKI_PLAIN, "Anarchism"),  # the title in another project
        ("enwiki:Anarchis", ENWIKI_PLAIN, "Anarchism"),
        ("Anarchism (disambiguation)", ENWIKI_PLAIN, "Anarchism"),
        ("enwiki:120", ENWIKI_PLAIN, "Anarchism"),
    ],
)
def test_blocklist_entries_match_exactly(entry: str, path: Path, title: str) -> None:
    assert _reason(path, title, blocklist=[entry]) is None


def test_a_title_with_a_colon_is_a_bare_title_not_a_project() -> None:
    blocklist = Blocklist(["Star Wars: Episode IV", "enwiki:Talk:Çullu, Agdam"])
    assert blocklist.blocks("enwiki", 1, "Star Wars: Episode IV")
    assert blocklist.blocks("dewiki", 2, "Star_Wars:_Episode_IV")
    assert blocklist.blocks("enwiki", 19252824, "Talk:Çullu, Agdam")
    assert not blocklist.blocks("frwiki", 19252824, "Talk:Çullu, Agdam")
    assert len(blocklist) == 2 and len(Blocklist(["", "  "])) == 0


@pytest.mark.parametrize(("path", "title", "rules", "reason"), CASES)
def test_the_blocklist_wins_over_every_other_rule(
    path: Path, title: str, rules: dict[str, object], reason: str
) -> None:
    site, pages = _pages(path)
    page = pages[title]
    entry = f"{site.dbname}:{page.identifier}"
    assert _reason(path, title, **{**rules, "blocklist": [entry]}) == "blocklist"


def test_early_rules_need_no_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages dropped by blocklist, project, language, namespace or redirect are never parsed."""

    def no_parse(page: RawPage, site: SiteInfo) -> Article:
        raise AssertionError(f"{page.title} was parsed")

    monkeypatch.setattr(stage, "parse_article", no_parse)
    early = [
        (ENWIKI_PLAIN, "Anarchism", {"filters": {"blocklist": ["Anarchism"]}}, "blocklist"),
        (ENWIKI_PLAIN, "Anarchism", {"filters": {"projects": ["dewiki"]}}, "project"),
        (ALAN_2020, "Alan Smithee", {"filters": {"languages": ["mr"]}}, "language"),
        (PAIR, "Talk:Çullu, Agdam", {}, "namespace"),
        (ENWIKI_PLAIN, "City of Toronto", {}, "redirect"),
    ]
    for path, title, recipe, reason in early:
        site, pages = _pages(path)
        config = stage.StageConfig(msgspec.convert(recipe, Recipe))
        staged = stage.stage_page(pages[title], site, config)
        assert staged.reason == reason, title
        assert staged.id == f"{site.dbname}:{pages[title].identifier}" and staged.record is None
    # Marathi MediaWiki-namespace pages too
    site, pages = _pages(MRWIKI_MULTISTREAM)
    config = stage.StageConfig(Recipe())
    for page in pages.values():
        if page.namespace != 0:
            assert stage.stage_page(page, site, config).reason == "namespace"


def test_early_agrees_with_reason_on_the_parsed_article() -> None:
    rules = Filter(Filters(blocklist=["enwiki:Albedo"], namespaces=[0]))
    for path in (ENWIKI_PLAIN, PAIR, ALAN_2020, MRWIKI_MULTISTREAM):
        site, pages = _pages(path)
        for page in pages.values():
            verdict = rules.early(
                project=site.dbname,
                language=site.language,
                page_id=page.identifier,
                title=page.title,
                namespace=page.namespace,
                is_redirect=page.redirect_title is not None,
            )
            if verdict is not None:
                assert rules.reason(parse_article(page, site)) == verdict, page.title
