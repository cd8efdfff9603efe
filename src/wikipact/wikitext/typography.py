"""Literal characters that stand for something else: what readers read, written as such.

Three cases, each a pure function over text that is already plain:

* ``title_bars``: a vertical bar in a web page's title ("Page | Site | 2017") separates its parts;
  in an external link's label or a citation's title it becomes an en dash.
* ``dandas``: in Indic scripts editors type ``|`` and ``||`` for the danda and double danda that
  end a verse or sentence (U+0964, U+0965); after a letter of those scripts they become them.
* ``unescape_visual_editor``: the visual editor wraps wiki markup typed into it in ``<nowiki>``
  (``<nowiki>[[Page]]</nowiki>``, ``<nowiki>''word''</nowiki>``, ``<nowiki><ref></nowiki>``,
  copied Parsoid HTML with ``id="mw…"``); the page then shows the markup itself. Such content
  keeps its words and loses the markup. Content that is only punctuation (``'``, ``|``, ``[``)
  is what ``<nowiki>`` is for and stays as it is.
"""

from __future__ import annotations

import re

_TITLE_BAR = re.compile(r"\s*\|\s*")

# Devanagari to Sinhala (U+0900-U+0DFF) share the danda; their digits are told apart ("१०|२०"
# is a range of numbers, not a verse end).
_INDIC = re.compile(r"[\u0900-\u0dff]")
_INDIC_DIGIT = re.compile(
    r"[\u0966-\u096f\u09e6-\u09ef\u0a66-\u0a6f\u0ae6-\u0aef\u0b66-\u0b6f"
    r"\u0be6-\u0bef\u0c66-\u0c6f\u0ce6-\u0cef\u0d66-\u0d6f\u0de6-\u0def]"
)
_BARS = re.compile(r"\|\|?")
_BEFORE_SKIP = " \t:.…"

_VE_MARKUP = re.compile(r"\[\[|\]\]|\{\{|\}\}|''|<[a-zA-Z/][^<>]*>|^\s*\|\s*[\w-]+\s*=")
_VE_LINK = re.compile(r"\[\[(?:[^\[\]|]*\|)?([^\[\]]*)\]\]")
_VE_TEMPLATE = re.compile(r"\{\{?[^{}]*\}\}")
_VE_PARAMS = re.compile(r"\s*\|\s*[\w-]+\s*=[^|]*")
_VE_JUNK = re.compile(r"<[^<>]*>|\[\[|\]\]|\{\{?|\}\}?|'{2,}")
_LETTER = re.compile(r"[^\W\d_]")


def title_bars(text: str) -> str:
    """``"Page | Site"`` → ``"Page – Site"`` (for labels and titles only, never for prose)."""
    if "|" not in text:
        return text
    return _TITLE_BAR.sub(" – ", text).strip(" –")


def dandas(text: str) -> str:
    """``"यथा | तथा ||"`` → ``"यथा । तथा ॥"``: a bar (or two) next to Indic text, past a space or
    a colon, is a danda; between two Indic digits, or in Latin text, it stays a bar."""
    if "|" not in text or not _INDIC.search(text):
        return text
    return _BARS.sub(_danda, text)


def _danda(match: re.Match[str]) -> str:
    text = match.string
    start, end = match.span()
    i = start - 1
    while i >= 0 and start - i <= 4 and text[i] in _BEFORE_SKIP:
        i -= 1
    before = text[i] if i >= 0 else "\n"
    after = text[end + 1] if text[end : end + 1] in (" ", "\t") else text[end : end + 1]
    if _INDIC.match(before) is None and not (before == "\n" and _INDIC.match(after or " ")):
        return match.group()
    if (
        start
        and end < len(text)
        and _INDIC_DIGIT.match(text[start - 1])
        and _INDIC_DIGIT.match(text[end])
    ):
        return match.group()  # "१०|२०": numbers
    return "॥" if end - start == 2 else "।"


def unescape_visual_editor(content: str) -> str | None:
    """The words of ``<nowiki>`` content that is escaped wiki markup, or None to keep it as is."""
    if not _VE_MARKUP.search(content) or not _LETTER.search(content):
        return None
    if "=" in content and "|" in content:
        content = _VE_PARAMS.sub("", content)
    if "}}" in content:
        content = _VE_TEMPLATE.sub("", content)
    if "[[" in content:
        content = _VE_LINK.sub(r"\1", content)
    return _VE_JUNK.sub("", content)


# -{...}-: the language converter's markup (zh, sr, kk, ...). Its content has no braces.
_CONVERTER = re.compile(r"-\{([^{}]*)\}-")
_FLAGS = re.compile(  # "A|", "H;T|", or variants the text is limited to: "zh-hans;zh-hant|"
    r"^\s*((?:[AHTRDN\-]\s*;?\s*){1,6}|[a-z]{2,3}(?:-[a-z]{2,4})?(?:\s*;\s*[a-z]{2,3}(?:-[a-z]{2,4})?)*)"
    r"\s*\|"
)
_VARIANT = re.compile(r"^\s*[a-z]{2,3}(?:-[a-z]{2,4})?\s*:")
_FLAG_LETTERS = frozenset("AHTRDN-")
_HIDDEN_FLAGS = frozenset("HT-")  # rules or a title only: nothing is shown


def language_variants(text: str) -> str:
    """``-{…}-`` as a reader of the wiki's first listed variant sees it.

    ``-{text}-`` shows its text; ``-{zh-hans:甲;zh-hant:乙}-`` its first variant; ``-{A|…}-`` and
    ``-{R|…}-`` show their content; ``-{H|…}-``, ``-{T|…}-`` and ``-{-|…}-`` only set rules.
    """
    if "-{" not in text:
        return text
    return _CONVERTER.sub(_variant, text)


def _variant(match: re.Match[str]) -> str:
    content = match.group(1)
    flags = _FLAGS.match(content)
    if flags and not _VARIANT.match(content):
        letters = set(flags.group(1).replace(";", "").replace(" ", ""))
        if letters <= _FLAG_LETTERS and letters & _HIDDEN_FLAGS:
            return ""
        content = content[flags.end() :]
    if _VARIANT.match(content):
        first = content.split(";", 1)[0]
        return first.split(":", 1)[1].strip() if "=>" not in first else ""
    return content
