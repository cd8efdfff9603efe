"""Markup that only some wikis use, pinned by one small case each (the corpus holds no page
with it): itwiki's ``{{Bio}}``, which writes a biography's first sentence, hewiki's footnote
template, passages inside maintenance tags, life dates, interlanguage-link helpers ..."""

from __future__ import annotations

from wikipact.model.raw import SiteInfo
from wikipact.wikitext.document import ParsedPage, parse_wikitext

ITWIKI = SiteInfo(dbname="itwiki", language="it")


def test_bio_writes_the_opening_sentence_of_a_biography() -> None:
    wikitext = (
        "{{Bio\n|Nome = Mario\n|Cognome = Rossi\n|Sesso = M\n|LuogoNascita = Roma\n"
        "|GiornoMeseNascita = 3 marzo\n|AnnoNascita = 1950\n|LuogoMorte = [[Milano]]\n"
        "|GiornoMeseMorte = 5 aprile\n|AnnoMorte = 2020\n|NoteMorte = <ref>Fonte</ref>\n"
        "|Attività = calciatore\n|Attività2 = allenatore di calcio\n|Nazionalità = italiano\n}}"
        "\n\n== Carriera ==\nGiocò a lungo."
    )
    parsed = parse_wikitext(wikitext, ITWIKI, "Mario Rossi")
    first = (
        "Mario Rossi (Roma, 3 marzo 1950 – Milano, 5 aprile 2020) è stato un calciatore e "
        "allenatore di calcio italiano."
    )
    assert parsed.text.split("\n")[0] == first
    assert parsed.abstract == "Mario Rossi è stato un calciatore e allenatore di calcio italiano."
    assert [c.text for c in parsed.claims] == [first]  # the death note is its citation
    assert [link.text for link in parsed.links] == ["Milano"]


def test_bio_agrees_with_gender_and_the_first_sound_of_the_activity() -> None:
    def opening(params: str) -> str:
        return parse_wikitext("{{Bio" + params + "}}", ITWIKI, "X").text

    assert (
        opening(
            "|Nome=Anna|Cognome=Bianchi|Sesso=F|AnnoNascita=1980|Attività=attrice"
            "|Nazionalità=italiana|PostNazionalità=, nota per il cinema"
        )
        == "Anna Bianchi (1980) è un'attrice italiana, nota per il cinema."
    )
    assert (
        opening(
            "|Nome=Zeno|Cognome=Verdi|Sesso=M|AnnoNascita=1980|Attività=scrittore"
            "|Nazionalità=svizzero"
        )
        == "Zeno Verdi (1980) è uno scrittore svizzero."
    )


def parse(wiki: str, wikitext: str, title: str = "T") -> ParsedPage:
    """``wikitext`` parsed as a page of ``wiki`` ("hewiki": language "he")."""
    return parse_wikitext(
        wikitext, SiteInfo(dbname=wiki, language=wiki.removesuffix("wiki")), title
    )


def test_bio_is_only_itwikis() -> None:
    assert parse("enwiki", "{{Bio|Nome=Mario|Cognome=Rossi}}Text.").text == "Text."


def test_hewiki_footnote_template_is_a_reference() -> None:
    parsed = parse(
        "hewiki",
        "ירושלים היא עיר.{{הערה|שם=א|{{cite web|title=Jerusalem|url=https://example.org}}}} "
        "היא בירה.{{הערה|שם=א}}",
    )
    assert parsed.text == "ירושלים היא עיר. היא בירה."
    assert len(parsed.references) == 1
    assert parsed.references[0].metadata["title"] == "Jerusalem"
    assert [claim.text for claim in parsed.claims] == ["ירושלים היא עיר.", "היא בירה."]


