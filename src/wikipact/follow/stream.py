"""A resumable Server-Sent Events client for Wikimedia EventStreams.

EventStreams (https://stream.wikimedia.org/v2/stream/<stream>[,<stream>...]) serves events as
SSE (WHATWG HTML, "Server-sent events") from Kafka through KafkaSSE. Every message carries an
``id`` that is a JSON array of the consumer's position in each Kafka topic partition, e.g.
``[{"topic":"eqiad.mediawiki.recentchange","partition":0,"offset":4820784717}, ...]`` (or with
``timestamp`` instead of ``offset`` when asking for a point in time). Sending that string back
as the ``Last-Event-ID`` header on reconnection resumes exactly after that message, so a
follower that stores :attr:`EventStream.last_event_id` after handling each message loses
nothing across disconnects or restarts. The id is opaque here: it is passed back as received.

The client reconnects by itself after a disconnect, a network error, or an HTTP 429/5xx, waiting
per :class:`Backoff`; any other HTTP error is a :class:`StreamError` (retrying cannot fix a 404
or a 403). ``idle_timeout`` turns a silent stream (a dead connection, or an upstream that stopped
sending) into :class:`StreamIdle`, so the caller notices instead of hanging.

No SSE library is used (``httpx-sse`` is not a dependency): the parser is the spec's algorithm,
over bytes, so a multi-byte character or a CRLF split across two network reads is handled.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import quote

import httpx

from wikipact.errors import ConfigError, WikipactError

DEFAULT_STREAM_BASE = "https://stream.wikimedia.org/v2/stream"
# a Retry-After beyond this is a misconfiguration, not advice
MAX_RETRY_AFTER = 600.0
_ERROR_BODY_LIMIT = 2000


class StreamError(WikipactError):
    """The stream refused us in a way that retrying cannot fix (HTTP 4xx other than 429, a
    response that is not an event stream). ``url`` and ``status`` say which."""

    def __init__(self, message: str, *, url: str, status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class StreamIdle(WikipactError):
    """No message arrived for ``idle_timeout`` seconds (keepalive comments do not count)."""

    def __init__(self, message: str, *, idle_for: float) -> None:
        super().__init__(message)
        self.idle_for = idle_for


@dataclass(frozen=True, slots=True)
class StreamMessage:
    """One dispatched SSE message.

    ``id`` is the stream's last event id when this message was dispatched (the spec's "last
    event ID string": the message's own ``id`` field, or the latest one before it), exactly as
    received; ``None`` when the server has sent none. ``data`` is the message's data lines joined
    with "\\n".
    """

    id: str | None
    event: str
    data: str


class Backoff:
    """Exponential backoff with full jitter: attempt *n* waits a uniformly random time in
    ``[0, min(cap, base * 2**(n-1))]`` (so reconnecting clients spread out instead of stampeding
    a recovering server), but never less than a server's ``Retry-After``.

    ``sleep`` and ``rand`` are injectable so that tests neither wait nor depend on chance.
    """

    def __init__(
        self,
        base: float = 0.5,
        cap: float = 30.0,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        if base < 0 or cap < 0:
            raise ConfigError(f"backoff base and cap must not be negative (got {base}, {cap})")
        self.base = base
        self.cap = cap
        self.sleep = sleep
        self.rand = rand

    def next_delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before try number ``attempt + 1`` (``attempt`` counts the failures so
        far, from 1); at least ``retry_after`` (clamped to :data:`MAX_RETRY_AFTER`)."""
        exponent = min(max(attempt, 1) - 1, 60)
        ceiling = min(self.cap, self.base * 2.0**exponent)
        delay = self.rand() * ceiling
        if retry_after is not None and retry_after > 0:
            delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
        return delay

    def wait(self, attempt: int, retry_after: float | None = None) -> float:
        """Sleep for :meth:`next_delay` and return how long that was."""
        delay = self.next_delay(attempt, retry_after)
        if delay > 0:
            self.sleep(delay)
        return delay


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def default_stream_url(streams: Sequence[str], base: str = DEFAULT_STREAM_BASE) -> str:
    """The EventStreams URL for one or more streams, e.g. ``.../v2/stream/mediawiki.recentchange``
    (several are composed into one SSE stream, comma-separated)."""
    if isinstance(streams, str):
        streams = [streams]
    if not streams:
        raise ConfigError("no stream named: give at least one, e.g. mediawiki.page_change.v1")
    for name in streams:
        if not name or any(c in name for c in ",/?#") or name != name.strip():
            raise ConfigError(
                f"{name!r} is not a stream name (names look like mediawiki.page_change.v1)"
            )
    return base.rstrip("/") + "/" + ",".join(quote(name, safe="._-") for name in streams)


