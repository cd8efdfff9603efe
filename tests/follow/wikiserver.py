"""A local stand-in for the two Wikimedia services a change-stream follower talks to.

Tests and benchmarks of :mod:`wikipact.follow` must not reach the internet, yet what they
exercise is the client's handling of the real protocols: their framing, their resume positions,
their error shapes. So this server speaks those protocols as the production services do, as far
as their public source shows, and nothing more:

**EventStreams** (``GET /v2/stream/<stream>[,<stream>...]``, server-sent events). Followed from
wikimedia/mediawiki-services-eventstreams (``routes/stream.js``, ``lib/eventstreams-util.js``)
and wikimedia/KafkaSSE (``lib/KafkaSSE.js``, ``lib/SSEResponse.js``, ``lib/utils.js``):

* every stream is backed by two Kafka topics, ``eqiad.<stream>`` and ``codfw.<stream>``, each
  with one partition 0; events are pushed to ``eqiad`` unless a datacenter is named, so the
  ``codfw`` topic usually stays empty, as it does in production;
* the response is ``200 text/event-stream; charset=utf-8`` in chunked transfer encoding and
  starts with the comment ``:ok``; each event is ``event: message`` / ``id: <json>`` /
  ``data: <json>`` and a blank line;
* the ``id`` is the JSON array of the connection's assignments, one object per topic-partition:
  ``{"topic", "partition", "offset"}`` where ``offset`` is the offset of the last event sent
  *plus one* (KafkaSSE's ``_updateLatestOffsetsMap``: the next offset to read, so that a resume
  neither repeats nor skips). Topics the connection has sent nothing from keep their assigned
  position (``-1``, "the end", for an empty topic). With ``id_mode="timestamp"`` the server
  does what stream.wikimedia.org does (``useTimestampForId``) and writes the event's Kafka
  timestamp plus one millisecond instead of its offset;
* ``Last-Event-ID`` is parsed as that array: each entry starts its topic at ``offset`` (``-1``
  the end, ``-2`` the beginning) or at the first event whose timestamp is at least
  ``timestamp``; only the topics listed are consumed (KafkaSSE: the header's assignments take
  precedence over the stream's topics). Malformed JSON or entries answer 400, topics that are
  not the stream's answer 404, as KafkaSSE's connect error handler does;
* ``?since=`` (milliseconds or an ISO 8601 date) starts every topic at that time when there is
  no ``Last-Event-ID``;
* every event sent carries ``meta.topic``, ``meta.partition`` and ``meta.offset``, which the
  EventStreams deserializer adds.

One deliberate difference: production starts a connection without ``Last-Event-ID`` or
``since`` at the *end* of each topic (offset -1), which would make every test race the
connection against ``push``. This server's default, ``start="earliest"``, starts it as
``since=0`` would: at the first event. ``start="latest"`` restores production behaviour.
Between events the server also sends an ``:ok`` comment every ``keepalive`` seconds of
silence. KafkaSSE itself sends only the first one; periodic comments are what SSE servers and
proxies commonly send to keep an idle connection open, and they let a test check that a client
does not take a comment for an event or for a sign of life of the stream.

**MediaWiki Action API** (``GET`` or ``POST /<wiki>/w/api.php``), only
``action=query&prop=revisions&revids=...&format=json&formatversion=2``. Followed from
wikimedia/mediawiki (``includes/api/ApiQueryRevisionsBase.php``, ``ApiQuery.php``,
``ApiMain.php``): pages sorted by page id, each with its requested revisions in id order;
``revid``/``parentid`` (``parentid`` left out when MediaWiki does not know it), ``minor``,
``user``/``userid``/``anon``/``temp``, ``timestamp``, ``size``, ``sha1`` (40 hex digits),
``slots.main.{contentmodel, contentformat, content}`` with ``rvslots`` (the deprecated
top-level form, with its warnings, without), ``comment``; revision-deleted fields become
``userhidden``/``sha1hidden``/``texthidden``/``commenthidden`` with the field itself left out
(an anonymous reader cannot see them). Unknown revision ids, and those of pages deleted with
:meth:`WikiServer.delete_page`, go to ``query.badrevids`` as
``{"<id>": {"revid": id, "missing": true}}``. Errors are HTTP 200 with a
``MediaWiki-API-Error`` header and, as ``errorformat`` asks (ApiErrorFormatter), either the
back-compatible ``{"error": {"code", "info", <data>..., "docref"}, "servedby"}`` (the default)
or ``{"errors": [{"code", "text", "data", "module"}], "docref", "servedby"}``:
``toomanyvalues`` past 50 revision ids (an anonymous client's limit), ``badinteger``,
``badvalue``, and ``maxlag`` with ``Retry-After`` and ``X-Database-Lag`` (ApiMain::checkMaxLag).
MediaWiki answers maxlag only to requests that send ``maxlag=``; the injected fault answers the
next requests whatever they send, so a client that forgets the parameter is tested too.
Requests this server does not implement (other actions, formats, generators ...) get an API
error with the code ``wikiserver-unsupported``, which no real wiki sends.

Both services sit behind Wikimedia's CDN, which refuses requests without a ``User-Agent``
with HTTP 403 (Wikimedia User-Agent policy, enforced since 2025: "Please set a user-agent and
respect our robot policy"). This server does the same for every path.

Faults (:class:`Faults`) are injected by position: the n-th event, the next k API requests.
Nothing depends on randomness or on the clock, so a test that injects a fault gets it every run.
"""

