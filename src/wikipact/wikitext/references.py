"""References: every ``<ref>`` and short citation, de-duplicated, with citation metadata."""

from __future__ import annotations

from dataclasses import dataclass

from wikipact.model.article import Citation, ExternalLink, Reference, ReferenceText
from wikipact.wikitext import langdata
from wikipact.wikitext.context import Context
from wikipact.wikitext.inline import clean_fragment
from wikipact.wikitext.tags import RawRef
from wikipact.wikitext.templates import (
    SHORT_ANCHORS,
    anchor_key,
    canonical_parameter,
    citation_source,
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
    # short citations last: they link to full citations, some of which are in refs
    made = {
        i: _reference(ctx, i, identifiers[i], uses.get(i, 0))
        for i in order
        if ctx.refs[i].kind != "short"
    }
    for i in order:
        if i not in made:
            made[i] = _short_reference(ctx, i, identifiers[i], uses.get(i, 0))
    references = tuple(made[i] for i in order)
    # a ref with nothing to show (invoked but never defined, empty) backs no claim
    empty = {identifiers[i] for i, ref in made.items() if ref.text is None}
    if empty:
        citation_of = {k: c for k, c in citation_of.items() if c.identifier not in empty}
    return ResolvedRefs(references, citation_of)


def _identifier(group: str, name: str) -> str:
    name = "_".join(name.split())
    return f"cite_note-{group}-{name}" if group else f"cite_note-{name}"


def _reference(ctx: Context, index: int, identifier: str, uses: int) -> Reference:
    raw: RawRef = ctx.refs[index]
    if raw.kind == "short":
        return _short_reference(ctx, index, identifier, uses)
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
    if not text and "{{" in content:
        text = _template_summary(content, ctx)
    return Reference(
        identifier=identifier,
        group=raw.group,
        type=kind if raw.kind == "ref" else raw.kind,
        name=raw.name,
        metadata=metadata,
        text=ReferenceText(value=text, links=links) if text else None,
        uses=uses,
    )


def _short_reference(ctx: Context, index: int, identifier: str, uses: int) -> Reference:
    """A short citation ({{sfn}}, {{sfnm}}): its text as the page shows it ("Smith 2001,
    p. 23."), its metadata, and, when the page has the full citation it points to, that
    citation's fields (title, publisher, URL ...) and its text as ``source``."""
    raw: RawRef = ctx.refs[index]
    metadata = dict(raw.metadata or {})
    anchors = metadata.pop(SHORT_ANCHORS, "").split()
    found = [ctx.sources[a] for a in anchors if a in ctx.sources]
    links: tuple[ExternalLink, ...] = ()
    if found:
        for source in found if len(found) == 1 else ():
            for key, value in source.items():
                if key not in ("pages", "authors", "date"):
                    metadata.setdefault(key, value)
        metadata["source"] = "\n".join(format_citation(source) for source in found)
        links = tuple(ExternalLink(url=s["url"]) for s in found if s.get("url"))
    text = raw.content or ""
    return Reference(
        identifier=identifier,
        type="short",
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
                metadata, anchor = citation_source(make_template(name, params), ctx, 1)
            finally:
                ctx.collect_links = saved
            if anchor:
                ctx.sources.setdefault(anchor_key(anchor), metadata)
            whole = len(top) == 1 and not (content[:start] + content[end:]).strip(" .\n")
            return kind, metadata, whole
    return "text", {}, False


# Parameters that identify or format rather than describe: left out of a template's summary.
_SUMMARY_SKIP = frozenset(
    {"access_date", "archive_url", "archive_date", "url", "doi", "isbn", "pages", "date"}
)
_SUMMARY_SKIP_KEYS = frozenset({"id", "class", "ref", "lang", "language", "langue", "inline"})


def _template_summary(content: str, ctx: Context) -> str:
    """What is left to show of a ref made of a template wikipact cannot render (a site's
    source template: {{YouTube|id|title}}, {{СУМ-11|word}}, {{sep entry|godwin|William
    Godwin|...}}): its name and its descriptive arguments ("YouTube: title"). Never empty."""
    top, _ = scan(content)
    for start, end in top:
        raw_name, params = parse_call(content[start + 2 : end - 2])
        name = normalize_name(raw_name, ctx)
        if not name or name.startswith("#"):
            continue
        call = make_template(name, params)
        values: list[str] = []
        saved = ctx.collect_links
        ctx.collect_links = False  # the ref's links are not the page's
        pairs = [("", p) for p in call.positional] + list(call.named.items())
        for key, raw in pairs:
            if len(values) >= 4:
                break
            if key and (key in _SUMMARY_SKIP_KEYS or canonical_parameter(key) in _SUMMARY_SKIP):
                continue
            value, _ = clean_fragment(raw, ctx, 1)
            value = value.strip()
            if not value or "://" in value or not any(c.isalpha() for c in value):
                continue
            if value.isascii() and " " not in value and any(c in value for c in "0123456789/_"):
                continue  # an identifier (a video id, an entry number, a file path)
            values.append(value)
        ctx.collect_links = saved
        return f"{name}: {', '.join(values)}" if values else name
    return ""
