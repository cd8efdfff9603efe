"""References: every ``<ref>`` and short citation, de-duplicated, with citation metadata."""

from __future__ import annotations

from dataclasses import dataclass

from wikipact.model.article import Citation, ExternalLink, Reference, ReferenceText
from wikipact.wikitext import langdata
from wikipact.wikitext.context import Context
from wikipact.wikitext.inline import clean_fragment
from wikipact.wikitext.tags import RawRef
from wikipact.wikitext.templates import (
    citation_metadata,
    classify,
    format_citation,
    lookup_key,
    make_template,
    normalize_name,
    parse_call,
    scan,
)


@dataclass
class ResolvedRefs:
    references: tuple[Reference, ...]
    citation_of: dict[int, Citation]  # raw ref index -> citation (identifier, group)


def resolve(ctx: Context, used: set[int]) -> ResolvedRefs:
    """One ``Reference`` per distinct ref: named refs and repeated short citations merge.

    A named ref is defined by its first occurrence with content; a reuse whose group has no such
    definition takes the same name's definition from another group (list-defined notes are
    often written without the group their list gives them).
    """
    first_of: dict[tuple[str, str], int] = {}
    defined: dict[tuple[str, str], int] = {}
    defined_by_name: dict[str, int] = {}
    for index, raw in enumerate(ctx.refs):
        if not raw.name:
            continue
        key = (raw.group, raw.name)
        first_of.setdefault(key, index)
        if raw.content or raw.metadata is not None:
            defined.setdefault(key, index)
            defined_by_name.setdefault(raw.name, index)
    identifiers: dict[int, str] = {}  # defining raw index -> identifier
    order: list[int] = []
    citation_of: dict[int, Citation] = {}
    uses: dict[int, int] = {}
    anonymous = 0
    for index, raw in enumerate(ctx.refs):
        if raw.name:
            key = (raw.group, raw.name)
            defining = defined.get(key, defined_by_name.get(raw.name, first_of[key]))
        else:
            defining = index
        if defining not in identifiers:
            source = ctx.refs[defining]
            if source.kind == "short":
                identifiers[defining] = "cite_note-" + "".join((source.name or "").split())
            elif source.name:
                identifiers[defining] = _identifier(source.group, source.name)
            else:
                anonymous += 1
                identifiers[defining] = _identifier(source.group, str(anonymous))
            order.append(defining)
        if index in used:
            uses[defining] = uses.get(defining, 0) + 1
            source = ctx.refs[defining]
            citation_of[index] = Citation(identifier=identifiers[defining], group=source.group)
    references = tuple(_reference(ctx, i, identifiers[i], uses.get(i, 0)) for i in order)
    return ResolvedRefs(references, citation_of)


def _identifier(group: str, name: str) -> str:
    name = "_".join(name.split())
    return f"cite_note-{group}-{name}" if group else f"cite_note-{name}"


def _reference(ctx: Context, index: int, identifier: str, uses: int) -> Reference:
    raw: RawRef = ctx.refs[index]
    if raw.kind == "short":
        return Reference(
            identifier=identifier, type="short", metadata=dict(raw.metadata or {}), uses=uses
        )
    content = raw.content or ""
    if not content.strip():
        if raw.name:
            ctx.warn("ref_undefined")
        return Reference(identifier=identifier, group=raw.group, name=raw.name, uses=uses)
    kind, metadata, whole = _citation(content, ctx)
    links: tuple[ExternalLink, ...]
    if whole:  # the ref is one citation template: its text is the formatted citation
        text, links = format_citation(metadata), ()
    else:
        saved = ctx.external_links
        ctx.external_links = []
        try:
            text, _ = clean_fragment(content, ctx, 1, collect=True)
            links = tuple(ctx.external_links)
        finally:
            ctx.external_links = saved
    if not links and metadata.get("url"):
        links = (ExternalLink(url=metadata["url"]),)
    if links and not metadata:
        metadata = {"url": links[0].url}
        if kind == "text":
            kind = "web"
    if not text and links:  # a bare URL: that is what the reader sees
        text = links[0].text or links[0].url
    return Reference(
        identifier=identifier,
        group=raw.group,
        type=kind if raw.kind == "ref" else raw.kind,
        name=raw.name,
        metadata=metadata,
        text=ReferenceText(value=text, links=links) if text else None,
        uses=uses,
    )


def _citation(content: str, ctx: Context) -> tuple[str, dict[str, str], bool]:
    """Kind and metadata of the first citation template in a ref, and whether it is all of it."""
    if "{{" not in content:
        return "text", {}, False
    stripped = content.strip()
    if stripped.startswith("{{") and stripped.endswith("}}") and stripped.count("{{") == 1:
        top = [(0, len(stripped))]  # one template and nothing nested: no need to scan
        content = stripped
    else:
        top, _ = scan(content)
    for start, end in top:
        name, params = parse_call(content[start + 2 : end - 2])
        name = normalize_name(name, ctx)
        kind = langdata.CITATION_TEMPLATES.get(lookup_key(name))
        if kind is None and classify(name, ctx.language) == "citation":
            kind = "generic"
        if kind:
            saved = ctx.collect_links
            ctx.collect_links = False
            try:
                metadata = citation_metadata(make_template(name, params), ctx, 1)
            finally:
                ctx.collect_links = saved
            whole = len(top) == 1 and not (content[:start] + content[end:]).strip(" .\n")
            return kind, metadata, whole
    return "text", {}, False