def test_a_maintenance_tag_around_a_passage_keeps_the_passage() -> None:
    parsed = parse(
        "jawiki",
        "東京は{{要出典範囲|日本最大の都市である|date=2019年1月}}。人口は多い。{{要出典|date=2019年1月}}",
    )
    assert parsed.text == "東京は日本最大の都市である。人口は多い。"
    assert parsed.maintenance == {"citation_needed": 2}
    parsed = parse(
        "enwiki", "Paris is {{Citation needed span|the largest city|date=May 2020}} of France."
    )
    assert parsed.text == "Paris is the largest city of France."


def test_ru_and_uk_life_dates_are_written_with_genitive_month_names() -> None:
    parsed = parse(
        "ruwiki",
        "'''Иван Петров''' ({{ДатаРождения|5|3|1950}}, [[Москва]] — "
        "{{ДатаСмерти|1|1|2000|5|3|1950}}) — советский учёный.",
    )
    assert parsed.text == "Иван Петров (5 марта 1950, Москва — 1 января 2000) — советский учёный."
    parsed = parse(
        "ukwiki", "'''Іван''' ({{Дата народження|1950|3|5}} — {{Дата смерті|2000|1|1}}) — вчений."
    )
    assert parsed.text == "Іван (5 березня 1950 — 1 січня 2000) — вчений."


def test_zhwiki_life_dates() -> None:
    parsed = parse(
        "zhwiki", "'''张三'''（{{bd|1950年|3月5日|2020年|4月5日|catIdx=Z}}），中国学者。"
    )
    assert parsed.text == "张三（1950年3月5日—2020年4月5日），中国学者。"


def test_more_wikis_templates_that_hold_text() -> None:
    assert parse("eswiki", "En el {{siglo|XIX|d|s}}, {{versalita|Roma}}.").text == (
        "En el siglo XIX, Roma."
    )
    assert parse("itwiki", "Roma è {{Citazione necessaria|la città più antica}}.").text == (
        "Roma è la città più antica."
    )
    assert parse("zhwiki", "{{Internal link helper/en|柏林墙|Berlin Wall}}倒塌。").text == (
        "柏林墙倒塌。"
    )
    assert parse("arwiki", "سقط {{وصلة إنترويكي|عر=جدار برلين|لغ=en|تر=Berlin Wall}}.").text == (
        "سقط جدار برلين."
    )


def test_frwiki_centuries_ordinals_and_times_are_written_out() -> None:
    parsed = parse(
        "frwiki",
        "Au {{XXe siècle}}, au {{s|XIX}} et au {{s-|I}}, sous Otton {{Ier}}, "
        "de {{heure|4|30}} à {{heure|1}}, {{etc.}}",
    )
    assert (
        parsed.text
        == "Au XXe siècle, au XIXe siècle et au Ier siècle, sous Otton Ier, de 4 h 30 à 1 h, etc."
    )


def test_frwiki_units_carry_their_exponents() -> None:
    parsed = parse(
        "frwiki", "Sur {{unité|892|km|2}}, à {{unité|9.81|m|s|-2}}, {{unité|3,8|millions}}."
    )
    # {{unité}} formats its number as frwiki does: a decimal comma
    assert parsed.text == "Sur 892 km², à 9,81 m s⁻², 3,8 millions."


def test_small_templates_of_ja_gl_el_mr_and_fr_show_their_text() -> None:
    assert (
        parse("jawiki", "北京語で{{ピン音|Xīnxiè}}と発音する。").text
        == "北京語でXīnxièと発音する。"
    )
    assert parse("glwiki", "O seu xentilicio é {{Dic|cambadés}}.").text == (
        "O seu xentilicio é cambadés."
    )
    assert parse(
        "elwiki", "Η {{Redwd|Σούκρια|Q7504854|Σούκρια Μπαρακζάι}} και {{Redwd|Άλλη|Q1}}."
    ).text == ("Η Σούκρια Μπαρακζάι και Άλλη.")
    assert parse("mrwiki", "आय {{रुपया}}१,२८,००० होती.").text == "आय ₹१,२८,००० होती."
    assert parse("frwiki", "Dans le {{18e arrondissement de Paris}}, en 1932.").text == (
        "Dans le 18e arrondissement de Paris, en 1932."
    )


