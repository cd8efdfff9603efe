"""Wikilinks and external links: text for the reader, structure for the record.

``[[...]]`` pairs are found with one stack pass (file captions nest links inside links), so
unbalanced brackets cost linear time and are simply dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import quote

from wikipact.model.article import ExternalLink, Link
from wikipact.wikitext import langdata
from wikipact.wikitext.context import MAX_DEPTH, Context
from wikipact.wikitext.markers import QUOTE_BREAK
from wikipact.wikitext.typography import title_bars

_PIPE_TRICK = re.compile(r"\s*\(.*\)$")
# a link with no link inside (single brackets are text: "[sic]", "[1]"); the inside is runs of
# non-brackets between single brackets (the unrolled form of (?:[^\[\]]|\[(?!\[)|\](?!\]))*,
# which is the same language but costs an alternation per character)
_SIMPLE_LINK = re.compile(r"\[\[([^\[\]]*(?:(?:\[(?!\[)|\](?!\]))[^\[\]]*)*)\]\]([^\W\d_]*)")
_EXTERNAL = re.compile(
    r"\[((?:https?:|ftp:|mailto:|//)[^\s\[\]<>\"]+)(?:[ \t\u00a0]+([^\]\n]*))?\]", re.I
)
# (?<![\w/=\"'])(?:https?|ftp)://... case-insensitively, written to start with a set of first
# characters (which the engine skips to quickly) rather than a look-behind; "ſ" is what folds to
# "s" under re.I.
_BARE_URL = re.compile(
    r"[hHfF](?<![\w/=\"'][hHfF])(?:(?<=[hH])[tT][tT][pP][sSſ]?|(?<=[fF])[tT][pP])"
    r"://[^\s\[\]<>\"|{}]+"
)
# Image options of any wiki (the fallback): the page's wiki's own ones (ctx.image_words,
# ctx.image_option: MediaWiki's names for that wiki, wikitext.sites) are tried first.
_IMAGE_OPTION = re.compile(
    r"^(?:thumb|thumbnail|frame|framed|frameless|border|right|left|center|centre|none|upright"
    r"|baseline|middle|sub|super|text-top|text-bottom|top|bottom|mini|miniatur|vignette|gauche"
    r"|droite|centré|redresse|links|rechts|zentriert|hochkant|rahmenlos|rahmen|сміни|міні|мини"
    r"|праворуч|ліворуч|справа|слева|центр|без|рамка|сверху|наверху|\d+px|x\d+px|\d+x\d+px"
    r"|\d*\s*пкс|upright\s*=.*|(?:alt|link|lang|page|class|thumbtime|start|end|upright|"
    r"verweis|lien|альт|ссылка|посилання|mini|sinistra|destra|miniatura|esquerda|direita|"
    r"izquierda|derecha|miniaturadaimagem|サムネイル|右|左|中央|なし)\s*=.*)$",
    re.I,
)


_URL_UNSAFE = re.compile(r'[%?#"<>\s]')
_IRI_SAFE = ":/(),!*@$;'&=+~"


def page_url(ctx: Context, target: str) -> str:
    """The page's URL as an IRI: non-ASCII letters stay as they are (RFC 3987), so that the
    thousands of links of a page cost no percent-encoding; characters that would end or break a
    URL are escaped."""
    path = target.replace(" ", "_")
    if _URL_UNSAFE.search(path):
        path = quote(path, safe=_IRI_SAFE)
    return f"{ctx.server}/wiki/{path}"


def normalize_target(target: str, ctx: Context) -> str:
    if "#" in target:
        target = target.split("#", 1)[0]
    if "_" in target:
        target = target.replace("_", " ")
    target = " ".join(target.split())
    if ctx.first_letter and target:
        target = target[:1].upper() + target[1:]
    return target


# the look-ahead (a colon before any bracket or bar) rejects most links in one quick scan
_PREFIXED_LINK = re.compile(r"\[\[(?=[^\[\]|:]*:)\s*([^:\[\]|\n]{1,40}?)\s*:\s*([^|\]\n]+)")


def file_order(text: str, ctx: Context) -> dict[str, int]:
    """Position of each file link in the text: links are resolved inside out, so the order in
    which images are met is not the reading order; this is."""
    order: dict[str, int] = {}
    for match in _PREFIXED_LINK.finditer(text):
        if match.group(1).casefold() in ctx.file_prefixes:
            order.setdefault(" ".join(match.group(2).replace("_", " ").split()), len(order))
    return order


def replace_links(text: str, ctx: Context, depth: int = 0, *, nesting: bool = True) -> str:
    """Wikilinks become their text; files, categories and interlanguage links are collected.

    Links without brackets inside are replaced by one regular-expression pass (most links);
    a link holding links (a file with a captioned link) is resolved by the next pass, from the
    inside out, at most ``MAX_DEPTH`` passes; brackets left unmatched are dropped.
    """
    if "[[" in text:
        for later in range(MAX_DEPTH):
            replaced = _SIMPLE_LINK.sub(_replacer(ctx, depth, nesting, bool(later)), text)
            nesting = True  # a second pass resolves links that held links
            if replaced == text:
                break
            text = replaced
            if "[[" not in text:
                break
    if "[[" in text and _PREFIXED_LINK.search(text):
        text = _OPEN_PREFIXED.sub(lambda m: _unclosed(m, ctx), text)
    if "[[" in text or "]]" in text:
        ctx.warn("unbalanced_brackets", text.count("[[") + text.count("]]"))
        if "|" in text:  # "[[Target|text" never closed: the reader sees "text"
            text = _OPEN_TARGET.sub("", text)
        text = text.replace("[[", "").replace("]]", "")
    if "[" in text and ("//" in text or "mailto:" in text.lower()):
        text = _EXTERNAL.sub(lambda m: _external(m, ctx), text)
    if "://" in text:
        text = _BARE_URL.sub(lambda m: _bare(m, ctx), text)
    return text


_OPEN_TARGET = re.compile(r"\[\[[^\[\]|\n]{0,255}\|")
# an unclosed "[[Prefix:..." and the rest of its line
_OPEN_PREFIXED = re.compile(r"\[\[\s*([^:\[\]|\n]{1,40}?)\s*:[^\n]*")


def _unclosed(match: re.Match[str], ctx: Context) -> str:
    """An unclosed file link (its ``]]`` forgotten) shows options and caption as text on the
    page; the line's rest is the image's, not prose: it goes. Other prefixes stay (as text)."""
    if match.group(1).casefold() in ctx.file_prefixes:
        ctx.warn("unclosed_file_link")
        return ""
    return match.group()


def _nested(match: re.Match[str]) -> bool:
    """Whether a link stands inside another one (an image caption): an unclosed ``[[`` before."""
    whole = match.string
    start = match.start()
    return whole.rfind("[[", 0, start) > whole.rfind("]]", 0, start)


def _replacer(
    ctx: Context, depth: int, nesting: bool, later: bool = False
) -> Callable[[re.Match[str]], str]:
    """The substitution for one pass of ``_SIMPLE_LINK``: a link's shown text plus its trail.

    An ordinary article link, ``[[Target]]`` or ``[[Target|label]]`` (most links of a page), is
    handled here; anything else (prefixes, several bars, line breaks) goes to ``_link``. Whether
    the link is nested (``nesting``: there may be file links holding links) is only looked up
    when it decides something: when the link would be collected.
    """

    def replace(match: re.Match[str]) -> str:
        inner, trail = match.groups()
        if later and not _is_file(inner, ctx):
            return _not_a_link(inner, ctx) + trail
        bar = inner.find("|")
        if ":" in inner or "\n" in inner or (bar >= 0 and inner.find("|", bar + 1) >= 0):
            shown = _link(inner, ctx, depth, collect=not (nesting and _nested(match)))
            return trail if shown is None else shown + trail
        target = (inner if bar < 0 else inner[:bar]).strip()
        if not target:
            return trail
        if bar < 0:
            display = shown = target
        else:
            display = inner[bar + 1 :]
            shown = display.strip()
            if not shown:
                display = _PIPE_TRICK.sub("", target)
                shown = display.strip()
        if ctx.collect_links and target[0] != "#":
            if nesting:  # _nested(match), inline: this runs for most links of a page
                whole = match.string
                start = match.start()
                if whole.rfind("[[", 0, start) > whole.rfind("]]", 0, start):
                    return display + trail
            ctx.links.append((target, shown))
        if "'" in display:
            display = _quotes_apart(display)
        return display + trail

    return replace


def _quotes_apart(display: str) -> str:
    """A link's text whose quote marks must not run together with those around the link:
    MediaWiki reads ``''[[X|''Y]]''`` as italics, not as the four quotes it would be as text."""
    if display[:1] == "'":
        display = QUOTE_BREAK + display
    if display[-1:] == "'":
        display += QUOTE_BREAK
    return display


def _is_file(inner: str, ctx: Context) -> bool:
    colon = inner.find(":")
    return colon > 0 and inner[:colon].strip().casefold() in ctx.file_prefixes


def _not_a_link(inner: str, ctx: Context) -> str:
    """Only a file's caption may hold links: a "link" that held links once they are resolved
    is an opening ``[[`` whose ``]]`` was forgotten, matched with a later stray ``]]`` (so it
    may span paragraphs). MediaWiki shows it as text; here its target goes, its text stays."""
    ctx.warn("unclosed_link")
    bar = inner.find("|")
    line_end = inner.find("\n")
    if bar >= 0 and (line_end < 0 or bar < line_end):
        return inner[bar + 1 :]
    return inner


def _external(match: re.Match[str], ctx: Context) -> str:
    url, label = match.group(1), title_bars((match.group(2) or "").strip())
    if ctx.collect_links:
        ctx.external_links.append(
            ExternalLink(url=url, text=label) if label else ExternalLink(url=url)
        )
    return label


def _bare(match: re.Match[str], ctx: Context) -> str:
    url = match.group().rstrip(".,;:!?)")
    if ctx.collect_links:
        ctx.external_links.append(ExternalLink(url=url))
    return match.group()[len(url) :]


def _split_link(inner: str) -> list[str]:
    if "|" not in inner:
        return [inner]
    if "[[" not in inner and "{{" not in inner:
        return inner.split("|")
    from wikipact.wikitext.templates import split_params

    return split_params(inner)


def _link(inner: str, ctx: Context, depth: int, collect: bool = True) -> str | None:
    if ":" not in inner and inner.count("|") <= 1 and "\n" not in inner:
        # an ordinary article link, [[Target]] or [[Target|label]]: most links of a page
        bar = inner.find("|")
        target = (inner if bar < 0 else inner[:bar]).strip()
        if not target:
            return None
        display = target if bar < 0 else inner[bar + 1 :]
        if bar >= 0 and not display.strip():
            display = _PIPE_TRICK.sub("", target)
        if collect and ctx.collect_links and target[0] != "#":
            ctx.links.append((target, display.strip()))
        return display
    if depth >= MAX_DEPTH:
        ctx.warn("link_nesting_too_deep")
        return ""
    parts = _split_link(inner)
    target = parts[0].strip()
    if not target or ("\n" in target and len(target) > 256):
        return None
    leading_colon = target.startswith(":")
    if leading_colon:
        target = target[1:].strip()
    prefix, colon, rest = target.partition(":")
    prefix_key = prefix.strip().casefold()
    if colon and not leading_colon:
        if prefix_key in ctx.file_prefixes:
            _image(rest, parts[1:], ctx, depth)
            return None
        if prefix_key in ctx.category_prefixes:
            if collect and ctx.collect_links:
                ctx.categories.setdefault(" ".join(rest.replace("_", " ").split()), None)
            return None
        if prefix_key in langdata.INTERWIKI_LANGUAGE_CODES:
            return None  # interlanguage link: not part of the text
    if (
        leading_colon
        and colon
        and len(parts) == 1
        and (prefix_key in ctx.category_prefixes or prefix_key in ctx.file_prefixes)
    ):
        target = rest.strip()  # [[:Category:X]] reads as the category's name
    display = parts[-1] if len(parts) > 1 else target
    if leading_colon and colon and prefix_key in ctx.category_prefixes and len(parts) > 1:
        shown_prefix, shown_colon, shown_rest = display.partition(":")
        if shown_colon and shown_prefix.strip().casefold() in ctx.category_prefixes:
            display = shown_rest  # [[:Category:X|Category:X]] reads as X
    if len(parts) > 1 and not display.strip():  # pipe trick: [[Paris (France)|]] -> Paris
        display = re.sub(
            r"\s*\(.*\)$",
            "",
            rest if colon and prefix_key in langdata.INTERWIKI_PROJECT_PREFIXES else target,
        )
    if "[[" in display:
        display = replace_links(display, ctx, depth + 1)
    if colon and (
        prefix_key in langdata.INTERWIKI_PROJECT_PREFIXES
        or prefix_key in langdata.INTERWIKI_LANGUAGE_CODES
    ):
        if len(parts) > 1:
            return display
        inner_prefix, inner_colon, inner_rest = rest.partition(":")
        key = inner_prefix.strip().casefold()
        if inner_colon and (key in ctx.category_prefixes or key in ctx.file_prefixes):
            return inner_rest.strip()  # [[:en:Category:X]] reads as X, like [[:Category:X]]
        return rest
    if collect and ctx.collect_links and target and not target.startswith("#"):
        ctx.links.append((target, display.strip()))
    return display


def make_links(found: list[tuple[str, str]], ctx: Context) -> list[Link]:
    """``Link`` records for the (target, text) pairs met, normalising each target once a page."""
    first_letter, server = ctx.first_letter, ctx.server
    cache = ctx.link_targets  # shared by the page's text, infoboxes, references and tables
    links: list[Link] = []
    for target, text in found:
        resolved = cache.get(target)
        if resolved is None:
            resolved = cache[target] = _name_and_url(target, first_letter, server)
        links.append(Link(name=resolved[0], url=resolved[1], text=text))
    return links


def _name_and_url(target: str, first_letter: bool, server: str) -> tuple[str, str]:
    """``normalize_target`` and ``page_url`` in one call (they run for every link of a page)."""
    if "#" in target:
        target = target.split("#", 1)[0]
    if "_" in target:
        target = target.replace("_", " ")
    name = " ".join(target.split())
    if first_letter and name:
        name = name[:1].upper() + name[1:]
    path = name.replace(" ", "_")
    if _URL_UNSAFE.search(path):
        path = quote(path, safe=_IRI_SAFE)
    return name, f"{server}/wiki/{path}"


def _image(name: str, options: list[str], ctx: Context, depth: int) -> None:
    name = " ".join(name.replace("_", " ").split())
    caption: str | None = None
    alt: str | None = None
    words, own, alt_prefixes = ctx.image_words, ctx.image_option, ctx.alt_prefixes
    for option in options:
        stripped = option.strip()
        if not stripped or stripped in words:
            continue
        if stripped.casefold().startswith(alt_prefixes):
            alt = stripped.split("=", 1)[1].strip()
        elif (own is None or not own.match(stripped)) and not _IMAGE_OPTION.match(stripped):
            caption = stripped
    if caption is not None:
        from wikipact.wikitext.inline import clean_fragment

        caption, _ = clean_fragment(caption, ctx, depth + 1, collect=False)
    ctx.images.append((name, caption or None, alt or None))
