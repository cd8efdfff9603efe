"""Change events from Wikimedia's EventStreams, reduced to what a follower needs to know.

Two public streams describe changes to page content, with different models:

``mediawiki.page_change.v1`` (schema ``/mediawiki/page/change/1.x``)
    The state-change model (T308017): one event per create, edit, move, delete, undelete or
    revision-visibility change, carrying the page (``page_id``, ``page_title``: MediaWiki's prefixed DB key,
    "Talk:Main_Page", as EventBus's page entity serializer writes it, ``namespace_id``), the revision (``rev_id``,
    ``rev_parent_id``, ``rev_dt``, ``rev_sha1``, ``rev_size``, ``editor``, the visibility flags)
    and, for moves and visibility changes, a ``prior_state``. The best source: page ids, sha1,
    and every kind of change in one shape.

``mediawiki.recentchange`` (schema ``/mediawiki/recentchange/1.0.0``)
    MediaWiki's RCFeed (Manual:RCFeed): ``type`` edit / new / log / categorize / external,
    ``title`` as printed (with spaces and the namespace prefix), unix-second ``timestamp``,
    ``revision.{old,new}``. Edits carry no page id (``id`` is the recentchanges row id), and
    deletions, undeletions, moves and revision deletions only appear as ``log`` events whose
    details sit in ``log_params`` (MediaWiki strips the ``4::`` style prefixes of its log
    parameters, so a move has ``log_params.target`` and a revision deletion ``ids``, ``ofield``
    and ``nfield``).

:func:`parse_event` turns either into one :class:`PageEvent`, returns ``None`` for a valid
event that is not about page content (category membership, Wikidata echoes, blocks, canary
events ...) so the caller can count it as ignored, and raises :class:`MalformedEvent` with a
reason for anything it cannot trust. It raises nothing else, whatever the input: a stream is
untrusted input and one bad line must never stop a follower.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from wikipact.errors import WikipactError

PAGE_CHANGE_STREAM: Final = "mediawiki.page_change.v1"
RECENTCHANGE_STREAM: Final = "mediawiki.recentchange"

KINDS: Final = frozenset({"create", "edit", "move", "delete", "undelete", "visibility"})
EDITOR_KINDS: Final = frozenset({"bot", "anonymous", "temporary", "registered"})
VISIBILITY_FIELDS: Final = frozenset({"text", "editor", "comment"})

# page_change_kind -> PageEvent.kind
_PAGE_CHANGE_KINDS: Final = {
    "create": "create",
    "edit": "edit",
    "move": "move",
    "delete": "delete",
    "undelete": "undelete",
    "visibility_change": "visibility",
}
# the revision's visibility flags in page_change -> the field they hide
_VISIBILITY_FLAGS: Final = (
    ("text", "is_content_visible"),
    ("editor", "is_editor_visible"),
    ("comment", "is_comment_visible"),
)
# MediaWiki's RevisionRecord::DELETED_* bits, as in a revision-deletion log's ofield/nfield.
# DELETED_RESTRICTED (8, "suppressed": hidden from administrators too) hides no field itself.
_DELETED_BITS: Final = ((1, "text"), (2, "comment"), (4, "editor"))
# the last unix second of year 9999; past it (or before 1970) a timestamp is garbage
_MAX_UNIX: Final = 253_402_300_799


class MalformedEvent(WikipactError):
    """An event that cannot be trusted: not JSON, not an object, a required field missing or of
    the wrong type, an unknown schema, a bad timestamp. ``reason`` says which, for counting and
    for the log line; the message adds what to look at."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"malformed change event: {reason}")
        self.reason = reason


@dataclass(frozen=True, slots=True)
class PageEvent:
    """One change to a page, whichever stream reported it.

    ``title`` is the page's title after the change (for a move: the new one), with spaces. Both
    streams give MediaWiki's prefixed title ("Draft:Foo"; page_change as a DB key with
    underscores, read here with spaces); nothing adds or strips a prefix. ``namespace`` is
    always the number.

    ``page_id`` is ``None`` where the stream does not say it (every recentchange event).
    ``revision_id`` is the revision the change produced (edits, creations) or concerns (the
    page's latest for delete/undelete/move in page_change; the first of the revisions whose
    visibility changed in a recentchange revision-deletion log); ``None`` when not stated.

    ``hidden`` and ``revealed`` are set only for ``kind == "visibility"``: which of ``text``,
    ``editor`` and ``comment`` are hidden after the change, and which were hidden before and
    are visible again.
    """

    stream: str
    wiki: str
    kind: str
    page_id: int | None
    title: str
    namespace: int
    revision_id: int | None
    parent_revision_id: int | None
    timestamp: str
    event_time: str
    editor: str | None
    editor_kind: str | None
    comment: str | None
    minor: bool
    sha1: str | None
    size: int | None
    prior_title: str | None
    prior_namespace: int | None
    redirect_page_id: int | None
    redirect_revision_id: int | None
    hidden: frozenset[str]
    revealed: frozenset[str]
    is_redirect: bool | None
    event_id: str | None


