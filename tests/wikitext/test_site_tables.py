"""Every Wikipedia's own names (wikitext/sites.py, from MediaWiki's siteinfo data): the packaged
tables, their generator, and what the parser does with them on real pages.

The generator's tests and the real pages need the shared corpus (``../shared/corpus`` beside
the checkout, or ``$WIKIPACT_CORPUS``) and are skipped without it; the packaged tables alone
are tested everywhere.
"""

from __future__ import annotations

import importlib.util
import json
import re
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import CORPUS, requires_corpus
from wikipact.dumps import open_dump
from wikipact.dumps.xmlpages import redirect_target_of
from wikipact.model.raw import SiteInfo
from wikipact.wikitext import sites
from wikipact.wikitext.context import Context
from wikipact.wikitext.document import ParsedPage, parse_wikitext
from wikipact.wikitext.links import replace_links
from wikipact.wikitext.prefixes import _known

ROOT = Path(__file__).resolve().parents[2]
SITEINFO = CORPUS / "siteinfo" / "wikipedia-siteinfo.jsonl"
needs_siteinfo = pytest.mark.skipif(
    not SITEINFO.exists(),
    reason=f"no siteinfo data at {SITEINFO} (set WIKIPACT_CORPUS to the shared corpus)",
)
VIWIKI = SiteInfo(dbname="viwiki", language="vi")
DEWIKI = SiteInfo(dbname="dewiki", language="de")


@cache
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_site_tables", ROOT / "scripts" / "make_site_tables.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@cache
def rows() -> list[dict]:
    return generator().read_rows(SITEINFO)


def as_sets(tables: dict) -> dict:
    """Tables with their lists of names as sets (namespaces keep their order: name first)."""
    out = dict(tables)
    out["redirect"] = set(tables["redirect"])
    out["image"] = {kind: set(names) for kind, names in tables["image"].items()}
    for kind in ("switches", "functions"):
        out[kind] = {name: set(names) for name, names in tables[kind].items()}
    return out


def images_of(wikitext: str, site: SiteInfo) -> list[tuple[str, str | None, str | None]]:
    """(name, caption, alt) of the file links of ``wikitext``, as the parser collects them."""
    ctx = Context(site=site, title="T")
    replace_links(wikitext, ctx)
    return ctx.images


# --- the generator and the packaged file ---------------------------------------------------


@needs_siteinfo
def test_the_packaged_file_is_what_the_generator_makes_of_the_siteinfo() -> None:
    made = generator().encode(generator().build(rows()))
    assert made == (ROOT / "src" / "wikipact" / "wikitext" / sites.DATA_FILE).read_bytes(), (
        "the site tables are out of date: run scripts/make_site_tables.py"
    )
    assert generator().encode(generator().build(rows())) == made  # reproducible, byte for byte


@needs_siteinfo
def test_each_wikis_tables_hold_its_siteinfo_names() -> None:
    switches = generator().switch_ids(rows())
    assert {"notoc", "toc", "forcetoc", "disambiguation", "hiddencat"} <= switches
    assert not {"currentmonth", "pagesincategory", "protectionlevel"} & switches
    assert sites.known_wikis() == {row["dbname"] for row in rows()}
    for row in rows():
        tables = sites.wiki_data(row["dbname"])
        made = as_sets({"namespace_case": {}} | generator().wiki_tables(row, switches))
        got = as_sets(tables)
        # the wiki's own names, and the names all wikis share (enwiki's) put back: also those
        # of an extension the wiki's data lacks
        for key in ("case", "case_sensitive", "namespace_case", "namespaces"):
            assert got[key] == made[key], (row["dbname"], key)
        common = as_sets(sites.wiki_data("enwiki"))
        for kind in ("image", "switches", "functions"):
            for name, names in made[kind].items():
                assert names <= got[kind][name], (row["dbname"], kind, name)
            for name, names in got[kind].items():
                assert names <= made[kind].get(name, set()) | common[kind].get(name, set())
        assert made["redirect"] <= got["redirect"] <= made["redirect"] | common["redirect"]
        for key, namespace in row["namespaces"].items():
            if key != "0":
                names = set(tables["namespaces"][key])
                assert {namespace["name"], namespace["canonical"]} - {None, ""} <= names
        for key, aliases in row["namespace_aliases"].items():
            if key == "0":
                continue  # wikidatawiki's "Item": the main namespace has no prefix
            assert {a.strip() for a in aliases} <= set(tables["namespaces"][key])
        words = row["magicwords"]
        image = set().union(*tables["image"].values())
        for name, word in words.items():
            if name.startswith(("img_", "timedmedia_")):
                assert {a.strip() for a in word["aliases"]} - {""} <= image, name
        assert set(tables["redirect"]) == {a.strip() for a in words["redirect"]["aliases"]}
        assert set(tables["switches"]) <= switches
        assert set(tables["functions"]["if"]) == set(words["if"]["aliases"])


