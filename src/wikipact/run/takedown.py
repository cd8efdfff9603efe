"""Taking content down by hand (a legal request): a page, or fields of one revision.

A page taken down leaves every later delivery (on-demand, realtime as a ``delete`` event,
search, snapshots, dataset builds) and every one of its stored revisions loses its text,
editor and comment, so that no dump re-ingested later and no replayed event brings it back. A
revision's fields (``text``, ``editor``, ``comment``) go the way a wiki's revision deletion
does (``RevisionHiding``). Each takedown is a line of the append-only audit log: who, what,
why, and what the store did.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict, dataclass

from wikipact.access.service import Access
from wikipact.errors import ConfigError, NotFoundError
from wikipact.store.base import (
    HIDEABLE,
    ApplyResult,
    ArticleStore,
    PageDeletion,
    RevisionHiding,
    StreamChange,
)


@dataclass
class Takedown:
    project: str
    page_id: int | None
    revisions: list[int]
    fields: list[str]
    result: ApplyResult


def take_down(
    store: ArticleStore,
    access: Access,
    *,
    project: str,
    reason: str,
    actor: str,
    page_id: int | None = None,
    title: str | None = None,
    revision_id: int | None = None,
    fields: Collection[str] = ("text", "editor", "comment"),
) -> Takedown:
    """Take down a page (by ``page_id`` or ``title``) or ``fields`` of one revision."""
    if not reason.strip():
        raise ConfigError("a takedown needs a reason (it is kept in the audit log)")
    unknown = set(fields) - HIDEABLE
    if unknown or not fields:
        raise ConfigError(f"fields must be among {sorted(HIDEABLE)}, got {sorted(fields)}")
    if (page_id, title, revision_id).count(None) != 2:
        raise ConfigError("name one of --page-id, --title or --revision")
    changes: list[StreamChange] = []
    if revision_id is not None:
        revisions = [revision_id]
        changes.append(RevisionHiding(project, revision_id, frozenset(fields)))
        chosen = list(fields)
    else:
        if title is not None:
            found = [a for a in store.find(title, project) if a.is_part_of.identifier == project]
            if not found:
                raise NotFoundError(f"{project}: no live page titled {title!r}")
            page_id = found[0].identifier
        assert page_id is not None
        revisions = [r[0] for r in store.revisions(project, page_id)]
        if not revisions:
            raise NotFoundError(f"{project}: no page {page_id} in the store")
        chosen = sorted(HIDEABLE)
        changes.append(PageDeletion(project, page_id))
        changes += [RevisionHiding(project, r, HIDEABLE) for r in revisions]
    result = store.apply_changes(changes, source="takedown")
    done = Takedown(project, page_id, revisions, chosen, result)
    target = f"{project}:page:{page_id}" if revision_id is None else f"{project}:rev:{revision_id}"
    access.audit(
        actor,
        "content.takedown",
        target,
        {"reason": reason, "fields": chosen, "revisions": revisions, "result": asdict(result)},
    )
    return done
