"""Comments, extension tags and ``<ref>`` elements, found in one linear pass each.

Regular expressions such as ``<ref>.*?</ref>`` go quadratic on unclosed tags (each opening tag
scans to the end of the page); here the opening and closing tags are found as tokens first and
paired in order, so 10,000 unclosed ``<ref>`` cost the same as 10,000 closed ones.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_left
from dataclasses import dataclass, field

from wikipact.wikitext.markers import STRAY, STRAY_CODES, keep_marker, ref_marker
from wikipact.wikitext.texmath import tex_to_text
from wikipact.wikitext.typography import unescape_visual_editor

_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.S)

# Extension tags whose content is not wikitext. "keep": the content is text (restored verbatim);
# "drop": the content is not prose (galleries, graphs, timelines, score ...).
PROTECTED_TAGS: dict[str, str] = {
    "nowiki": "keep",
    "pre": "keep",
    "math": "keep",
    "chem": "keep",
    "ce": "keep",
    "syntaxhighlight": "drop",  # program code: not prose (tables go to tables[], code goes)
    "source": "drop",
    "hiero": "keep",
    "code": "wikitext",  # inline: parsed like any text; a code line of its own is a block: goes
    "gallery": "drop",
    "imagemap": "drop",
    "timeline": "drop",
    "graph": "drop",
    "score": "drop",
    "templatedata": "drop",
    "maplink": "drop",
    "mapframe": "drop",
    "categorytree": "drop",
    "inputbox": "drop",
    "charinsert": "drop",
    "templatestyles": "drop",
    "indicator": "drop",
}
_PROTECTED_TOKEN = re.compile(r"<(/?)(" + "|".join(PROTECTED_TAGS) + r")\b([^>]*?)(/?)>", re.I)
_REF_TOKEN = re.compile(r"<(/?)(ref|references)\b([^>]*?)(/?)>", re.I)
_PARAGRAPH_BREAK = re.compile(r"\n\n")
_ATTR = re.compile(r"""(\w+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'/>]+))""")


def strip_comments(text: str) -> str:
    """Remove ``<!-- ... -->`` (an unclosed comment runs to the end, as in MediaWiki)."""
    if any(code in text for code in STRAY_CODES):  # four str scans beat one regex search
        text = STRAY.sub("", text)
    return _COMMENT.sub("", text) if "<!--" in text else text


@dataclass
class Protected:
    """Content taken out of the wikitext before parsing, to be restored in the output."""

    pieces: list[str] = field(default_factory=list)

    def add(self, content: str) -> str:
        self.pieces.append(content)
        return keep_marker(len(self.pieces) - 1)


def protect_tags(text: str, protected: Protected, counts: dict[str, int]) -> str:
    """Replace extension tags by markers (kept content) or nothing (dropped content)."""
    if "<" not in text:
        return text
    tokens = list(_PROTECTED_TOKEN.finditer(text))
    if not tokens:
        return text
    closers: dict[str, list[int]] = {}
    for index, token in enumerate(tokens):
        if token.group(1):
            closers.setdefault(token.group(2).lower(), []).append(index)
    out: list[str] = []
    last = 0
    i = 0
    while i < len(tokens):
        token = tokens[i]
        closing, name, _attrs, selfclosing = token.groups()
        name = name.lower()
        if closing:  # a stray closing tag: drop it
            out.append(text[last : token.start()])
            last = token.end()
            i += 1
            continue
        out.append(text[last : token.start()])
        if selfclosing:
            last = token.end()
            i += 1
            continue
        candidates = closers.get(name, [])
        k = bisect_left(candidates, i + 1)
        if k == len(candidates):  # unclosed: MediaWiki shows the tag as text; we drop the tag
            counts["unclosed_" + name] = counts.get("unclosed_" + name, 0) + 1
            last = token.end()
            i += 1
            continue
        j = candidates[k]
        content = text[token.end() : tokens[j].start()]
        if name in ("math", "chem", "ce", "code") and _display_block(
            text, token, tokens[j], _attrs
        ):
            counts["display_" + name] = counts.get("display_" + name, 0) + 1
            last = tokens[j].end()
            i = j + 1
            continue  # a displayed formula is a block of its own, not prose (like a table)
        if PROTECTED_TAGS[name] == "wikitext":  # not protected after all: leave it in place
            out.append(text[token.start() : tokens[j].end()])
            last = tokens[j].end()
            i = j + 1
            continue
        if PROTECTED_TAGS[name] == "keep":
            if name == "nowiki":
                content = html.unescape(content)
                words = unescape_visual_editor(content)
                if words is not None:
                    counts["nowiki_markup"] = counts.get("nowiki_markup", 0) + 1
                    content = words
            elif name in ("math", "chem", "ce"):
                content = tex_to_text(content)
            out.append(protected.add(content))
        last = tokens[j].end()
        i = j + 1
    out.append(text[last:])
    return "".join(out)


def _display_block(text: str, start: re.Match[str], end: re.Match[str], attrs: str) -> bool:
    """A formula shown on a line of its own (``display="block"``, or alone on its line)."""
    if "block" in attrs.lower():
        return True
    line_start = text.rfind("\n", 0, start.start()) + 1
    line_end = text.find("\n", end.end())
    line_end = len(text) if line_end < 0 else line_end
    before = text[line_start : start.start()].strip(" \t:")
    after = text[end.end() : line_end].strip(" \t.,;")
    return not before and not after


@dataclass
class RawRef:
    """A reference as found: a ``<ref>`` (content wikitext), or a short citation (metadata)."""

    name: str | None
    group: str
    content: str | None  # None: a reuse (``<ref name=x/>``)
    kind: str = "ref"  # ref | short | note
    metadata: dict[str, str] | None = None


def attributes(text: str) -> dict[str, str]:
    """Attribute names (lower case) and values. Of the three value groups only the one that
    matched can be non-empty, so ``a or b or c`` is its value."""
    if "=" not in text:
        return {}
    return {name.lower(): a or b or c for name, a, b, c in _ATTR.findall(text)}


def extract_refs(text: str, refs: list[RawRef], counts: dict[str, int]) -> str:
    """Replace every ``<ref>`` by a marker holding its index in ``refs``.

    Refs inside ``<references>...</references>`` (list-defined) are recorded without a marker.
    """
    if "<" not in text:
        return text
    tokens = list(_REF_TOKEN.finditer(text))
    if not tokens:
        return text
    out: list[str] = []
    last = 0
    i = 0
    in_references = False
    breaks: list[int] | None = None
    while i < len(tokens):
        token = tokens[i]
        closing, tag, attrs, selfclosing = token.groups()
        tag = tag.lower()
        out.append(text[last : token.start()])
        last = token.end()
        i += 1
        if tag == "references":
            in_references = not closing and not selfclosing
            continue
        if closing:
            counts["stray_ref_close"] = counts.get("stray_ref_close", 0) + 1
            continue
        parsed = attributes(attrs)
        name = parsed.get("name")
        group = parsed.get("group", "")
        if selfclosing:
            refs.append(RawRef(name, group, None))
            if not in_references:
                out.append(ref_marker(len(refs) - 1))
            continue
        # the content runs to the next token: a </ref>, or (unclosed) the next <ref>
        if i < len(tokens) and tokens[i].group(1) and tokens[i].group(2).lower() == "ref":
            content = text[token.end() : tokens[i].start()]
            last = tokens[i].end()
            i += 1
        else:
            counts["unclosed_ref"] = counts.get("unclosed_ref", 0) + 1
            if breaks is None:  # paragraph breaks, found once: an unclosed ref stops at one
                breaks = [m.start() for m in _PARAGRAPH_BREAK.finditer(text)]
            following = bisect_left(breaks, token.end())
            end = breaks[following] if following < len(breaks) else len(text)
            if i < len(tokens):
                end = min(end, tokens[i].start())
            content = text[token.end() : end]
            last = end
        refs.append(RawRef(name, group, content))
        if not in_references:
            out.append(ref_marker(len(refs) - 1))
    out.append(text[last:])
    return "".join(out)