from __future__ import annotations

import contextlib
import copy
import email.parser
import email.policy
import hashlib
import html
import json
import re
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final
from urllib.parse import parse_qsl, unquote, urlsplit

from wikipact.model.project import server_of

DATACENTERS: Final = ("eqiad", "codfw")
PARTITION: Final = 0
# the streams a connection may name without any event pushed to them yet
KNOWN_STREAMS: Final = frozenset({"mediawiki.page_change.v1", "mediawiki.recentchange"})
# EventStreams' stream_aliases: the short names of the older streams, served from the same topics
STREAM_ALIASES: Final = {
    "recentchange": "mediawiki.recentchange",
    "revision-create": "mediawiki.revision-create",
    "page-create": "mediawiki.page-create",
}

MAX_REVIDS: Final = 50  # ApiBase::LIMIT_SML1: without the apihighlimits right (anonymous)
HIGH_REVIDS: Final = 500  # ApiBase::LIMIT_SML2, reported as highlimit
SERVED_BY: Final = "mw-api-ext.eqiad.main-wikiserver"
LAG_HOST: Final = "10.64.48.35"
LAG_SECONDS: Final = 5
NO_USER_AGENT: Final = (
    "Please set a user-agent and respect our robot policy https://w.wiki/4wJS. See also T400119.\n"
)
ANNOUNCE: Final = (
    "Subscribe to the mediawiki-api-announce mailing list at "
    "&lt;https://lists.wikimedia.org/postorius/lists/mediawiki-api-announce.lists.wikimedia.org/&gt;"
    " for notice of API deprecations and breaking changes."
)
DEPRECATION_MAIN: Final = (
    "Subscribe to the mediawiki-api-announce mailing list at "
    "<https://lists.wikimedia.org/postorius/lists/mediawiki-api-announce.lists.wikimedia.org/> "
    "for notice of API deprecations and breaking changes. Use [[Special:ApiFeatureUsage]] to see "
    "usage of deprecated features by your application."
)
LEGACY_SLOTS: Final = (
    'Because "rvslots" was not specified, a legacy format has been used for the output. '
    "This format is deprecated, and in the future the new format will always be used."
)
RVPROPS: Final = frozenset(
    [
        "ids",
        "flags",
        "timestamp",
        "user",
        "userid",
        "size",
        "slotsize",
        "sha1",
        "slotsha1",
        "contentmodel",
        "comment",
        "parsedcomment",
        "content",
        "tags",
        "roles",
    ]
)
DEFAULT_RVPROP: Final = "ids|timestamp|flags|comment|user"
HIDEABLE: Final = frozenset({"text", "editor", "comment"})
_STREAM_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")
_WIKI_NAME = re.compile(r"^[a-z0-9_]+$")


