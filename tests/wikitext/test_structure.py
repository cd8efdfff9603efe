"""Structure on real pages: every <ref> accounted for, claims point into the text, sentences
split in several scripts, infoboxes and tables found."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import DATA, ENWIKI_PLAIN
from wikipact import open_dump
from wikipact.model.article import Article
from wikipact.wikitext import parse_article
from wikipact.wikitext.sentences import split_sentences

_COMMENT = re.compile(r"<!--.*?-->", re.S)
_REF = re.compile(r"<ref\b([^>]*?)(/?)>", re.I)
_NAME = re.compile(r"""name\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'/>]+))""", re.I)
_TAG_REF = re.compile(r"\{\{\s*#tag:\s*ref\s*\|", re.I)
_NOWIKI = re.compile(r"<nowiki>.*?</nowiki>|<pre>.*?</pre>", re.S | re.I)


def distinct_refs(wikitext: str) -> int:
    """Distinct references as a reader counts them: named refs once, anonymous refs each."""
    text = _NOWIKI.sub("", _COMMENT.sub("", wikitext))
    names: set[str] = set()
    anonymous = 0
    for match in _REF.finditer(text):
        name = _NAME.search(match.group(1))
        if name:
            names.add(next(g for g in name.groups() if g is not None).strip())
        elif not match.group(2):
            anonymous += 1
    return len(names) + anonymous + len(_TAG_REF.findall(text))


def _articles(path: Path) -> list[tuple[str, Article]]:
    dump = open_dump(path)
    return [
        (p.latest.text, parse_article(p, dump.site))
        for p in dump.pages()
        if p.namespace == 0 and p.redirect_title is None
    ]


GOLDEN = sorted((DATA / "golden").glob("*.xml"))


@pytest.mark.parametrize("path", [ENWIKI_PLAIN, *GOLDEN], ids=lambda p: p.stem)
def test_every_ref_is_accounted_for(path: Path) -> None:
    for wikitext, article in _articles(path):
        refs = [r for r in article.references if r.type not in ("short", "note")]
        identifiers = [r.identifier for r in article.references]
        assert len(identifiers) == len(set(identifiers)), article.name
        assert len(refs) == distinct_refs(wikitext), article.name


@pytest.mark.parametrize("path", [ENWIKI_PLAIN, *GOLDEN], ids=lambda p: p.stem)
def test_claims_are_exact_spans_backed_by_known_references(path: Path) -> None:
    for _, article in _articles(path):
        known = {r.identifier for r in article.references}
        for claim in article.claims:
            assert article.text[claim.start : claim.end] == claim.text
            assert claim.citations and set(claim.citations) <= known


def test_anarchism_claims_and_citations() -> None:
    [(_, article)] = [a for a in _articles(ENWIKI_PLAIN) if a[1].name == "Anarchism"]
    assert len(article.references) > 100
    assert len(article.claims) > 100
    first = article.claims[0]
    assert first.section == "Abstract"
    assert first.text.startswith("Anarchism is generally defined as the political philosophy")
    definition = next(r for r in article.references if r.identifier == first.citations[0])
    assert definition.metadata.get("title") == "Towards Anarchism"
    assert definition.type == "journal"


def test_infobox_and_tables_on_a_real_page() -> None:
    articles = {a.name: a for _, a in _articles(ENWIKI_PLAIN)}
    einstein = articles["Albert Einstein"]
    [infobox] = [i for i in einstein.infoboxes if "scientist" in i.name.lower()]
    fields = {p.name: p.value for p in infobox.has_parts[0].has_parts}
    assert "Ulm" in fields["birth_place"]
    assert einstein.image is not None and einstein.image.name.endswith(".jpg")
    assert any(t.rows for a in articles.values() for t in a.tables)


@pytest.mark.parametrize(
    ("language", "text", "count"),
    [
        ("en", "Dr. Smith arrived at 5 p.m. on Monday. He met J. R. R. Tolkien. Was it late?", 3),
        ("de", "Er wurde am 1. Januar 1900 geboren. Danach zog er z. B. nach Berlin.", 2),
        ("ja", "吉田秋生は漫画家。東京都出身である。1977年に活動開始！", 3),
        ("el", "Η Αθήνα είναι πρωτεύουσα. Είναι μεγάλη; Ναι.", 3),
        ("uk", "Київ — столиця України. Місто засноване в V ст. н. е. на Дніпрі.", 2),
        ("mr", "पुणे हे शहर आहे. ते महाराष्ट्रात आहे।", 2),
        ("hy", "Բեռլինը Գերմանիայի մայրաքաղաքն է։ Այն մեծ քաղաք է։", 2),
        ("ur", "برلن جرمنی کا دار الحکومت ہے۔ یہ بڑا شہر ہے۔", 2),
        ("ar", "هل برلين عاصمة ألمانيا؟ نعم. إنها مدينة كبيرة.", 3),
        ("am", "በርሊን የጀርመን ዋና ከተማ ናት። ትልቅ ከተማ ናት።", 2),
    ],
)
def test_sentences_in_several_scripts(language: str, text: str, count: int) -> None:
    spans = split_sentences(text, language)
    assert len(spans) == count, [text[s:e] for s, e in spans]
    assert all(text[s:e].strip() == text[s:e] for s, e in spans)
