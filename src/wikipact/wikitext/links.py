"""Wikilinks and external links: text for the reader, structure for the record.

``[[...]]`` pairs are found with one stack pass (file captions nest links inside links), so
unbalanced brackets cost linear time and are simply dropped.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from wikipact.model.article import ExternalLink, Link
from wikipact.wikitext import langdata
from wikipact.wikitext.context import MAX_DEPTH, Context

_BRACKETS = re.compile(r"\[\[|\]\]")
_TRAIL = re.compile(r"[^\W\d_]+", re.U)  # letters glued after ]] belong to the link text
_EXTERNAL = re.compile(
    r"\[((?:https?:|ftp:|mailto:|//)[^\s\[\]<>\"]+)(?:[ \t\u00a0]+([^\]\n]*))?\]", re.I
)
_BARE_URL = re.compile(r"(?<![\w/=\"'])(?:https?|ftp)://[^\s\[\]<>\"|{}]+", re.I)
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


def _pairs(text: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    stack: list[int] = []
    pairs: list[tuple[int, int]] = []
    stray: list[tuple[int, int]] = []
    for match in _BRACKETS.finditer(text):
        if match.group() == "[[":
            stack.append(match.start())
        elif stack:
            start = stack.pop()
            if not stack:
                pairs.append((start, match.end()))
        else:
            stray.append((match.start(), match.end()))
    stray.extend((p, p + 2) for p in stack)
    if stack and pairs:  # links nested under an unmatched [[ are top-level after all
        pairs = _rescan_under(text, stack, pairs)
    return pairs, sorted(stray)


def _rescan_under(
    text: str, unmatched: list[int], pairs: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    stack: list[int] = []
    bad = set(unmatched)
    for match in _BRACKETS.finditer(text):
        if match.group() == "[[":
            if match.start() not in bad:
                stack.append(match.start())
        elif stack:
            start = stack.pop()
            if not stack:
                found.append((start, match.end()))
    return found


_URL_UNSAFE = re.compile(r'[%?#"<>\s]')


def page_url(ctx: Context, target: str) -> str:
    """The page's URL as an IRI: non-ASCII letters stay as they are (RFC 3987), so that the
    thousands of links of a page cost no percent-encoding; characters that would end or break a
    URL are escaped."""
    path = target.replace(" ", "_")
    if _URL_UNSAFE.search(path):
        path = quote(path, safe=":/(),!*@$;'&=+~")
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


def replace_links(text: str, ctx: Context, depth: int = 0) -> str:
    """Wikilinks become their text; files, categories and interlanguage links are collected."""
    if "[[" in text or "]]" in text:
        pairs, stray = _pairs(text)
        if stray:
            ctx.warn("unbalanced_brackets", len(stray))
        events = sorted([(s, e, True) for s, e in pairs] + [(s, e, False) for s, e in stray])
        out: list[str] = []
        last = 0
        for start, end, is_link in events:
            if start < last:
                continue
            out.append(text[last:start])
            last = end
            if not is_link:
                continue
            shown = _link(text[start + 2 : end - 2], ctx, depth)
            if shown is None:
                continue
            trail = _TRAIL.match(text, end)
            if trail and shown:
                shown += trail.group()
                last = trail.end()
            out.append(shown)
        out.append(text[last:])
        text = "".join(out)
    if "[" in text and ("//" in text or "mailto:" in text.lower()):
        text = _EXTERNAL.sub(lambda m: _external(m, ctx), text)
    if "://" in text:
        text = _BARE_URL.sub(lambda m: _bare(m, ctx), text)
    return text


def _external(match: re.Match[str], ctx: Context) -> str:
    url, label = match.group(1), (match.group(2) or "").strip()
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


def _link(inner: str, ctx: Context, depth: int) -> str | None:
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
            if ctx.collect_links:
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
        return display if len(parts) > 1 else rest
    if ctx.collect_links and target and not target.startswith("#"):
        name = normalize_target(target, ctx)
        ctx.links.append(Link(name=name, url=page_url(ctx, name), text=display.strip()))
    return display


def _image(name: str, options: list[str], ctx: Context, depth: int) -> None:
    name = " ".join(name.replace("_", " ").split())
    caption: str | None = None
    alt: str | None = None
    for option in options:
        stripped = option.strip()
        if stripped.casefold().startswith(("alt=", "альт=")):
            alt = stripped.split("=", 1)[1].strip()
        elif stripped and not _IMAGE_OPTION.match(stripped):
            caption = stripped
    if caption is not None:
        from wikipact.wikitext.inline import clean_fragment

        caption, _ = clean_fragment(caption, ctx, depth + 1, collect=False)
    ctx.images.append((name, caption or None, alt or None))
