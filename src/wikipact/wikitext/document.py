"""``parse_wikitext``: one page's wikitext to clean text and structure, in stages.

    comments → protected tags → <ref> markers → templates → tables → links → inline markup
    → layout (sections, paragraphs, lists) → references → claims → signals

Every stage is a linear scan (regular expressions and token pairing, no per-character Python
loop over the page), and nesting is cut off at ``MAX_DEPTH``; so any page, hostile or not, parses
in time proportional to its length. Bad markup never raises: it is dropped and counted in
``warnings``.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field

from wikipact.model.article import (
    Citation,
    Claim,
    Entity,
    ExternalLink,
    Image,
    Infobox,
    Link,
    Part,
    Reference,
    Table,
)
from wikipact.model.raw import SiteInfo
from wikipact.wikitext.context import Context
from wikipact.wikitext.inline import strip_formatting
from wikipact.wikitext.layout import Layout, build, section_tree
from wikipact.wikitext.links import file_order, make_links, replace_links
from wikipact.wikitext.prefixes import learn_prefixes
from wikipact.wikitext.references import resolve
from wikipact.wikitext.sentences import split_sentences
from wikipact.wikitext.tables import extract_tables
from wikipact.wikitext.tags import extract_refs, protect_tags, strip_comments
from wikipact.wikitext.templates import expand
from wikipact.wikitext.typography import language_variants

_PARENTHETICAL = re.compile(r"\s*[(（][^()（）]*[)）]")


@dataclass
class ParsedPage:
    text: str
    abstract: str
    sections: tuple[Part, ...]
    infoboxes: tuple[Infobox, ...]
    references: tuple[Reference, ...]
    claims: tuple[Claim, ...]
    tables: tuple[Table, ...]
    categories: tuple[str, ...]
    templates: tuple[str, ...]
    links: tuple[Link, ...]
    external_links: tuple[ExternalLink, ...]
    image: Image | None
    main_entity: Entity | None
    is_disambiguation: bool
    maintenance: dict[str, int]
    stub_template: bool
    sentences: int
    cited_sentences: int
    section_count: int
    lists: int
    images: int
    warnings: dict[str, int] = field(default_factory=dict)
    dropped_templates: dict[str, int] = field(default_factory=dict)


def parse_wikitext(wikitext: str, site: SiteInfo, title: str) -> ParsedPage:
    ctx = Context(site=site, title=title)
    text = strip_comments(wikitext)
    learn_prefixes(text, ctx)
    text = protect_tags(text, ctx.protected, ctx.warnings)
    text = extract_refs(text, ctx.refs, ctx.warnings)
    text = language_variants(text)
    if any(word in text for word in ctx.disambiguation_switches):
        ctx.disambiguation = True  # langdata's __DISAMBIG__ or the wiki's own (__ĐỊNHHƯỚNG__)
    # switches that strip_formatting's __WORD__ misses (each starts or ends with __ or ＿＿)
    if ctx.extra_switches is not None and ("__" in text or "＿＿" in text):
        text = ctx.extra_switches.sub("", text)
    text = expand(text, ctx)
    tables: list[Table] = []
    text = extract_tables(text, ctx, tables)
    image_order = file_order(text, ctx) if "[[" in text else {}
    # without file links no link can sit in a caption: skip that check on the first pass
    text = replace_links(text, ctx, nesting=bool(image_order))
    text = strip_formatting(text)
    layout = build(text, ctx)
    used = {
        ref for section in layout.sections for block in section.blocks for ref in _refs_of(block)
    }
    resolved = resolve(ctx, used)
    claims, sentences, cited = _claims(layout, resolved.citation_of, site.language)
    tables = [
        Table(
            identifier=t.identifier,
            caption=t.caption,
            headers=t.headers,
            rows=t.rows,
            section=layout.table_sections.get(i),
        )
        for i, t in enumerate(tables)
    ]
    return ParsedPage(
        text=layout.text,
        abstract=_abstract(layout),
        sections=section_tree(layout.sections, resolved.citation_of),
        infoboxes=tuple(ctx.infoboxes),
        references=resolved.references,
        claims=tuple(claims),
        tables=tuple(tables),
        categories=tuple(ctx.categories),
        templates=tuple(ctx.templates),
        links=tuple(make_links(ctx.links, ctx)),
        external_links=tuple(ctx.external_links),
        image=_main_image(ctx, image_order),
        main_entity=(
            Entity(identifier=ctx.wikidata, url=f"https://www.wikidata.org/entity/{ctx.wikidata}")
            if ctx.wikidata
            else None
        ),
        is_disambiguation=ctx.disambiguation,
        maintenance=dict(ctx.maintenance),
        stub_template=ctx.stub,
        sentences=sentences,
        cited_sentences=cited,
        section_count=sum(1 for s in layout.sections[1:] if s.blocks),
        lists=layout.lists,
        images=len(ctx.images),
        warnings=dict(ctx.warnings),
        dropped_templates=dict(ctx.dropped),
    )


def _refs_of(block) -> list[int]:  # type: ignore[no-untyped-def]
    if block.kind == "paragraph":
        return [ref for _, ref in block.refs]
    return [ref for refs in block.item_refs for _, ref in refs]


def _main_image(ctx: Context, order: dict[str, int]) -> Image | None:
    name = ctx.infobox_image
    caption = alt = None
    if name is None and ctx.images:
        first = min(ctx.images, key=lambda image: order.get(image[0], len(order)))
        name, caption, alt = first
    if not name:
        return None
    url = "https://commons.wikimedia.org/wiki/Special:FilePath/" + name.replace(" ", "_")
    return Image(name=name, content_url=url, caption=caption, alternative_text=alt)


def _abstract(layout: Layout) -> str:
    """The lead's paragraphs; the first sentence loses its parentheticals (dates, IPA ...)."""
    lead = [b.text for b in layout.sections[0].blocks if b.kind == "paragraph"]
    if not lead:
        return ""
    first = lead[0]
    spans = split_sentences(first)
    if spans:
        end = spans[0][1]
        head = _PARENTHETICAL.sub("", first[:end])
        first = " ".join((head + first[end:]).split())
    return "\n".join([first, *lead[1:]])


