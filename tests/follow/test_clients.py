"""wikipact's EventStreams and Action API clients against the local Wikimedia stand-in
(tests/follow/wikiserver.py), with faults put where the test wants them: cut streams must lose
and repeat nothing, throttling and lag must be waited out, and what the API hides or lacks must
be reported, never guessed. Real revisions only (tests/data); no sleeping: the clients' backoff
is given a sleep that records instead of waiting."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.follow.corpus_events import (
    PAGE_CHANGE_STREAM,
    history_events,
    revisions_from_dump,
)
from tests.follow.wikiserver import Faults, Revision, WikiServer
from wikipact.follow.events import MalformedEvent, parse_event
from wikipact.follow.fetch import ActionApiSource, RateLimiter
from wikipact.follow.stream import Backoff, EventStream, StreamError, StreamIdle, StreamMessage

DATA = Path(__file__).resolve().parents[1] / "data"
UA = "wikipact-tests/0.1 (https://github.com/wikipact/wikipact; tests@example.org)"
RC = "mediawiki.recentchange"
PEAR_IDS = [185185, 185241, 185408, 188924]


@pytest.fixture(scope="module")
def pear() -> list[Revision]:
    return revisions_from_dump(DATA / "article-pear.xml")


@pytest.fixture(scope="module")
def enwiki() -> list[Revision]:
    return revisions_from_dump(DATA / "sample-enwiki-pages-articles.xml")


@pytest.fixture
def serve() -> Iterator[Callable[..., WikiServer]]:
    started: list[WikiServer] = []

    def make(**kwargs: Any) -> WikiServer:
        server = WikiServer(**kwargs).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()
        assert server.errors == []


@pytest.fixture
def slept() -> list[float]:
    return []


def no_wait(slept: list[float]) -> Backoff:
    """A backoff that records its waits instead of sleeping, and draws no random jitter."""
    return Backoff(sleep=slept.append, rand=lambda: 0.0)


def stream(server: WikiServer, *streams: str, slept: list[float], **kwargs: Any) -> EventStream:
    # idle_timeout: a lost event makes the test fail (StreamIdle) instead of hanging
    kwargs.setdefault("idle_timeout", 30.0)
    return EventStream(server.stream_url(*streams), user_agent=UA, backoff=no_wait(slept), **kwargs)


def take(events: EventStream, n: int) -> list[StreamMessage]:
    got: list[StreamMessage] = []
    for message in events:
        got.append(message)
        if len(got) == n:
            break
    return got


def source(server: WikiServer, slept: list[float], **kwargs: Any) -> ActionApiSource:
    return ActionApiSource(
        server.api_url(),
        user_agent=UA,
        backoff=no_wait(slept),
        rate_limiter=RateLimiter(1e6, burst=1e6),  # no throttling sleeps in tests
        **kwargs,
    )


def positions(messages: list[StreamMessage]) -> list[tuple[str, int]]:
    """(topic, offset) of each message, from the meta the server adds as EventStreams does."""
    out = []
    for message in messages:
        meta = json.loads(message.data)["meta"]
        out.append((meta["topic"], meta["offset"]))
    return out


# --- EventStream ----------------------------------------------------------------------------------


def test_resume_after_disconnects_loses_and_repeats_nothing(
    serve: Callable[..., WikiServer], enwiki: list[Revision], slept: list[float]
) -> None:
    events = history_events(enwiki)
    server = serve(
        events=[(PAGE_CHANGE_STREAM, e) for e in events],
        faults=Faults(disconnect_after=[0, 9, 30]),
    )
    with stream(server, PAGE_CHANGE_STREAM, slept=slept) as messages:
        got = take(messages, len(events))
        assert messages.reconnects == 3
    assert [json.loads(m.data)["revision"]["rev_id"] for m in got] == [
        r.revision_id for r in enwiki
    ]
    assert positions(got) == [(f"eqiad.{PAGE_CHANGE_STREAM}", i) for i in range(len(events))]
    # each reconnection sent the id of the last message received before the cut
    resumed = [r.last_event_id for r in server.stream_requests]
    assert resumed == [None, got[0].id, got[9].id, got[30].id]
    assert {r.user_agent for r in server.stream_requests} == {UA}


def test_resume_per_topic_across_streams(
    serve: Callable[..., WikiServer], pear: list[Revision], slept: list[float]
) -> None:
    """Two streams in one connection: after each cut every topic resumes at its own offset."""
    server = serve(faults=Faults(disconnect_after=[2, 5]))
    for event in history_events(pear):
        server.push(PAGE_CHANGE_STREAM, event)
        server.push(RC, {**event, "meta": {**event["meta"], "stream": RC}})
    with stream(server, PAGE_CHANGE_STREAM, RC, slept=slept) as messages:
        got = take(messages, 8)
        assert messages.reconnects == 2
    assert sorted(positions(got)) == sorted(
        [(f"eqiad.{s}", i) for s in (PAGE_CHANGE_STREAM, RC) for i in range(4)]
    )
    assert len(set(positions(got))) == 8
    cut_at = json.loads(server.stream_requests[1].last_event_id or "[]")
    assert {e["topic"]: e["offset"] for e in cut_at} == {
        f"eqiad.{PAGE_CHANGE_STREAM}": 2,
        f"codfw.{PAGE_CHANGE_STREAM}": -1,
        f"eqiad.{RC}": 1,
        f"codfw.{RC}": -1,
    }


def test_resume_from_a_stored_position(
    serve: Callable[..., WikiServer], enwiki: list[Revision], slept: list[float]
) -> None:
    """A follower restarts with the id it stored: the new stream begins right after it."""
    events = history_events(enwiki)
    server = serve(events=[(PAGE_CHANGE_STREAM, e) for e in events])
    with stream(server, PAGE_CHANGE_STREAM, slept=slept) as first:
        before = take(first, 20)
        stored = first.last_event_id
    assert stored == before[-1].id
    with stream(server, PAGE_CHANGE_STREAM, slept=slept, last_event_id=stored) as second:
        after = take(second, len(events) - 20)
    assert positions(before + after) == [
        (f"eqiad.{PAGE_CHANGE_STREAM}", i) for i in range(len(events))
    ]


def test_timestamp_ids_resume(
    serve: Callable[..., WikiServer], pear: list[Revision], slept: list[float]
) -> None:
    """stream.wikimedia.org puts Kafka timestamps in its ids: resuming works with those too."""
    server = serve(
        events=[(PAGE_CHANGE_STREAM, e) for e in history_events(pear)],
        id_mode="timestamp",
        faults=Faults(disconnect_after=[1]),
    )
    with stream(server, PAGE_CHANGE_STREAM, slept=slept) as messages:
        got = take(messages, 4)
    assert [json.loads(m.data)["revision"]["rev_id"] for m in got] == PEAR_IDS
    assert "timestamp" in json.loads(server.stream_requests[1].last_event_id or "")[0]


def test_malformed_event_is_passed_on_and_the_stream_goes_on(
    serve: Callable[..., WikiServer], pear: list[Revision], slept: list[float]
) -> None:
    broken = '{"$schema": "/mediawiki/page/change/1.2.0", "page":'
    server = serve(
        events=[(PAGE_CHANGE_STREAM, e) for e in history_events(pear)],
        faults=Faults(malformed_at={1: broken}),
    )
    with stream(server, PAGE_CHANGE_STREAM, slept=slept) as messages:
        got = take(messages, 4)
    assert got[1].data == broken
    with pytest.raises(MalformedEvent):
        parse_event(got[1].data)
    parsed = [parse_event(m.data) for m in (got[0], got[2], got[3])]
    assert all(p is not None for p in parsed)
    assert [p.revision_id for p in parsed if p] == [185185, 185408, 188924]
    # page_change carries MediaWiki's base-36 SHA-1, as the dump does
    assert parsed[0] is not None and parsed[0].sha1 == "2ul484zayuwzxgpzk1mcpmrtpowmr0r"


def test_keepalives_do_not_count_as_events(
    serve: Callable[..., WikiServer], slept: list[float]
) -> None:
    server = serve(keepalive=0.02)
    with (
        stream(server, PAGE_CHANGE_STREAM, slept=slept, idle_timeout=0.5) as messages,
        pytest.raises(StreamIdle),
    ):
        take(messages, 1)


def test_refusals_are_not_retried(serve: Callable[..., WikiServer], slept: list[float]) -> None:
    server = serve()
    with stream(server, "mediawiki.no_such_stream", slept=slept) as messages:
        with pytest.raises(StreamError) as refused:
            take(messages, 1)
        assert refused.value.status == 400
        assert messages.reconnects == 0


# --- ActionApiSource ------------------------------------------------------------------------------


def test_fetch_real_revisions(
    serve: Callable[..., WikiServer], pear: list[Revision], slept: list[float]
) -> None:
    server = serve(revisions=pear)
    with source(server, slept) as api:
        result = api.fetch("enwiki", PEAR_IDS)
    assert result.missing == {}
    assert sorted(result.found) == PEAR_IDS
    for revision in pear:
        fetched = result.found[revision.revision_id]
        assert fetched.text == revision.text
        assert fetched.sha1 == revision.sha1
        assert (fetched.page_id, fetched.title, fetched.namespace) == (24278, "Pear", 0)
        assert fetched.timestamp == revision.timestamp
        assert fetched.minor == revision.minor
        assert not (fetched.text_hidden or fetched.editor_hidden or fetched.comment_hidden)
    assert [result.found[i].parent_id for i in PEAR_IDS] == [None, 185185, 185241, 185408]
    assert result.found[185241].editor == "Quercusrobur"
    assert result.found[185241].editor_id == 3741
    assert result.found[185185].editor_id is None  # an IP-style editor: userid 0
    [request] = server.requests
    assert request.user_agent == UA and request.params["maxlag"] == "5"
    assert request.params["rvslots"] == "main" and request.params["formatversion"] == "2"


def test_throttling_and_lag_are_retried(
    serve: Callable[..., WikiServer], pear: list[Revision], slept: list[float]
) -> None:
    server = serve(revisions=pear, faults=Faults(api_status=[429, 503], api_maxlag=1))
    with source(server, slept) as api:
        result = api.fetch("enwiki", PEAR_IDS)
        assert api.requests == 4
    assert sorted(result.found) == PEAR_IDS and result.missing == {}
    assert [(r.status, r.error) for r in server.requests] == [
        (429, None),
        (503, None),
        (200, "maxlag"),
        (200, None),
    ]
    assert slept == []  # Retry-After: 0 and no jitter: nothing to wait


def test_lag_waits_as_long_as_the_server_asks(
    serve: Callable[..., WikiServer], pear: list[Revision], slept: list[float]
) -> None:
    server = serve(revisions=pear, faults=Faults(api_maxlag=2, maxlag_retry_after=5))
    with source(server, slept) as api:
        result = api.fetch("enwiki", [188924])
    assert sorted(result.found) == [188924]
    assert slept == [5.0, 5.0]


def test_retries_run_out(
    serve: Callable[..., WikiServer], pear: list[Revision], slept: list[float]
) -> None:
    server = serve(revisions=pear, faults=Faults(api_status=[503] * 3))
    with source(server, slept, retries=3) as api:
        result = api.fetch("enwiki", PEAR_IDS[:2])
    assert result.found == {}
    assert result.missing == dict.fromkeys(PEAR_IDS[:2], "http 503 after 3 tries")
    assert len(server.requests) == 3


def test_more_than_fifty_ids_go_in_batches(
    serve: Callable[..., WikiServer],
    pear: list[Revision],
    enwiki: list[Revision],
    slept: list[float],
) -> None:
    server = serve(revisions=[*enwiki, *pear])
    wanted = [r.revision_id for r in enwiki] + PEAR_IDS
    with source(server, slept) as api:
        result = api.fetch("enwiki", wanted)
    assert result.missing == {}
    assert sorted(result.found) == sorted(wanted)
    assert [len(r.revids) for r in server.requests] == [50, 10]
    assert [r.error for r in server.requests] == [None, None]
    by_id = {r.revision_id: r for r in [*enwiki, *pear]}
    assert all(f.text == by_id[i].text for i, f in result.found.items())


def test_a_whole_wiki_history_in_batches(
    serve: Callable[..., WikiServer], slept: list[float]
) -> None:
    pytest.importorskip("py7zr")
    revisions = revisions_from_dump(DATA / "aawiki-20260101-pages-meta-history.xml.7z")
    server = serve(revisions=revisions)
    with source(server, slept) as api:
        result = api.fetch("aawiki", [r.revision_id for r in revisions])
    assert result.missing == {}
    assert len(result.found) == len(revisions) == 1307
    assert max(len(r.revids) for r in server.requests) == 50
    assert len(server.requests) == 27  # ceil(1307 / 50)
    for revision in revisions:
        fetched = result.found[revision.revision_id]
        assert (fetched.text, fetched.title) == (revision.text, revision.title)
        assert fetched.parent_id == (revision.parent_id or None)


def test_a_batch_over_the_limit_is_refused(
    serve: Callable[..., WikiServer], enwiki: list[Revision], slept: list[float]
) -> None:
    """A client configured past the anonymous limit gets the API's toomanyvalues error,
    reported per id, not retried."""
    server = serve(revisions=enwiki)
    with source(server, slept, batch_size=56) as api:
        result = api.fetch("enwiki", [r.revision_id for r in enwiki])
    assert result.found == {}
    assert set(result.missing.values()) == {"api error toomanyvalues"}
    assert len(server.requests) == 1


def test_badrevids_are_reported_missing(
    serve: Callable[..., WikiServer],
    pear: list[Revision],
    slept: list[float],
) -> None:
    dewiki = revisions_from_dump(DATA / "dewiki-20130602-id1.xml")
    server = serve(revisions=[*pear, *dewiki])
    with source(server, slept) as api:
        # a dewiki revision asked of enwiki is unknown there
        result = api.fetch("enwiki", [185185, 115887164, 1])
        assert sorted(result.found) == [185185]
        assert result.missing == {115887164: "badrevid", 1: "badrevid"}
        server.delete_page("enwiki", 24278)
        gone = api.fetch("enwiki", PEAR_IDS)
        assert gone.found == {} and gone.missing == dict.fromkeys(PEAR_IDS, "badrevid")
        found = api.fetch("dewiki", [115887164])
        assert found.found[115887164].title == "Alan Smithee"


def test_hidden_parts_are_reported(
    serve: Callable[..., WikiServer], pear: list[Revision], slept: list[float]
) -> None:
    server = serve(revisions=[Revision(**{**vars(r), "hidden": set()}) for r in pear])
    server.hide("enwiki", 185241, {"text", "editor", "comment"})
    server.hide("enwiki", 188924, {"comment"})
    with source(server, slept) as api:
        result = api.fetch("enwiki", [185241, 188924])
    hidden = result.found[185241]
    assert (hidden.text, hidden.text_hidden) == (None, True)
    assert (hidden.editor, hidden.editor_id, hidden.editor_hidden) == (None, None, True)
    assert (hidden.comment, hidden.comment_hidden) == (None, True)
    assert hidden.sha1 is None and hidden.size == pear[1].size
    partly = result.found[188924]
    assert partly.comment_hidden and partly.comment is None
    assert partly.text == pear[3].text and partly.editor == "PierreAbbat"
