"""parse_event on real EventStreams captures and on every documented shape of the two models.

recentchange: the shared corpus holds 100 real ``mediawiki.recentchange`` events (enwiki edits,
2023-07-29 07:51–07:53 UTC, from GitHub jeroenjanssens/python-polars-the-definitive-guide,
data/wikimedia.ndjson; see the corpus README). The facts asserted about them were read off the
file. Log events (deletions, moves, revision deletions) are not in that capture; their tests take
a real event from it and give it the log fields that MediaWiki's MachineReadableRCFeedFormatter
writes (log_type, log_action, log_params with the "4::" prefixes stripped).

page_change: no real capture of ``mediawiki.page_change.v1`` events with a known licence was found
(searched GitHub and the web for captures, fixtures and examples), so the events below are built
from the schema's documented fields: wikimedia/schemas-event-primary,
jsonschema/mediawiki/page/change/current.yaml (1.2.0, with its example event) and the fragments
it includes (fragment/mediawiki/state/change/page, entity/page, entity/revision, entity/user).
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wikipact.follow.events import (
    EDITOR_KINDS,
    KINDS,
    PAGE_CHANGE_STREAM,
    RECENTCHANGE_STREAM,
    VISIBILITY_FIELDS,
    MalformedEvent,
    PageEvent,
    parse_event,
)

CAPTURE = Path("original/jeroenjanssens+python-polars-the-definitive-guide/data/wikimedia.ndjson")


@pytest.fixture
def capture(corpus: Path) -> list[bytes]:
    path = corpus / CAPTURE
    if not path.exists():
        pytest.skip(f"the EventStreams capture is not in the shared corpus ({path})")
    return [line for line in path.read_bytes().splitlines() if line.strip()]


# the first event of the capture, verbatim (a real enwiki edit by an IP editor); the tests that do
# not need the corpus start from it
REAL_RC_EDIT: dict[str, Any] = {
    "$schema": "/mediawiki/recentchange/1.0.0",
    "meta": {
        "uri": "https://en.wikipedia.org/wiki/EFL_Championship",
        "request_id": "ea0541fb-4e72-4fc3-82f0-6c26651b2043",
        "id": "0416300b-980c-45bb-b0a2-c9d7a9e2b7eb",
        "dt": "2023-07-29T07:51:39Z",
        "domain": "en.wikipedia.org",
        "stream": "mediawiki.recentchange",
        "topic": "eqiad.mediawiki.recentchange",
        "partition": 0,
        "offset": 4820784717,
    },
    "id": 1659529639,
    "type": "edit",
    "namespace": 0,
    "title": "EFL Championship",
    "title_url": "https://en.wikipedia.org/wiki/EFL_Championship",
    "comment": "/* League champions, runners-up and play-off finalists */",
    "timestamp": 1690617099,
    "user": "87.12.215.232",
    "bot": False,
    "notify_url": "https://en.wikipedia.org/w/index.php?diff=1167689309&oldid=1166824248",
    "minor": False,
    "length": {"old": 91108, "new": 91166},
    "revision": {"old": 1166824248, "new": 1167689309},
    "server_url": "https://en.wikipedia.org",
    "server_name": "en.wikipedia.org",
    "server_script_path": "/w",
    "wiki": "enwiki",
    "parsedcomment": '<span dir="auto"><span class="autocomment"><a href="/wiki/EFL_Championship#League_champions,_runners-up_and_play-off_finalists" title="EFL Championship">→\u200eLeague champions, runners-up and play-off finalists</a></span></span>',
}


def rc(**changes: Any) -> dict[str, Any]:
    """The real edit above with some fields replaced (None removes a field)."""
    event = copy.deepcopy(REAL_RC_EDIT)
    for key, value in changes.items():
        if value is None:
            event.pop(key, None)
        else:
            event[key] = value
    return event


def rc_log(log_type: str, log_action: str, log_params: Any = None, **changes: Any) -> dict:
    """A log event as MachineReadableRCFeedFormatter writes one: no length/revision/minor."""
    event = rc(type="log", length=None, revision=None, minor=None, notify_url=None, **changes)
    event.update(log_id=153_000_001, log_type=log_type, log_action=log_action)
    event["log_action_comment"] = f"{log_action} [[{event['title']}]]"
    if log_params is not None:
        event["log_params"] = log_params
    return event


# --- the real capture --------------------------------------------------------------------------


@pytest.mark.corpus
def test_every_event_of_the_real_capture_is_an_enwiki_edit(capture: list[bytes]) -> None:
    events = [parse_event(line) for line in capture]
    assert len(events) == 100
    assert all(isinstance(e, PageEvent) for e in events)
    parsed = [e for e in events if e is not None]
    assert {(e.stream, e.wiki, e.kind) for e in parsed} == {(RECENTCHANGE_STREAM, "enwiki", "edit")}
    # recentchange's 'id' is the recentchanges row id: never reported as the page id
    assert all(e.page_id is None for e in parsed)
    assert len({e.revision_id for e in parsed}) == 100
    assert all(e.parent_revision_id is not None for e in parsed)
    assert all(e.prior_title is None and not e.hidden and not e.revealed for e in parsed)


@pytest.mark.corpus
def test_editor_kinds_minor_edits_and_namespaces_of_the_real_capture(capture: list[bytes]) -> None:
    parsed = [parse_event(line) for line in capture]
    events = [e for e in parsed if e is not None]
    assert Counter(e.editor_kind for e in events) == {"registered": 73, "anonymous": 25, "bot": 2}
    assert sorted((e.editor, e.title) for e in events if e.editor_kind == "bot") == [
        ("Citation bot", "Draft:Mallam Mudi Yahaya"),
        ("InternetArchiveBot", "Abdul Hamid Khan Bhashani"),
    ]
    # IPv6 editors count as anonymous too (MediaWiki prints them in upper case)
    anonymous = {e.editor for e in events if e.editor_kind == "anonymous"}
    assert "2600:8801:8A00:980:8549:C495:5501:6623" in anonymous
    assert "87.12.215.232" in anonymous
    assert sum(e.minor for e in events) == 7
    assert Counter(e.namespace for e in events) == {0: 86, 2: 8, 118: 4, 4: 2}
    # recentchange titles keep their namespace prefix
    draft = next(e for e in events if e.title == "Draft:Mallam Mudi Yahaya")
    assert draft.namespace == 118
    assert sum(1 for e in events if e.comment == "") == 24


@pytest.mark.corpus
def test_times_of_the_real_capture(capture: list[bytes]) -> None:
    events = [e for e in (parse_event(line) for line in capture) if e is not None]
    # in this capture the unix 'timestamp' and meta.dt agree to the second, for every event
    assert all(e.timestamp == e.event_time for e in events)
    assert min(e.timestamp for e in events) == "2023-07-29T07:51:39Z"
    assert max(e.timestamp for e in events) == "2023-07-29T07:53:59Z"


@pytest.mark.corpus
def test_the_first_and_last_real_events_field_by_field(capture: list[bytes]) -> None:
    first = parse_event(capture[0])
    assert first == PageEvent(
        stream=RECENTCHANGE_STREAM,
        wiki="enwiki",
        kind="edit",
        page_id=None,
        title="EFL Championship",
        namespace=0,
        revision_id=1167689309,
        parent_revision_id=1166824248,
        timestamp="2023-07-29T07:51:39Z",
        event_time="2023-07-29T07:51:39Z",
        editor="87.12.215.232",
        editor_kind="anonymous",
        comment="/* League champions, runners-up and play-off finalists */",
        minor=False,
        sha1=None,
        size=91166,
        prior_title=None,
        prior_namespace=None,
        redirect_page_id=None,
        redirect_revision_id=None,
        hidden=frozenset(),
        revealed=frozenset(),
        is_redirect=None,
        event_id="0416300b-980c-45bb-b0a2-c9d7a9e2b7eb",
    )
    last = parse_event(capture[-1])
    assert last is not None
    assert (last.title, last.revision_id, last.parent_revision_id) == (
        "List of bus routes in London",
        1167689472,
        1167688737,
    )
    assert (last.editor, last.editor_kind, last.size) == (
        "Pedroperezhumberto",
        "registered",
        155098,
    )
    assert last.timestamp == "2023-07-29T07:53:54Z"


@pytest.mark.corpus
def test_text_bytes_and_decoded_objects_parse_alike(capture: list[bytes]) -> None:
    for line in capture[:20]:
        decoded = json.loads(line)
        assert parse_event(line) == parse_event(line.decode()) == parse_event(decoded)


def test_the_vendored_real_edit_matches_the_capture_when_present(corpus: Path) -> None:
    path = corpus / CAPTURE
    if not path.exists():
        pytest.skip(f"the EventStreams capture is not in the shared corpus ({path})")
    assert json.loads(path.read_bytes().splitlines()[0]) == REAL_RC_EDIT


# --- recentchange: every kind ------------------------------------------------------------------


def test_a_page_creation_has_no_parent() -> None:
    event = parse_event(
        rc(type="new", revision={"old": None, "new": 1167700000}, length={"old": None, "new": 10})
    )
    assert event is not None
    assert (event.kind, event.revision_id, event.parent_revision_id, event.size) == (
        "create",
        1167700000,
        None,
        10,
    )


def test_a_deletion_log_is_a_delete() -> None:
    event = parse_event(rc_log("delete", "delete", [], user="Admin"))
    assert event is not None
    assert (event.kind, event.title, event.revision_id, event.editor_kind) == (
        "delete",
        "EFL Championship",
        None,
        "registered",
    )
    # a redirect deleted to make way for a move, and a deletion that was also suppressed
    assert parse_event(rc_log("delete", "delete_redir", {})).kind == "delete"  # type: ignore[union-attr]
    assert parse_event(rc_log("suppress", "delete", {})).kind == "delete"  # type: ignore[union-attr]


def test_a_restore_log_is_an_undelete() -> None:
    event = parse_event(rc_log("delete", "restore", {"count": {"revisions": 3, "files": 0}}))
    assert event is not None and event.kind == "undelete"


@pytest.mark.parametrize("action", ["move", "move_redir"])
def test_a_move_log_gives_the_new_title_and_the_old_one(action: str) -> None:
    event = parse_event(
        rc_log("move", action, {"target": "EFL Championship (football)", "noredir": "0"})
    )
    assert event is not None
    assert event.kind == "move"
    assert (event.title, event.prior_title) == ("EFL Championship (football)", "EFL Championship")
    # the target's namespace is not in the event: the event's own is kept (documented)
    assert (event.namespace, event.prior_namespace) == (0, 0)
    assert event.revision_id is None and event.redirect_page_id is None


def test_a_revision_deletion_log_says_what_is_hidden_and_revealed() -> None:
    params = {"type": "revision", "ids": ["1166824248", "1166800000"], "ofield": 2, "nfield": 5}
    event = parse_event(rc_log("delete", "revision", params))
    assert event is not None
    assert event.kind == "visibility"
    assert event.revision_id == 1166824248  # the first of the ids
    assert event.hidden == {"text", "editor"}  # nfield 5 = text (1) + user (4)
    assert event.revealed == {"comment"}  # hidden before (ofield 2), not any more


def test_a_suppression_is_a_visibility_change_and_restricted_hides_no_field() -> None:
    params = {"type": "revision", "ids": [1166824248], "ofield": 0, "nfield": 9}
    event = parse_event(rc_log("suppress", "revision", params))
    assert event is not None
    assert (event.kind, event.hidden, event.revealed) == ("visibility", {"text"}, frozenset())


def test_a_revision_deletion_without_parameters_is_still_a_visibility_change() -> None:
    event = parse_event(rc_log("delete", "revision"))
    assert event is not None
    assert (event.kind, event.revision_id, event.hidden) == ("visibility", None, frozenset())


@pytest.mark.parametrize(
    "event",
    [
        rc(type="categorize", title="Category:Association football leagues", namespace=14),
        rc(type="external"),  # Wikidata changes echoed into a client wiki
        rc(type="some_future_type"),
        rc_log("block", "block", {"duration": "1 week"}),
        rc_log("newusers", "create", {}),
        rc_log("protect", "protect", {}),
        rc_log("delete", "event", {"type": "logging", "ids": [1]}),  # log entries hidden
        rc_log("suppress", "event", {}),
        rc_log("delete", "revision", {"type": "oldimage", "ids": ["20230729075139"]}),
        rc_log("upload", "upload", {}),
        rc(meta={**REAL_RC_EDIT["meta"], "domain": "canary"}),  # Wikimedia's probe events
    ],
)
def test_valid_events_not_about_page_content_are_ignored(event: dict) -> None:
    assert parse_event(event) is None


@pytest.mark.parametrize(
    ("user", "bot", "kind"),
    [
        ("Ss112", False, "registered"),
        ("InternetArchiveBot", True, "bot"),
        ("87.12.215.232", False, "anonymous"),
        ("2A00:23C7:E915:1201:FCCE:745A:9395:F148", False, "anonymous"),
        ("~2025-31415-9", False, "temporary"),
    ],
)
def test_recentchange_editor_kinds(user: str, bot: bool, kind: str) -> None:
    event = parse_event(rc(user=user, bot=bot))
    assert event is not None and (event.editor, event.editor_kind) == (user, kind)


def test_no_user_means_no_editor() -> None:
    event = parse_event(rc(user=None))
    assert event is not None and (event.editor, event.editor_kind) == (None, None)


def test_schema_from_meta_stream_or_from_the_subscribed_stream() -> None:
    without_schema = rc(**{"$schema": None})
    assert parse_event(without_schema) == parse_event(REAL_RC_EDIT)
    bare = rc(**{"$schema": None, "meta": {"dt": "2023-07-29T07:51:39Z"}})
    with pytest.raises(MalformedEvent, match="unknown schema"):
        parse_event(bare)
    event = parse_event(bare, stream="mediawiki.recentchange")
    assert event is not None and event.revision_id == 1167689309


# --- mediawiki.page_change ---------------------------------------------------------------------


def page_change(kind: str = "edit", **changes: Any) -> dict[str, Any]:
    """An event of the page_change schema (1.2.0), built from its documented fields."""
    event: dict[str, Any] = {
        "$schema": "/mediawiki/page/change/1.2.0",
        "meta": {
            "stream": "mediawiki.page_change.v1",
            "id": "b0a3c7a4-6e0a-4c3c-9d0c-0c6b9d2b8f11",
            "dt": "2024-03-05T10:00:02.512Z",
            "domain": "de.wikipedia.org",
            "uri": "https://de.wikipedia.org/wiki/Benutzer:Beispiel/Entwurf_Seite",
        },
        "dt": "2024-03-05T10:00:01Z",
        "changelog_kind": "update",
        "page_change_kind": kind,
        "wiki_id": "dewiki",
        "page": {
            "page_id": 12345,
            "page_title": "Beispiel/Entwurf_Seite",
            "namespace_id": 2,
            "is_redirect": False,
        },
        "performer": {"user_id": 42, "user_text": "Beispiel", "is_bot": False},
        "revision": {
            "rev_id": 240000001,
            "rev_parent_id": 239999990,
            "rev_dt": "2024-03-05T10:00:01Z",
            "rev_sha1": "16619839a55cfb5c61bcf520bf9734e0c67f98cc",
            "rev_size": 2048,
            "comment": "Tippfehler",
            "is_minor_edit": True,
            "is_comment_visible": True,
            "is_content_visible": True,
            "is_editor_visible": True,
            "editor": {
                "user_id": 42,
                "user_text": "Beispiel",
                "is_bot": False,
                "is_temp": False,
                "is_registered": True,
                "groups": ["*", "user", "autoconfirmed"],
            },
            "content_slots": {
                "main": {
                    "slot_role": "main",
                    "content_model": "wikitext",
                    "content_format": "text/x-wiki",
                    "content_size": 2048,
                    "content_sha1": "16619839a55cfb5c61bcf520bf9734e0c67f98cc",
                    "origin_rev_id": 240000001,
                }
            },
        },
    }
    event.update(changes)
    return event


def test_a_page_change_edit_field_by_field() -> None:
    event = parse_event(json.dumps(page_change()))
    assert event == PageEvent(
        stream=PAGE_CHANGE_STREAM,
        wiki="dewiki",
        kind="edit",
        page_id=12345,
        title="Beispiel/Entwurf Seite",  # DB form to spaces, no namespace prefix
        namespace=2,
        revision_id=240000001,
        parent_revision_id=239999990,
        timestamp="2024-03-05T10:00:01Z",
        event_time="2024-03-05T10:00:01Z",  # 'dt' (the change), not meta.dt (its arrival)
        editor="Beispiel",
        editor_kind="registered",
        comment="Tippfehler",
        minor=True,
        sha1="16619839a55cfb5c61bcf520bf9734e0c67f98cc",
        size=2048,
        prior_title=None,
        prior_namespace=None,
        redirect_page_id=None,
        redirect_revision_id=None,
        hidden=frozenset(),
        revealed=frozenset(),
        is_redirect=False,
        event_id="b0a3c7a4-6e0a-4c3c-9d0c-0c6b9d2b8f11",
    )


def test_the_schemas_own_example_event_parses() -> None:
    # the example in jsonschema/mediawiki/page/change/current.yaml, as YAML reads it
    example = {
        "$schema": "/mediawiki/page/change/1.2.0",
        "dt": "2021-01-01T00:00:00.0Z",
        "meta": {
            "domain": "examplewiki",
            "dt": "2021-01-01T00:00:00.0Z",
            "stream": "mediawiki.page_change",
        },
        "changelog_kind": "update",
        "page_change_kind": "edit",
        "wiki_id": "example",
        "comment": "changed a thing",
        "page": {
            "namespace_id": 1,
            "page_id": 1,
            "page_title": "example",
            "revision_count": 1,
            "is_redirect": True,
            "redirect_page_link": {
                "page_id": 2,
                "is_redirect": False,
                "page_title": "Redirect_Target",
                "namespace_id": 1,
            },
        },
        "performer": {"user_id": 123, "user_text": "yoohoo"},
        "revision": {
            "rev_dt": "2021-01-01T00:00:00.0Z",
            "rev_id": 2,
            "rev_parent_id": 1,
            "rev_sha1": "16619839a55cfb5c61bcf520bf9734e0c67f98cc",
            "rev_size": 100,
            "comment": "changed a thing",
            "editor": {"user_id": 123, "user_text": "example"},
            "is_minor_edit": False,
            "is_comment_visible": True,
            "is_content_visible": True,
            "is_editor_visible": True,
        },
    }
    event = parse_event(example)
    assert event is not None
    assert (event.wiki, event.kind, event.page_id, event.title, event.namespace) == (
        "example",
        "edit",
        1,
        "example",
        1,
    )
    assert (event.revision_id, event.parent_revision_id, event.is_redirect) == (2, 1, True)
    assert (event.editor, event.editor_kind, event.timestamp) == (
        "example",
        "registered",
        "2021-01-01T00:00:00Z",
    )


def test_a_page_creation_without_parent_by_an_anonymous_editor() -> None:
    event = page_change("create", changelog_kind="insert")
    event["revision"].pop("rev_parent_id")
    # entity/user: anonymous editors have no user_id
    event["revision"]["editor"] = {"user_text": "2001:db8::1", "is_bot": False, "is_temp": False}
    parsed = parse_event(event)
    assert parsed is not None
    assert (parsed.kind, parsed.parent_revision_id) == ("create", None)
    assert (parsed.editor, parsed.editor_kind) == ("2001:db8::1", "anonymous")


@pytest.mark.parametrize(
    ("editor", "kind"),
    [
        ({"user_id": 7, "user_text": "ZwoBot", "is_bot": True, "groups": ["bot"]}, "bot"),
        ({"user_id": 9, "user_text": "~2024-10042", "is_temp": True}, "temporary"),
        ({"user_id": 3, "user_text": "Beispiel", "is_registered": True}, "registered"),
        ({"user_text": "192.0.2.7"}, "anonymous"),
    ],
)
def test_page_change_editor_kinds(editor: dict, kind: str) -> None:
    event = page_change()
    event["revision"]["editor"] = editor
    parsed = parse_event(event)
    assert parsed is not None and parsed.editor_kind == kind


def test_a_hidden_editor_is_absent_and_unknown() -> None:
    event = page_change()
    del event["revision"]["editor"]
    event["revision"]["is_editor_visible"] = False
    parsed = parse_event(event)
    assert parsed is not None and (parsed.editor, parsed.editor_kind) == (None, None)


def test_a_page_change_move_with_its_redirect() -> None:
    event = page_change(
        "move",
        page={"page_id": 12345, "page_title": "Entwurf_Seite", "namespace_id": 0},
        prior_state={"page": {"page_title": "Beispiel/Entwurf_Seite", "namespace_id": 2}},
        created_redirect_page={
            "page_id": 12399,
            "page_title": "Beispiel/Entwurf_Seite",
            "namespace_id": 2,
            "is_redirect": True,
        },
    )
    parsed = parse_event(event)
    assert parsed is not None
    assert (parsed.kind, parsed.title, parsed.namespace) == ("move", "Entwurf Seite", 0)
    assert (parsed.prior_title, parsed.prior_namespace) == ("Beispiel/Entwurf Seite", 2)
    assert (parsed.redirect_page_id, parsed.redirect_revision_id) == (12399, None)


def test_a_move_within_a_namespace_and_without_redirect() -> None:
    # prior_state holds only the fields that changed: the namespace stayed
    event = page_change("move", prior_state={"page": {"page_title": "Alter_Titel"}})
    parsed = parse_event(event)
    assert parsed is not None
    assert (parsed.prior_title, parsed.prior_namespace, parsed.redirect_page_id) == (
        "Alter Titel",
        2,
        None,
    )


@pytest.mark.parametrize("kind", ["delete", "undelete"])
def test_page_change_deletions_and_undeletions(kind: str) -> None:
    event = page_change(kind, changelog_kind="delete" if kind == "delete" else "insert")
    parsed = parse_event(event)
    assert parsed is not None
    assert (parsed.kind, parsed.page_id, parsed.revision_id) == (kind, 12345, 240000001)


def test_a_page_change_visibility_change() -> None:
    event = page_change("visibility_change")
    revision = event["revision"]
    revision.update(is_content_visible=False, is_comment_visible=True, is_editor_visible=False)
    del revision["editor"]
    event["prior_state"] = {
        "revision": {
            "rev_id": 240000001,
            "rev_dt": "2024-03-05T10:00:01Z",
            "is_content_visible": True,
            "is_comment_visible": False,
            "is_editor_visible": True,
        }
    }
    del event["performer"]  # 1.2.0: no performer for suppressed visibility changes
    parsed = parse_event(event)
    assert parsed is not None
    assert parsed.kind == "visibility"
    assert parsed.hidden == {"text", "editor"}
    assert parsed.revealed == {"comment"}
    assert parsed.hidden <= VISIBILITY_FIELDS and parsed.revealed <= VISIBILITY_FIELDS


def test_hidden_fields_are_only_reported_for_visibility_changes() -> None:
    event = page_change()
    event["revision"]["is_content_visible"] = False
    parsed = parse_event(event)
    assert parsed is not None and parsed.hidden == frozenset()


def test_page_change_schema_from_meta_stream_and_event_time_from_meta_dt() -> None:
    event = page_change()
    del event["$schema"], event["dt"]
    parsed = parse_event(event)
    assert parsed is not None
    assert parsed.stream == PAGE_CHANGE_STREAM
    assert parsed.event_time == "2024-03-05T10:00:02Z"  # meta.dt, sub-seconds dropped


def test_time_zones_are_converted_to_utc() -> None:
    event = page_change()
    event["revision"]["rev_dt"] = "2024-03-05T11:00:01+01:00"
    parsed = parse_event(event)
    assert parsed is not None and parsed.timestamp == "2024-03-05T10:00:01Z"


def test_early_years_keep_four_digits_and_unrepresentable_times_are_malformed() -> None:
    event = page_change()
    event["revision"]["rev_dt"] = "0999-01-01T00:00:00Z"
    parsed = parse_event(event)
    assert parsed is not None and parsed.timestamp == "0999-01-01T00:00:00Z"
    event["revision"]["rev_dt"] = "0001-01-01T00:30:00+01:00"  # before year 1 in UTC
    with pytest.raises(MalformedEvent, match="rev_dt"):
        parse_event(event)


def test_unknown_page_change_kinds_and_canaries_are_ignored() -> None:
    assert parse_event(page_change("merge")) is None
    canary = page_change()
    canary["meta"]["domain"] = "canary"
    assert parse_event(canary) is None


# --- malformed events --------------------------------------------------------------------------


def without(event: dict, *path: str) -> dict:
    event = copy.deepcopy(event)
    target = event
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return event


def replaced(event: dict, value: Any, *path: str) -> dict:
    event = copy.deepcopy(event)
    target = event
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return event


MALFORMED = [
    ("", "not JSON"),
    ("{not json", "not JSON"),
    (b"\xff\xfe{}", "not UTF-8"),
    ("[1, 2]", "not a JSON object"),
    ("null", "not a JSON object"),
    ('"a string"', "not a JSON object"),
    ("{}", "unknown schema"),
    (replaced(REAL_RC_EDIT, "/mediawiki/revision/create/1.1.0", "$schema"), "unknown schema"),
    (replaced(REAL_RC_EDIT, 7, "$schema"), "'$schema' is not a string"),
    (replaced(REAL_RC_EDIT, "x", "meta"), "'meta' is not an object"),
    (without(REAL_RC_EDIT, "wiki"), "missing 'wiki'"),
    (replaced(REAL_RC_EDIT, "", "wiki"), "'wiki' is empty"),
    (without(REAL_RC_EDIT, "title"), "missing 'title'"),
    (replaced(REAL_RC_EDIT, ["EFL"], "title"), "'title' is not a string"),
    (without(REAL_RC_EDIT, "namespace"), "missing 'namespace'"),
    (replaced(REAL_RC_EDIT, "0", "namespace"), "'namespace' is not an integer"),
    (replaced(REAL_RC_EDIT, True, "namespace"), "'namespace' is not an integer"),
    (without(REAL_RC_EDIT, "type"), "missing 'type'"),
    (without(REAL_RC_EDIT, "revision"), "missing 'revision'"),
    (replaced(REAL_RC_EDIT, "1167689309", "revision", "new"), "'revision.new' is not an integer"),
    (replaced(REAL_RC_EDIT, 1.5, "revision", "old"), "'revision.old' is not an integer"),
    (replaced(REAL_RC_EDIT, "1690617099", "timestamp"), "'timestamp' is not an integer"),
    (replaced(REAL_RC_EDIT, 10**15, "timestamp"), "'timestamp' is out of range"),
    (replaced(REAL_RC_EDIT, -1, "timestamp"), "'timestamp' is out of range"),
    (replaced(REAL_RC_EDIT, "yesterday", "meta", "dt"), "'meta.dt' is not an ISO 8601"),
    (without(REAL_RC_EDIT, "meta", "dt"), "missing 'meta.dt'"),
    (replaced(REAL_RC_EDIT, "no", "bot"), "'bot' is not a boolean"),
    (replaced(REAL_RC_EDIT, 5, "user"), "'user' is not a string"),
    (rc_log("move", "move", {"noredir": "1"}), "missing 'log_params.target'"),
    (rc_log("move", "move", ["Target"]), "not an object"),
    (rc_log("delete", "revision", {"ids": "1,2"}), "'log_params.ids' is not a list"),
    (rc_log("delete", "revision", {"ids": [-4]}), "not a revision id"),
    (rc_log("delete", "revision", {"ids": [1], "nfield": "x"}), "not a bitfield"),
    (without(page_change(), "page_change_kind"), "missing 'page_change_kind'"),
    (replaced(page_change(), 3, "page_change_kind"), "'page_change_kind' is not a string"),
    (without(page_change(), "wiki_id"), "missing 'wiki_id'"),
    (without(page_change(), "page"), "missing 'page'"),
    (replaced(page_change(), [], "page"), "'page' is not an object"),
    (without(page_change(), "page", "page_id"), "missing 'page.page_id'"),
    (replaced(page_change(), "12345", "page", "page_id"), "'page.page_id' is not an integer"),
    (without(page_change(), "page", "page_title"), "missing 'page.page_title'"),
    (without(page_change(), "page", "namespace_id"), "missing 'page.namespace_id'"),
    (without(page_change(), "revision", "rev_id"), "missing 'revision.rev_id'"),
    (replaced(page_change(), 0, "revision", "rev_id"), "'revision.rev_id' is not a positive id"),
    (replaced(REAL_RC_EDIT, -5, "revision", "new"), "'revision.new' is not a positive id"),
    (without(page_change(), "revision", "rev_dt"), "missing 'revision.rev_dt'"),
    (replaced(page_change(), "2024-13-45", "revision", "rev_dt"), "'revision.rev_dt' is not"),
    (replaced(page_change(), 1, "revision", "is_minor_edit"), "not a boolean"),
    (replaced(page_change(), "yes", "revision", "is_content_visible"), "not a boolean"),
    (replaced(page_change(), "Beispiel", "revision", "editor"), "not an object"),
    (replaced(page_change(), "later", "dt"), "'dt' is not an ISO 8601"),
    (
        page_change("move", created_redirect_page={"page_title": "Old"}),
        "missing 'created_redirect_page.page_id'",
    ),
]


@pytest.mark.parametrize(("data", "reason"), MALFORMED)
def test_malformed_events_say_why(data: Any, reason: str) -> None:
    with pytest.raises(MalformedEvent) as caught:
        parse_event(data)
    assert reason in caught.value.reason
    assert caught.value.reason in str(caught.value)
    assert not caught.value.reason.startswith("unreadable event")


# --- nothing but MalformedEvent, whatever the input --------------------------------------------

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=20,
)
FIELD_VALUES = JSON | st.sampled_from(
    ["edit", "new", "log", "move", "delete", "revision", "visibility_change", "~x", "::1", ""]
)
TEMPLATES = [
    REAL_RC_EDIT,
    rc_log("move", "move", {"target": "X"}),
    rc_log("delete", "revision", {"ids": [1], "ofield": 0, "nfield": 1}),
    page_change(),
    page_change("move", prior_state={"page": {"page_title": "A"}}),
    page_change("visibility_change", prior_state={"revision": {"is_content_visible": False}}),
]


def paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, (*prefix, key))
    return found


def outcome(data: Any, stream: str | None = None) -> PageEvent | None:
    try:
        event = parse_event(data, stream=stream)
    except MalformedEvent as error:
        assert isinstance(error.reason, str) and error.reason
        # the catch-all in parse_event is a safety net: reaching it means a bug here
        assert not error.reason.startswith("unreadable event"), error.reason
        return None
    if event is not None:
        assert event.kind in KINDS
        assert event.editor_kind is None or event.editor_kind in EDITOR_KINDS
        assert event.hidden <= VISIBILITY_FIELDS and event.revealed <= VISIBILITY_FIELDS
        assert len(event.timestamp) == len(event.event_time) == 20
    return event


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(JSON, st.sampled_from([None, RECENTCHANGE_STREAM, PAGE_CHANGE_STREAM, "other"]))
def test_arbitrary_json_never_raises_anything_else(value: Any, stream: str | None) -> None:
    outcome(json.dumps(value), stream)
    outcome(value if isinstance(value, dict) else json.dumps(value), stream)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_real_shaped_events_with_any_field_replaced_never_raise_anything_else(
    data: st.DataObject,
) -> None:
    event = copy.deepcopy(data.draw(st.sampled_from(TEMPLATES)))
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        path = data.draw(st.sampled_from(paths(event)))
        target = event
        for key in path[:-1]:
            target = target[key]
        if data.draw(st.booleans()):
            target[path[-1]] = data.draw(FIELD_VALUES)
        else:
            del target[path[-1]]
        if not paths(event):
            break
    outcome(event)
    outcome(json.dumps(event))


@settings(max_examples=200)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_raise_anything_else(raw: bytes) -> None:
    outcome(raw)