def parse_event(
    data: str | bytes | Mapping[str, Any], *, stream: str | None = None
) -> PageEvent | None:
    """Parse one event: the JSON text of an SSE ``data:`` field, or an already decoded object.

    The schema is taken from ``$schema``, else from ``meta.stream``, else from ``stream`` (the
    stream the caller subscribed to). Returns ``None`` for valid events that are not about page
    content; raises :class:`MalformedEvent` (and nothing else) for anything broken.
    """
    try:
        return _parse(data, stream)
    except MalformedEvent:
        raise
    except Exception as error:  # a bug here must not stop a follower: report it as the event's
        raise MalformedEvent(f"unreadable event ({type(error).__name__}: {error})") from error


def _parse(data: str | bytes | Mapping[str, Any], stream: str | None) -> PageEvent | None:
    event = _decode(data)
    schema = _schema_of(event, stream)
    meta = event.get("meta")
    if meta is not None and not isinstance(meta, Mapping):
        raise MalformedEvent("'meta' is not an object")
    meta = meta or {}
    if meta.get("domain") == "canary":
        # Wikimedia sends canary events through every stream to check it works; consumers are
        # told to discard them (wikitech: Event Platform/EventStreams)
        return None
    if schema == PAGE_CHANGE_STREAM:
        return _page_change(event, meta)
    return _recentchange(event, meta)


def _decode(data: str | bytes | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(data, Mapping):
        return data
    if isinstance(data, bytes | bytearray | memoryview):
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError as error:
            raise MalformedEvent(f"not UTF-8 ({error.reason} at byte {error.start})") from error
    if not isinstance(data, str):
        raise MalformedEvent(f"not JSON text but {type(data).__name__}")
    try:
        event = json.loads(data)
    except RecursionError as error:
        raise MalformedEvent("not JSON (nested too deeply)") from error
    except ValueError as error:  # JSONDecodeError, and lone surrogates
        raise MalformedEvent(f"not JSON ({error})") from error
    if not isinstance(event, dict):
        kind = {list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
            type(event), "number"
        )
        raise MalformedEvent(f"not a JSON object but a JSON {kind}")
    return event


def _schema_of(event: Mapping[str, Any], stream: str | None) -> str:
    """Which of the two models this event follows, as the canonical stream name."""
    schema = event.get("$schema")
    if schema is not None:
        if not isinstance(schema, str):
            raise MalformedEvent("'$schema' is not a string")
        if "/mediawiki/page/change/" in schema:
            return PAGE_CHANGE_STREAM
        if "/mediawiki/recentchange/" in schema:
            return RECENTCHANGE_STREAM
        raise MalformedEvent(f"unknown schema {schema[:200]!r}")
    meta = event.get("meta")
    named = meta.get("stream") if isinstance(meta, Mapping) else None
    for name in (named, stream):
        if isinstance(name, str) and name:
            if name.startswith("mediawiki.page_change"):
                return PAGE_CHANGE_STREAM
            if name in (RECENTCHANGE_STREAM, "recentchange"):
                return RECENTCHANGE_STREAM
            raise MalformedEvent(f"unknown schema: no '$schema', stream {name[:200]!r}")
    raise MalformedEvent("unknown schema: no '$schema', no 'meta.stream' and no stream given")


# --- typed field access --------------------------------------------------------------------------


def _object(
    parent: Mapping[str, Any], key: str, where: str, *, required: bool
) -> Mapping[str, Any]:
    value = parent.get(key)
    if value is None:
        if required:
            raise MalformedEvent(f"missing '{where}{key}'")
        return {}
    if not isinstance(value, Mapping):
        raise MalformedEvent(f"'{where}{key}' is not an object")
    return value


def _opt_int(parent: Mapping[str, Any], key: str, where: str) -> int | None:
    value = parent.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedEvent(f"'{where}{key}' is not an integer: {_show(value)}")
    return value


def _int(parent: Mapping[str, Any], key: str, where: str) -> int:
    value = _opt_int(parent, key, where)
    if value is None:
        raise MalformedEvent(f"missing '{where}{key}'")
    return value


def _id(parent: Mapping[str, Any], key: str, where: str) -> int:
    """A required page or revision id: a positive integer."""
    value = _int(parent, key, where)
    if value <= 0:
        raise MalformedEvent(f"'{where}{key}' is not a positive id: {value}")
    return value


def _opt_str(parent: Mapping[str, Any], key: str, where: str) -> str | None:
    value = parent.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise MalformedEvent(f"'{where}{key}' is not a string: {_show(value)}")
    return value


def _str(parent: Mapping[str, Any], key: str, where: str) -> str:
    """A required, non-empty string."""
    value = _opt_str(parent, key, where)
    if value is None:
        raise MalformedEvent(f"missing '{where}{key}'")
    if not value:
        raise MalformedEvent(f"'{where}{key}' is empty")
    return value


def _bool(parent: Mapping[str, Any], key: str, where: str) -> bool | None:
    value = parent.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise MalformedEvent(f"'{where}{key}' is not a boolean: {_show(value)}")
    return value


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _iso(value: str, what: str) -> str:
    """An ISO 8601 date-time as UTC 'YYYY-MM-DDTHH:MM:SSZ' (sub-seconds dropped; a time without
    a zone is taken as UTC, as MediaWiki's always are)."""
    try:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
    except (ValueError, OverflowError) as error:
        raise MalformedEvent(f"'{what}' is not an ISO 8601 date-time: {_show(value)}") from error
    return _utc(moment)


def _unix(value: int, what: str) -> str:
    if not 0 <= value <= _MAX_UNIX:
        raise MalformedEvent(f"'{what}' is out of range: {value}")
    return _utc(datetime.fromtimestamp(value, UTC))


def _utc(moment: datetime) -> str:
    # by hand: strftime's %Y does not pad years before 1000 to four digits on every platform
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
        f"T{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z"
    )


