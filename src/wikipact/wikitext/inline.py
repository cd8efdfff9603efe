"""Inline markup that is neither a template nor a link: quotes, HTML tags, magic words, entities."""

from __future__ import annotations

import html
import re

from wikipact.model.article import Link
from wikipact.wikitext.context import Context
from wikipact.wikitext.links import make_links, replace_links
from wikipact.wikitext.markers import KEEP_MARKER, QUOTE_BREAK, REF_MARKER
from wikipact.wikitext.templates import expand
from wikipact.wikitext.typography import dandas

_QUOTE_RUNS = re.compile(r"('{2,})")
_QUOTES = re.compile(r"''+")  # not "'{2,}": a literal first makes the search fast
_MAGIC = re.compile(r"__[^\W_](?:[^\s_]|_(?!_))*__", re.U)
_DROP_CONTENT = re.compile(r"<(includeonly)\b[^>]*>.*?</\1\s*>", re.I | re.S)
_BREAK = re.compile(r"<br\b[^<>]*>|</br\s*>", re.I)
_HTML_TAG = re.compile(
    r"</?(?:span|div|sup|sub|small|big|b|i|u|s|strike|del|ins|em|strong|abbr|blockquote|center"
    r"|font|p|cite|q|tt|var|kbd|samp|bdi|bdo|mark|wbr|hr|dfn|time|data|ruby|rb|rt|rp|rtc"
    r"|noinclude|onlyinclude|includeonly|poem|section|templatestyles|li|ul|ol|dl|dt|dd|h[1-6]"
    r"|caption|table|tr|td|th|tbody|thead|tfoot|nowiki|references|ref|code|tt|pre)\b[^>]*>",
    re.I,
)
_SPACE_RUN = re.compile(r"[ \t][ \t]+")
# No-break and other fixed-width spaces become plain spaces: text for models, not typesetting.
_ODD_SPACES = ("\u00a0", "\u202f", "\u2007", "\u2009")


# Any of [{}[]<&], odd spaces, markers, '' __ or :// (one set of first characters, which the
# regular-expression engine skips to quickly; the pairs are checked by looking back).
_NEEDS_WORK = re.compile(
    r"[{}\[\]<&\u00a0\u202f\u2007\u2009\ue000-\ue003\ue006'_:]"
    r"(?:(?<=')'|(?<=_)_|(?<=:)//|(?<=[^'_:]))"
)


def strip_formatting(text: str) -> str:
    """Remove bold/italic quotes, HTML tags (keeping their text) and behaviour switches."""
    if "<" in text:
        if "includeonly" in text:
            text = _DROP_CONTENT.sub("", text)
        text = _BREAK.sub(" ", text)
        text = _HTML_TAG.sub("", text)
    if "''" in text:
        text = strip_quotes(text)
    if QUOTE_BREAK in text:
        text = text.replace(QUOTE_BREAK, "")
    if "__" in text:
        text = _MAGIC.sub("", text)
    return text


def strip_quotes(text: str) -> str:
    """Bold and italic quotes removed line by line, the apostrophes among them kept.

    As MediaWiki reads them (``Parser::doQuotes``): four quotes are an apostrophe and a bold
    mark (``L''''Autriche'''`` reads "L'Autriche"), more than five are apostrophes and a bold
    italic mark, and when a line holds an odd number of both bold and italic marks, one bold
    mark is an apostrophe and an italic mark (``l'''Iliade''`` reads "l'Iliade").
    """
    if "'''" not in text:  # italic marks only: no apostrophe among them
        return _QUOTES.sub("", text)
    pieces: list[str] = []
    done = 0
    bold = text.find("'''")
    while bold >= 0:  # lines with a bold mark, one by one; the lines between hold italics only
        start = text.rfind("\n", 0, bold) + 1
        end = text.find("\n", bold)
        end = len(text) if end < 0 else end
        pieces.append(_QUOTES.sub("", text[done:start]))
        pieces.append(_line_without_quotes(text[start:end]))
        done = end
        bold = text.find("'''", end)
    pieces.append(_QUOTES.sub("", text[done:]))
    return "".join(pieces)


