"""From cleaned lines to the article's shape: sections, paragraphs, lists, text and offsets.

``text`` keeps headings as their own lines, paragraphs and lists as blocks separated by a blank
line, and list items one per line. Every block's span in ``text`` is known, so claims and the
section tree point into it exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from wikipact.model.article import Citation, Part
from wikipact.wikitext.context import Context
from wikipact.wikitext.inline import finish
from wikipact.wikitext.markers import take_ref_markers
from wikipact.wikitext.tables import TABLE_MARKER

_HEADING = re.compile(r"^(={1,6})\s*(.*?)\s*\1\s*$")
_LOOSE_HEADING = re.compile(r"^(={2,6})\s*([^=].*?)\s*=*\s*$")  # "== Title" without its closing
_LIST = re.compile(r"^([*#;:]+)\s*(.*)$")
_TABLE_JUNK = re.compile(r"^\s*(?:\{\||\|\}|\|-|\|\+|!|\|\s*$)")
# "[[January]] | [[February]] | ..." lines: navigation, not prose
_NAV_SEPARATOR = re.compile(r"\s[|·•]\s|\s+\||\|\s+")
_RULE = re.compile(r"^-{4,}\s*")  # a horizontal rule; text after it on the line is a paragraph
_EMPTY_PARENS = re.compile(r"\s*[(（]\s*((?:[,;:、，；]\s*|\ue000\d+\ue001\s*)*)[)）]")
_LEADING_SEP = re.compile(r"([(（])\s*((?:[,;:、，；]\s*|\ue000\d+\ue001\s*)*[,;:、，；]\s*)")
_TRAILING_SEP = re.compile(r"(?:\s*[,;:、，；])+\s*([)）])")
# one pass: spaces before closing punctuation or a ref marker, and after opening brackets
_SPACING = re.compile(r" +(?=[,.;:!?%)\]»”。、，；：！？\ue000])|(?<=[(\[«“]) +")
_NEEDS_SPACING = re.compile(r" [,.;:!?%)\]»”。、，；：！？\ue000]|[(\[«“] ")
# only blocks with a separator or nothing inside parentheses need the three passes below
_PAREN_WORK = re.compile(
    r"[(（]\s*(?:[,;:、，；)）]|\ue000\d+\ue001\s*[,;:、，；)）])|[,;:、，；]\s*[)）]"
)
_DOUBLE_PUNCT = re.compile(r"([,;])\s*(?=[,;.])")
# Whitespace other than the plain space, as str.split() sees it (\s of a str pattern is the same).
_OTHER_SPACES = "".join(
    f"\\u{code:04x}" for code in range(0x10000) if chr(code).isspace() and code != 0x20
)
# Whether a block needs ``tidy`` at all: most need none. One scan for whitespace to collapse
# and for each pass's trigger; it starts at such a space, a punctuation mark or a bracket (a set
# of first characters the regular-expression engine skips to quickly) and looks back from there.
_TIDY_WORK = re.compile(
    rf"[{_OTHER_SPACES},.;:!?%)\]»”。、，；：！？\ue000(\[«“（）]"
    rf"(?:(?<=[{_OTHER_SPACES}])"  # whitespace to collapse (double spaces: see ``tidy``)
    r"|(?<= [,.;:!?%)\]»”。、，；：！？\ue000])"  # a space before closing punctuation
    r"|(?<=[(\[«“]) "  # a space after an opening bracket
    r"|(?<=[(（])\s*(?:[,;:、，；)）]|\ue000\d+\ue001\s*[,;:、，；)）])"  # "( ;" "()"
    r"|(?<=[,;:、，；])\s*[)）]"  # "; )"
    r"|(?<=[,;])\s*[,;.])"  # ",," ", ."
)
_MARKERS = re.compile("\ue000\\d+\ue001")
_NO_WORDS = re.compile(r"^[\W_]*$", re.U)


@dataclass
class Block:
    kind: str  # paragraph | list | heading
    text: str = ""
    items: list[str] = field(default_factory=list)
    level: int = 0
    refs: list[tuple[int, int]] = field(default_factory=list)  # (offset in block text, ref)
    item_refs: list[list[tuple[int, int]]] = field(default_factory=list)
    start: int = 0  # offset of the block in Article.text


@dataclass
class Section:
    name: str
    level: int
    blocks: list[Block] = field(default_factory=list)
    children: list[Section] = field(default_factory=list)


@dataclass
class Layout:
    text: str
    sections: list[Section]  # flat, in document order (lead first)
    table_sections: dict[int, str]
    lists: int = 0


def _keep_markers(match: re.Match[str]) -> str:
    """``( ;<ref> ; 14 March`` -> ``(<ref>14 March``: separators go, references stay."""
    return match.group(1) + "".join(_MARKERS.findall(match.group(2)))


def tidy(text: str) -> str:
    """Clean one block: separators left by removed templates, spacing around punctuation."""
    if "  " not in text and text[:1] != " " and text[-1:] != " " and not _TIDY_WORK.search(text):
        return text  # nothing to collapse, nothing to tidy
    text = " ".join(text.split())
    if not _TIDY_WORK.search(text):
        return text
    if ("(" in text or "（" in text) and _PAREN_WORK.search(text):
        text = _LEADING_SEP.sub(_keep_markers, text)
        text = _TRAILING_SEP.sub(r"\1", text)
        text = _EMPTY_PARENS.sub(lambda m: "".join(_MARKERS.findall(m.group(1))), text)
    if _NEEDS_SPACING.search(text):
        text = _SPACING.sub("", text)
    if ",," in text or ";;" in text or _DOUBLE_PUNCT.search(text):
        text = _DOUBLE_PUNCT.sub("", text)
    return text


def build(text: str, ctx: Context, lead_name: str = "Abstract") -> Layout:
    sections = [Section(lead_name, 1)]
    table_sections: dict[int, str] = {}
    paragraph: list[str] = []
    current_list: list[str] | None = None

    def flush() -> None:
        nonlocal paragraph, current_list
        if paragraph:
            _add_paragraph(sections[-1], " ".join(paragraph), ctx)
            paragraph = []
        if current_list is not None:
            _add_list(sections[-1], current_list, ctx)
            current_list = None

    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped:
            flush()
            continue
        if stripped.startswith("=="):
            heading = _HEADING.match(stripped) or _LOOSE_HEADING.match(stripped)
            if heading:
                flush()
                name = finish(tidy(heading.group(2)), ctx)
                name, _ = take_ref_markers(name)
                sections.append(Section(name or "…", len(heading.group(1))))
                continue
        if stripped.startswith("\ue004"):
            table = TABLE_MARKER.match(stripped)
            if table:
                flush()
                table_sections[int(table.group(1))] = sections[-1].name
                continue
        if stripped[0] in "*#;:":
            item = _LIST.match(stripped)
            if item and (stripped[0] in "*#;" or current_list is not None):
                if paragraph:
                    _add_paragraph(sections[-1], " ".join(paragraph), ctx)
                    paragraph = []
                if current_list is None:
                    current_list = []
                current_list.append(item.group(2))
                continue
            if item:  # ":" indentation outside a list: an indented paragraph
                flush()
                paragraph.append(item.group(2))
                continue
        if _TABLE_JUNK.match(stripped):
            continue
        if stripped.startswith("----"):
            flush()
            stripped = _RULE.sub("", stripped)
            if not stripped:
                continue
        if current_list is not None:
            flush()
        if "|" in stripped and _is_navigation(stripped):  # a navigation bar inside a paragraph
            ctx.warn("navigation_line")
            continue
        paragraph.append(stripped)
    flush()
    full, lists = _assemble(sections)
    return Layout(text=full, sections=sections, table_sections=table_sections, lists=lists)


def _clean_block(raw: str, ctx: Context) -> tuple[str, list[tuple[int, int]]] | None:
    text = tidy(finish(raw, ctx))
    text, refs = take_ref_markers(text)
    text = text.strip()
    if not text or _NO_WORDS.match(text):
        return None
    if not refs:
        return text, refs
    return text, [(min(pos, len(text)), ref) for pos, ref in refs]


def _is_navigation(text: str) -> bool:
    if " | " not in text and " · " not in text and " • " not in text and "|" not in text:
        return False
    segments = _NAV_SEPARATOR.split(text)
    if len(segments) < 3:
        return False
    return all(len(segment.split()) <= 4 and not segment.endswith(".") for segment in segments)


def _add_paragraph(section: Section, raw: str, ctx: Context) -> None:
    cleaned = _clean_block(raw, ctx)
    if cleaned is not None and _is_navigation(cleaned[0]):
        ctx.warn("navigation_line")
        return
    if cleaned is not None:
        section.blocks.append(Block("paragraph", text=cleaned[0], refs=cleaned[1]))


def _add_list(section: Section, raw_items: list[str], ctx: Context) -> None:
    items: list[str] = []
    item_refs: list[list[tuple[int, int]]] = []
    for raw in raw_items:
        cleaned = _clean_block(raw, ctx)
        if cleaned is not None:
            items.append(cleaned[0])
            item_refs.append(cleaned[1])
    if items:
        section.blocks.append(Block("list", items=items, item_refs=item_refs))


def _assemble(sections: list[Section]) -> tuple[str, int]:
    pieces: list[str] = []
    length = 0
    lists = 0

    def add(piece: str) -> int:
        nonlocal length
        if pieces:
            pieces.append("\n\n")
            length += 2
        start = length
        pieces.append(piece)
        length += len(piece)
        return start

    for index, section in enumerate(sections):
        if not section.blocks and not _has_content_below(sections, index):
            continue
        if index > 0:
            add(section.name)
        for block in section.blocks:
            if block.kind == "paragraph":
                block.start = add(block.text)
            else:
                lists += 1
                block.text = "\n".join(block.items)
                block.start = add(block.text)
    return "".join(pieces), lists


def _has_content_below(sections: list[Section], index: int) -> bool:
    """Whether a subsection of ``sections[index]`` has content (headings nest 6 deep at most,
    and the scan stops at the first sibling, so the whole pass stays linear)."""
    level = sections[index].level
    for later in range(index + 1, len(sections)):
        if sections[later].level <= level:
            return False
        if sections[later].blocks:
            return True
    return False


def section_tree(sections: list[Section], citation_ids: dict[int, Citation]) -> tuple[Part, ...]:
    """Enterprise-style ``sections``: nested ``section`` parts holding paragraphs and lists."""
    roots: list[_Node] = []
    stack: list[_Node] = []
    for index, section in enumerate(sections):
        node = _Node(section, [_block_part(b, citation_ids) for b in section.blocks])
        if index == 0:  # the lead is a section of its own, never a parent
            roots.append(node)
            continue
        while stack and stack[-1].section.level >= section.level:
            stack.pop()
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)
    return tuple(node.freeze() for node in roots)


@dataclass
class _Node:
    section: Section
    parts: list[Part]
    children: list[_Node] = field(default_factory=list)

    def freeze(self) -> Part:
        return Part(
            type="section",
            name=self.section.name,
            has_parts=(*self.parts, *(child.freeze() for child in self.children)),
        )


def _citations(refs: list[tuple[int, int]], ids: dict[int, Citation]) -> tuple[Citation, ...]:
    if not refs:
        return ()
    seen: dict[str, Citation] = {}
    for _, ref in refs:
        citation = ids.get(ref)
        if citation is not None:
            seen.setdefault(citation.identifier, citation)
    return tuple(seen.values())


def _block_part(block: Block, ids: dict[int, Citation]) -> Part:
    if block.kind == "paragraph":
        return Part(type="paragraph", value=block.text, citations=_citations(block.refs, ids))
    return Part(
        type="list",
        has_parts=tuple(
            Part(type="list_item", value=item, citations=_citations(refs, ids))
            for item, refs in zip(block.items, block.item_refs, strict=True)
        ),
    )
