"""How much of MediaWiki's rendered body text wikipact's text holds: the measure behind
``test_rendered_html.py``, also runnable as a report of the paragraphs that miss::

    .venv/bin/python -m tests.wikitext.rendered_html        # from the repository root

It lives here, beside the test, rather than in ``bench/``: tests never import bench scripts and
bench scripts never import tests; this module imports only wikipact and lxml, and its ``__main__``
is the report.

The reference is the Wikimedia Enterprise article JSON of the shared corpus, which carries the
wikitext **and** MediaWiki's (Parsoid's) HTML of the same revision. For each article:

* **rendered paragraphs**: the ``<p>`` elements of the HTML body, except those inside a table,
  figure, gallery, infobox, navbox, sidebar, hatnote/bandeau, quote box, maintenance box,
  reference list or other ``NOT_BODY`` element, and hidden ones (``display:none``,
  ``mw-empty-elt``). Inside a paragraph, reference markers (``sup.reference``/``mw-ref``),
  ``<style>``/``<script>``, formulas (``mwe-math-element``: their TeX/MathML is not prose),
  coordinates, ``noprint`` pieces and maintenance markers (``need_ref_tag``:
  "[réf. nécessaire]") are removed first. Paragraphs with
  fewer than ``MIN_TOKENS`` tokens are not counted.
* **tokens**: NFKC-normalised, case-folded ``\\w+`` words; single ``\\w`` characters for languages
  written without spaces (ja, zh …).
* **covered**: a paragraph is covered when at least ``THRESHOLD`` (95 %) of its tokens, counted
  as a **multiset** (a word twice in the paragraph must be there twice), are found in a window of
  wikipact's text: the line of ``ParsedPage.text`` that shares most tokens with the paragraph,
  with ``WINDOW`` lines on each side (a paragraph wikipact splits at a ``<br>`` still counts).
  This is local on purpose: a paragraph whose common words happen to appear elsewhere in the
  article is not covered.
* **coverage** of an article: covered paragraphs / counted paragraphs.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import lxml.html

from wikipact.model.raw import SiteInfo
from wikipact.wikitext.document import parse_wikitext

ENTERPRISE_DIR = "original/wikimedia-enterprise+wikimedia-enterprise/api/main/dataset/articles"
THRESHOLD = 0.95
WINDOW = 1
MIN_TOKENS = 5
MIN_CHARS = 10  # for languages tokenised by characters
CHAR_LANGS = frozenset({"ja", "zh", "zh-yue", "zh-classical", "wuu", "th", "lo", "km", "my"})

# classes (any one) of an ancestor that takes a <p> out of the body text
NOT_BODY = frozenset(
    {
        "infobox",
        "infobox_v2",
        "infobox_v3",
        "navbox",
        "vertical-navbox",
        "sidebar",
        "hatnote",
        "dablink",
        "rellink",
        "bandeau-container",
        "bandeau-portail",
        "homonymie",
        "metadata",
        "ambox",
        "ombox",
        "mbox-small",
        "side-box",
        "sister-project",
        "portal",
        "portail",
        "noprint",
        "thumb",
        "thumbinner",
        "thumbcaption",
        "gallery",
        "toc",
        "references",
        "reflist",
        "refbegin",
        "mw-references-wrap",
        "quotebox",
        "mw-empty-elt",
        "shortdescription",
        "NavFrame",
        "NavContent",
        "navigation-not-searchable",
    }
)
NOT_BODY_TAGS = frozenset({"table", "figure", "figcaption", "aside", "nav", "footer", "header"})
# classes of elements removed from inside a paragraph before its text is read
REMOVED_CLASSES = frozenset(
    {
        "reference",
        "mw-ref",
        "mwe-math-element",
        "noprint",
        "need_ref_tag",
        "geo-default",
        "geo-dms",
        "geo-dec",
    }
)
REMOVED_IDS = frozenset({"coordinates"})
_HIDDEN = re.compile(r"display\s*:\s*none", re.IGNORECASE)
_WORD = re.compile(r"\w+")
_CHAR = re.compile(r"\w")


def tokens(text: str, lang: str) -> list[str]:
    """NFKC, case-folded word tokens; characters for languages without spaces."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return (_CHAR if lang in CHAR_LANGS else _WORD).findall(text)


def _classes(el: lxml.html.HtmlElement) -> set[str]:
    return set((el.get("class") or "").split())


def _hidden(el: lxml.html.HtmlElement) -> bool:
    return bool(_HIDDEN.search(el.get("style") or ""))