class SSEDecoder:
    """Incremental SSE parser (WHATWG HTML "event stream interpretation"), fed raw bytes.

    Lines end with CRLF, LF or CR; a blank line dispatches the pending message. Fields: ``data``
    (appended, one line each), ``event``, ``id`` (ignored if it contains NUL), ``retry``
    (reconnection time in ms, digits only); lines starting with ':' are comments; unknown
    fields are ignored. A message whose data buffer is empty is not dispatched, but its
    ``id`` still becomes the last event id. A message cut off by the end of the stream is
    dropped, as the spec says.

    :meth:`feed` returns one :class:`StreamMessage` per blank line that ended a block with any
    field in it, including those with empty data (so that the caller can advance its last id);
    callers skip the ones whose data is empty.
    """

    def __init__(self, last_event_id: str | None = None) -> None:
        self.last_event_id: str = last_event_id or ""
        self.retry_ms: int | None = None
        self._buffer = bytearray()
        self._skip_lf = False  # the previous chunk ended in CR: a leading LF belongs to it
        self._first_line = True
        self._data: list[str] = []
        self._event = ""
        self._seen_field = False

    def feed(self, chunk: bytes) -> list[StreamMessage]:
        if self._skip_lf and chunk[:1] == b"\n":
            chunk = chunk[1:]
        self._skip_lf = False
        self._buffer += chunk
        out: list[StreamMessage] = []
        start = 0
        buffer = self._buffer
        length = len(buffer)
        while start < length:
            cr = buffer.find(b"\r", start)
            lf = buffer.find(b"\n", start)
            if cr < 0 and lf < 0:
                break
            if cr < 0 or (0 <= lf < cr):
                end, after = lf, lf + 1
            elif cr + 1 < length:
                end, after = cr, cr + 2 if buffer[cr + 1] == 0x0A else cr + 1
            else:  # CR at the very end: the LF of a CRLF may come in the next chunk
                end, after = cr, cr + 1
                self._skip_lf = True
            message = self._line(bytes(buffer[start:end]))
            if message is not None:
                out.append(message)
            start = after
        del self._buffer[:start]
        return out

    def _line(self, raw: bytes) -> StreamMessage | None:
        if self._first_line:
            self._first_line = False
            if raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]  # one leading BOM is not part of the stream
        if not raw:
            return self._dispatch()
        line = raw.decode("utf-8", errors="replace")
        if line.startswith(":"):
            return None  # a comment: EventStreams and proxies send them as keepalives
        field, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if field == "data":
            self._data.append(value)
        elif field == "event":
            self._event = value
        elif field == "id":
            if "\0" not in value:
                self.last_event_id = value
        elif field == "retry":
            if value.isascii() and value.isdigit():
                self.retry_ms = int(value)
        else:
            return None  # unknown fields are ignored, and do not make a block
        self._seen_field = True
        return None

    def _dispatch(self) -> StreamMessage | None:
        if not self._seen_field:
            return None
        message = StreamMessage(
            id=self.last_event_id or None,
            event=self._event or "message",
            data="\n".join(self._data),
        )
        self._data = []
        self._event = ""
        self._seen_field = False
        return message


