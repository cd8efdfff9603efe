"""wikipact records in the shapes Wikimedia Enterprise's clients read.

A wikipact article record already uses Enterprise's field names; these functions add what
Enterprise sends and a record does not hold (names of the project, language and namespace, the
page's creation and previous revision, its redirects, visibility, the change event, each
citation's footnote mark as ``text``) and convert table cells to ``{"value": ...}`` in
Structured Contents. wikipact's own fields (``text``, ``claims``, ``signals``,
``provenance`` ...) stay, as additions. Pure functions over plain JSON data; no I/O.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

from wikipact.enterprise.names import (
    language_autonym,
    language_name,
    namespace_name,
    project_code,
)
from wikipact.model.project import article_url
from wikipact.store.base import ChangeEvent, PageFacts
from wikipact.store.hiding import HIDDEN_BITS

PARTITIONS = 50  # Enterprise's realtime partitions (event.partition is 0..49)
MAX_PARTS = 10  # a part is PARTITIONS // MAX_PARTS consecutive partitions


@dataclass(frozen=True)
class Site:
    """What the shapes need of a project: its sitename and the names of its namespaces."""

    identifier: str
    url: str
    sitename: str | None = None
    namespaces: dict[int, str] | None = None


def project(site: Site) -> dict[str, str]:
    """An article's ``is_part_of`` (string values only, as clients type it)."""
    out = {"identifier": site.identifier, "url": site.url, "code": project_code(site.identifier)}
    if site.sitename:
        out["name"] = site.sitename
    return out


def language(code: str, direction: str | None = None, *, autonym: bool = False) -> dict[str, str]:
    """A language: its code, English name, (with ``autonym``) its own name, and direction."""
    out = {"identifier": code}
    name = language_name(code)
    if name:
        out["name"] = name
    own = language_autonym(code) if autonym else None
    if own:
        out["alternate_name"] = own
    if direction:
        out["direction"] = direction
    return out


def article(
    record: dict[str, Any], site: Site | None = None, facts: PageFacts | None = None
) -> dict[str, Any]:
    """A stored article record (as JSON data) with Enterprise's fields added."""
    out = dict(record)
    if site is not None:
        out["is_part_of"] = record.get("is_part_of", {}) | project(site)
    if isinstance(lang := record.get("in_language"), dict) and "identifier" in lang:
        out["in_language"] = lang | language(lang["identifier"], lang.get("direction"))
    if isinstance(ns := record.get("namespace"), dict) and "identifier" in ns:
        local = (site.namespaces or {}).get(ns["identifier"]) if site else None
        out["namespace"] = ns | {"name": namespace_name(ns["identifier"], local or ns.get("name"))}
    _mark_citations(out)
    if facts is not None:
        _add_facts(out, facts, site)
    return out


def _mark_citations(out: dict[str, Any]) -> None:
    """Citations carry their footnote mark as ``text``; every reference has a ``text``."""
    marks = citation_marks(out.get("references") or ())
    for key in ("sections", "infoboxes"):
        if out.get(key):
            out[key] = [_with_marks(part, marks) for part in out[key]]
    if out.get("infoboxes"):  # a record leaves out the default type
        out["infoboxes"] = [{"type": "infobox", **box} for box in out["infoboxes"]]
    if out.get("references"):
        out["references"] = [{"text": None, **ref} for ref in out["references"]]


def _add_facts(out: dict[str, Any], facts: PageFacts, site: Site | None) -> None:
    if facts.date_created:
        out["date_created"] = facts.date_created
    if facts.previous_identifier:
        previous: dict[str, Any] = {"identifier": facts.previous_identifier}
        if facts.previous_characters is not None:
            previous["number_of_characters"] = facts.previous_characters
        out["previous_version"] = previous
    if facts.previous_timestamp:
        out["date_previously_modified"] = facts.previous_timestamp
    server = site.url if site else out.get("is_part_of", {}).get("url", "")
    out["redirects"] = [{"name": t, "url": article_url(server, t)} for t in facts.redirects]
    # Enterprise's flags say what is visible: text, editor, comment
    out["visibility"] = {field: not facts.hidden & bit for field, bit in HIDDEN_BITS.items()}


def structured(record: dict[str, Any]) -> dict[str, Any]:
    """An article (already through ``article``) as Enterprise's Structured Contents: no
    wikitext, table cells as ``{"value": ...}``."""
    out = {k: v for k, v in record.items() if k != "article_body"}
    if "tables" in out:
        out["tables"] = [_table(t) for t in out["tables"]]
    return out


def citation_marks(references: Any) -> dict[str, str]:
    """Each reference's footnote mark as a reader sees it: ``[1]``, or ``[note 2]`` in a
    named group (numbered per group, in the order the article cites them)."""
    counts: dict[str, int] = {}
    marks: dict[str, str] = {}
    for ref in references:
        group = ref.get("group") or ""
        counts[group] = counts.get(group, 0) + 1
        n = counts[group]
        marks[ref["identifier"]] = f"[{group} {n}]" if group else f"[{n}]"
    return marks


def _with_marks(part: dict[str, Any], marks: dict[str, str]) -> dict[str, Any]:
    out = dict(part)
    if part.get("citations"):
        out["citations"] = [
            {"text": marks.get(c["identifier"], ""), **c} for c in part["citations"]
        ]
    if part.get("has_parts"):
        out["has_parts"] = [_with_marks(p, marks) for p in part["has_parts"]]
    return out


def _table(table: dict[str, Any]) -> dict[str, Any]:
    out = dict(table)
    for key in ("headers", "rows"):
        out[key] = [[{"value": cell} for cell in row] for row in table.get(key, ())]
    return out


def partition_of(project: str, page_id: int) -> int:
    """The realtime partition of a page: every event of a page is in one partition, so a
    client reading some partitions sees each page's events in order."""
    return zlib.crc32(f"{project}:{page_id}".encode()) % PARTITIONS


def partitions_of_parts(parts: list[int]) -> set[int]:
    """Partitions read by the given parts (part k: partitions 5k .. 5k+4)."""
    size = PARTITIONS // MAX_PARTS
    return {p for part in parts for p in range(part * size, part * size + size)}


def event_type(change: ChangeEvent) -> str:
    """``update``, ``delete``, or ``visibility-change`` (a revision's fields were hidden: the
    change log records the same revision again)."""
    if change.kind == "delete":
        return "delete"
    if change.revision_id is not None and change.revision_id == change.previous_revision_id:
        return "visibility-change"
    return "update"


def event(change: ChangeEvent) -> dict[str, Any]:
    """Enterprise's ``event`` object for a change-log entry; ``offset`` is the change-log
    cursor (increasing within every partition), ``identifier`` its text. The type is given as
    ``type`` (Enterprise's data dictionary) and as ``event_type`` (what Enterprise's Python
    SDK's model reads)."""
    kind = event_type(change)
    return {
        "identifier": str(change.cursor),
        "type": kind,
        "event_type": kind,
        "date_created": change.recorded_at,
        "date_published": change.recorded_at,
        "partition": partition_of(change.project, change.page_id),
        "offset": change.cursor,
    }
