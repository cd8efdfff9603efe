"""Realistic inputs for the follow tests, built from real pages only.

Every text the test server serves comes from a real MediaWiki dump in ``tests/data`` (see
``tests/data/ATTRIBUTION.md``), read with wikipact's own reader; nothing here writes page
content. What a dump does not record is either derived the way MediaWiki derives it or left
unknown:

* ``sha1``: the dump's base-36 SHA-1 converted to the 40 hex digits the API prints, or the
  SHA-1 of the text where the dump has none (MediaWiki's rev_sha1 is exactly that);
* ``parent_id``: the dump's ``<parentid>``; where the export format has none (export 0.3), the
  previous revision of the page in the dump, which is what MediaWiki's populateParentId.php
  filled in for old revisions; the first revision of a page in a full-history dump
  (``pages-meta-history``) is its creation, parent 0; otherwise unknown (``None``);
* revision-deleted parts of a dump (``<contributor deleted>``, ``<text deleted>``) become
  :attr:`Revision.hidden`.

The event builders write ``mediawiki/page/change`` events as the EventBus extension's
``PageChangeEventSerializer`` does (wikimedia/mediawiki-extensions-EventBus,
``includes/Serializers``) against the schema in wikimedia/schemas-event-primary
(``jsonschema/mediawiki/page/change``, fragments ``state/entity/{page,revision,user}``):

* ``page.page_title`` is the *prefixed* DB key (``TitleFormatter::getPrefixedDBkey``:
  "Talk:Main_Page"), ``namespace_id`` the number;
* ``revision.rev_sha1`` and ``content_slots.main.content_sha1`` are base-36
  (``RevisionRecord::getSha1``), unlike the API's hex; ``rev_parent_id`` is left out for a
  creation (the schema's minimum is 1); ``comment`` and ``editor`` are left out when
  revision-deleted (``getComment()``/``getUser()`` for the public audience);
* ``$schema`` and ``meta`` come last (``EventSerializer::createEvent`` merges them after the
  attributes); ``meta.id`` and ``meta.request_id`` are name-based UUIDs of the event's content,
  so the same input gives the same event every run; ``meta.dt`` (set by EventGate on intake)
  is the event's ``dt``.

What the dumps cannot tell (group membership, edit counts, registration dates) is not
invented: those optional user fields are left out, and ``is_bot`` is what the caller says.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote, urlsplit

from tests.follow.wikiserver import Revision, sha1_base36, sha1_hex
from wikipact import open_dump
from wikipact.model.project import server_of

PAGE_CHANGE_STREAM: Final = "mediawiki.page_change.v1"
# the version EventBus's serializer and its tests wrote with the fields built here (the
# page/change CHANGELOG: 1.2.0 made performer optional, for suppressions)
PAGE_CHANGE_SCHEMA: Final = "/mediawiki/page/change/1.2.0"
CHANGELOG_KINDS: Final = {
    "create": "insert",
    "edit": "update",
    "move": "update",
    "visibility_change": "update",
    "delete": "delete",
    "undelete": "insert",
}
_EVENT_IDS: Final = uuid.UUID("6f1e2c1a-0b7d-4c55-9a0e-77a1f0c0ffee")  # namespace for uuid5


def revisions_from_dump(path: str | os.PathLike[str], *, wiki: str | None = None) -> list[Revision]:
    """Every revision of every page of a dump, in dump order, as :class:`Revision`.

    ``wiki`` overrides the dump's database name (bare ``<page>`` files name it only through
    their file name). Reads anything :func:`wikipact.open_dump` reads (plain, bz2, 7z ...).
    """
    dump = open_dump(path)
    dbname = wiki or dump.site.dbname
    full_history = "pages-meta-history" in dump.name
    revisions: list[Revision] = []
    for page in dump.pages():
        latest = page.latest.identifier
        previous: int | None = None
        for raw in page.revisions:
            parent = raw.parent_identifier
            if parent is None:
                if previous is not None:
                    parent = previous  # populateParentId: the page's preceding revision
                elif full_history:
                    parent = 0  # the first revision of a complete history: the creation
            hidden: set[str] = set()
            editor: str | None = None
            editor_id: int | None = None
            contributor = raw.contributor
            if contributor is not None:
                if contributor.deleted:
                    hidden.add("editor")
                elif contributor.name is not None:
                    editor, editor_id = contributor.name, contributor.identifier
                else:
                    editor = contributor.ip  # an IP editor: no user id
            if raw.text_deleted:
                hidden.add("text")
            digest = f"{int(raw.sha1, 36):040x}" if raw.sha1 else sha1_hex(raw.text)
            revisions.append(
                Revision(
                    wiki=dbname,
                    page_id=page.identifier,
                    title=page.title,
                    namespace=page.namespace,
                    revision_id=raw.identifier,
                    parent_id=parent,
                    timestamp=raw.timestamp,
                    editor=editor,
                    editor_id=editor_id,
                    comment=raw.comment,
                    minor=raw.minor,
                    text=raw.text,
                    sha1=digest,
                    hidden=hidden,
                    content_model=raw.model or "wikitext",
                    content_format=raw.format or "text/x-wiki",
                    redirect_target=page.redirect_title if raw.identifier == latest else None,
                )
            )
            previous = raw.identifier
    return revisions


# --- entities ----------------------------------------------------------------------------------


def _db_key(title: str) -> str:
    return title.replace(" ", "_")


def _domain(wiki: str) -> str:
    server = server_of(wiki)
    return (urlsplit(server).hostname if server else None) or f"{wiki}.invalid"


def _page_uri(wiki: str, title: str) -> str:
    """The canonical page URL (PageEntitySerializer::canonicalPageURL, wfUrlencode)."""
    server = server_of(wiki) or f"https://{wiki}.invalid"
    return f"{server}/wiki/{quote(_db_key(title), safe=';@$!*(),/~:')}"


def _uuid(*parts: object) -> str:
    return str(uuid.uuid5(_EVENT_IDS, "\x1f".join(str(p) for p in parts)))


def user_entity(name: str, user_id: int | None, *, is_bot: bool = False) -> dict[str, Any]:
    """fragment/mediawiki/state/entity/user, as far as a dump knows the user."""
    registered = bool(user_id)
    user: dict[str, Any] = {
        "user_text": name,
        "is_bot": registered and is_bot,
        "is_registered": registered,
        "is_system": False,
        "is_temp": name.startswith("~"),  # temporary accounts are named "~2025-..."
    }
    if registered:
        user["user_id"] = user_id
    return user


def page_entity(revision: Revision) -> dict[str, Any]:
    """fragment/mediawiki/state/entity/page of the page a revision belongs to."""
    return {
        "page_id": revision.page_id,
        "page_title": _db_key(revision.title),
        "namespace_id": revision.namespace,
        "is_redirect": revision.redirect_target is not None,
    }


def revision_entity(
    revision: Revision, *, hidden: Iterable[str] | None = None, is_bot: bool = False
) -> dict[str, Any]:
    """fragment/mediawiki/state/entity/revision with editor and content_slots, as
    ``PageChangeEventSerializer::toRevisionAttrs`` writes it; ``hidden`` (default: the
    revision's own) decides the visibility flags and which fields are left out."""
    hide = set(revision.hidden if hidden is None else hidden)
    sha1 = sha1_base36(revision.sha1)
    attrs: dict[str, Any] = {
        "rev_id": revision.revision_id,
        "rev_dt": revision.timestamp,
        "is_minor_edit": revision.minor,
        "rev_sha1": sha1,
        "rev_size": revision.size,
    }
    if revision.parent_id:
        attrs["rev_parent_id"] = revision.parent_id
    if "comment" not in hide and revision.comment is not None:
        attrs["comment"] = revision.comment
    attrs["is_content_visible"] = "text" not in hide
    attrs["is_editor_visible"] = "editor" not in hide
    attrs["is_comment_visible"] = "comment" not in hide
    if "editor" not in hide and revision.editor is not None:
        attrs["editor"] = user_entity(revision.editor, revision.editor_id, is_bot=is_bot)
    attrs["content_slots"] = {
        "main": {
            "slot_role": "main",
            "content_model": revision.content_model,
            "content_sha1": sha1,
            "content_size": revision.size,
            "content_format": revision.content_format,
            "origin_rev_id": revision.revision_id,
        }
    }
    return attrs


def _event(
    kind: str,
    revision: Revision,
    *,
    dt: str,
    performer: Mapping[str, Any] | None,
    comment: str | None,
    hidden: Iterable[str] | None = None,
    is_bot: bool = False,
) -> dict[str, Any]:
    """The attributes every page change event has (toCommonAttrs); $schema and meta last."""
    event: dict[str, Any] = {
        "changelog_kind": CHANGELOG_KINDS[kind],
        "page_change_kind": kind,
        "dt": dt,
        "wiki_id": revision.wiki,
        "page": page_entity(revision),
    }
    if revision.redirect_target is not None:
        event["page"]["redirect_page_link"] = {
            "page_title": _db_key(revision.redirect_target),
            "namespace_id": 0,
        }
    if performer is not None:
        event["performer"] = dict(performer)
    if comment is not None:
        event["comment"] = comment
    event["revision"] = revision_entity(revision, hidden=hidden, is_bot=is_bot)
    return event


def _finish(event: dict[str, Any], revision: Revision, *, stream: str) -> dict[str, Any]:
    event["$schema"] = PAGE_CHANGE_SCHEMA
    event["meta"] = {
        "stream": stream,
        "uri": _page_uri(revision.wiki, revision.title),
        "id": _uuid(
            stream, event["wiki_id"], event["page_change_kind"], revision.revision_id, event["dt"]
        ),
        "request_id": _uuid("request", event["wiki_id"], revision.revision_id, event["dt"]),
        "domain": _domain(revision.wiki),
        "dt": event["dt"],
    }
    return event


def _editor_performer(revision: Revision, is_bot: bool) -> dict[str, Any] | None:
    if revision.editor is None or "editor" in revision.hidden:
        return None
    return user_entity(revision.editor, revision.editor_id, is_bot=is_bot)


# --- events ------------------------------------------------------------------------------------


def edit_event(
    revision: Revision,
    *,
    kind: str = "edit",
    dt: str | None = None,
    parent: Revision | None = None,
    is_bot: bool = False,
    stream: str = PAGE_CHANGE_STREAM,
) -> dict[str, Any]:
    """The ``create`` or ``edit`` event of a revision (toCreateEvent, toEditEvent): the
    editor performs it, ``dt`` is the revision's timestamp unless given, and an edit whose
    ``parent`` is given carries it as ``prior_state.revision``."""
    if kind not in ("create", "edit"):
        raise ValueError(f"edit_event makes create and edit events, not {kind!r}")
    event = _event(
        kind,
        revision,
        dt=dt or revision.timestamp,
        performer=_editor_performer(revision, is_bot),
        comment=None,
        is_bot=is_bot,
    )
    if kind == "edit" and parent is not None:
        event["prior_state"] = {"revision": revision_entity(parent)}
    return _finish(event, revision, stream=stream)


def history_events(
    revisions: Iterable[Revision], *, stream: str = PAGE_CHANGE_STREAM
) -> list[dict[str, Any]]:
    """The create/edit events of revisions in order: ``create`` where the revision is a page
    creation (parent 0), else ``edit`` with its parent as prior state when it is among them."""
    known: dict[tuple[str, int], Revision] = {}
    events = []
    for revision in revisions:
        parent = known.get((revision.wiki, revision.parent_id or 0))
        kind = "create" if revision.parent_id == 0 else "edit"
        events.append(edit_event(revision, kind=kind, parent=parent, stream=stream))
        known[(revision.wiki, revision.revision_id)] = revision
    return events


def delete_event(
    revision: Revision,
    *,
    dt: str | None = None,
    reason: str = "",
    performer: Mapping[str, Any] | None = None,
    revision_count: int | None = None,
    suppressed: bool = False,
    stream: str = PAGE_CHANGE_STREAM,
) -> dict[str, Any]:
    """The ``delete`` event of a page whose latest revision is ``revision`` (toDeleteEvent).

    ``dt`` defaults to the revision's timestamp (no clock is read). A ``suppressed`` deletion
    hides everything: the revision's visibility flags become false, its size, sha1, comment,
    editor and slots are left out, and ``prior_state.revision`` holds the previous flags.
    """
    event = _event(
        "delete", revision, dt=dt or revision.timestamp, performer=performer, comment=reason
    )
    if revision_count is not None:
        event["page"]["revision_count"] = revision_count
    if suppressed:
        current = event["revision"]
        for name in ("rev_size", "rev_sha1", "comment", "editor", "content_slots"):
            current.pop(name, None)
        prior = {flag: current[flag] for flag in _FLAGS}
        current.update(dict.fromkeys(_FLAGS, False))
        event["prior_state"] = {"revision": prior}
    return _finish(event, revision, stream=stream)


def undelete_event(
    revision: Revision,
    *,
    dt: str | None = None,
    reason: str = "",
    performer: Mapping[str, Any] | None = None,
    stream: str = PAGE_CHANGE_STREAM,
) -> dict[str, Any]:
    """The ``undelete`` event of a page restored with ``revision`` as its latest."""
    event = _event(
        "undelete", revision, dt=dt or revision.timestamp, performer=performer, comment=reason
    )
    return _finish(event, revision, stream=stream)


def moved_revision(
    revision: Revision,
    *,
    new_title: str,
    new_namespace: int | None = None,
    null_revision_id: int,
    dt: str | None = None,
    performer: str | None = None,
    performer_id: int | None = None,
    reason: str = "",
) -> Revision:
    """The null revision a page move saves: the same (real) text under the new title, a new
    revision id, the mover as editor, a minor edit with the move as its comment (MediaWiki's
    English "$3 moved page [[$1]] to [[$2]]: reason")."""
    who = performer or "Unknown user"
    comment = f"{who} moved page [[{revision.title}]] to [[{new_title}]]"
    if reason:
        comment += f": {reason}"
    return replace(
        revision,
        title=new_title,
        namespace=revision.namespace if new_namespace is None else new_namespace,
        revision_id=null_revision_id,
        parent_id=revision.revision_id,
        timestamp=dt or revision.timestamp,
        editor=performer,
        editor_id=performer_id,
        comment=comment,
        minor=True,
        hidden=set(),
        redirect_target=None,
    )


def move_event(
    moved: Revision,
    prior: Revision,
    *,
    reason: str = "",
    redirect_page_id: int | None = None,
    stream: str = PAGE_CHANGE_STREAM,
) -> dict[str, Any]:
    """The ``move`` event (toMoveEvent): ``moved`` is the null revision the move saved (see
    :func:`moved_revision`), ``prior`` the revision before it, at the old title. The event's
    comment is the mover's reason; ``prior_state.page`` lists only what changed (title,
    namespace); a redirect left at the old title is ``created_redirect_page``."""
    performer = _editor_performer(moved, False)
    event = _event("move", moved, dt=moved.timestamp, performer=performer, comment=reason)
    if redirect_page_id is not None:
        event["created_redirect_page"] = {
            "page_id": redirect_page_id,
            "page_title": _db_key(prior.title),
            "namespace_id": prior.namespace,
            "is_redirect": True,
        }
    old_page = page_entity(prior)
    event["prior_state"] = {
        "page": {k: v for k, v in old_page.items() if event["page"].get(k) != v},
        "revision": revision_entity(prior),
    }
    return _finish(event, moved, stream=stream)


_FLAGS: Final = ("is_content_visible", "is_editor_visible", "is_comment_visible")


def visibility_event(
    revision: Revision,
    hidden: Iterable[str],
    *,
    prior_hidden: Iterable[str] | None = None,
    dt: str | None = None,
    performer: Mapping[str, Any] | None = None,
    stream: str = PAGE_CHANGE_STREAM,
) -> dict[str, Any]:
    """The ``visibility_change`` event (toVisibilityChangeEvent) that leaves ``hidden`` (of
    text, editor, comment) deleted on ``revision``; ``prior_hidden`` (default: the revision's
    current ``hidden``) gives ``prior_state.revision``, which lists only the flags that
    changed. Hidden comment and editor are left out of the revision, as MediaWiki does."""
    now = set(hidden)
    event = _event(
        "visibility_change",
        revision,
        dt=dt or revision.timestamp,
        performer=performer,
        comment=None,
        hidden=now,
    )
    before = set(revision.hidden if prior_hidden is None else prior_hidden)
    prior_flags = {
        "is_content_visible": "text" not in before,
        "is_editor_visible": "editor" not in before,
        "is_comment_visible": "comment" not in before,
    }
    event["prior_state"] = {
        "revision": {k: v for k, v in prior_flags.items() if event["revision"][k] != v}
    }
    return _finish(event, revision, stream=stream)


def recentchange_events(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Events from a newline-delimited JSON file (one event object a line, blank lines
    skipped), such as a capture of ``curl https://stream.wikimedia.org/v2/stream/recentchange``
    reduced to its ``data:`` lines. Raises ``ValueError`` naming the line that is not one."""
    events: list[dict[str, Any]] = []
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        text = line.removeprefix("data: ")
        try:
            event = json.loads(text)
        except ValueError as error:
            raise ValueError(f"{path}:{number}: not JSON ({error})") from error
        if not isinstance(event, dict):
            raise ValueError(f"{path}:{number}: not a JSON object")
        events.append(event)
    return events