def _is_ip(user: str) -> bool:
    try:
        ipaddress.ip_address(user)
    except ValueError:
        return False
    return True


# --- mediawiki.page_change -----------------------------------------------------------------------


def _page_change(event: Mapping[str, Any], meta: Mapping[str, Any]) -> PageEvent | None:
    change = _str(event, "page_change_kind", "")
    wiki = _str(event, "wiki_id", "")
    page = _object(event, "page", "", required=True)
    page_id = _id(page, "page_id", "page.")
    title = _str(page, "page_title", "page.")
    namespace = _int(page, "namespace_id", "page.")
    is_redirect = _bool(page, "is_redirect", "page.")
    revision = _object(event, "revision", "", required=True)
    revision_id = _id(revision, "rev_id", "revision.")
    timestamp = _iso(_str(revision, "rev_dt", "revision."), "revision.rev_dt")
    parent_id = _opt_int(revision, "rev_parent_id", "revision.")
    sha1 = _opt_str(revision, "rev_sha1", "revision.")
    size = _opt_int(revision, "rev_size", "revision.")
    comment = _opt_str(revision, "comment", "revision.")
    minor = _bool(revision, "is_minor_edit", "revision.") or False
    editor, editor_kind = _page_change_editor(
        _object(revision, "editor", "revision.", required=False)
    )
    visible = {field: _bool(revision, flag, "revision.") for field, flag in _VISIBILITY_FLAGS}
    prior = _object(event, "prior_state", "", required=False)
    prior_page = _object(prior, "page", "prior_state.", required=False)
    prior_revision = _object(prior, "revision", "prior_state.", required=False)
    redirect = _object(event, "created_redirect_page", "", required=False)
    # common/2.0.0: 'dt' is when the change happened, 'meta.dt' when the event platform got it
    if event.get("dt") is not None:
        event_time = _iso(_str(event, "dt", ""), "dt")
    else:
        event_time = _iso(_str(meta, "dt", "meta."), "meta.dt")
    event_id = _opt_str(meta, "id", "meta.")

    kind = _PAGE_CHANGE_KINDS.get(change)
    if kind is None:
        return None  # a kind of change the model may add later: not ours to guess at
    prior_title: str | None = None
    prior_namespace: int | None = None
    redirect_page_id: int | None = None
    hidden: frozenset[str] = frozenset()
    revealed: frozenset[str] = frozenset()
    if kind == "move":
        old_title = _opt_str(prior_page, "page_title", "prior_state.page.")
        prior_title = old_title.replace("_", " ") if old_title else None
        prior_namespace = _opt_int(prior_page, "namespace_id", "prior_state.page.")
        if prior_namespace is None and prior_title is not None:
            prior_namespace = namespace  # prior_state holds only what changed
        if redirect:
            redirect_page_id = _id(redirect, "page_id", "created_redirect_page.")
    elif kind == "visibility":
        hidden = frozenset(field for field, shown in visible.items() if shown is False)
        revealed = frozenset(
            field
            for field, flag in _VISIBILITY_FLAGS
            if visible[field] is True
            and _bool(prior_revision, flag, "prior_state.revision.") is False
        )
    return PageEvent(
        stream=PAGE_CHANGE_STREAM,
        wiki=wiki,
        kind=kind,
        page_id=page_id,
        title=title.replace("_", " "),
        namespace=namespace,
        revision_id=revision_id,
        parent_revision_id=parent_id or None,  # MediaWiki writes 0 for "no parent"
        timestamp=timestamp,
        event_time=event_time,
        editor=editor,
        editor_kind=editor_kind,
        comment=comment,
        minor=minor,
        sha1=sha1 or None,
        size=size,
        prior_title=prior_title,
        prior_namespace=prior_namespace,
        redirect_page_id=redirect_page_id,
        # the schema gives a move's redirect no revision; the redirect's own create event has it
        redirect_revision_id=None,
        hidden=hidden,
        revealed=revealed,
        is_redirect=is_redirect,
        event_id=event_id,
    )


