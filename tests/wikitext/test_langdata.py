"""Tests of wikipact.wikitext.langdata: the shape of its tables, its helpers, corpus evidence.

The corpus tests read the assembled dumps of the shared corpus (``../shared/corpus`` beside the checkout, or
``$WIKIPACT_CORPUS``) and are skipped when it is absent. ``pytest -s`` shows the coverage table.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from functools import cache
from itertools import combinations
from pathlib import Path

import pytest

from wikipact import open_dump
from wikipact.wikitext import langdata
from wikipact.wikitext.langdata import (
    CATEGORY_NAMESPACE_ALIASES,
    CITATION_PARAMETERS,
    CITATION_TEMPLATES,
    FILE_NAMESPACE_ALIASES,
    INLINE_LITERAL_TEXT,
    INLINE_RENDERER_DOCS,
    INLINE_RENDERERS,
    INLINE_TEMPLATE_ALIASES,
    INTERWIKI_LANGUAGE_CODES,
    INTERWIKI_PROJECT_PREFIXES,
    LANGUAGE_INLINE_ALIASES,
    LANGUAGE_TEMPLATE_CLASSES,
    MAINTENANCE_TEMPLATES,
    TEMPLATE_CLASSES,
    TEMPLATE_NAMESPACE_ALIASES,
    canonical_citation_parameter,
    classify_template,
    inline_renderer,
    is_magic_word,
    normalize_template_name,
)

CORPUS = Path(
    os.environ.get(
        "WIKIPACT_CORPUS", Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
    )
)
ASSEMBLED = CORPUS / "assembled"
ASSEMBLED_DUMPS = sorted(ASSEMBLED.glob("sample-*-pages-articles-multistream.xml.bz2"))

needs_corpus = pytest.mark.skipif(
    not ASSEMBLED_DUMPS,
    reason=f"no assembled dumps under {ASSEMBLED} (set WIKIPACT_CORPUS to the shared corpus)",
)

CLASSES = {
    "infobox",
    "citation",
    "maintenance",
    "hatnote",
    "navigation",
    "inline",
    "disambiguation",
    "stub",
    "drop",
}
# classes given by a name pattern rather than a table of their own
PATTERN_CLASSES = {"span"}
MAINTENANCE_KINDS = {"citation_needed", "pov", "clarification_needed", "update"}
CITATION_KINDS = {"web", "book", "news", "journal", "generic", "harv"}
CITATION_KEYS = {
    "title",
    "url",
    "archive_url",
    "doi",
    "isbn",
    "date",
    "access_date",
    "publisher",
    "work",
    "author",
    "pages",
    "language",
    "archive_date",
    "quote",
}

# ---------------------------------------------------------------------------------------------
# Shape of the tables
# ---------------------------------------------------------------------------------------------


def _name_tables() -> dict[str, frozenset[str] | dict[str, str]]:
    """Every public frozenset / dict of names, by attribute name."""
    tables: dict[str, frozenset[str] | dict[str, str]] = {}
    for attribute in langdata.__all__:
        value = getattr(langdata, attribute)
        if isinstance(value, frozenset | dict):
            tables[attribute] = value
    for lang, table in LANGUAGE_TEMPLATE_CLASSES.items():
        tables[f"LANGUAGE_TEMPLATE_CLASSES[{lang}]"] = table
    for lang, table in LANGUAGE_INLINE_ALIASES.items():
        tables[f"LANGUAGE_INLINE_ALIASES[{lang}]"] = table
    del tables["LANGUAGE_TEMPLATE_CLASSES"], tables["LANGUAGE_INLINE_ALIASES"]
    del tables["INLINE_RENDERER_DOCS"], tables["INLINE_RENDERERS"]
    return tables


def _is_clean(name: str) -> bool:
    return (
        bool(name)
        and name == name.strip()
        and "  " not in name
        and "_" not in name
        and "\n" not in name
        and (name == name.lower() or name == name.casefold())
    )


@pytest.mark.parametrize("table_name", sorted(_name_tables()))
def test_alias_sets_are_lowercase_and_stripped(table_name: str) -> None:
    table = _name_tables()[table_name]
    assert table, f"{table_name} is empty"
    dirty = sorted(name for name in table if not _is_clean(name))
    assert not dirty, f"{table_name} has names that are not lower-case and stripped: {dirty}"


@pytest.mark.parametrize(
    "attribute",
    [
        "INFOBOX_PREFIXES",
        "INFOBOX_SUFFIXES",
        "NAVIGATION_TEMPLATE_HINTS",
        "STUB_TEMPLATE_SUFFIXES",
        "STUB_TEMPLATE_PREFIXES",
        "DROP_TEMPLATE_PREFIXES",
    ],
)
def test_prefix_and_suffix_tuples_are_lowercase(attribute: str) -> None:
    values = getattr(langdata, attribute)
    assert isinstance(values, tuple) and values
    for value in values:
        assert value and value.strip(), attribute
        assert value in (value.lower(), value.casefold()), (attribute, value)
        assert "_" not in value and "  " not in value, (attribute, value)
        if "PREFIX" in attribute:
            assert not value[0].isspace(), (attribute, value)
        if "SUFFIX" in attribute:
            assert not value[-1].isspace(), (attribute, value)


def test_the_examples_of_the_brief_are_present() -> None:
    for name in ["file", "image", "media", "datei", "bild", "fichier", "файл", "ファイル"]:
        assert name in FILE_NAMESPACE_ALIASES, name
    for name in ["画像", "文件", "αρχείο", "εικόνα", "चित्र", "संचिका", "plik", "bestand"]:
        assert name in FILE_NAMESPACE_ALIASES, name
    for name in ["category", "kategorie", "catégorie", "categoría", "категория", "カテゴリ"]:
        assert name in CATEGORY_NAMESPACE_ALIASES, name
    for name in ["分类", "分類", "κατηγορία", "वर्ग", "категорія", "kategoria"]:
        assert name in CATEGORY_NAMESPACE_ALIASES, name
    for code in ["en", "de", "fr", "ja", "uk", "el", "mr", "simple", "zh-yue", "be-x-old"]:
        assert code in INTERWIKI_LANGUAGE_CODES, code
    for prefix in ["commons", "wikt", "wiktionary", "q", "s", "v", "voy", "n", "b", "m", "d"]:
        assert prefix in INTERWIKI_PROJECT_PREFIXES, prefix
    assert langdata.DISAMBIGUATION_MAGIC_WORD == "__DISAMBIG__"
    assert "infobox" in langdata.INFOBOX_PREFIXES
    assert "基礎情報" in langdata.INFOBOX_PREFIXES


def test_interwiki_languages_and_projects_do_not_overlap() -> None:
    assert len(INTERWIKI_LANGUAGE_CODES) >= 330
    assert not INTERWIKI_LANGUAGE_CODES & INTERWIKI_PROJECT_PREFIXES
    assert all(
        re.fullmatch(r"[a-z]{2,3}(-[a-z]+)*|simple", code) for code in INTERWIKI_LANGUAGE_CODES
    )


def test_namespace_aliases_do_not_overlap() -> None:
    assert not FILE_NAMESPACE_ALIASES & CATEGORY_NAMESPACE_ALIASES
    assert not FILE_NAMESPACE_ALIASES & TEMPLATE_NAMESPACE_ALIASES
    assert not CATEGORY_NAMESPACE_ALIASES & TEMPLATE_NAMESPACE_ALIASES


def test_table_values_are_from_their_documented_sets() -> None:
    assert set(MAINTENANCE_TEMPLATES.values()) == MAINTENANCE_KINDS
    assert set(CITATION_TEMPLATES.values()) == CITATION_KINDS
    assert set(CITATION_PARAMETERS.values()) == CITATION_KEYS
    assert set(INLINE_TEMPLATE_ALIASES.values()) <= INLINE_RENDERERS
    for table in LANGUAGE_INLINE_ALIASES.values():
        assert set(table.values()) <= INLINE_RENDERERS
    for table in LANGUAGE_TEMPLATE_CLASSES.values():
        assert set(table.values()) <= CLASSES
    assert set(INLINE_RENDERER_DOCS) == INLINE_RENDERERS
    assert all(INLINE_RENDERER_DOCS.values())
    # the renderers the parser was promised
    promised = """convert lang nowrap date ipa sic abbr small ill sfn harv nihongo transl
    native_name as_of flag formatnum nobr ruby vanchor quote circa frac sortname coord unit
    birth_date death_date age start_date end_date snd ndash mdash nbsp spaces century"""
    assert set(promised.split()) <= INLINE_RENDERERS
    # every literal has its text, and every name with literal text renders as a literal
    for name in INLINE_LITERAL_TEXT:
        assert INLINE_TEMPLATE_ALIASES[name] == "literal", name
    for name, renderer in INLINE_TEMPLATE_ALIASES.items():
        if renderer == "literal":
            assert name in INLINE_LITERAL_TEXT, name


def test_exact_name_tables_are_disjoint() -> None:
    for (kind_a, table_a), (kind_b, table_b) in combinations(TEMPLATE_CLASSES, 2):
        shared = set(table_a) & set(table_b)
        assert not shared, f"{kind_a} and {kind_b} both list {sorted(shared)}"
    assert {kind for kind, _ in TEMPLATE_CLASSES} == CLASSES


def test_no_table_lists_a_magic_word() -> None:
    for kind, table in TEMPLATE_CLASSES:
        magic = sorted(name for name in table if is_magic_word(name))
        assert not magic, f"{kind} lists magic words {magic}"


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Template:Cite_web ", "cite web"),
        ("Vorlage:Internetquelle", "internetquelle"),
        ("Modèle:Lien web", "lien web"),
        ("Шаблон:Cite   web", "cite web"),
        ("テンプレート:要出典", "要出典"),
        ("Πρότυπο:Κύριο", "κύριο"),
        ("साचा:संदर्भ हवा", "संदर्भ हवा"),
        ("subst:Cite web", "cite web"),
        ("Infobox person <!-- the box -->", "infobox person"),
        ("Картка:Лідер", "картка:лідер"),
        ("Πληροφορίες χώρας", "πληροφορίεσ χώρασ"),
    ],
)
def test_normalize_template_name(raw: str, expected: str) -> None:
    assert normalize_template_name(raw) == expected


@pytest.mark.parametrize(
    ("name", "lang", "expected"),
    [
        ("Infobox person", None, "infobox"),
        ("Infobox_settlement", None, "infobox"),
        ("基礎情報 国", "ja", "infobox"),
        ("Картка:Лідер", "uk", "infobox"),
        ("Πληροφορίες χώρας", "el", "infobox"),
        ("माहितीचौकट अभिनेता", "mr", "infobox"),
        ("Település infobox", "hu", "infobox"),
        ("Cite web", None, "citation"),
        ("Internetquelle", "de", "citation"),
        ("Lien web", "fr", "citation"),
        ("संकेतस्थळ स्रोत", "mr", "citation"),
        ("Citation", "en", "citation"),
        ("Citation", "fr", "inline"),
        ("Citation needed", None, "maintenance"),
        ("要出典", "ja", "maintenance"),
        ("Main", None, "hatnote"),
        ("Hauptartikel", "de", "hatnote"),
        ("Article détaillé", "fr", "hatnote"),
        ("Navbox", None, "navigation"),
        ("Navigationsleiste Periodensystem", "de", "navigation"),
        ("Authority control", None, "navigation"),
        ("Reflist", None, "navigation"),
        ("Physics-stub", None, "stub"),
        ("Esboço-geografia", "pt", "stub"),
        ("Disambig", None, "disambiguation"),
        ("Begriffsklärung", "de", "disambiguation"),
        ("曖昧さ回避", "ja", "disambiguation"),
        ("Lang-fr", None, "inline"),
        ("IPA-de", None, "inline"),
        ("仮リンク", "ja", "inline"),
        ("USA", "el", "inline"),
        ("23e", "fr", "inline"),
        ("Flagicon", None, "drop"),
        ("自治体人口/北海道", "ja", "drop"),
        ("Argentinien", "de", "inline"),
        ("DEFAULTSORT:Einstein, Albert", None, None),
        ("#invoke:String", None, None),
        ("Some unknown topic box", None, None),
    ],
)
def test_classify_template(name: str, lang: str | None, expected: str | None) -> None:
    assert classify_template(name, lang=lang) == expected


@pytest.mark.parametrize(
    ("name", "lang", "expected"),
    [
        ("Convert", None, "convert"),
        ("cvt", None, "convert"),
        ("Birth date and age", None, "birth_date"),
        ("Lang-fr", None, "lang_xx"),
        ("Unité", "fr", "unit"),
        ("Citation", "fr", "fr_quote"),
        ("Citation", "en", None),
        ("Не перекладено", "uk", "ill"),
        ("XIXe", "fr", "ordinal"),
        ("Cite web", None, None),
    ],
)
def test_inline_renderer(name: str, lang: str | None, expected: str | None) -> None:
    assert inline_renderer(name, lang=lang) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("last2", "author"),
        ("Access-Date", "access_date"),
        ("access_date", "access_date"),
        ("accessdate", "access_date"),
        ("Abruf", "access_date"),
        ("consulté le", "access_date"),
        ("archive-url", "archive_url"),
        ("archiveurl", "archive_url"),
        ("first1", "author"),
        ("Autor2", "author"),
        ("auteur3", "author"),
        ("year", "date"),
        ("website", "work"),
        ("titre", "title"),
        ("título", "title"),
        ("fechaacceso", "access_date"),
        ("ISBN", "isbn"),
        ("title2", None),
        ("author-link", None),
        ("volume", None),
        ("", None),
    ],
)
def test_canonical_citation_parameter(name: str, expected: str | None) -> None:
    assert canonical_citation_parameter(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("#if: x", True),
        ("DEFAULTSORT:Einstein", True),
        ("SORTIERUNG:Einstein", True),
        ("formatnum:1234", True),
        ("PAGENAME", True),
        ("!", True),
        ("Cite web", False),
        ("Formatnum", False),
        ("Tag", False),
        ("Lc", False),
        ("Lang", False),
    ],
)
def test_is_magic_word(name: str, expected: bool) -> None:
    assert is_magic_word(name) is expected


# ---------------------------------------------------------------------------------------------
# Corpus evidence
# ---------------------------------------------------------------------------------------------

# ``{{name`` at any depth, not ``{{{parameter}}}``; the name ends at "|", "}}" or a nested "{{".
_TEMPLATE_NAME = re.compile(r"(?<!\{)\{\{(?!\{)([^{}|]*)(?=\||\}\}|\{\{)")
# Comments and the tags whose content is not wikitext (math may contain "{{").
_NOT_WIKITEXT = re.compile(
    r"<!--.*?(?:-->|$)"
    r"|<(nowiki|pre|math|chem|ce|syntaxhighlight|source|score|timeline|graph|mapframe)\b"
    r"[^>]*?(?:/>|>.*?</\1\s*>)",
    re.DOTALL | re.IGNORECASE,
)
COVERAGE_WIKIS = ["dewiki", "frwiki", "jawiki", "ukwiki", "elwiki", "mrwiki"]


@cache
def _template_uses(dbname: str) -> tuple[str, tuple[str, ...]]:
    """The wiki's language and every template name used in its namespace-0 articles."""
    path = ASSEMBLED / f"sample-{dbname}-pages-articles-multistream.xml.bz2"
    dump = open_dump(path)
    names: list[str] = []
    for page in dump.pages():
        if page.namespace != 0 or page.redirect_title:
            continue
        text = _NOT_WIKITEXT.sub("", page.latest.text)
        names.extend(match.group(1) for match in _TEMPLATE_NAME.finditer(text))
    return dump.site.language, tuple(names)