def test_category_and_file_names_no_table_knows_are_learnt_from_the_page() -> None:
    # A minidump wrapped in another wiki's <siteinfo> (enwiki's, as DBpedia's): Hausa's names
    # are in no table of that wiki (hawiki's own tables know "Rukuni", wikitext/sites.py).
    wikitext = (
        "Kano birni ne a Najeriya.\n\n[[Hoto:Kano.jpg|thumb|Birnin Kano]]\nWani abu.\n\n"
        "[[Rukuni:Birane]]\n[[Rukuni:Najeriya|Kano]]\n[[de:Kano]]\n"
    )
    parsed = parse_wikitext(wikitext, SiteInfo(dbname="enwiki", language="ha"), "Kano")
    assert parsed.text == "Kano birni ne a Najeriya.\n\nWani abu."
    assert parsed.categories == ("Birane", "Najeriya")
    assert parsed.images == 1
    assert parsed.warnings == {"category_namespace_learnt": 1, "file_namespace_learnt": 1}


def test_known_or_ambiguous_page_endings_teach_nothing() -> None:
    for ending in ("[[Category:Cities]]\n[[de:Kano]]", "[[Portal:Africa]]", "[[Kano]]"):
        parsed = parse("hawiki", f"Kano birni ne.\n\n[[Hoto:Kano.jpg|thumb|Birni]]\n{ending}\n")
        assert "category_namespace_learnt" not in parsed.warnings, ending
        assert "Birni" in parsed.text  # an unknown prefix stays a link: its caption is text


def test_numbers_are_grouped_as_each_wiki_shows_them() -> None:
    # ptwiki Portugal: {{fmtn|3319|km}}, {{formatnum:1430}}; MediaWiki shows "3 319 km"
    pt = parse("ptwiki", "Tem {{fmtn|3319|km}} de linhas, {{formatnum:1430}} eletrificados.")
    assert pt.text == "Tem 3 319 km de linhas, 1 430 eletrificados."
    assert parse("enwiki", "{{formatnum:1234567.5}} and {{formatnum:950}}").text == (
        "1,234,567.5 and 950"
    )
    assert parse("dewiki", "{{formatnum:1234567.5}}").text == "1.234.567,5"
    # es/pl group four digits only from five: "1234" but "12 345"
    assert parse("eswiki", "{{formatnum:1234}} y {{formatnum:12345}}").text == "1234 y 12 345"
    # frwiki Joséphine Baker: {{unité|37920|signatures}}
    assert parse("frwiki", "Elle rassemble {{unité|37920|signatures}}.").text == (
        "Elle rassemble 37 920 signatures."
    )
    assert parse("enwiki", "{{formatnum:12ab}}").text == "12ab"  # not a number: as it is


def test_a_quotes_translation_and_a_tagged_passage_are_shown() -> None:
    # dewiki Albert Einstein: {{Zitat|Text=...|Sprache=en|Übersetzung=...}}
    de = parse(
        "dewiki",
        "{{Zitat|Text=I will do it elegantly.|Sprache=en|Übersetzung=Ich werde dies elegant tun.}}",
    )
    assert de.text == "I will do it elegantly. Ich werde dies elegant tun."
    # enwiki Angela Merkel: a passage inside {{update after}}, and {{Trans}}
    en = parse(
        "enwiki",
        "It {{update after|2024|11|text=is set for release in 2024.}} "
        "Called {{Lang|de|Merkelkinder}} ({{Trans|children of Merkel}}).",
    )
    assert (
        en.text
        == "It is set for release in 2024. Called Merkelkinder (transl. children of Merkel)."
    )
    # frwiki Anarchisme: {{refsou|passage}}
    fr = parse("frwiki", "Ils {{refsou|développent une idée}}. {{refnec|date=mai 2020}}Fin.")
    assert fr.text == "Ils développent une idée. Fin."