# --- the packaged tables alone -------------------------------------------------------------


def test_namespace_names_of_several_wikis() -> None:
    assert sites.tables_for("viwiki").names(6, -2) == {
        "tập tin",
        "hình",
        "file",
        "image",
        "phương tiện",
        "media",
    }
    assert {"datei", "bild"} <= sites.tables_for("dewiki").names(6)
    assert "kategorie" in sites.tables_for("dewiki").names(14)
    assert {"ファイル", "画像"} <= sites.tables_for("jawiki").names(6)
    assert {"файл", "изображение"} <= sites.tables_for("ruwiki").names(6)
    assert "श्रेणी" in sites.tables_for("hiwiki").names(14)
    assert "बड़ा" not in sites.tables_for("hiwiki").namespace_names
    assert {"bản mẫu", "tiêu bản"} <= sites.tables_for("viwiki").names(10)


def test_image_options_redirects_switches_and_functions_of_several_wikis() -> None:
    vi = sites.tables_for("viwiki")
    assert {"nhỏ", "trái", "phải", "không_khung", "thumb"} <= vi.image_words
    assert {"$1px", "đứng=$1", "upright $1"} <= set(vi.image_patterns)
    assert "thế=" in vi.alt_prefixes and "alt=" in vi.alt_prefixes
    assert vi.redirect_words == {"#đổi", "#redirect"}
    assert "__ĐỊNHHƯỚNG__" in vi.disambiguation
    assert vi.function_names["#nếu"] == "#if"
    de = sites.tables_for("dewiki")
    assert {"mini", "links", "hochkant"} <= de.image_words
    assert "__KEIN_INHALTSVERZEICHNIS__" in de.switches["notoc"]
    assert de.function_names["klein"] == "lc" and de.function_names["#erweiterung"] == "#tag"
    assert "#weiterleitung" in de.redirect_words
    ja = sites.tables_for("jawiki")
    assert "＃転送" in ja.redirect and ja.extra_switches is not None
    assert ja.extra_switches.fullmatch("＿＿目次＿＿")
    assert "#перенаправление" in sites.tables_for("ruwiki").redirect_words
    assert "#पुनर्प्रेषित" in sites.tables_for("hiwiki").redirect_words
    assert sites.tables_for("enwiki").extra_switches is None  # __WORD__ covers them all


@pytest.mark.parametrize(
    ("option", "is_option"),
    [
        ("nhỏ", True),
        ("trái", True),
        ("250px", True),
        ("x120px", True),
        ("200x300px", True),
        ("200 px", True),
        ("đứng", True),
        ("đứng=0.8", True),
        ("đứng_1.2", True),
        ("upright 1.2", True),
        ("liên_kết=Hà Nội", True),
        ("Chú thích", False),
        ("nhỏ xinh", False),  # a caption that starts with an option's word
        ("Nhỏ", False),  # image options are case-sensitive in MediaWiki
        ("250", False),
        ("abcpx", False),
    ],
)
def test_vietnamese_image_options(option: str, is_option: bool) -> None:
    tables = sites.tables_for("viwiki")
    found = option in tables.image_words or bool(tables.image_option.match(option))
    assert found is is_option


