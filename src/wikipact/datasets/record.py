"""The dataset record: one row of a shard, defined once here (the Arrow schema derives from it).

Records are flat on purpose, so every reader (pyarrow, Hugging Face ``datasets``, DuckDB,
Polars) sees plain columns. Nested structure that is recursive in the article (the section tree)
is flattened to a list with levels; a claim carries the metadata of the references that back it,
so a training pipeline need not join.
"""

from __future__ import annotations

from collections.abc import Iterator

import msgspec

from wikipact.model.article import Article, Part, Reference, Signals

RECORD_VERSION = "1.0"
OPTIONAL_COLUMNS = ("sections", "claims", "infoboxes", "references")


class Section(msgspec.Struct, frozen=True, kw_only=True):
    """A section in reading order: the lead and ``== headings ==`` are level 1, ``===`` level 2."""

    name: str
    level: int
    text: str


class Citation(msgspec.Struct, frozen=True, kw_only=True):
    identifier: str
    type: str
    title: str | None
    url: str | None


class ClaimRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A sentence of ``text`` (``text[start:end]``) and the references that back it."""

    text: str
    start: int
    end: int
    section: str
    citations: list[Citation]


class Field(msgspec.Struct, frozen=True, kw_only=True):
    """A name and its value (a list of these rather than a map: every reader supports lists)."""

    name: str
    value: str


class InfoboxRecord(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    fields: list[Field]


class ReferenceRecord(msgspec.Struct, frozen=True, kw_only=True):
    identifier: str
    group: str
    type: str
    text: str | None
    metadata: list[Field]


class DatasetRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One article in a dataset shard."""

    id: str  # "<project>:<page id>": stable across builds and revisions
    url: str
    title: str
    text: str
    abstract: str
    language: str
    project: str
    revision_id: int
    date_modified: str
    license: str
    attribution: str
    tokens: int
    signals: Signals
    sections: list[Section] | None = None
    claims: list[ClaimRecord] | None = None
    infoboxes: list[InfoboxRecord] | None = None
    references: list[ReferenceRecord] | None = None


def record_id(project: str, page_id: int) -> str:
    return f"{project}:{page_id}"


def to_record(article: Article, tokens: int, columns: frozenset[str]) -> DatasetRecord:
    """The dataset record of a parsed article, with the optional ``columns`` filled in."""
    refs = {r.identifier: r for r in article.references}
    return DatasetRecord(
        id=record_id(article.is_part_of.identifier, article.identifier),
        url=article.url,
        title=article.name,
        text=article.text or "",
        abstract=article.abstract or "",
        language=article.in_language.identifier,
        project=article.is_part_of.identifier,
        revision_id=article.version.identifier,
        date_modified=article.date_modified,
        license=article.license[0].identifier if article.license else "",
        attribution=article.provenance.attribution,
        tokens=tokens,
        signals=article.signals or Signals(version=""),
        sections=_sections(article.sections) if "sections" in columns else None,
        claims=(
            [
                ClaimRecord(
                    text=c.text,
                    start=c.start,
                    end=c.end,
                    section=c.section,
                    citations=[_citation(i, refs.get(i)) for i in c.citations],
                )
                for c in article.claims
            ]
            if "claims" in columns
            else None
        ),
        infoboxes=(
            [
                InfoboxRecord(
                    name=box.name,
                    fields=[
                        Field(name=p.name, value=p.value or "")
                        for p in _fields(box.has_parts)
                        if p.name is not None
                    ],
                )
                for box in article.infoboxes
            ]
            if "infoboxes" in columns
            else None
        ),
        references=(
            [
                ReferenceRecord(
                    identifier=r.identifier,
                    group=r.group,
                    type=r.type,
                    text=r.text.value if r.text else None,
                    metadata=[Field(name=k, value=v) for k, v in r.metadata.items()],
                )
                for r in article.references
            ]
            if "references" in columns
            else None
        ),
    )


def _citation(identifier: str, ref: Reference | None) -> Citation:
    meta = ref.metadata if ref else {}
    return Citation(
        identifier=identifier,
        type=ref.type if ref else "unknown",
        title=meta.get("title"),
        url=meta.get("url"),
    )


def _fields(parts: tuple[Part, ...]) -> Iterator[Part]:
    """The ``field`` parts of an infobox, in order (the parser groups them in ``section`` parts)."""
    for part in parts:
        if part.type == "field":
            yield part
        else:
            yield from _fields(part.has_parts)


def _sections(parts: tuple[Part, ...], level: int = 1) -> list[Section]:
    out: list[Section] = []
    for part in parts:
        if part.type != "section":
            continue
        out.append(Section(name=part.name or "", level=level, text=_section_text(part)))
        out.extend(_sections(part.has_parts, level + 1))
    return out


def _section_text(section: Part) -> str:
    """The section's own paragraphs and lists (not its subsections), a block per line."""
    lines: list[str] = []
    for part in section.has_parts:
        if part.type == "paragraph" and part.value:
            lines.append(part.value)
        elif part.type == "list":
            lines.extend(item.value for item in part.has_parts if item.value)
    return "\n".join(lines)
