"""The templates partners' citations rely on: short footnotes ({{sfn}}, {{sfnm}}, the {{harv}}
family) resolved to the page's full citations, separators between footnote markers, frwiki's
centuries and quotations, pronunciations and language labels, and references that are never
empty. Real corpus pages where the corpus has the shape, small hand-written cases otherwise."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import pytest

from wikipact import open_dump
from wikipact.model.raw import SiteInfo
from wikipact.wikitext.document import ParsedPage, parse_wikitext

EN = SiteInfo(dbname="enwiki", language="en")
FR = SiteInfo(dbname="frwiki", language="fr")
ENTERPRISE = "original/wikimedia-enterprise+wikimedia-enterprise/api/main/dataset/articles"


def parse(text: str, site: SiteInfo = EN) -> ParsedPage:
    return parse_wikitext(text, site, "Test")


@lru_cache(maxsize=8)
def _dump_pages(path: Path) -> dict[str, tuple[str, SiteInfo]]:
    dump = open_dump(path)
    return {
        p.title: (p.latest.text, dump.site)
        for p in dump.pages()
        if p.namespace == 0 and p.redirect_title is None and p.latest.text
    }


def dump_page(corpus: Path, wiki: str, title: str) -> ParsedPage:
    path = corpus / "assembled" / f"sample-{wiki}-pages-articles-multistream.xml.bz2"
    text, site = _dump_pages(path)[title]
    return parse_wikitext(text, site, title)


def enterprise_page(corpus: Path, wiki: str, title: str) -> ParsedPage:
    record = json.loads((corpus / ENTERPRISE / wiki / f"{title}.json").read_text("utf-8"))
    site = SiteInfo(dbname=wiki, language=record["in_language"]["identifier"])
    return parse_wikitext(record["article_body"]["wikitext"], site, record["name"])


def references_of(parsed: ParsedPage) -> dict[str, str]:
    return {r.identifier: r.text.value if r.text else "" for r in parsed.references}


def assert_claims_have_text(parsed: ParsedPage, where: str) -> None:
    texts = references_of(parsed)
    for claim in parsed.claims:
        for identifier in claim.citations:
            assert texts[identifier].strip(), f"{where}: {claim.text!r} cites empty {identifier}"


# -- short footnotes -------------------------------------------------------------------------


def test_sfnm_is_a_reference_with_every_source() -> None:
    parsed = parse(
        "Water boils.{{sfnm|1a1=Smith|1y=2001|1p=23|2a1=Jones|2y=1999|2pp=4–5}} It is hot."
    )
    [reference] = parsed.references
    assert reference.type == "short"
    assert reference.text is not None
    assert reference.text.value == "Smith 2001, p. 23; Jones 1999, pp. 4–5."
    assert [c.citations for c in parsed.claims] == [(reference.identifier,)]


def test_sfnm_short_form_gives_names_then_year_unnamed() -> None:
    parsed = parse("A.{{sfnm|Smith|2001|1p=23|Brown|Green|1999|2pp=4–5}}")
    assert references_of(parsed) == {
        "cite_note-FOOTNOTESmith200123BrownGreen19994–5": (
            "Smith 2001, p. 23; Brown & Green 1999, pp. 4–5."
        )
    }


def test_two_different_sfnm_are_two_references() -> None:
    parsed = parse("A.{{sfnm|1a1=Smith|1y=2001}} B.{{sfnm|1a1=Jones|1y=1999}}")
    assert len(parsed.references) == 2


@pytest.mark.parametrize(
    ("wikitext", "shown"),
    [
        ("{{sfn|Smith|Jones|2001|p=5}}", "Smith & Jones 2001, p. 5."),
        ("{{sfn|A|B|C|2001|pp=4–5}}", "A, B & C 2001, pp. 4–5."),
        ("{{sfn|A|B|C|D|2001}}", "A et al. 2001."),
        ("{{sfnp|Smith|2001|p=5}}", "Smith (2001), p. 5."),
        ("{{sfn|Smith|2001|loc=ch. 3}}", "Smith 2001, ch. 3."),
        ("{{sfn|Smith|2001|p=5|ps=none}}", "Smith 2001, p. 5"),
        ("{{sfn|Smith|n.d.}}", "Smith n.d.."),
    ],
)
def test_sfn_text(wikitext: str, shown: str) -> None:
    parsed = parse(f"Claim.{wikitext}")
    assert [r.text.value for r in parsed.references if r.text] == [shown]


@pytest.mark.parametrize(
    ("wikitext", "shown"),
    [
        ("{{harv|Smith|Jones|2001|p=5}}", "(Smith & Jones 2001, p. 5)"),
        ("{{harvnb|Smith|Jones|2001|p=5}}", "Smith & Jones 2001, p. 5"),
        ("{{harvtxt|Smith|2001|p=5}}", "Smith (2001, p. 5)"),
        ("{{harvp|Smith|2001}}", "Smith (2001)"),
        ("{{harvcolnb|Ifrah|2001|p=11}}", "Ifrah 2001:11"),
        ("{{harvs|nb|last=El-Bizri|year=2005a|year2=2005b}}", "El-Bizri 2005a, 2005b"),
    ],
)
def test_harv_family_in_the_text(wikitext: str, shown: str) -> None:
    assert parse(f"As {wikitext} says.").text == f"As {shown} says."


def test_short_footnote_is_linked_to_the_full_citation() -> None:
    parsed = parse(
        "Water boils.{{sfn|Smith|2001|p=5}} Ice melts.{{sfn|Brown|Green|2010}}\n\n"
        "== Sources ==\n"
        "* {{cite book |last=Smith |first=John |year=2001 |title=Heat |url=http://x.org/heat}}\n"
        "* {{cite book |last1=Brown |last2=Green |date=May 2010 |title=Cold}}\n"
    )
    smith, brown = parsed.references
    assert smith.text is not None and smith.text.value == "Smith 2001, p. 5."
    assert smith.metadata["title"] == "Heat"
    assert smith.metadata["pages"] == "5"
    assert smith.metadata["source"] == "Smith, John (2001) “Heat”."
    assert [link.url for link in smith.text.links] == ["http://x.org/heat"]
    assert brown.metadata["title"] == "Cold"


def test_short_footnote_finds_a_citation_by_its_ref_anchor_or_editors() -> None:
    parsed = parse(
        "A.{{sfn|Ministry|1999}} B.{{sfnp|Rowe|Schulmann|2007|p=161}}\n\n"
        "* {{cite book |title=Report |ref={{sfnref|Ministry|1999}}}}\n"
        "* {{cite book |editor1-last=Rowe |editor2-last=Schulmann |year=2007 |title=Politics}}\n"
    )
    assert [r.metadata.get("title") for r in parsed.references] == ["Report", "Politics"]


def test_sfnm_page_resolves_to_its_bibliography(corpus: Path) -> None:
    parsed = dump_page(corpus, "jawiki", "蝦夷")
    short = [r for r in parsed.references if r.type == "short"]
    multi = [r for r in short if r.text and "; " in r.text.value]
    assert multi, "the page's {{sfnm}} are references with several sources"
    assert all("source" in r.metadata for r in short)
    sample = next(r for r in multi if r.text and r.text.value.startswith("高橋 1986, pp. 25-26"))
    assert sample.metadata["source"].count("\n") == 1  # both sources found
    assert_claims_have_text(parsed, "蝦夷")


def test_sfnp_references_of_a_real_page_have_text_and_sources(corpus: Path) -> None:
    parsed = enterprise_page(corpus, "enwiki", "Albert_Einstein")
    short = [r for r in parsed.references if r.type == "short"]
    assert len(short) > 100
    assert all(r.text and r.text.value for r in short)
    resolved = [r for r in short if "source" in r.metadata]
    assert len(resolved) / len(short) > 0.9
    assert_claims_have_text(parsed, "Albert Einstein")


# -- separators between footnote markers ------------------------------------------------------


@pytest.mark.parametrize("separator", ["{{,}}", ",", "{{·}}", " {{,}} "])
def test_a_separator_between_footnotes_goes_with_them(separator: str) -> None:
    parsed = parse(f"En France<ref>Un.</ref>{separator}<ref>Deux.</ref>. Ensuite.", FR)
    assert parsed.text == "En France. Ensuite."
    assert [c.citations for c in parsed.claims] == [("cite_note-1", "cite_note-2")]


def test_a_comma_after_the_last_footnote_stays() -> None:
    assert parse("A<ref>x</ref>, and b.").text == "A, and b."


def test_frwiki_page_has_no_stray_separator(corpus: Path) -> None:
    parsed = enterprise_page(corpus, "frwiki", "Anarchisme")
    assert ",." not in parsed.text
    assert "en France. L'anarchisme" in parsed.text


# -- frwiki centuries and quotations ---------------------------------------------------------


@pytest.mark.parametrize(
    ("wikitext", "shown"),
    [
        ("{{s|XII}}", "XIIe siècle"),
        ("{{s-|XIX|e}}", "XIXe siècle"),
        ("{{s|I}}", "Ier siècle"),
        ("{{-s|V}}", "Ve siècle av. J.-C."),
        ("{{-s-|V}}", "Ve siècle av. J.-C."),
        ("{{s2|XII|XIII}}", "XIIe et XIIIe siècles"),
        ("{{s2-|XIX|e|XX|e}}", "XIXe et XXe siècles"),
        ("{{sp-|XVIII|-|XXI}}", "XVIIIe-XXIe siècles"),
        ("{{siècle|XVI}}", "XVIe siècle"),
    ],
)
def test_frwiki_centuries(wikitext: str, shown: str) -> None:
    assert parse(f"Au {wikitext}, rien.", FR).text == f"Au {shown}, rien."


def test_frwiki_centuries_on_real_pages(corpus: Path) -> None:
    anarchisme = enterprise_page(corpus, "frwiki", "Anarchisme")
    assert "développés depuis le XIXe siècle sur un ensemble" in anarchisme.text
    assert "Au XXe siècle, des courants nouveaux" in anarchisme.text
    assert "des révolutions industrielles des XIXe et XXe siècles" in anarchisme.text


def test_frwiki_citation_is_a_quotation_between_guillemets(corpus: Path) -> None:
    assert parse("Il dit {{citation|bonjour}}.", FR).text == "Il dit «bonjour»."
    assert parse("{{début citation}}Oui{{fin citation}}.", FR).text == "«Oui»."
    parsed = enterprise_page(corpus, "frwiki", "Anarchisme")
    assert "«une idée pratique et matérielle" in parsed.text


def test_enwiki_citation_is_a_cs1_citation() -> None:
    parsed = parse("A.<ref>{{citation |last=Smith |year=2001 |title=Heat}}</ref>")
    assert references_of(parsed) == {"cite_note-1": "Smith (2001) “Heat”."}


# -- pronunciations and languages -----------------------------------------------------------


@pytest.mark.parametrize(
    ("wikitext", "shown"),
    [
        ("{{IPA|/ˈæ/}}", "/ˈæ/"),
        ("{{IPAc-en|ˈ|æ|n|ər|k|ɪ|z|əm}}", "/ˈænərkɪzəm/"),
        ("{{IPAc-en|lang|pron|ˈ|æ}}", "English: pronounced /ˈæ/"),
        ("{{IPAc-en|US|ˈ|æ|,|UK|ˈ|ɑː}}", "US: /ˈæ/, UK: /ˈɑː/"),
        ("{{IPA-de|ˈbɛʁlin|lang}}", "German: [ˈbɛʁlin]"),
        ("{{IPA-de|ˈbɛʁlin}}", "German pronunciation: [ˈbɛʁlin]"),
        ("{{IPA-el|akʰilːéu̯s|pron}}", "pronounced [akʰilːéu̯s]"),
        ("{{IPA-fr|paʁi||Paris.ogg}}", "[paʁi]"),
        ("{{lang-fr|texte}}", "French: texte"),
        ("{{langx|fr|texte}}", "French: texte"),
        ("{{langx|de|link=no|Das Internet}}", "German: Das Internet"),
        ("{{lang-ru|Россия|Rossiya}}", "Russian: Россия, romanized: Rossiya"),
        ("{{lang|fr|texte}}", "texte"),
        ("{{respell|ASS|kee}}", "ASS-kee"),
    ],
)
def test_enwiki_pronunciations_and_languages(wikitext: str, shown: str) -> None:
    assert parse(f"X ({wikitext}) y.").text == f"X ({shown}) y."


def test_other_wikis_show_the_text_without_an_english_label() -> None:
    site = SiteInfo(dbname="zhwiki", language="zh")
    assert parse("柏林（{{lang-de|Berlin}}）", site).text == "柏林（Berlin）"
    assert parse("{{lang|en|texte=Meta}}.", FR).text == "Meta."


def test_pronunciations_on_real_pages(corpus: Path) -> None:
    assert dump_page(corpus, "enwiki", "Albedo").text.startswith("Albedo (/ælˈbiːdoʊ/), or ")
    assert "(ASCII, pronounced /ˈæski/ ASS-kee)" in dump_page(corpus, "enwiki", "ASCII").text
    kristeva = dump_page(corpus, "enwiki", "Julia Kristeva").text
    assert kristeva.startswith("Julia Kristeva (French: [kʁisteva]; Bulgarian: Юлия Кръстева;")


# -- references never empty -----------------------------------------------------------------


def test_a_ref_made_of_an_unknown_source_template_shows_its_name_and_words() -> None:
    parsed = parse("A.<ref>{{sep entry|godwin|William Godwin|Mark Philip|2006-05-20}}</ref>")
    assert references_of(parsed) == {
        "cite_note-1": "Sep entry: godwin, William Godwin, Mark Philip"
    }
    parsed = parse("A.<ref>{{YouTube|mGvfbo5hHfw|The talk}}</ref>")
    assert references_of(parsed) == {"cite_note-1": "YouTube: The talk"}


def test_an_undefined_ref_backs_no_claim() -> None:
    parsed = parse('Cited.<ref name="nowhere"/> Also.<ref>Real.</ref>')
    assert [c.citations for c in parsed.claims] == [("cite_note-1",)]


def _corpus_pages(corpus: Path) -> list[tuple[str, ParsedPage]]:
    pages = [
        (f"{path.parent.name}/{path.stem}", enterprise_page(corpus, path.parent.name, path.stem))
        for path in sorted((corpus / ENTERPRISE).glob("*/*.json"))
    ]
    for wiki in ("enwiki", "frwiki", "dewiki", "jawiki", "elwiki"):
        path = corpus / "assembled" / f"sample-{wiki}-pages-articles-multistream.xml.bz2"
        for title, (text, site) in _dump_pages(path).items():
            pages.append((f"{wiki}/{title}", parse_wikitext(text, site, title)))
    return pages


def test_no_claim_cites_an_empty_reference(corpus: Path) -> None:
    pages = _corpus_pages(corpus)
    claims = 0
    for where, parsed in pages:
        assert_claims_have_text(parsed, where)
        claims += len(parsed.claims)
        assert "Cite error" not in parsed.text and "{{" not in parsed.text, where
    assert claims > 5000