@pytest.mark.parametrize(
    ("option", "is_option"),
    [("右上", True), ("右上1.5", True), ("右上の図", False), ("200px", True), ("200像素", True)],
)
def test_options_glued_to_their_value_take_numbers_only(option: str, is_option: bool) -> None:
    tables = sites.tables_for("zhwiki")
    found = option in tables.image_words or bool(tables.image_option.match(option))
    assert found is is_option


def test_unknown_wikis_fall_back_to_their_language_then_to_english() -> None:
    assert sites.tables_for("viwiktionary").dbname == "viwiki"
    assert sites.tables_for("zh_min_nanwiki").dbname == "zh-min-nanwiki"
    assert sites.tables_for("foowiki", "pt-br").dbname == "ptwiki"
    assert sites.tables_for("nosuchwiki", "und").dbname == "enwiki"
    default = sites.tables_for("nosuchwiki")
    assert {"file", "image", "media"} <= default.names(6, -2)
    assert "thumb" in default.image_words and "category" in default.names(14)


def test_the_learnt_namespace_fallback_knows_every_name_of_the_wiki() -> None:
    known = _known(VIWIKI)
    assert {"thảo luận", "thành viên", "cổng thông tin", "chủ đề", "mô đun", "wp"} <= known


def test_every_wikis_redirect_words_are_read() -> None:
    for dbname in sorted(sites.known_wikis()):
        for word in sites.tables_for(dbname).redirect:
            if word[:1] not in "#＃":
                continue  # a translation's typo ("'#REDIRECT"): MediaWiki would not match it
            assert redirect_target_of(f"{word} [[Ziel_Seite]]") == "Ziel Seite", (dbname, word)
            assert redirect_target_of(f"{word}[[Ziel]]") == "Ziel", (dbname, word)


# --- the parser, with the page's wiki's names ----------------------------------------------


def test_a_vietnamese_file_link_leaves_its_caption_to_the_image() -> None:
    wikitext = "Mở đầu.\n\n[[Tập tin:X.jpg|nhỏ|trái|250px|thế=Ảnh X|Chú thích]]\n\nĐoạn hai."
    parsed = parse_wikitext(wikitext, VIWIKI, "X")
    assert parsed.text == "Mở đầu.\n\nĐoạn hai."
    assert parsed.image is not None
    assert (parsed.image.caption, parsed.image.alternative_text) == ("Chú thích", "Ảnh X")
    assert images_of("[[Hình:Y.jpg|Chú thích|nhỏ|phải]]", VIWIKI) == [("Y.jpg", "Chú thích", None)]
    assert images_of("[[Tập tin:Z.jpg|không_khung|đứng=0.5]]", VIWIKI) == [("Z.jpg", None, None)]


def test_an_option_of_another_wiki_is_a_caption_here() -> None:
    # "trái" is an option on viwiki only; elsewhere MediaWiki shows it as the caption
    assert images_of("[[File:Y.jpg|thumb|trái]]", DEWIKI) == [("Y.jpg", "trái", None)]
    assert images_of("[[Datei:Y.jpg|mini|links|hochkant=1.2|alternativtext=A|Text]]", DEWIKI) == [
        ("Y.jpg", "Text", "A")
    ]


def test_localised_parser_functions_and_switches() -> None:
    parsed = parse_wikitext(
        "Text {{KLEIN:ABC}} {{#erweiterung:ref|Quelle}}.\n__KEIN_INHALTSVERZEICHNIS__",
        DEWIKI,
        "T",
    )
    assert parsed.text == "Text abc."
    assert [r.text.value for r in parsed.references if r.text] == ["Quelle"]
    parsed = parse_wikitext("Trang định hướng.\n__ĐỊNHHƯỚNG__", VIWIKI, "T")
    assert parsed.is_disambiguation and parsed.text == "Trang định hướng."
    parsed = parse_wikitext("本文。\n＿＿目次＿＿", SiteInfo(dbname="jawiki", language="ja"), "T")
    assert parsed.text == "本文。"
    # on another wiki these are only text or templates
    assert not parse_wikitext("Text.\n__ĐỊNHHƯỚNG__", DEWIKI, "T").is_disambiguation