def _in_body(p: lxml.html.HtmlElement) -> bool:
    for el in [p, *p.iterancestors()]:
        if not isinstance(el.tag, str):
            continue
        if el.tag in NOT_BODY_TAGS or _hidden(el) or _classes(el) & NOT_BODY:
            return False
    return True


def rendered_paragraphs(html: str) -> list[str]:
    """The text of the body paragraphs of MediaWiki's HTML (see the module docstring)."""
    root = lxml.html.document_fromstring(html)
    for el in list(root.iter("style", "script", "link", "meta")):
        el.drop_tree()
    for el in list(root.iter()):
        if not isinstance(el.tag, str) or el.getparent() is None:
            continue
        if (
            _classes(el) & REMOVED_CLASSES
            or el.get("id") in REMOVED_IDS
            or (el.tag != "p" and _hidden(el))
        ):
            el.drop_tree()
    body = root.find("body")
    out: list[str] = []
    for p in (body if body is not None else root).iter("p"):
        if _in_body(p):
            text = " ".join(p.text_content().split())
            if text:
                out.append(text)
    return out


@dataclass
class Miss:
    paragraph: str
    coverage: float
    missing: list[str]  # tokens of the paragraph not found (multiset difference)


@dataclass
class ArticleCoverage:
    wiki: str
    lang: str
    title: str
    paragraphs: int
    covered: int
    misses: list[Miss] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.covered / self.paragraphs if self.paragraphs else 1.0


def coverage(paragraphs: list[str], text: str, lang: str) -> tuple[int, int, list[Miss]]:
    """(counted paragraphs, covered paragraphs, the misses) of ``paragraphs`` in ``text``."""
    lines = [Counter(tokens(line, lang)) for line in text.split("\n")]
    lines = [c for c in lines if c]
    minimum = MIN_CHARS if lang in CHAR_LANGS else MIN_TOKENS
    counted = covered = 0
    misses: list[Miss] = []
    for para in paragraphs:
        want = Counter(tokens(para, lang))
        size = sum(want.values())
        if size < minimum:
            continue
        counted += 1
        best = max(range(len(lines)), key=lambda i: sum((want & lines[i]).values()), default=-1)
        # the window's tokens are the sum of its lines (a word on two lines counts twice)
        window: Counter[str] = Counter()
        if best >= 0:
            for line in lines[max(0, best - WINDOW) : best + WINDOW + 1]:
                window.update(line)
        found = sum((want & window).values())
        share = found / size
        if share >= THRESHOLD:
            covered += 1
        else:
            misses.append(Miss(para, round(share, 3), sorted((want - window).elements())))
    return counted, covered, misses


def enterprise_articles(corpus: Path) -> list[Path]:
    return sorted((corpus / ENTERPRISE_DIR).glob("*/*.json"))


def measure(path: Path) -> ArticleCoverage | None:
    """Coverage of one Enterprise article JSON; None when it has no wikitext or no HTML."""
    data = json.loads(path.read_text("utf-8"))
    body = data.get("article_body") or {}
    wikitext, html = body.get("wikitext"), body.get("html")
    if not wikitext or not html:
        return None
    dbname = (data.get("is_part_of") or {}).get("identifier") or path.parent.name
    lang = (data.get("in_language") or {}).get("identifier") or "en"
    title = data["name"]
    parsed = parse_wikitext(wikitext, SiteInfo(dbname=dbname, language=lang), title)
    counted, covered, misses = coverage(rendered_paragraphs(html), parsed.text, lang)
    return ArticleCoverage(dbname, lang, title, counted, covered, misses)


def key_of(article: ArticleCoverage) -> str:
    return f"{article.wiki}/{article.title}"


def main(argv: list[str] | None = None) -> int:
    from tests.conftest import CORPUS

    args = sys.argv[1:] if argv is None else argv
    corpus = Path(args[0]) if args else CORPUS
    total = covered = 0
    for path in enterprise_articles(corpus):
        article = measure(path)
        if article is None:
            continue
        total += article.paragraphs
        covered += article.covered
        print(
            f"{key_of(article):<40} {article.covered:>4}/{article.paragraphs:<4} "
            f"{100 * article.share:6.2f}%"
        )
        for miss in article.misses:
            print(f"    [{100 * miss.coverage:.0f}%] missing {miss.missing[:12]}")
            print(f"        {miss.paragraph[:300]}")
    if total:
        print(f"overall {covered}/{total} {100 * covered / total:.2f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
