"""Stored records in Enterprise's shapes, with what the store knows beyond the record (the
page's creation, its previous revision, its redirects, hidden fields), and change-log events
as Enterprise's realtime and batch records. ``store`` is any article store (``store.base``)."""

from __future__ import annotations

from typing import Any

import msgspec

from wikipact.enterprise import shapes
from wikipact.store.base import ChangeEvent


def site_of(store: Any, project: str, url: str = "") -> shapes.Site:
    """The shapes' view of a project (its sitename and namespace names), from the store."""
    site = store.site(project)
    if site is None:
        return shapes.Site(identifier=project, url=url)
    return shapes.Site(
        identifier=project,
        url=site.server,
        sitename=site.sitename,
        namespaces={ns.key: ns.name for ns in site.namespaces},
    )


def enterprise_article(store: Any, record: dict[str, Any], *, facts: bool = True) -> dict[str, Any]:
    """``record`` (a stored article as JSON data) with Enterprise's fields added."""
    part = record.get("is_part_of") or {}
    project = part.get("identifier", "")
    site = site_of(store, project, part.get("url", ""))
    page_facts = None
    version = record.get("version") or {}
    if facts and project and "identifier" in record and "identifier" in version:
        page_facts = store.page_facts(
            project,
            record["identifier"],
            record.get("name", ""),
            version["identifier"],
            version.get("parent_identifier"),
        )
    return shapes.article(record, site, page_facts)


def event_record(store: Any, change: ChangeEvent) -> dict[str, Any]:
    """The article an event is about, in Enterprise's shape with its ``event``: the whole
    stored article when it is still at the event's revision, else what the event says."""
    record: dict[str, Any] = {
        "name": change.title,
        "identifier": change.page_id,
        "is_part_of": {"identifier": change.project},
        "namespace": {"identifier": change.namespace},
    }
    if change.revision_id is not None:
        record["version"] = {"identifier": change.revision_id}
    if change.kind != "delete":
        current = store.get(change.project, change.page_id)
        if current is not None and current.version.identifier == change.revision_id:
            record = msgspec.to_builtins(current)
    shaped = enterprise_article(store, record, facts="url" in record)
    shaped["event"] = shapes.event(change)
    return shaped