# --- real pages ------------------------------------------------------------------------------

MINIDUMPS = (
    CORPUS / "original" / "dbpedia+extraction-framework" / "dump/src/test/resources/minidumps"
)
ASSEMBLED = CORPUS / "assembled"


@cache
def real_page(path: Path, title: str) -> tuple[SiteInfo, str]:
    dump = open_dump(path)
    return dump.site, dump.fetch(title=title).latest.text


def link_in(wikitext: str, start: str) -> str:
    """The whole file link of ``wikitext`` that starts with ``start``."""
    at = wikitext.index(start)
    return wikitext[at : wikitext.index("]]", at) + 2]


@requires_corpus
def test_vietnamese_berlin_file_links() -> None:
    # DBpedia's minidump: an enwiki <siteinfo>, read as viwiki (its content is Vietnamese)
    site, wikitext = real_page(MINIDUMPS / "vi" / "wiki.xml.bz2", "Berlin")
    assert site.dbname == "viwiki"
    bare = link_in(wikitext, "[[Hình:Berlinpanorama-AmTag.JPG")
    assert bare.endswith("|nhỏ]]")
    assert images_of(bare, site) == [("Berlinpanorama-AmTag.JPG", None, None)]  # not "nhỏ"
    hotel = link_in(wikitext, "[[Hình:Berlin Unter den Linden Victoria Hotel")
    assert "|nhỏ|trái|" in hotel
    caption = "Đường Unter den Linden với khách sạn Victoria, khoảng năm 1890"
    assert images_of(hotel, site)[0][1] == caption
    parsed: ParsedPage = parse_wikitext(wikitext, site, "Berlin")
    assert caption not in parsed.text
    assert "Quảng trường Postdam" not in parsed.text  # [[Hình:Potsdamer Platz 1945.jpg|nhỏ|…]]
    assert not re.search(r"(?:^|\|)\s*(?:nhỏ|trái|phải)\s*(?:\||$)", parsed.text, re.M)
    assert parsed.images >= 3


@requires_corpus
@pytest.mark.parametrize(
    ("wiki", "title", "start", "expected"),
    [
        # the size after the caption was taken for the caption
        (
            "jawiki",
            "イラン",
            "[[ファイル:Iran population.svg",
            ("Iran population.svg", "イランの人口推移（1956年 - 2003年）", None),
        ),
        (
            "mrwiki",
            "विष्णु",
            "[[चित्र:Kalki Avatar by Ravi Varma.jpg",
            ("Kalki Avatar by Ravi Varma.jpg", "कल्कि अवतार", None),
        ),
        # a frameless image with a localised size has no caption
        (
            "ukwiki",
            "Леся Українка",
            "[[Файл:На крилах пісень.jpg",
            ("На крилах пісень.jpg", None, None),
        ),
        ("elwiki", "Ζήτα", "[[Αρχείο:Phoenician zayin.png", ("Phoenician zayin.png", None, None)),
    ],
)
def test_real_file_links_with_localised_options(
    wiki: str, title: str, start: str, expected: tuple[str, str | None, str | None]
) -> None:
    site, wikitext = real_page(
        ASSEMBLED / f"sample-{wiki}-pages-articles-multistream.xml.bz2", title
    )
    assert site.dbname == wiki
    assert images_of(link_in(wikitext, start), site) == [expected]
    text = parse_wikitext(wikitext, site, title).text
    assert not re.search(r"\d+x\d+(?:ピクセル|अंश|пкс|εσ)", text)


def test_the_data_file_ships_with_the_package() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"wikitext/sitedata/*.json.gz"' in pyproject
    data = sites.load()
    assert data["format"] == 1 and data["source"]["commit"].startswith("e3dfe8bb")
    assert json.dumps(data["source"])  # plain JSON, for the attribution