def _line_without_quotes(line: str) -> str:
    parts = _QUOTE_RUNS.split(line)  # text, run, text, run ..., text
    italics = bold = 0
    for i in range(1, len(parts), 2):
        size = len(parts[i])
        if size == 4:
            parts[i - 1] += "'"
            size = 3
        elif size > 5:
            parts[i - 1] += "'" * (size - 5)
            size = 5
        parts[i] = "'" * size
        italics += size != 3
        bold += size != 2
    if italics % 2 and bold % 2:
        # the bold mark after a one-letter word turns into an apostrophe, else the first one
        # after a longer word, else the first one after a space
        single = multi = space = -1
        for i in range(1, len(parts), 2):
            if len(parts[i]) != 3:
                continue
            before = parts[i - 1]
            if before[-1:] == " ":
                space = i if space < 0 else space
            elif before[-2:-1] == " ":
                single = i
                break
            elif multi < 0:
                multi = i
        chosen = single if single >= 0 else multi if multi >= 0 else space
        if chosen >= 0:
            parts[chosen - 1] += "'"
    return "".join(parts[0::2])


_CELL_ATTRIBUTES = re.compile(r"""^\s*(?:[\w:-]+\s*=\s*(?:"[^"]*"|'[^']*'|[^\s|]+)\s*)*\|(?!\|)""")


def table_cells(text: str) -> str:
    """A table inside a fragment (an infobox value built with ``{{(!}}``, a caption) as the text
    of its cells, one per line: its markup is not text."""
    lines = []
    depth = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped.startswith("{|"):
            depth += 1
            continue
        if depth and stripped.startswith("|}"):
            depth -= 1
            continue
        if not depth:
            lines.append(line)
        elif stripped.startswith(("|-", "|+")):
            continue
        elif stripped[:1] in ("|", "!"):
            cells = stripped[1:].replace("!!", "||").split("||")
            lines.extend(_CELL_ATTRIBUTES.sub("", cell, count=1).strip() for cell in cells)
        else:
            lines.append(line)
    return "\n".join(lines)


def finish(text: str, ctx: Context) -> str:
    """Entities decoded, protected content put back, spaces collapsed."""
    if "\ue002" in text:
        text = KEEP_MARKER.sub(lambda m: ctx.protected.pieces[int(m.group(1))], text)
    if "&" in text:
        text = html.unescape(text)
    for odd in _ODD_SPACES:
        if odd in text:
            text = text.replace(odd, " ")
    if "  " in text:
        text = _SPACE_RUN.sub(" ", text)
    if "|" in text:
        text = dandas(text)
    return text.strip()


def clean_fragment(
    raw: str, ctx: Context, depth: int, *, collect: bool = True
) -> tuple[str, list[Link]]:
    """Fully clean a piece of wikitext (an infobox value, a caption, a reference).

    Returns the plain text and the wikilinks found in it. Ref markers inside are dropped.
    """
    if not _NEEDS_WORK.search(raw):  # most citation fields and infobox values: plain words
        return " ".join(raw.split()), []
    saved_links, saved_flag = ctx.links, ctx.collect_links
    ctx.links = []
    ctx.collect_links = collect and saved_flag
    try:
        text = expand(raw, ctx, depth)
        if "{|" in text:
            text = table_cells(text)
        text = replace_links(text, ctx, depth)
        text = strip_formatting(text)
        if "\ue000" in text:
            text = REF_MARKER.sub("", text)
        text = finish(" ".join(text.split()), ctx)
        found = make_links(ctx.links, ctx)
    finally:
        ctx.links = saved_links
        ctx.collect_links = saved_flag
    return text, found