class EventStream:
    """Iterate over the messages of one EventStreams URL, reconnecting as needed.

    ``user_agent`` is required: Wikimedia's User-Agent policy asks every client to say who it
    is and how to reach its operator, and blocks clients that do not. ``last_event_id`` resumes
    from a stored position. ``on_reconnect(attempt, reason)`` is called before each
    reconnection (attempt counts from 1 and resets once a message arrives). ``clock`` is the
    monotonic clock of the idle timer, injectable for tests.

    One iteration at a time: iterate, and :meth:`close` when done (or use ``with``).
    """

    def __init__(
        self,
        url: str,
        *,
        last_event_id: str | None = None,
        user_agent: str,
        idle_timeout: float | None = None,
        connect_timeout: float = 10.0,
        backoff: Backoff | None = None,
        client: httpx.Client | None = None,
        on_reconnect: Callable[[int, str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not user_agent or not user_agent.strip():
            raise ConfigError(
                "a User-Agent is required by Wikimedia's policy: name the tool and a contact, "
                "e.g. 'wikipact/0.1 (https://example.org; ops@example.org)'"
            )
        if idle_timeout is not None and idle_timeout <= 0:
            raise ConfigError(f"idle_timeout must be positive seconds (got {idle_timeout})")
        self.url = url
        self.user_agent = user_agent
        self.idle_timeout = idle_timeout
        self.connect_timeout = connect_timeout
        self.backoff = backoff or Backoff()
        self.on_reconnect = on_reconnect
        self._clock = clock
        self._last_event_id = last_event_id or None
        self._owns_client = client is None
        self._client = client or httpx.Client(follow_redirects=True)
        self._closed = False
        self._retry_floor = 0.0  # seconds, from the server's last 'retry:' field
        self.reconnects = 0  # reconnections since this object was made

    @property
    def last_event_id(self) -> str | None:
        """The id of the last message handed out (or of a later id-only block): store it after
        handling a message, pass it back to resume right after that message."""
        return self._last_event_id

    def close(self) -> None:
        """Stop: the iteration ends at its next step, and a client made here is closed."""
        self._closed = True
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> EventStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[StreamMessage]:
        attempt = 0
        last_message_at = self._clock()
        while not self._closed:
            read_timeout = self._remaining_idle(last_message_at)
            retry_after: float | None = None
            decoder = SSEDecoder(self._last_event_id)
            try:
                with self._client.stream(
                    "GET", self.url, headers=self._headers(), timeout=self._timeout(read_timeout)
                ) as response:
                    retry_after = self._check_response(response)
                    if retry_after is None:
                        for chunk in response.iter_bytes():
                            for message in decoder.feed(chunk):
                                self._last_event_id = message.id
                                if not message.data:
                                    continue
                                attempt = 0
                                yield message
                                # the idle clock restarts when the consumer is done with the
                                # message: time spent handling it is not the stream's silence
                                last_message_at = self._clock()
                            self._remaining_idle(last_message_at)  # keepalives do not count
                        reason = "the server closed the stream"
                    else:
                        reason = f"HTTP {response.status_code}"
            except httpx.ReadTimeout as error:
                if self._closed:
                    return
                if self.idle_timeout is not None:
                    self._remaining_idle(last_message_at)  # raises StreamIdle when it is over
                reason = f"network error: {type(error).__name__}: {error}"
            except (httpx.TransportError, httpx.StreamError) as error:
                if self._closed:
                    return
                reason = f"network error: {type(error).__name__}: {error}"
            if self._closed:
                return
            if decoder.retry_ms is not None:  # the server's 'retry:' lasts beyond its connection
                self._retry_floor = decoder.retry_ms / 1000
            if self._retry_floor:
                retry_after = max(retry_after or 0.0, self._retry_floor)
            attempt += 1
            self.reconnects += 1
            if self.on_reconnect is not None:
                self.on_reconnect(attempt, reason)
            self.backoff.wait(attempt, retry_after)

    # --- helpers ---------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        headers = {
            "Accept": "text/event-stream",
            "Cache-Control": "no-cache",
            "User-Agent": self.user_agent,
        }
        if self._last_event_id:
            headers["Last-Event-ID"] = self._last_event_id
        return headers

    def _timeout(self, read: float | None) -> httpx.Timeout:
        return httpx.Timeout(
            connect=self.connect_timeout,
            read=read,
            write=self.connect_timeout,
            pool=self.connect_timeout,
        )

    def _remaining_idle(self, last_message_at: float) -> float | None:
        """Seconds left before the stream counts as idle (None without an idle timeout); raises
        :class:`StreamIdle` when none are left. A reconnection does not restart the count."""
        if self.idle_timeout is None:
            return None
        idle_for = self._clock() - last_message_at
        remaining = self.idle_timeout - idle_for
        if remaining <= 0:
            raise StreamIdle(
                f"no event from {self.url} for {idle_for:.1f} s "
                f"(idle_timeout {self.idle_timeout:g} s); last event id {self._last_event_id!r}",
                idle_for=idle_for,
            )
        return remaining

    def _check_response(self, response: httpx.Response) -> float | None:
        """None when the response is an event stream to read; the Retry-After (0.0 if none)
        when it is worth retrying; raises :class:`StreamError` otherwise."""
        status = response.status_code
        if status == 200:
            kind = response.headers.get("content-type", "text/event-stream")
            if kind.split(";")[0].strip().lower() != "text/event-stream":
                raise StreamError(
                    f"{self.url} answered with {kind!r}, not an event stream: "
                    "is the URL an EventStreams stream URL (…/v2/stream/<name>)?",
                    url=self.url,
                    status=status,
                )
            return None
        if status == 429 or 500 <= status <= 599:  # overload and server trouble: they pass
            return parse_retry_after(response.headers.get("retry-after")) or 0.0
        body = _excerpt(response)
        if status == 400 and self._last_event_id:
            hint = (
                "the Last-Event-ID may be from another stream or past retention: "
                "start without it (or with ?since=) to resume from a time instead"
            )
        elif status in (400, 404):
            hint = "is every stream name right? (the list: https://stream.wikimedia.org/?doc)"
        elif status == 403:
            hint = "is the User-Agent descriptive? (Wikimedia refuses generic ones)"
        else:
            hint = ""
        raise StreamError(
            f"{self.url} answered HTTP {status}{': ' + body if body else ''}"
            f"{' — ' + hint if hint else ''}",
            url=self.url,
            status=status,
        )


def _excerpt(response: httpx.Response) -> str:
    data = bytearray()
    try:
        for chunk in response.iter_bytes():
            data += chunk
            if len(data) >= _ERROR_BODY_LIMIT:
                break
    except httpx.HTTPError:
        pass
    return " ".join(data[:_ERROR_BODY_LIMIT].decode("utf-8", errors="replace").split())[:300]