def sha1_hex(text: str) -> str:
    """The SHA-1 of a text as MediaWiki's API prints it: 40 hex digits of the UTF-8 bytes."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def sha1_base36(hex_digest: str) -> str:
    """MediaWiki's storage form of a SHA-1 (rev_sha1, dumps, events): 31 base-36 digits."""
    number = int(hex_digest, 16)
    digits = ""
    while number:
        number, rest = divmod(number, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[rest] + digits
    return digits.rjust(31, "0")


@dataclass
class Revision:
    """One stored revision the Action API can serve.

    ``title`` is the page's prefixed title as MediaWiki prints it ("Talk:Main Page").
    ``parent_id`` is 0 for a page creation and ``None`` where the parent is not known (old
    revisions whose rev_parent_id was never populated): the API then leaves ``parentid`` out,
    as MediaWiki does for a null parent. ``editor_id`` is ``None`` (or 0) for an IP editor.
    ``sha1`` is the hex SHA-1 of ``text`` (:func:`sha1_hex`). ``hidden`` is the subset of
    ``{"text", "editor", "comment"}`` that is revision-deleted: served as
    ``texthidden``/``userhidden``/``commenthidden`` without the field.
    """

    wiki: str
    page_id: int
    title: str
    namespace: int
    revision_id: int
    parent_id: int | None
    timestamp: str
    editor: str | None
    editor_id: int | None
    comment: str | None
    minor: bool
    text: str
    sha1: str
    hidden: set[str] = field(default_factory=set)
    content_model: str = "wikitext"
    content_format: str = "text/x-wiki"
    redirect_target: str | None = None  # the page redirects there (from the dump's <redirect>)

    @property
    def size(self) -> int:
        """rev_len: the content's length in bytes."""
        return len(self.text.encode("utf-8"))


@dataclass
class Faults:
    """Deterministic fault injection, chosen by the test: by position, never by chance or time.

    ``disconnect_after``: absolute event indexes (the order of :meth:`WikiServer.push` across
    all streams, from 0); the SSE connection that sends one of them is cut right after it,
    without the end of the chunked body, as a network failure would. Each entry fires once.
    ``malformed_at``: event index -> raw text sent as that event's data instead of its JSON,
    every time it is sent (a broken message stays broken in Kafka). ``api_status``: the next
    Action API requests are answered with these HTTP statuses, in order, before normal
    answers resume; 429 and 503 carry ``Retry-After: 0``. ``api_maxlag``: the next N API
    requests (after those) get the maxlag error, with ``Retry-After: maxlag_retry_after``
    (production sends at least 5; 0 keeps retries free in tests). ``api_delay``: seconds to
    wait before every API answer. ``stream_delay``: seconds between two events on a
    connection.
    """

    disconnect_after: list[int] = field(default_factory=list)
    malformed_at: dict[int, str] = field(default_factory=dict)
    api_status: list[int] = field(default_factory=list)
    api_maxlag: int = 0
    api_delay: float = 0.0
    stream_delay: float = 0.0
    maxlag_retry_after: int = 0


@dataclass(frozen=True)
class ApiRequest:
    """One Action API request as received, with how it was answered."""

    wiki: str
    method: str
    revids: tuple[int, ...]
    user_agent: str | None
    params: Mapping[str, str]
    status: int
    error: str | None  # the API error code answered (maxlag, toomanyvalues ...), if any


@dataclass(frozen=True)
class StreamRequest:
    """One EventStreams connection as received."""

    streams: tuple[str, ...]
    last_event_id: str | None
    since: str | None
    user_agent: str | None
    status: int


@dataclass(frozen=True)
class StoredEvent:
    """An event in its topic: its absolute index, topic offset and Kafka timestamp."""

    index: int
    stream: str
    topic: str
    offset: int
    timestamp_ms: int
    event: Mapping[str, Any]


class _Refused(Exception):
    """An SSE connection refused before it started: status and JSON body (KafkaSSE)."""

    def __init__(self, status: int, body: Mapping[str, Any]) -> None:
        super().__init__(body)
        self.status = status
        self.body = body


class _ApiError(Exception):
    """An API error: its code, its English text, the module that raised it, extra data."""

    def __init__(self, code: str, info: str, *, module: str = "main", **data: Any) -> None:
        super().__init__(info)
        self.code = code
        self.info = info
        self.module = module
        self.data = data


ERROR_FORMATS: Final = frozenset({"bc", "plaintext", "wikitext", "html", "raw", "none"})


def _message(code: str, text: str, fmt: str) -> dict[str, Any]:
    """An error or warning as ApiErrorFormatter::formatMessageInternal writes it."""
    value: dict[str, Any] = {"code": code}
    if fmt in ("plaintext", "wikitext"):
        value["text"] = text
    elif fmt == "html":
        value["html"] = html.escape(text, quote=False)
    elif fmt == "raw":
        value.update(key=f"apierror-{code}", params=[])
    return value


def _warnings(found: list[tuple[str, str, str]], fmt: str) -> Any:
    """Warnings (module path, code, text) in the errorformat's shape: keyed by module name
    with texts joined (bc), else a list of messages each naming its module."""
    if fmt == "bc":
        out: dict[str, dict[str, str]] = {}
        for module, _code, text in found:
            name = module.rsplit("+", 1)[-1]
            previous = out.get(name, {}).get("warnings")
            out[name] = {"warnings": f"{previous}\n{text}" if previous else text}
        return out
    return [{**_message(code, text, fmt), "module": module} for module, code, text in found]


def _dt_ms(value: object) -> int | None:
    """Milliseconds since the epoch of an ISO 8601 date-time, or None."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _kafka_timestamp(event: Mapping[str, Any]) -> int:
    """The Kafka timestamp EventGate gives an event: its meta.dt (else dt), in milliseconds."""
    meta = event.get("meta")
    found = _dt_ms(meta.get("dt")) if isinstance(meta, Mapping) else None
    if found is None:
        found = _dt_ms(event.get("dt"))
    return found or 0


def _compact(value: object) -> str:
    """JSON as JavaScript's JSON.stringify and MediaWiki's formatversion=2 write it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _multi(value: str) -> list[str]:
    """A MediaWiki multi-value parameter: "a|b", or "\\x1fa\\x1fb" when values may hold "|"."""
    if value.startswith("\x1f"):
        return value[1:].split("\x1f")
    return value.split("|") if value else []


class WikiServer:
    """EventStreams and the Action API on 127.0.0.1, for tests (see the module docstring).

    ``events``: (stream name, event) pairs in order; each lands in its stream's ``eqiad``
    topic at the next offset. ``start``: where a connection without ``Last-Event-ID`` starts
    (``"earliest"``, or ``"latest"`` as production). ``id_mode``: ``"offset"`` or
    ``"timestamp"`` (production) in the SSE ids; an event's timestamp is its ``meta.dt`` (else
    ``dt``), so resuming by timestamp is exact only while those increase, as ingestion times
    do in production, and events of one millisecond are skipped together, as they are there.
    ``keepalive``: seconds of silence before an
    ``:ok`` comment. ``streams``: stream names to accept besides those of the events and
    :data:`KNOWN_STREAMS`.
    """

    def __init__(
        self,
        *,
        revisions: Iterable[Revision] = (),
        events: Iterable[tuple[str, Mapping[str, Any]]] = (),
        faults: Faults | None = None,
        start: str = "earliest",
        id_mode: str = "offset",
        keepalive: float = 0.5,
        streams: Iterable[str] = (),
    ) -> None:
        if start not in ("earliest", "latest"):
            raise ValueError(f"start must be 'earliest' or 'latest', not {start!r}")
        if id_mode not in ("offset", "timestamp"):
            raise ValueError(f"id_mode must be 'offset' or 'timestamp', not {id_mode!r}")
        self.start_position = start
        self.id_mode = id_mode
        self.keepalive = keepalive
        self.requests: list[ApiRequest] = []
        self.stream_requests: list[StreamRequest] = []
        self.errors: list[BaseException] = []  # unexpected exceptions in request handlers
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._ended = False
        self._streams: set[str] = set(KNOWN_STREAMS) | set(streams)
        self._events: list[StoredEvent] = []
        self._topics: dict[str, list[StoredEvent]] = {}
        self._revisions: dict[tuple[str, int], Revision] = {}
        self._archived: dict[tuple[str, int], Revision] = {}
        self._open: set[socket.socket] = set()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.set_faults(faults or Faults())
        for revision in revisions:
            self.add_revision(revision)
        for stream, event in events:
            self.push(stream, event)

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> WikiServer:
        """Bind 127.0.0.1 on a free port and serve from a background thread."""
        if self._httpd is not None:
            raise RuntimeError("the server is already started")
        self._stopping.clear()
        httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        httpd.wiki = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and cut every open connection (SSE ones included) at once."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stopping.set()
        with self._changed:
            self._changed.notify_all()
        httpd.shutdown()
        with self._lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def __enter__(self) -> WikiServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``"""
        if self._httpd is None:
            raise RuntimeError("the server is not started")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def stream_url(self, *streams: str) -> str:
        """The EventStreams URL of these streams (``/v2/stream/a,b``)."""
        if not streams:
            raise ValueError("name at least one stream")
        return f"{self.url}/v2/stream/{','.join(streams)}"

    def api_url(self) -> str:
        """The Action API URL template, ``{wiki}`` standing for the database name."""
        return f"{self.url}/{{wiki}}/w/api.php"

    # --- content -----------------------------------------------------------------------------

    def add_revision(self, revision: Revision) -> None:
        """Store a copy of a revision (replacing one with the same wiki and id)."""
        unknown = set(revision.hidden) - HIDEABLE
        if unknown:
            raise ValueError(f"unknown hidden fields {sorted(unknown)}: use {sorted(HIDEABLE)}")
        with self._lock:
            # a copy: hide() and move_page() change the server's state, never the caller's
            self._revisions[(revision.wiki, revision.revision_id)] = replace(
                revision, hidden=set(revision.hidden)
            )

    def revision(self, wiki: str, revision_id: int) -> Revision | None:
        with self._lock:
            return self._revisions.get((wiki, revision_id))

    def hide(self, wiki: str, revision_id: int, hidden: Iterable[str]) -> None:
        """Change a revision's deleted fields (a revision-visibility change)."""
        hidden = set(hidden)
        if hidden - HIDEABLE:
            raise ValueError(f"unknown hidden fields {sorted(hidden - HIDEABLE)}")
        with self._lock:
            self._revisions[(wiki, revision_id)].hidden = hidden

    def delete_page(self, wiki: str, page_id: int) -> int:
        """Archive every revision of a page: the API then reports them in badrevids.
        Returns how many were archived."""
        with self._lock:
            keys = [k for k, r in self._revisions.items() if k[0] == wiki and r.page_id == page_id]
            for key in keys:
                self._archived[key] = self._revisions.pop(key)
            return len(keys)

    def undelete_page(self, wiki: str, page_id: int) -> int:
        """Restore the archived revisions of a page. Returns how many were restored."""
        with self._lock:
            keys = [k for k, r in self._archived.items() if k[0] == wiki and r.page_id == page_id]
            for key in keys:
                self._revisions[key] = self._archived.pop(key)
            return len(keys)

    def move_page(self, wiki: str, page_id: int, title: str, namespace: int) -> None:
        """Give a page (every stored revision of it) a new title and namespace."""
        with self._lock:
            for revision in self._revisions.values():
                if revision.wiki == wiki and revision.page_id == page_id:
                    revision.title = title
                    revision.namespace = namespace

    # --- events ------------------------------------------------------------------------------

    def push(self, stream: str, event: Mapping[str, Any], *, datacenter: str = "eqiad") -> int:
        """Append an event to ``<datacenter>.<stream>``; open connections receive it.
        Returns its absolute index (the one :class:`Faults` counts)."""
        stream = STREAM_ALIASES.get(stream, stream)
        if not _STREAM_NAME.match(stream):
            raise ValueError(f"not a stream name: {stream!r}")
        if datacenter not in DATACENTERS:
            raise ValueError(f"datacenter must be one of {DATACENTERS}, not {datacenter!r}")
        topic = f"{datacenter}.{stream}"
        with self._changed:
            self._streams.add(stream)
            queue = self._topics.setdefault(topic, [])
            stored = StoredEvent(
                index=len(self._events),
                stream=stream,
                topic=topic,
                offset=len(queue),
                timestamp_ms=_kafka_timestamp(event),
                event=copy.deepcopy(dict(event)),  # as produced: later changes do not leak in
            )
            queue.append(stored)
            self._events.append(stored)
            self._changed.notify_all()
            return stored.index

    def end_stream(self) -> None:
        """From now on an SSE connection that has sent everything ends its response (instead
        of waiting for more events with keepalives)."""
        with self._changed:
            self._ended = True
            self._changed.notify_all()

    @property
    def events(self) -> list[StoredEvent]:
        with self._lock:
            return list(self._events)

    def set_faults(self, faults: Faults) -> None:
        """Replace the pending faults (the server consumes its own copy)."""
        with self._lock:
            self.faults = faults
            self._disconnects = set(faults.disconnect_after)
            self._malformed = dict(faults.malformed_at)
            self._statuses = deque(faults.api_status)
            self._maxlag_left = faults.api_maxlag

    # --- EventStreams --------------------------------------------------------------------------

    def _assignments(
        self, streams: list[str], last_event_id: str | None, since: str | None
    ) -> tuple[dict[str, int], dict[str, dict[str, Any]]]:
        """Where each consumed topic starts (next offset to send), and the initial id map."""
        streams = [STREAM_ALIASES.get(s, s) for s in streams]
        unknown = [s for s in streams if s not in self._streams]
        if unknown:
            raise _Refused(
                400,
                {
                    "status": 400,
                    "type": "not_found",
                    "title": "Stream Not Found",
                    "detail": f"Invalid streams: {','.join(unknown)}",
                },
            )
        allowed = list(dict.fromkeys(f"{dc}.{s}" for s in streams for dc in DATACENTERS))
        if last_event_id is not None:
            entries = self._parse_last_event_id(last_event_id)
        elif since is not None:
            at = _parse_since(since)
            entries = [{"topic": t, "partition": PARTITION, "timestamp": at} for t in allowed]
        elif self.start_position == "earliest":
            # as since=0 resolves: offset 0 where the topic has events, -1 (the end) where not
            entries = [
                {"topic": t, "partition": PARTITION, "offset": 0 if self._topics.get(t) else -1}
                for t in allowed
            ]
        else:
            entries = [{"topic": t, "partition": PARTITION, "offset": -1} for t in allowed]
        missing = sorted({e["topic"] for e in entries} - set(allowed))
        if missing:
            raise _Refused(
                404,
                {
                    "name": "TopicNotAvailableError",
                    "message": f"Topics {', '.join(missing)} are not available for consumption.",
                    "availableTopics": allowed,
                },
            )
        positions: dict[str, int] = {}
        ids: dict[str, dict[str, Any]] = {}
        for entry in entries:
            topic = entry["topic"]
            queue = self._topics.get(topic, [])
            assigned = dict(entry)
            if "offset" in entry:
                offset = entry["offset"]
                start = len(queue) if offset == -1 else 0 if offset < 0 else min(offset, len(queue))
            else:
                found = next((e.offset for e in queue if e.timestamp_ms >= entry["timestamp"]), -1)
                # offsetsForTimes: the first offset at or after the time, -1 (the end) if none
                start = len(queue) if found == -1 else found
                assigned = {"topic": topic, "partition": entry["partition"], "offset": found}
            positions[topic] = start
            ids[topic] = assigned
        return positions, ids

    @staticmethod
    def _parse_last_event_id(text: str) -> list[dict[str, Any]]:
        """KafkaSSE's validateAssignments: an array of topic names or of objects with topic,
        partition and an integer offset or timestamp. Anything else answers 400."""
        try:
            value = json.loads(text)
        except ValueError as error:
            raise _Refused(
                400,
                {"name": "InvalidAssignmentError", "message": str(error), "last_event_id": text},
            ) from error
        entries: list[dict[str, Any]] = []
        valid = isinstance(value, list) and bool(value)
        for item in value if isinstance(value, list) else []:
            if isinstance(item, str):
                entries.append({"topic": item, "partition": PARTITION, "offset": -1})
                continue
            if not (
                isinstance(item, dict)
                and isinstance(item.get("topic"), str)
                and _is_int(item.get("partition"))
                and (_is_int(item.get("offset")) or _is_int(item.get("timestamp")))
            ):
                valid = False
                break
            if item["partition"] != PARTITION:
                raise _Refused(
                    400,
                    {
                        "name": "InvalidAssignmentError",
                        "message": f"{item['topic']} has no partition {item['partition']}",
                    },
                )
            # an offset wins over a timestamp (KafkaSSE leaves entries with an offset as they are)
            position = "offset" if _is_int(item.get("offset")) else "timestamp"
            entries.append(
                {"topic": item["topic"], "partition": item["partition"], position: item[position]}
            )
        if not valid:
            raise _Refused(
                400,
                {
                    "name": "InvalidAssignmentError",
                    "message": "Must provide either an array topic names, or  an array of "
                    "objects with topic, partition and offset|timestamp.",
                },
            )
        return entries

    def _next_event(self, positions: dict[str, int]) -> StoredEvent | None:
        """The connection's next event: across its topics, the earliest pushed."""
        best: StoredEvent | None = None
        for topic, position in positions.items():
            queue = self._topics.get(topic, [])
            if position < len(queue) and (best is None or queue[position].index < best.index):
                best = queue[position]
        return best

    def _frame(self, stored: StoredEvent, ids: dict[str, dict[str, Any]]) -> tuple[bytes, bool]:
        """The SSE text of an event (updating the id map), and whether to cut after it."""
        entry: dict[str, Any] = {"topic": stored.topic, "partition": PARTITION}
        if self.id_mode == "timestamp":
            entry["timestamp"] = stored.timestamp_ms + 1
        else:
            entry["offset"] = stored.offset + 1
        ids[stored.topic] = entry
        with self._lock:
            raw = self._malformed.get(stored.index)
            cut = stored.index in self._disconnects
            self._disconnects.discard(stored.index)
        if raw is None:
            event = dict(stored.event)
            meta = dict(event.get("meta") or {})
            meta.update(topic=stored.topic, partition=PARTITION, offset=stored.offset)
            event["meta"] = meta
            raw = _compact(event)
        # SSEResponse.send: runs of CR/LF become one LF, and each line its own data: field
        data = re.sub(r"[\r\n]+", "\n", raw)
        lines = ["event: message", f"id: {_compact(list(ids.values()))}"]
        lines += [f"data: {line}" for line in data.split("\n")]
        return ("\n".join(lines) + "\n\n").encode("utf-8"), cut

    # --- Action API --------------------------------------------------------------------------

    def _api_fault(self) -> tuple[int, str | None, dict[str, str]] | None:
        """The fault this API request gets, if any: (status, error code, headers)."""
        with self._lock:
            if self._statuses:
                status = self._statuses.popleft()
                headers = {"Retry-After": "0"} if status in (429, 503) else {}
                return status, None, headers
            if self._maxlag_left > 0:
                self._maxlag_left -= 1
                return (
                    200,
                    "maxlag",
                    {
                        "Retry-After": str(self.faults.maxlag_retry_after),
                        "X-Database-Lag": str(LAG_SECONDS),
                    },
                )
        return None

    def _query(self, wiki: str, params: Mapping[str, str]) -> dict[str, Any]:
        """The formatversion=2 answer to action=query&prop=revisions&revids=..."""
        if params.get("format") != "json" or params.get("formatversion") != "2":
            raise _ApiError(
                "wikiserver-unsupported",
                "This test server answers format=json&formatversion=2 only.",
            )
        if params.get("action") != "query" or params.get("prop") != "revisions":
            raise _ApiError(
                "wikiserver-unsupported",
                "This test server answers action=query&prop=revisions only.",
            )
        missing_pages: list[int] = []
        if "pageids" in params and "revids" not in params:
            # pageids=: each page's latest revision, as prop=revisions gives without revids
            asked = [int(p) for p in dict.fromkeys(_multi(params["pageids"])) if p.isdigit()]
            with self._lock:
                latest: dict[int, int] = {}
                for (w, rev), revision in self._revisions.items():
                    if w == wiki and revision.page_id in asked:
                        latest[revision.page_id] = max(latest.get(revision.page_id, 0), rev)
            missing_pages = [p for p in asked if p not in latest]
            params = {**params, "revids": "|".join(str(latest[p]) for p in asked if p in latest)}
        if "revids" not in params:
            raise _ApiError(
                "wikiserver-unsupported", "This test server answers revids= and pageids= only."
            )
        raw_ids = list(dict.fromkeys(_multi(params["revids"])))  # MediaWiki drops duplicates
        if len(raw_ids) > MAX_REVIDS:
            raise _ApiError(
                "toomanyvalues",
                f'Too many values supplied for parameter "revids". The limit is {MAX_REVIDS}.',
                module="query",
                parameter="revids",
                limit=MAX_REVIDS,
                lowlimit=MAX_REVIDS,
                highlimit=HIGH_REVIDS,
            )
        revids: list[int] = []
        for raw in raw_ids:
            if not re.fullmatch(r"[+-]?\d+", raw.strip()):
                raise _ApiError(
                    "badinteger",
                    f'Invalid value "{raw}" for integer parameter "revids".',
                    module="query",
                )
            revids.append(int(raw))
        fmt = params.get("errorformat", "bc")
        if fmt not in ERROR_FORMATS:
            raise _ApiError("badvalue", f'Unrecognized value for parameter "errorformat": {fmt}.')
        warnings: list[tuple[str, str, str]] = []
        props = _multi(params.get("rvprop", DEFAULT_RVPROP))
        unknown = [p for p in props if p not in RVPROPS]
        if unknown:
            text = f'Unrecognized value for parameter "rvprop": {", ".join(unknown)}.'
            warnings.append(("query+revisions", "unrecognizedvalues", text))
        wanted = set(props) & RVPROPS
        slots = params.get("rvslots")
        unknown_slots = [s for s in _multi(slots or "") if s not in ("main", "*")]
        if unknown_slots:
            raise _ApiError(
                "badvalue",
                f'Unrecognized value for parameter "rvslots": {", ".join(unknown_slots)}.',
                module="query+revisions",
            )
        needs_slots = bool(wanted & {"content", "contentmodel", "slotsize", "slotsha1"})
        if needs_slots and slots is None:
            warnings.append(("query+revisions", "deprecation", LEGACY_SLOTS))
            warnings.append(("main", "deprecation-help", DEPRECATION_MAIN))

        with self._lock:
            found = [self._revisions.get((wiki, r)) for r in revids]
            pages: dict[int, list[Revision]] = {}
            titles: dict[int, tuple[str, int]] = {}
            bad: list[int] = []
            for revid, revision in zip(revids, found, strict=True):
                if revision is None or revid <= 0:
                    bad.append(revid)
                    continue
                pages.setdefault(revision.page_id, []).append(revision)
                titles[revision.page_id] = (revision.title, revision.namespace)
            query: dict[str, Any] = {}
            if bad:
                query["badrevids"] = {str(r): {"revid": r, "missing": True} for r in bad}
            if pages:
                query["pages"] = [
                    {
                        "pageid": page_id,
                        "ns": titles[page_id][1],
                        "title": titles[page_id][0],
                        "revisions": [
                            _revision_json(r, wanted, slots is not None)
                            for r in sorted(pages[page_id], key=lambda r: r.revision_id)
                        ],
                    }
                    for page_id in sorted(pages)
                ]
            if missing_pages:
                query.setdefault("pages", []).extend(
                    {"pageid": p, "missing": True} for p in missing_pages
                )
        answer: dict[str, Any] = {"batchcomplete": True}
        if warnings:
            answer["warnings"] = _warnings(warnings, fmt)
        answer["query"] = query
        return answer


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_since(since: str) -> int:
    if since.lstrip("-").isdigit():
        return int(since)
    found = _dt_ms(since)
    if found is None:
        raise _Refused(
            400,
            {
                "status": 400,
                "type": "invalid_timestamp",
                "title": "Invalid timestamp",
                "detail": "since timestamp is not a UTC milliseconds unix epoch and was not "
                f"parseable: '{since}'",
            },
        )
    return found


def _revision_json(revision: Revision, wanted: set[str], slots: bool) -> dict[str, Any]:
    """One revision as ApiQueryRevisionsBase::extractRevisionInfo writes it for a reader who
    cannot see revision-deleted fields."""
    out: dict[str, Any] = {}
    if "ids" in wanted:
        out["revid"] = revision.revision_id
        if revision.parent_id is not None:
            out["parentid"] = revision.parent_id
    if "flags" in wanted:
        out["minor"] = revision.minor
    if wanted & {"user", "userid"}:
        if "editor" in revision.hidden:
            out["userhidden"] = True
        elif revision.editor is not None:
            if "user" in wanted:
                out["user"] = revision.editor
            if revision.editor.startswith("~"):
                out["temp"] = True  # temporary accounts are named "~2025-..."
            if not revision.editor_id:
                out["anon"] = True
            if "userid" in wanted:
                out["userid"] = revision.editor_id or 0
    if "timestamp" in wanted:
        out["timestamp"] = revision.timestamp
    if "size" in wanted:
        out["size"] = revision.size
    text_hidden = "text" in revision.hidden
    if "sha1" in wanted:
        if text_hidden:
            out["sha1hidden"] = True
        else:
            out["sha1"] = revision.sha1
    if "roles" in wanted:
        out["roles"] = ["main"]
    if wanted & {"content", "contentmodel", "slotsize", "slotsha1"}:
        slot: dict[str, Any] = {}
        if "slotsize" in wanted:
            slot["size"] = revision.size
        if "slotsha1" in wanted:
            if text_hidden:
                slot["sha1hidden"] = True
            else:
                slot["sha1"] = revision.sha1
        if "contentmodel" in wanted:
            slot["contentmodel"] = revision.content_model
        if "content" in wanted:
            if text_hidden:
                slot["texthidden"] = True
            else:
                slot["contentmodel"] = revision.content_model
                slot["contentformat"] = revision.content_format
                slot["content"] = revision.text
        if slots:
            out["slots"] = {"main": slot}
        else:  # the deprecated form: the main slot's fields on the revision itself
            if "content" in wanted and not text_hidden:
                slot = {k: v for k, v in slot.items() if k not in ("contentmodel", "contentformat")}
                slot = {
                    "contentformat": revision.content_format,
                    "contentmodel": revision.content_model,
                    **slot,
                }
            out.update(slot)
    # parsedcomment would need the parser: not rendered here, only its hidden flag is given
    if wanted & {"comment", "parsedcomment"}:
        if "comment" in revision.hidden:
            out["commenthidden"] = True
        elif "comment" in wanted:
            out["comment"] = revision.comment or ""
    if "tags" in wanted:
        out["tags"] = []
    return out


def _docref(wiki: str) -> str:
    server = server_of(wiki) or f"https://{wiki}.invalid"
    return f"See {server}/w/api.php for API usage. {ANNOUNCE}"


class _HTTPServer(ThreadingHTTPServer):
    """Threads per connection (daemon: never joined at exit); remembers open sockets so that
    :meth:`WikiServer.stop` can cut them, SSE connections included."""

    daemon_threads = True
    allow_reuse_address = True
    wiki: WikiServer

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.wiki._lock:
            self.wiki._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.wiki._lock:
            self.wiki._open.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, OSError) or error is None:
            return  # the client went away, or stop() cut the connection
        self.wiki.errors.append(error)
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer
    server_version = "wikiserver"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: tests read the request logs instead

    @property
    def wiki(self) -> WikiServer:
        return self.server.wiki

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def _route(self, method: str) -> None:
        body = self._read_body()
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        user_agent = self.headers.get("User-Agent") or None
        stream = re.fullmatch(r"/v2/stream/([^/]+)", path)
        api = re.fullmatch(r"/([^/]+)/w/api\.php", path)
        if stream is not None and method == "GET":
            self._stream(stream.group(1).split(","), parts.query, user_agent)
        elif api is not None and _WIKI_NAME.match(api.group(1)):
            self._api(api.group(1), method, parts.query, body, user_agent)
        else:
            self._plain(404, "Not Found\n")

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _plain(self, status: int, text: str, headers: Mapping[str, str] | None = None) -> None:
        self._send(status, text.encode("utf-8"), "text/plain; charset=utf-8", headers)

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    # --- EventStreams ------------------------------------------------------------------------

    def _stream(self, streams: list[str], query: str, user_agent: str | None) -> None:
        wiki = self.wiki
        last_event_id = self.headers.get("Last-Event-ID")
        since = dict(parse_qsl(query)).get("since")

        def log(status: int) -> None:
            with wiki._lock:
                wiki.stream_requests.append(
                    StreamRequest(tuple(streams), last_event_id, since, user_agent, status)
                )

        if user_agent is None:
            log(403)
            self._plain(403, NO_USER_AGENT)
            return
        with wiki._lock:
            try:
                positions, ids = wiki._assignments(streams, last_event_id, since)
            except _Refused as refused:
                log(refused.status)
                self._send(
                    refused.status,
                    (_compact(refused.body) + "\n").encode("utf-8"),
                    "application/json; charset=utf-8",
                )
                return
        log(200)
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "keep-alive")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self._chunk(b":ok\n\n")
        first = True
        while not wiki._stopping.is_set():
            # decide under the lock, write outside it: a client that stops reading must not
            # hold up push() or the other connections
            action = "send"
            with wiki._changed:
                stored = wiki._next_event(positions)
                if stored is None:
                    if wiki._ended:
                        action = "end"
                    elif wiki._changed.wait(timeout=wiki.keepalive):
                        action = "look again"  # something changed: an event, the end, stop()
                    elif wiki._next_event(positions) is None and not wiki._ended:
                        action = "keepalive"
                    else:
                        action = "look again"
            if action == "end":
                self._chunk(b"")  # the last chunk: a complete, ended response
                return
            if action == "keepalive" and not wiki._stopping.is_set():
                self._chunk(b":ok\n\n")
            if stored is None:
                continue
            delay = wiki.faults.stream_delay
            if not first and delay > 0 and wiki._stopping.wait(delay):
                return
            first = False
            frame, cut = wiki._frame(stored, ids)
            positions[stored.topic] = stored.offset + 1
            self._chunk(frame)
            if cut:
                # a network failure: no final chunk, the socket just closes
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))

    # --- Action API --------------------------------------------------------------------------

    def _api(
        self, wiki_name: str, method: str, query: str, body: bytes, user_agent: str | None
    ) -> None:
        wiki = self.wiki
        params = dict(parse_qsl(query, keep_blank_values=True))
        if method == "POST":
            params.update(self._form(body))  # MediaWiki reads $_POST over $_GET
        revids = tuple(
            int(v) for v in _multi(params.get("revids", "")) if re.fullmatch(r"\d+", v.strip())
        )

        def log(status: int, error: str | None) -> None:
            with wiki._lock:
                wiki.requests.append(
                    ApiRequest(wiki_name, method, revids, user_agent, params, status, error)
                )

        if user_agent is None:
            log(403, None)
            self._plain(403, NO_USER_AGENT)
            return
        delay = wiki.faults.api_delay
        if delay > 0 and wiki._stopping.wait(delay):
            return
        fault = wiki._api_fault()
        if fault is not None:
            status, code, headers = fault
            if code == "maxlag":
                log(status, code)
                info = f"Waiting for {LAG_HOST}: {LAG_SECONDS} seconds lagged."
                error = _ApiError(code, info, host=LAG_HOST, lag=LAG_SECONDS, type="db")
                self._api_error(wiki_name, params, error, headers)
                return
            log(status, None)
            self._plain(status, f"wikiserver: injected HTTP {status}\n", headers)
            return
        try:
            answer = wiki._query(wiki_name, params)
        except _ApiError as error:
            log(200, error.code)
            self._api_error(wiki_name, params, error)
            return
        log(200, None)
        self._send(200, _compact(answer).encode("utf-8"), "application/json; charset=utf-8")

    def _api_error(
        self,
        wiki_name: str,
        params: Mapping[str, str],
        error: _ApiError,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """An API error answer (ApiMain::substituteResultWithError): HTTP 200 with the
        MediaWiki-API-Error header; ``{"error": {...}}`` for errorformat=bc (the default),
        ``{"errors": [...], "docref"}`` for the others."""
        fmt = params.get("errorformat", "bc")
        if fmt not in ERROR_FORMATS:
            fmt = "bc"
        body: dict[str, Any]
        if fmt == "bc":
            details = {"code": error.code, "info": error.info, **error.data}
            body = {"error": {**details, "docref": _docref(wiki_name)}}
        else:
            message = _message(error.code, error.info, fmt)
            if error.data:
                message["data"] = dict(error.data)
            message["module"] = error.module
            body = {"errors": [message], "docref": _docref(wiki_name)}
        body["servedby"] = SERVED_BY
        self._send(
            200,
            _compact(body).encode("utf-8"),
            "application/json; charset=utf-8",
            {**(headers or {}), "MediaWiki-API-Error": error.code},
        )

    def _form(self, body: bytes) -> dict[str, str]:
        content_type = self.headers.get("Content-Type", "")
        if content_type.startswith("application/x-www-form-urlencoded"):
            return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        if content_type.startswith("multipart/form-data"):
            message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
            )
            form: dict[str, str] = {}
            for part in message.iter_parts():  # type: ignore[attr-defined]
                name = part.get_param("name", header="content-disposition")
                if name:
                    form[str(name)] = part.get_payload(decode=True).decode("utf-8")
            return form
        return {}


def wait_until(condition: Callable[[], bool], *, timeout: float = 10.0) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds pass: a generous deadline for a
    test that waits on a background thread, never a fixed sleep that hopes it was long enough."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    step = 0.005
    while time.monotonic() < deadline:
        if condition():
            return True
        pause.wait(step)
        step = min(step * 2, 0.1)
    return condition()