def _claims(
    layout: Layout, citation_of: dict[int, Citation], language: str
) -> tuple[list[Claim], int, int]:
    claims: list[Claim] = []
    total = 0
    cited = 0
    for section in layout.sections:
        for block in section.blocks:
            if block.kind == "paragraph":
                units = [(block.text, block.start, block.refs)]
            else:
                units = []
                offset = block.start
                for item, refs in zip(block.items, block.item_refs, strict=True):
                    units.append((item, offset, refs))
                    offset += len(item) + 1
            for text, start, refs in units:
                spans = split_sentences(text, language)
                total += len(spans)
                if not refs:  # nothing cites it: no claims
                    continue
                backing = _assign(spans, refs)
                for index, ref_indexes in backing.items():
                    identifiers = tuple(
                        dict.fromkeys(
                            citation_of[r].identifier for r in ref_indexes if r in citation_of
                        )
                    )
                    if not identifiers:
                        continue
                    s, e = spans[index]
                    cited += 1
                    claims.append(
                        Claim(
                            text=text[s:e],
                            start=start + s,
                            end=start + e,
                            section=section.name,
                            citations=identifiers,
                        )
                    )
    return claims, total, cited


def _assign(spans: list[tuple[int, int]], refs: list[tuple[int, int]]) -> dict[int, list[int]]:
    """Each ref backs the sentence it stands in, or the one it directly follows."""
    backing: dict[int, list[int]] = {}
    if not spans:
        return backing
    starts = [start for start, _ in spans]
    for position, ref in refs:
        index = max(bisect_left(starts, position) - 1, 0)
        backing.setdefault(index, []).append(ref)
    return dict(sorted(backing.items()))