def _page_change_editor(editor: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The editor's name and kind. The editor is absent when it is hidden (is_editor_visible
    false): then both are None. Anonymous editors have no ``user_id`` (entity/user schema)."""
    if not editor:
        return None, None
    name = _opt_str(editor, "user_text", "revision.editor.")
    user_id = _opt_int(editor, "user_id", "revision.editor.")
    is_bot = _bool(editor, "is_bot", "revision.editor.")
    is_temp = _bool(editor, "is_temp", "revision.editor.")
    is_registered = _bool(editor, "is_registered", "revision.editor.")
    if is_bot:
        kind = "bot"
    elif is_temp:
        kind = "temporary"
    elif is_registered is False or not user_id or (name is not None and _is_ip(name)):
        kind = "anonymous"
    else:
        kind = "registered"
    return name, kind


# --- mediawiki.recentchange ----------------------------------------------------------------------


def _recentchange(event: Mapping[str, Any], meta: Mapping[str, Any]) -> PageEvent | None:
    rc_type = _str(event, "type", "")
    wiki = _str(event, "wiki", "")
    title = _str(event, "title", "")
    namespace = _int(event, "namespace", "")
    timestamp = _unix(_int(event, "timestamp", ""), "timestamp")
    user = _opt_str(event, "user", "")
    bot = _bool(event, "bot", "") or False
    comment = _opt_str(event, "comment", "")
    minor = _bool(event, "minor", "") or False
    event_time = _iso(_str(meta, "dt", "meta."), "meta.dt")
    event_id = _opt_str(meta, "id", "meta.")

    revision_id: int | None = None
    parent_id: int | None = None
    size: int | None = None
    prior_title: str | None = None
    prior_namespace: int | None = None
    hidden: frozenset[str] = frozenset()
    revealed: frozenset[str] = frozenset()
    if rc_type in ("edit", "new"):
        kind = "edit" if rc_type == "edit" else "create"
        revision = _object(event, "revision", "", required=True)
        revision_id = _id(revision, "new", "revision.")
        parent_id = _opt_int(revision, "old", "revision.") or None  # 0 or null: a creation
        size = _opt_int(_object(event, "length", "", required=False), "new", "length.")
    elif rc_type == "log":
        log_type = _opt_str(event, "log_type", "")
        log_action = _opt_str(event, "log_action", "")
        params = event.get("log_params")
        found = _log_kind(log_type, log_action, params)
        if found is None:
            return None
        kind = found
        if kind == "move":
            # title is where the page was; log_params.target where it is now. The target's
            # namespace number is not in the event and its prefix is localised (only the wiki's
            # siteinfo maps it), so namespace stays the event's: the page's namespace before
            # the move, right unless the move crossed namespaces.
            target = _str(_params(params, "move"), "target", "log_params.")
            prior_title, prior_namespace, title = title, namespace, target
        elif kind == "visibility":
            revision_id, hidden, revealed = _revision_deletion(params)
        minor = False
    else:
        return None  # categorize, external (Wikidata), and any rc_type added later: not ours
    return PageEvent(
        stream=RECENTCHANGE_STREAM,
        wiki=wiki,
        kind=kind,
        page_id=None,  # recentchange's 'id' is the recentchanges row, never the page
        title=title,
        namespace=namespace,
        revision_id=revision_id,
        parent_revision_id=parent_id,
        timestamp=timestamp,
        event_time=event_time,
        editor=user,
        editor_kind=_rc_editor_kind(user, bot),
        comment=comment,
        minor=minor,
        sha1=None,
        size=size,
        prior_title=prior_title,
        prior_namespace=prior_namespace,
        redirect_page_id=None,
        redirect_revision_id=None,
        hidden=hidden,
        revealed=revealed,
        is_redirect=None,
        event_id=event_id,
    )


def _log_kind(log_type: str | None, log_action: str | None, params: object) -> str | None:
    """The PageEvent kind of a log event, or None for logs that do not change page content
    (blocks, user creation, protection, log-entry deletion, file uploads ...)."""
    if log_type == "delete":
        if log_action in ("delete", "delete_redir", "delete_redir2"):
            return "delete"  # delete_redir*: a redirect deleted to make way for a move
        if log_action == "restore":
            return "undelete"
        if log_action == "revision":
            return _revision_log(params)
        return None  # 'event' hides log entries, not revisions
    if log_type == "suppress":
        if log_action == "revision":
            return _revision_log(params)
        if log_action == "delete":
            return "delete"  # a deletion that was also suppressed
        return None  # suppressed log entries, blocks
    if log_type == "move" and log_action in ("move", "move_redir"):
        return "move"
    return None


def _revision_log(params: object) -> str | None:
    # log_params.type says what the ids are: 'revision', or 'oldimage'/'filearchive' (file
    # versions), 'archive' (deleted revisions), 'logging' (log entries: not page content)
    kind = params.get("type") if isinstance(params, Mapping) else None
    if kind is None or kind == "revision":
        return "visibility"
    if not isinstance(kind, str):
        raise MalformedEvent(f"'log_params.type' is not a string: {_show(kind)}")
    return None


def _params(params: object, what: str) -> Mapping[str, Any]:
    if params is None:
        raise MalformedEvent(f"{what} log event without 'log_params'")
    if not isinstance(params, Mapping):
        raise MalformedEvent(f"{what} log event with 'log_params' that is not an object")
    return params


def _revision_deletion(params: object) -> tuple[int | None, frozenset[str], frozenset[str]]:
    """The first revision id of a revision-deletion log, and the fields now hidden and now
    revealed, from log_params ``ids`` and the ``ofield``/``nfield`` bitfields (each optional:
    MediaWiki has written these logs in several shapes over the years)."""
    if params is None or (isinstance(params, list) and not params):
        return None, frozenset(), frozenset()
    params = _params(params, "revision deletion")
    ids = params.get("ids")
    first: int | None = None
    if ids is not None:
        if isinstance(ids, Mapping):  # PHP arrays with non-sequential keys become objects
            ids = list(ids.values())
        if not isinstance(ids, list):
            raise MalformedEvent("'log_params.ids' is not a list")
        if ids:
            first = _id_value(ids[0], "log_params.ids[0]")
    old = _bits(params.get("ofield"), "log_params.ofield")
    new = _bits(params.get("nfield"), "log_params.nfield")
    hidden = frozenset(field for bit, field in _DELETED_BITS if new is not None and new & bit)
    revealed = frozenset(
        field
        for bit, field in _DELETED_BITS
        if old is not None and new is not None and old & bit and not new & bit
    )
    return first, hidden, revealed


def _id_value(value: object, what: str) -> int:
    """A revision id that MediaWiki may have stored as a number or as a string of digits."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and int(value) > 0:
        return int(value)
    raise MalformedEvent(f"'{what}' is not a revision id: {_show(value)}")


def _bits(value: object, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 10:
        return int(value)
    raise MalformedEvent(f"'{what}' is not a bitfield: {_show(value)}")


def _rc_editor_kind(user: str | None, bot: bool) -> str | None:
    if user is None:
        return None
    if bot:
        return "bot"
    if _is_ip(user):
        return "anonymous"
    if user.startswith("~"):
        return "temporary"  # temporary accounts are named "~2024-12345" (IP masking)
    return "registered"
