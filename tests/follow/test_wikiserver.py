"""The test server itself, checked with plain httpx: that it speaks EventStreams and the Action
API the way the production services do (framing, resume positions, error shapes), that its
faults come exactly where a test puts them, and that the revisions it serves are the real ones
from the dumps in tests/data."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.follow.corpus_events import (
    PAGE_CHANGE_SCHEMA,
    PAGE_CHANGE_STREAM,
    delete_event,
    edit_event,
    history_events,
    move_event,
    moved_revision,
    recentchange_events,
    revisions_from_dump,
    undelete_event,
    visibility_event,
)
from tests.follow.wikiserver import (
    LEGACY_SLOTS,
    MAX_REVIDS,
    NO_USER_AGENT,
    Faults,
    Revision,
    WikiServer,
    sha1_base36,
    sha1_hex,
    wait_until,
)

DATA = Path(__file__).resolve().parents[1] / "data"
PEAR = DATA / "article-pear.xml"
UA = "wikipact-tests/0.1 (https://github.com/wikipact/wikipact; tests@example.org)"
RC = "mediawiki.recentchange"
EQIAD = f"eqiad.{PAGE_CHANGE_STREAM}"
CODFW = f"codfw.{PAGE_CHANGE_STREAM}"
RVPROP = "ids|timestamp|user|userid|comment|content|sha1|size|flags|contentmodel"
PEAR_IDS = [185185, 185241, 185408, 188924]


# --- helpers -----------------------------------------------------------------------------------


@dataclass
class Frame:
    """One SSE block as a client sees it: an event (event, id, data) or a comment."""

    comment: str | None = None
    event: str | None = None
    id: str | None = None
    data: str | None = None

    def json(self) -> Any:
        assert self.data is not None
        return json.loads(self.data)

    def ids(self) -> list[dict[str, Any]]:
        assert self.id is not None
        return json.loads(self.id)


def frames(response: httpx.Response) -> Iterator[Frame]:
    """The blocks of an event stream, minimally parsed (the client under test has its own)."""
    current = Frame()
    data: list[str] = []
    for line in response.iter_lines():
        if line.startswith(":"):
            yield Frame(comment=line[1:])
        elif line == "":
            if current.event is not None or data:
                current.data = "\n".join(data) if data else None
                yield current
            current, data = Frame(), []
        else:
            name, _, value = line.partition(": ")
            if name == "data":
                data.append(value)
            else:
                setattr(current, name, value)


def read(
    client: httpx.Client,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    until: Callable[[list[Frame]], bool] | None = None,
) -> tuple[list[Frame], BaseException | None]:
    """Read an event stream until ``until`` holds (or the server ends it); returns the frames
    and the error that ended the read, if any (a cut connection)."""
    got: list[Frame] = []
    try:
        with client.stream("GET", url, headers=headers) as response:
            assert response.status_code == 200, response.read()
            for frame in frames(response):
                got.append(frame)
                if until is not None and until(got):
                    return got, None
    except httpx.HTTPError as error:
        return got, error
    return got, None


def events_of(got: list[Frame]) -> list[Frame]:
    return [f for f in got if f.comment is None]


def count_events(n: int) -> Callable[[list[Frame]], bool]:
    return lambda got: len(events_of(got)) >= n


def api(client: httpx.Client, server: WikiServer, wiki: str, **params: str) -> httpx.Response:
    query = {"action": "query", "prop": "revisions", "format": "json", "formatversion": "2"}
    return client.get(server.api_url().format(wiki=wiki), params={**query, **params})


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(headers={"User-Agent": UA}, timeout=httpx.Timeout(20.0)) as client:
        yield client


@pytest.fixture
def serve() -> Iterator[Callable[..., WikiServer]]:
    """Start servers for a test and stop them after it, whatever happened."""
    started: list[WikiServer] = []

    def make(**kwargs: Any) -> WikiServer:
        server = WikiServer(**kwargs).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()
        assert server.errors == []


@pytest.fixture(scope="module")
def pear() -> list[Revision]:
    return revisions_from_dump(PEAR)


@pytest.fixture(scope="module")
def pear_events(pear: list[Revision]) -> list[dict[str, Any]]:
    return history_events(pear)


# --- revisions from the real dumps --------------------------------------------------------------


def test_pear_history_from_the_export(pear: list[Revision]) -> None:
    """enwiki "Pear" (export 0.3, pywikibot's test file): four revisions of page 24278 in
    order; the format has no <parentid>, so each parent is the preceding revision
    (populateParentId) and the first one's is unknown."""
    assert [r.revision_id for r in pear] == PEAR_IDS
    assert [r.parent_id for r in pear] == [None, 185185, 185241, 185408]
    assert {(r.wiki, r.page_id, r.title, r.namespace) for r in pear} == {
        ("enwiki", 24278, "Pear", 0)
    }
    assert [r.editor for r in pear] == ["Conversion script", "Quercusrobur", "Mav", "PierreAbbat"]
    assert [r.editor_id for r in pear] == [None, 3741, 62, 1123]
    assert [r.timestamp for r in pear] == [
        "2002-02-25T15:43:11Z",
        "2002-08-31T02:16:06Z",
        "2002-08-31T03:27:15Z",
        "2002-08-31T05:53:10Z",
    ]
    assert [r.minor for r in pear] == [True, False, True, True]
    assert [r.comment for r in pear] == ["Automated conversion", None, None, "sp"]
    assert pear[0].text.startswith("Pears are [[tree]]s of the [[genus]] <em>Pyrus</em>")
    for revision in pear:
        assert revision.sha1 == hashlib.sha1(revision.text.encode()).hexdigest()
        assert revision.hidden == set()


def test_dewiki_page_at_two_dates() -> None:
    """dewiki page 1, "Alan Smithee", from two dumps seven years apart: the dumps give parent
    ids and base-36 SHA-1s, which must be the SHA-1 of the text."""
    old = revisions_from_dump(DATA / "dewiki-20130602-id1.xml")
    new = revisions_from_dump(DATA / "dewiki-20200801-id1.xml")
    assert [(r.revision_id, r.parent_id) for r in old] == [(115887164, 114775679)]
    assert [(r.revision_id, r.parent_id) for r in new] == [(200753430, 195875875)]
    for revision, base36 in (
        (old[0], "3714bht01p2ph43z3szfhy0rv9nsqv1"),
        (new[0], "6pqxfu8jh46bwo11ztavorcv4dabah1"),
    ):
        assert (revision.wiki, revision.page_id, revision.title) == ("dewiki", 1, "Alan Smithee")
        assert revision.sha1 == sha1_hex(revision.text)
        assert sha1_base36(revision.sha1) == base36
    assert old[0].editor == "KLBot2" and new[0].editor == "MacOrcas"
    assert old[0].text != new[0].text


def test_aawiki_full_history_from_7z() -> None:
    """A whole small wiki's history (aawiki, 7z): page creations get parent 0, every
    dump-given SHA-1 matches the text, titles keep their namespace prefix."""
    pytest.importorskip("py7zr")
    revisions = revisions_from_dump(DATA / "aawiki-20260101-pages-meta-history.xml.7z")
    assert len({r.page_id for r in revisions}) == 507
    main_page = [r for r in revisions if r.page_id == 1269]
    assert len(main_page) == 81
    assert [(r.revision_id, r.parent_id) for r in main_page[:3]] == [
        (1269, 0),
        (1270, 1269),
        (1271, 1270),
    ]
    for revision in revisions:
        assert revision.sha1 == sha1_hex(revision.text), revision.revision_id
    talk = next(r for r in revisions if r.page_id == 1271)
    assert (talk.title, talk.namespace, talk.parent_id) == ("Talk:Main Page", 1, 0)


def test_current_dump_leaves_unknown_parents_unknown() -> None:
    """One revision a page and no <parentid> for most: those parents stay None."""
    revisions = revisions_from_dump(DATA / "sample-enwiki-pages-articles.xml")
    assert len(revisions) == 56
    given = {r.revision_id: r.parent_id for r in revisions if r.parent_id is not None}
    assert given == {1270870723: 1270869652, 1272022165: 1272021956, 1271516754: 1270881769}
    anarchism = next(r for r in revisions if r.title == "Anarchism")
    assert (anarchism.page_id, anarchism.revision_id, anarchism.size) == (12, 469305320, 135419)


# --- EventStreams: framing and ids ----------------------------------------------------------------


def test_sse_framing_and_ids(
    serve: Callable[..., WikiServer], client: httpx.Client, pear_events: list[dict[str, Any]]
) -> None:
    server = serve(events=[(PAGE_CHANGE_STREAM, e) for e in pear_events])
    server.end_stream()
    with client.stream("GET", server.stream_url(PAGE_CHANGE_STREAM)) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert response.headers["transfer-encoding"] == "chunked"
        body = response.read().decode("utf-8")
    assert body.startswith(":ok\n\n")
    blocks = body.split("\n\n")[1:-1]
    assert len(blocks) == 4
    for offset, (block, event) in enumerate(zip(blocks, pear_events, strict=True)):
        lines = block.split("\n")
        assert lines[0] == "event: message"
        ids = json.loads(lines[1].removeprefix("id: "))
        # the next offset to read in each topic; codfw has sent nothing: -1, the end
        assert ids == [
            {"topic": EQIAD, "partition": 0, "offset": offset + 1},
            {"topic": CODFW, "partition": 0, "offset": -1},
        ]
        assert lines[1] == "id: " + json.dumps(ids, separators=(",", ":"))
        assert len(lines) == 3 and lines[2].startswith("data: {")
        data = json.loads(lines[2].removeprefix("data: "))
        assert data["meta"] == {**event["meta"], "topic": EQIAD, "partition": 0, "offset": offset}
        assert {k: v for k, v in data.items() if k != "meta"} == {
            k: v for k, v in event.items() if k != "meta"
        }


def test_last_event_id_resumes_after_it(
    serve: Callable[..., WikiServer], client: httpx.Client, pear_events: list[dict[str, Any]]
) -> None:
    server = serve(events=[(PAGE_CHANGE_STREAM, e) for e in pear_events])
    server.end_stream()
    url = server.stream_url(PAGE_CHANGE_STREAM)
    first, _ = read(client, url, until=count_events(2))
    resume = events_of(first)[1].id
    assert resume is not None
    rest, error = read(client, url, headers={"Last-Event-ID": resume})
    assert error is None
    revs = [f.json()["revision"]["rev_id"] for f in events_of(rest)]
    assert revs == PEAR_IDS[2:]
    assert server.stream_requests[-1].last_event_id == resume


def test_last_event_id_per_topic(
    serve: Callable[..., WikiServer], client: httpx.Client, pear_events: list[dict[str, Any]]
) -> None:
    """Two streams, four topics: each topic resumes at its own offset, and only the topics
    named in Last-Event-ID are read (KafkaSSE: its assignments replace the stream's)."""
    server = serve()
    for event in pear_events:  # interleaved: page_change, then the same as recentchange
        server.push(PAGE_CHANGE_STREAM, event)
        server.push(RC, {**event, "meta": {**event["meta"], "stream": RC}})
    server.push(RC, pear_events[0], datacenter="codfw")
    server.end_stream()
    url = server.stream_url(PAGE_CHANGE_STREAM, RC)
    everything, _ = read(client, url)
    got = [(f.json()["meta"]["topic"], f.json()["meta"]["offset"]) for f in events_of(everything)]
    assert got == [
        (EQIAD, 0),
        (f"eqiad.{RC}", 0),
        (EQIAD, 1),
        (f"eqiad.{RC}", 1),
        (EQIAD, 2),
        (f"eqiad.{RC}", 2),
        (EQIAD, 3),
        (f"eqiad.{RC}", 3),
        (f"codfw.{RC}", 0),
    ]
    assert [e["topic"] for e in events_of(everything)[-1].ids()] == [
        EQIAD,
        CODFW,
        f"eqiad.{RC}",
        f"codfw.{RC}",
    ]
    position = [
        {"topic": EQIAD, "partition": 0, "offset": 3},
        {"topic": f"eqiad.{RC}", "partition": 0, "offset": 1},
        {"topic": f"codfw.{RC}", "partition": 0, "offset": 1},
    ]
    resumed, _ = read(client, url, headers={"Last-Event-ID": json.dumps(position)})
    got = [(f.json()["meta"]["topic"], f.json()["meta"]["offset"]) for f in events_of(resumed)]
    assert got == [(f"eqiad.{RC}", 1), (f"eqiad.{RC}", 2), (EQIAD, 3), (f"eqiad.{RC}", 3)]
    # the id carries exactly the assigned topics, each at its own position
    assert events_of(resumed)[-1].ids() == [
        {"topic": EQIAD, "partition": 0, "offset": 4},
        {"topic": f"eqiad.{RC}", "partition": 0, "offset": 4},
        {"topic": f"codfw.{RC}", "partition": 0, "offset": 1},
    ]


def test_refused_positions(
    serve: Callable[..., WikiServer], client: httpx.Client, pear_events: list[dict[str, Any]]
) -> None:
    server = serve(events=[(PAGE_CHANGE_STREAM, e) for e in pear_events])
    url = server.stream_url(PAGE_CHANGE_STREAM)
    for bad in ("not json", "[]", '[{"topic": 1}]', '{"topic": "x"}', ""):
        response = client.get(url, headers={"Last-Event-ID": bad})
        assert response.status_code == 400, bad
        assert response.json()["name"] == "InvalidAssignmentError"
    other = json.dumps([{"topic": f"eqiad.{RC}", "partition": 0, "offset": 0}])
    response = client.get(url, headers={"Last-Event-ID": other})
    assert response.status_code == 404
    assert response.json()["name"] == "TopicNotAvailableError"
    response = client.get(server.stream_url("mediawiki.no_such_stream"))
    assert response.status_code == 400
    assert response.json()["title"] == "Stream Not Found"
    response = client.get(url, params={"since": "yesterday-ish"})
    assert response.status_code == 400


def test_timestamp_ids_as_in_production(
    serve: Callable[..., WikiServer], client: httpx.Client, pear_events: list[dict[str, Any]]
) -> None:
    """id_mode="timestamp" (stream.wikimedia.org's useTimestampForId): the id holds the Kafka
    timestamp (meta.dt) plus one millisecond, and resuming with it skips what was read."""
    server = serve(events=[(PAGE_CHANGE_STREAM, e) for e in pear_events], id_mode="timestamp")
    server.end_stream()
    url = server.stream_url(PAGE_CHANGE_STREAM)
    got, _ = read(client, url, until=count_events(2))
    second = events_of(got)[1]
    assert second.ids() == [
        {"topic": EQIAD, "partition": 0, "timestamp": 1030760166001},  # 2002-08-31T02:16:06Z
        {"topic": CODFW, "partition": 0, "offset": -1},
    ]
    rest, _ = read(client, url, headers={"Last-Event-ID": second.id or ""})
    assert [f.json()["revision"]["rev_id"] for f in events_of(rest)] == PEAR_IDS[2:]


def test_since_starts_at_a_time(
    serve: Callable[..., WikiServer], client: httpx.Client, pear_events: list[dict[str, Any]]
) -> None:
    server = serve(events=[(PAGE_CHANGE_STREAM, e) for e in pear_events])
    server.end_stream()
    got, _ = read(client, server.stream_url(PAGE_CHANGE_STREAM) + "?since=2002-08-31T03:00:00Z")
    assert [f.json()["revision"]["rev_id"] for f in events_of(got)] == PEAR_IDS[2:]
    assert events_of(got)[0].ids()[0] == {"topic": EQIAD, "partition": 0, "offset": 3}


def test_latest_start_and_push_while_open(
    serve: Callable[..., WikiServer], client: httpx.Client, pear_events: list[dict[str, Any]]
) -> None:
    """start="latest" (production): a new connection sees only what is pushed after it."""
    server = serve(events=[(PAGE_CHANGE_STREAM, pear_events[0])], start="latest")
    url = server.stream_url(PAGE_CHANGE_STREAM)
    result: list[Any] = []
    reader = threading.Thread(
        target=lambda: result.append(read(client, url, until=count_events(2))), daemon=True
    )
    reader.start()
    # the assignment is made before the connection is logged: pushing after that is seen
    assert wait_until(lambda: len(server.stream_requests) == 1)
    server.push(PAGE_CHANGE_STREAM, pear_events[1])
    server.push(PAGE_CHANGE_STREAM, pear_events[2])
    reader.join(timeout=30)
    got, error = result[0]
    assert error is None
    assert [f.json()["meta"]["offset"] for f in events_of(got)] == [1, 2]


def test_keepalives_while_idle_then_end(
    serve: Callable[..., WikiServer], client: httpx.Client, pear_events: list[dict[str, Any]]
) -> None:
    server = serve(keepalive=0.02)
    url = server.stream_url(PAGE_CHANGE_STREAM)
    result: list[Any] = []

    def comments(got: list[Frame]) -> bool:
        if sum(f.comment == "ok" for f in got) == 3 and not events_of(got):
            server.push(PAGE_CHANGE_STREAM, pear_events[0])  # from the reading thread: ordered
        return False  # read until the server ends the stream

    def consume() -> None:
        result.append(read(client, url, until=comments))

    reader = threading.Thread(target=consume, daemon=True)
    reader.start()
    assert wait_until(lambda: len(server.events) == 1, timeout=30)
    server.end_stream()
    reader.join(timeout=30)
    got, error = result[0]
    assert error is None  # ended cleanly: the final chunk was sent
    assert [f.comment for f in got[:3]] == ["ok", "ok", "ok"]
    assert [f.json()["revision"]["rev_id"] for f in events_of(got)] == [PEAR_IDS[0]]


def test_end_stream_closes_caught_up_connections(
    serve: Callable[..., WikiServer], client: httpx.Client, pear_events: list[dict[str, Any]]
) -> None:
    server = serve(events=[(PAGE_CHANGE_STREAM, e) for e in pear_events])
    url = server.stream_url(PAGE_CHANGE_STREAM)
    result: list[Any] = []
    reader = threading.Thread(target=lambda: result.append(read(client, url)), daemon=True)
    reader.start()
    assert wait_until(lambda: len(server.stream_requests) == 1)
    server.end_stream()
    reader.join(timeout=30)
    got, error = result[0]
    assert error is None
    assert len(events_of(got)) == 4


# --- EventStreams: faults -------------------------------------------------------------------------


def test_disconnect_after_an_event_fires_once(
    serve: Callable[..., WikiServer], client: httpx.Client, pear_events: list[dict[str, Any]]
) -> None:
    server = serve(
        events=[(PAGE_CHANGE_STREAM, e) for e in pear_events], faults=Faults(disconnect_after=[1])
    )
    server.end_stream()
    url = server.stream_url(PAGE_CHANGE_STREAM)
    got, error = read(client, url)
    assert isinstance(error, httpx.RemoteProtocolError)  # cut mid-body, as a network would
    assert [f.json()["meta"]["offset"] for f in events_of(got)] == [0, 1]
    rest, error = read(client, url, headers={"Last-Event-ID": events_of(got)[-1].id or ""})
    assert error is None
    assert [f.json()["meta"]["offset"] for f in events_of(rest)] == [2, 3]
    again, error = read(client, url)  # the fault fired once: a new connection reads it all
    assert error is None and len(events_of(again)) == 4


def test_malformed_data_in_place_of_an_event(
    serve: Callable[..., WikiServer], client: httpx.Client, pear_events: list[dict[str, Any]]
) -> None:
    broken = '{"$schema": "/mediawiki/page/change/1.2.0", "page":'
    server = serve(
        events=[(PAGE_CHANGE_STREAM, e) for e in pear_events],
        faults=Faults(malformed_at={1: broken, 2: "two\nlines"}),
    )
    server.end_stream()
    got, _ = read(client, server.stream_url(PAGE_CHANGE_STREAM))
    sent = events_of(got)
    assert sent[1].data == broken
    assert sent[2].data == "two\nlines"  # one data: field per line, as SSEResponse does
    assert [f.ids()[0]["offset"] for f in sent] == [1, 2, 3, 4]  # the position still advances
    assert sent[3].json()["revision"]["rev_id"] == PEAR_IDS[3]


def test_stream_delay_spaces_events(
    serve: Callable[..., WikiServer], client: httpx.Client, pear_events: list[dict[str, Any]]
) -> None:
    server = serve(
        events=[(PAGE_CHANGE_STREAM, e) for e in pear_events], faults=Faults(stream_delay=0.01)
    )
    server.end_stream()
    got, error = read(client, server.stream_url(PAGE_CHANGE_STREAM))
    assert error is None and len(events_of(got)) == 4


def test_stop_cuts_open_streams(client: httpx.Client, pear_events: list[dict[str, Any]]) -> None:
    server = WikiServer(events=[(PAGE_CHANGE_STREAM, pear_events[0])], keepalive=0.05).start()
    url = server.stream_url(PAGE_CHANGE_STREAM)
    result: list[Any] = []
    reader = threading.Thread(target=lambda: result.append(read(client, url)), daemon=True)
    reader.start()
    assert wait_until(lambda: len(server.stream_requests) == 1)
    server.stop()  # must not wait for the open stream
    reader.join(timeout=30)
    got, error = result[0]
    assert isinstance(error, httpx.HTTPError)
    assert len(events_of(got)) <= 1
    assert server.errors == []


def test_user_agent_is_required(serve: Callable[..., WikiServer], pear: list[Revision]) -> None:
    server = serve(revisions=pear)
    with httpx.Client(timeout=20) as bare:
        bare.headers.pop("User-Agent")
        response = bare.get(server.api_url().format(wiki="enwiki"), params={"revids": "185185"})
        assert response.status_code == 403
        assert response.text == NO_USER_AGENT
        response = bare.get(server.stream_url(PAGE_CHANGE_STREAM))
        assert response.status_code == 403
        response = bare.get(server.stream_url(PAGE_CHANGE_STREAM), headers={"User-Agent": ""})
        assert response.status_code == 403
    assert [(r.status, r.user_agent) for r in server.requests] == [(403, None)]
    assert [r.status for r in server.stream_requests] == [403, 403]


def test_stream_alias(
    serve: Callable[..., WikiServer], client: httpx.Client, pear_events: list[dict[str, Any]]
) -> None:
    """/v2/stream/recentchange is the alias of mediawiki.recentchange: same topics."""
    server = serve(events=[(RC, pear_events[0])])
    server.end_stream()
    got, _ = read(client, server.stream_url("recentchange"))
    assert [f.json()["meta"]["topic"] for f in events_of(got)] == [f"eqiad.{RC}"]


# --- Action API -----------------------------------------------------------------------------------


def test_revisions_found(
    serve: Callable[..., WikiServer], client: httpx.Client, pear: list[Revision]
) -> None:
    server = serve(revisions=pear)
    response = api(
        client, server, "enwiki", revids="188924|185185|185408", rvprop=RVPROP, rvslots="main"
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    body = response.json()
    assert body["batchcomplete"] is True
    assert "badrevids" not in body["query"]
    [page] = body["query"]["pages"]
    assert (page["pageid"], page["ns"], page["title"]) == (24278, 0, "Pear")
    # in revision id order whatever the request's order; the unknown parent is left out
    assert [r["revid"] for r in page["revisions"]] == [185185, 185408, 188924]
    assert "parentid" not in page["revisions"][0]
    mav = pear[2]
    assert page["revisions"][1] == {
        "revid": 185408,
        "parentid": 185241,
        "minor": True,
        "user": "Mav",
        "userid": 62,
        "timestamp": "2002-08-31T03:27:15Z",
        "size": len(mav.text.encode()),
        "sha1": hashlib.sha1(mav.text.encode()).hexdigest(),
        "slots": {
            "main": {
                "contentmodel": "wikitext",
                "contentformat": "text/x-wiki",
                "content": mav.text,
            }
        },
        "comment": "",
    }
    ip = page["revisions"][0]
    assert (ip["user"], ip["anon"], ip["userid"]) == ("Conversion script", True, 0)
    assert ip["comment"] == "Automated conversion"
    assert len(ip["sha1"]) == 40
    logged = server.requests[-1]
    assert (logged.wiki, logged.revids, logged.user_agent) == (
        "enwiki",
        (188924, 185185, 185408),
        UA,
    )


def test_post_form_is_the_same(
    serve: Callable[..., WikiServer], client: httpx.Client, pear: list[Revision]
) -> None:
    server = serve(revisions=pear)
    params = {
        "action": "query",
        "prop": "revisions",
        "revids": "185241|185185",
        "rvprop": RVPROP,
        "rvslots": "main",
        "format": "json",
        "formatversion": "2",
    }
    by_get = client.get(server.api_url().format(wiki="enwiki"), params=params).json()
    by_post = client.post(server.api_url().format(wiki="enwiki"), data=params).json()
    by_multipart = client.post(
        server.api_url().format(wiki="enwiki"),
        data=params,
        files={"unused": ("x.txt", b"ignored")},
    ).json()
    assert by_get == by_post == by_multipart
    assert [r.method for r in server.requests] == ["GET", "POST", "POST"]


def test_badrevids(
    serve: Callable[..., WikiServer], client: httpx.Client, pear: list[Revision]
) -> None:
    dewiki = revisions_from_dump(DATA / "dewiki-20200801-id1.xml")
    server = serve(revisions=[*pear, *dewiki])
    body = api(client, server, "enwiki", revids="185185|1|200753430", rvslots="main").json()
    # a revision of another wiki is as unknown here as one that never existed
    assert body["query"]["badrevids"] == {
        "1": {"revid": 1, "missing": True},
        "200753430": {"revid": 200753430, "missing": True},
    }
    assert [r["revid"] for r in body["query"]["pages"][0]["revisions"]] == [185185]
    only_bad = api(client, server, "enwiki", revids="7").json()
    assert only_bad == {
        "batchcomplete": True,
        "query": {"badrevids": {"7": {"revid": 7, "missing": True}}},
    }
    # a deleted page's revisions are archived: badrevids until it is restored
    assert server.delete_page("enwiki", 24278) == 4
    gone = api(client, server, "enwiki", revids="185185|188924").json()
    assert set(gone["query"]["badrevids"]) == {"185185", "188924"}
    assert "pages" not in gone["query"]
    assert server.undelete_page("enwiki", 24278) == 4
    back = api(client, server, "dewiki", revids="200753430").json()
    assert back["query"]["pages"][0]["title"] == "Alan Smithee"


def test_hidden_fields(
    serve: Callable[..., WikiServer], client: httpx.Client, pear: list[Revision]
) -> None:
    server = serve(revisions=[replace(r, hidden=set()) for r in pear])
    server.hide("enwiki", 185241, {"text", "editor", "comment"})
    server.hide("enwiki", 185408, {"comment"})
    body = api(client, server, "enwiki", revids="185241|185408", rvprop=RVPROP, rvslots="main")
    hidden, comment_only = body.json()["query"]["pages"][0]["revisions"]
    assert hidden == {
        "revid": 185241,
        "parentid": 185185,
        "minor": False,
        "userhidden": True,
        "timestamp": "2002-08-31T02:16:06Z",
        "size": len(pear[1].text.encode()),
        "sha1hidden": True,
        "slots": {"main": {"contentmodel": "wikitext", "texthidden": True}},
        "commenthidden": True,
    }
    assert comment_only["commenthidden"] is True and "comment" not in comment_only
    assert comment_only["user"] == "Mav" and comment_only["slots"]["main"]["content"]
    # hidden flags come only with the properties asked for
    bare = api(client, server, "enwiki", revids="185241", rvprop="ids|timestamp").json()
    assert bare["query"]["pages"][0]["revisions"] == [
        {"revid": 185241, "parentid": 185185, "timestamp": "2002-08-31T02:16:06Z"}
    ]


def test_too_many_revids(
    serve: Callable[..., WikiServer], client: httpx.Client, pear: list[Revision]
) -> None:
    server = serve(revisions=pear)
    fifty = "|".join(str(i) for i in range(1, MAX_REVIDS + 1))
    assert "badrevids" in api(client, server, "enwiki", revids=fifty).json()["query"]
    response = api(client, server, "enwiki", revids=f"{fifty}|185185")
    assert response.status_code == 200
    assert response.headers["mediawiki-api-error"] == "toomanyvalues"
    error = response.json()["error"]
    assert error["code"] == "toomanyvalues"
    assert error["info"] == 'Too many values supplied for parameter "revids". The limit is 50.'
    assert (error["limit"], error["lowlimit"], error["highlimit"]) == (50, 50, 500)
    assert error["docref"].startswith("See https://en.wikipedia.org/w/api.php for API usage.")
    # errorformat=plaintext: the list form, data apart, naming the module
    plain = api(client, server, "enwiki", revids=f"{fifty}|185185", errorformat="plaintext")
    [message] = plain.json()["errors"]
    assert message["code"] == "toomanyvalues" and message["module"] == "query"
    assert message["data"] == {"parameter": "revids", "limit": 50, "lowlimit": 50, "highlimit": 500}
    assert "docref" in plain.json()
    # duplicates are dropped before counting, as MediaWiki does
    doubled = "|".join([fifty, fifty])
    assert "error" not in api(client, server, "enwiki", revids=doubled).json()
    assert [r.error for r in server.requests] == [None, "toomanyvalues", "toomanyvalues", None]


def test_maxlag_then_answer(
    serve: Callable[..., WikiServer], client: httpx.Client, pear: list[Revision]
) -> None:
    server = serve(revisions=pear, faults=Faults(api_maxlag=2, maxlag_retry_after=0))
    for _ in range(2):
        response = api(client, server, "enwiki", revids="185185", maxlag="5")
        assert response.status_code == 200
        assert response.headers["retry-after"] == "0"
        assert response.headers["x-database-lag"] == "5"
        assert response.headers["mediawiki-api-error"] == "maxlag"
        error = response.json()["error"]
        assert error["code"] == "maxlag"
        assert error["info"] == "Waiting for 10.64.48.35: 5 seconds lagged."
        assert (error["host"], error["lag"], error["type"]) == ("10.64.48.35", 5, "db")
    plain = api(client, server, "enwiki", revids="185185", errorformat="plaintext").json()
    assert "errors" not in plain and plain["query"]["pages"][0]["pageid"] == 24278
    assert [r.error for r in server.requests] == ["maxlag", "maxlag", None]


def test_http_statuses_then_answer(
    serve: Callable[..., WikiServer], client: httpx.Client, pear: list[Revision]
) -> None:
    server = serve(revisions=pear, faults=Faults(api_status=[429, 503, 502]))
    statuses = []
    for _ in range(4):
        response = api(client, server, "enwiki", revids="185185")
        statuses.append((response.status_code, response.headers.get("retry-after")))
    assert statuses == [(429, "0"), (503, "0"), (502, None), (200, None)]
    assert [r.status for r in server.requests] == [429, 503, 502, 200]
    # set_faults arms new ones mid-test
    server.set_faults(Faults(api_status=[503]))
    assert api(client, server, "enwiki", revids="185185").status_code == 503
    assert api(client, server, "enwiki", revids="185185").status_code == 200


def test_api_delay(
    serve: Callable[..., WikiServer], client: httpx.Client, pear: list[Revision]
) -> None:
    server = serve(revisions=pear, faults=Faults(api_delay=0.01))
    assert api(client, server, "enwiki", revids="185185").status_code == 200


def test_legacy_format_without_rvslots(
    serve: Callable[..., WikiServer], client: httpx.Client, pear: list[Revision]
) -> None:
    server = serve(revisions=pear)
    body = api(client, server, "enwiki", revids="188924", rvprop="ids|content|bogus").json()
    assert body["warnings"]["revisions"]["warnings"] == (
        'Unrecognized value for parameter "rvprop": bogus.\n' + LEGACY_SLOTS
    )
    assert "mediawiki-api-announce" in body["warnings"]["main"]["warnings"]
    [revision] = body["query"]["pages"][0]["revisions"]
    assert revision == {
        "revid": 188924,
        "parentid": 185408,
        "contentformat": "text/x-wiki",
        "contentmodel": "wikitext",
        "content": pear[3].text,
    }
    listed = api(
        client, server, "enwiki", revids="188924", rvprop="content", errorformat="plaintext"
    )
    codes = [(w["code"], w["module"]) for w in listed.json()["warnings"]]
    assert codes == [("deprecation", "query+revisions"), ("deprecation-help", "main")]


def test_moved_page_has_its_new_title(
    serve: Callable[..., WikiServer], client: httpx.Client, pear: list[Revision]
) -> None:
    server = serve(revisions=[replace(r) for r in pear])
    server.move_page("enwiki", 24278, "Pear (fruit)", 0)
    body = api(client, server, "enwiki", revids="185185").json()
    assert body["query"]["pages"][0]["title"] == "Pear (fruit)"


# --- page change events --------------------------------------------------------------------------


def test_edit_events_follow_the_serializer(pear: list[Revision]) -> None:
    event = edit_event(pear[1], parent=pear[0])
    assert list(event)[-2:] == ["$schema", "meta"]  # createEvent merges them last
    assert event["$schema"] == PAGE_CHANGE_SCHEMA
    assert (event["page_change_kind"], event["changelog_kind"]) == ("edit", "update")
    assert event["wiki_id"] == "enwiki" and event["dt"] == "2002-08-31T02:16:06Z"
    assert event["page"] == {
        "page_id": 24278,
        "page_title": "Pear",
        "namespace_id": 0,
        "is_redirect": False,
    }
    revision = event["revision"]
    assert revision["rev_id"] == 185241 and revision["rev_parent_id"] == 185185
    assert revision["rev_sha1"] == sha1_base36(pear[1].sha1)  # base 36, as rev_sha1 is stored
    assert len(revision["rev_sha1"]) == 31
    assert revision["rev_size"] == pear[1].size
    assert revision["editor"] == {
        "user_text": "Quercusrobur",
        "is_bot": False,
        "is_registered": True,
        "is_system": False,
        "is_temp": False,
        "user_id": 3741,
    }
    assert event["performer"] == revision["editor"]
    assert "comment" not in revision  # the dump has none for this revision
    assert revision["content_slots"]["main"]["origin_rev_id"] == 185241
    assert event["prior_state"]["revision"]["rev_id"] == 185185
    meta = event["meta"]
    assert meta["stream"] == PAGE_CHANGE_STREAM and meta["domain"] == "en.wikipedia.org"
    assert meta["uri"] == "https://en.wikipedia.org/wiki/Pear"
    assert meta == edit_event(pear[1], parent=pear[0])["meta"]  # deterministic ids
    ip = edit_event(pear[0])["revision"]["editor"]
    assert ip == {
        "user_text": "Conversion script",
        "is_bot": False,
        "is_registered": False,
        "is_system": False,
        "is_temp": False,
    }


def test_creation_and_prefixed_titles() -> None:
    """page_title is the prefixed DB key (TitleFormatter::getPrefixedDBkey)."""
    pytest.importorskip("py7zr")
    revisions = revisions_from_dump(DATA / "aawiki-20260101-pages-meta-history.xml.7z")
    talk = [r for r in revisions if r.page_id == 1271]
    events = history_events(talk)
    assert events[0]["page_change_kind"] == "create"
    assert events[0]["changelog_kind"] == "insert"
    assert "rev_parent_id" not in events[0]["revision"]  # creation: parent 0 is left out
    assert events[1]["page_change_kind"] == "edit"
    assert events[1]["prior_state"]["revision"]["rev_id"] == talk[0].revision_id
    assert events[0]["page"]["page_title"] == "Talk:Main_Page"
    assert events[0]["page"]["namespace_id"] == 1
    assert events[0]["meta"]["uri"] == "https://aa.wikipedia.org/wiki/Talk:Main_Page"


def test_delete_undelete_move_visibility_events(pear: list[Revision]) -> None:
    latest = pear[3]
    deleted = delete_event(latest, dt="2024-01-01T00:00:00Z", reason="test", revision_count=4)
    assert (deleted["page_change_kind"], deleted["changelog_kind"]) == ("delete", "delete")
    assert deleted["comment"] == "test" and deleted["page"]["revision_count"] == 4
    assert "performer" not in deleted
    suppressed = delete_event(latest, suppressed=True)
    assert suppressed["revision"]["is_content_visible"] is False
    assert "rev_sha1" not in suppressed["revision"] and "editor" not in suppressed["revision"]
    assert suppressed["prior_state"]["revision"] == {
        "is_content_visible": True,
        "is_editor_visible": True,
        "is_comment_visible": True,
    }
    restored = undelete_event(latest, dt="2024-01-02T00:00:00Z")
    assert (restored["page_change_kind"], restored["changelog_kind"]) == ("undelete", "insert")

    moved = moved_revision(
        latest,
        new_title="Talk:Pear",
        new_namespace=1,
        null_revision_id=188925,
        dt="2024-01-03T00:00:00Z",
        performer="Mav",
        performer_id=62,
        reason="test move",
    )
    assert moved.text == latest.text and moved.parent_id == latest.revision_id
    move = move_event(moved, latest, reason="test move", redirect_page_id=99)
    assert move["page"]["page_title"] == "Talk:Pear" and move["page"]["namespace_id"] == 1
    assert move["prior_state"]["page"] == {"page_title": "Pear", "namespace_id": 0}
    assert move["prior_state"]["revision"]["rev_id"] == 188924
    assert move["revision"]["rev_id"] == 188925
    assert move["revision"]["comment"] == "Mav moved page [[Pear]] to [[Talk:Pear]]: test move"
    assert move["created_redirect_page"] == {
        "page_id": 99,
        "page_title": "Pear",
        "namespace_id": 0,
        "is_redirect": True,
    }

    hidden = visibility_event(pear[3], {"editor", "comment"})
    revision = hidden["revision"]
    assert hidden["page_change_kind"] == "visibility_change"
    assert (revision["is_editor_visible"], revision["is_comment_visible"]) == (False, False)
    assert revision["is_content_visible"] is True
    assert "editor" not in revision and "comment" not in revision
    assert hidden["prior_state"] == {
        "revision": {"is_editor_visible": True, "is_comment_visible": True}
    }
    revealed = visibility_event(replace(pear[3], hidden={"text"}), set())
    assert revealed["prior_state"] == {"revision": {"is_content_visible": False}}


def test_recentchange_loader(tmp_path: Path, pear_events: list[dict[str, Any]]) -> None:
    path = tmp_path / "capture.ndjson"
    lines = [json.dumps(e) for e in pear_events]
    path.write_text("\n".join([lines[0], "", "data: " + lines[1], *lines[2:]]) + "\n")
    assert recentchange_events(path) == pear_events
    path.write_text(lines[0] + "\n[1, 2]\n")
    with pytest.raises(ValueError, match=r"capture.ndjson:2: not a JSON object"):
        recentchange_events(path)


def test_server_state_is_its_own(
    serve: Callable[..., WikiServer], client: httpx.Client, pear: list[Revision]
) -> None:
    """Stored revisions and pushed events are copies: changing the server (hide, move) leaves
    the caller's objects alone, and changing those afterwards does not reach the server."""
    event = edit_event(pear[0])
    server = serve(revisions=pear, events=[("recentchange", event)])  # an alias: its topics
    server.hide("enwiki", 185185, {"text"})
    server.move_page("enwiki", 24278, "Pear (fruit)", 0)
    assert pear[0].hidden == set() and pear[0].title == "Pear"
    event["wiki_id"] = "changed"
    server.end_stream()
    got, _ = read(client, server.stream_url(RC))
    assert [f.json()["wiki_id"] for f in events_of(got)] == ["enwiki"]
    assert server.events[0].topic == f"eqiad.{RC}"
    body = api(client, server, "enwiki", revids="185185", rvprop="content", rvslots="main|*")
    [revision] = body.json()["query"]["pages"][0]["revisions"]
    assert revision == {"slots": {"main": {"texthidden": True}}}


def test_concurrent_streams_and_api_calls(
    serve: Callable[..., WikiServer],
    client: httpx.Client,
    pear: list[Revision],
    pear_events: list[dict[str, Any]],
) -> None:
    """Open streams hold their threads; API requests are answered meanwhile."""
    server = serve(revisions=pear, events=[(PAGE_CHANGE_STREAM, e) for e in pear_events])
    url = server.stream_url(PAGE_CHANGE_STREAM)
    results: list[Any] = []
    readers = [
        threading.Thread(target=lambda: results.append(read(client, url)), daemon=True)
        for _ in range(4)
    ]
    for reader in readers:
        reader.start()
    assert wait_until(lambda: len(server.stream_requests) == 4)
    answers: list[int] = []

    def ask() -> None:
        with httpx.Client(headers={"User-Agent": UA}, timeout=20) as own:
            for revid in PEAR_IDS:
                body = api(own, server, "enwiki", revids=str(revid)).json()
                answers.append(body["query"]["pages"][0]["revisions"][0]["revid"])

    askers = [threading.Thread(target=ask, daemon=True) for _ in range(4)]
    for asker in askers:
        asker.start()
    for asker in askers:
        asker.join(timeout=30)
    assert sorted(answers) == sorted(PEAR_IDS * 4)
    server.end_stream()
    for reader in readers:
        reader.join(timeout=30)
    assert [len(events_of(got)) for got, error in results if error is None] == [4, 4, 4, 4]