@pytest.mark.corpus
@needs_corpus
@pytest.mark.parametrize("path", ASSEMBLED_DUMPS, ids=lambda path: path.name.split("-")[1])
def test_corpus_siteinfo_namespaces_are_known(path: Path) -> None:
    site = open_dump(path).site
    assert site.namespaces, f"{path.name} has no namespaces in its siteinfo"
    expected = {
        -2: FILE_NAMESPACE_ALIASES,
        6: FILE_NAMESPACE_ALIASES,
        14: CATEGORY_NAMESPACE_ALIASES,
        10: TEMPLATE_NAMESPACE_ALIASES,
    }
    for namespace in site.namespaces:
        table = expected.get(namespace.key)
        if table is not None:
            name = namespace.name.replace("_", " ").strip()
            assert name.casefold() in table, f"{site.dbname} ns {namespace.key}: {name!r}"
            assert name.lower() in table, f"{site.dbname} ns {namespace.key}: {name!r}"


@pytest.mark.corpus
@needs_corpus
@pytest.mark.parametrize("dbname", COVERAGE_WIKIS)
def test_corpus_template_coverage(dbname: str) -> None:
    """At least 90% of the template uses in the wiki's articles are classified by some table."""
    if not (ASSEMBLED / f"sample-{dbname}-pages-articles-multistream.xml.bz2").exists():
        pytest.skip(f"no assembled {dbname} dump in {ASSEMBLED}")
    lang, names = _template_uses(dbname)
    uses = [name for name in names if not is_magic_word(name)]
    assert len(uses) > 100, f"{dbname}: too few template uses to judge ({len(uses)})"
    kinds = Counter(classify_template(name, lang=lang) for name in uses)
    assert set(kinds) <= CLASSES | PATTERN_CLASSES | {None}
    classified = len(uses) - kinds[None]
    share = classified / len(uses)
    unknown = Counter(
        normalize_template_name(name) for name in uses if classify_template(name, lang=lang) is None
    )
    top = ", ".join(f"{name} {count}" for name, count in unknown.most_common(20))
    print(
        f"\n{dbname}: {classified}/{len(uses)} template uses classified = {share:.1%}"
        f" ({len(names) - len(uses)} magic words left out); unclassified: {top}"
    )
    assert share >= 0.90, f"{dbname}: only {share:.1%} classified; top unclassified: {top}"


def test_maintenance_tags_around_a_passage_are_spans() -> None:
    assert classify_template("要出典範囲", lang="ja") == "span"
    assert classify_template("Citation needed span") == "span"
    assert classify_template("独自研究範囲", lang="ja") == "span"  # listed under drop too
    assert classify_template("要出典", lang="ja") == "maintenance"
