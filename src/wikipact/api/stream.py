"""Realtime as Wikimedia Enterprise serves it: ``POST /v2/articles`` (or ``GET``) streams
article events as NDJSON, each a whole article (Enterprise's shape) with its ``event``.

The change log is split into 50 partitions by page (every event of a page lands in one
partition, so each page's events stay in order); a client may read some partitions (``parts``:
part k is partitions 5k..5k+4) and resume each exactly: ``event.offset`` is the change-log
cursor, increasing within every partition, and ``offsets`` starts a partition at the given
offset (inclusive, as Kafka's and Enterprise's do: pass the last offset processed plus one).
``since_per_partition`` starts a partition at a time, ``since`` all of them; with none of
these the stream starts at the live end.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import Field

from wikipact.api.context import Caller, Meter, services
from wikipact.api.projection import matches, project
from wikipact.api.query import ListQuery, filter_pairs, from_params, validated
from wikipact.api.realtime import POLL_SECONDS, SLOW_CLIENT_SECONDS, FeedResponse, store_time
from wikipact.enterprise import shapes
from wikipact.enterprise.records import event_record
from wikipact.errors import ConfigError
from wikipact.store.base import ChangeEvent

router = APIRouter(prefix="/v2")
NDJSON = "application/x-ndjson"
BATCH = 200


class StreamQuery(ListQuery):
    """Enterprise's realtime request, plus wikipact's ``timeout`` (close when idle)."""

    limit: int | None = Field(default=None, ge=1, le=1_000_000, description="Close after N events")
    since: str | None = Field(default=None, max_length=40, description="RFC 3339 time to start at")
    parts: list[int] = Field(default_factory=list, max_length=10)
    offsets: dict[int, int] = Field(default_factory=dict, max_length=50)
    since_per_partition: dict[int, str] = Field(default_factory=dict, max_length=50)
    timeout: float | None = Field(default=None, gt=0, le=3600, description="Close when idle (s)")


@dataclass
class Start:
    """Where each partition starts: a cursor to read after, and per-partition lower bounds."""

    after: int
    partitions: set[int]
    offsets: dict[int, int] = field(default_factory=dict)  # first offset to send
    since: dict[int, str] = field(default_factory=dict)  # first time to send (store form)

    def wants(self, change: ChangeEvent, partition: int) -> bool:
        if partition not in self.partitions:
            return False
        if change.cursor < self.offsets.get(partition, 0):
            return False
        bound = self.since.get(partition)
        return bound is None or change.recorded_at >= bound


def start_of(store: Any, query: StreamQuery) -> Start:
    """Where to start reading the change log for ``query`` (``ValueError`` on a bad part)."""
    if any(not 0 <= p < shapes.MAX_PARTS for p in query.parts):
        raise ValueError(f"parts are 0 to {shapes.MAX_PARTS - 1}")
    partitions = (
        shapes.partitions_of_parts(query.parts) if query.parts else set(range(shapes.PARTITIONS))
    )
    offsets = {p: o for p, o in query.offsets.items() if p in partitions}
    since = {p: store_time(t) for p, t in query.since_per_partition.items() if p in partitions}
    starts: list[int] = []
    for p in partitions:
        if p in offsets:
            starts.append(max(0, offsets[p] - 1))
        elif p in since:
            starts.append(store.cursor_before(since[p]))
        elif query.since:
            starts.append(store.cursor_before(store_time(query.since)))
        else:
            starts.append(store.stats().last_cursor)
    return Start(after=min(starts), partitions=partitions, offsets=offsets, since=since)


def _changes(store: Any, after: int) -> list[ChangeEvent]:
    return list(store.changes(after=after, limit=BATCH))


async def _stream(request: Request, principal: Any, query: StreamQuery) -> StreamingResponse:
    svc = services(request)
    meter = Meter(request, principal, channel="realtime")
    grant = meter.grant
    try:
        start = await asyncio.to_thread(start_of, svc.store(), query)
    except (ValueError, ConfigError) as exc:
        meter.finish(400, project="*")
        raise ConfigError(str(exc)) from None
    filters = filter_pairs(query.filters)

    async def events() -> AsyncIterator[bytes]:
        position = start.after
        sent = sent_bytes = 0
        idle_since = time.monotonic()
        status = 200
        try:
            while True:
                changes = await asyncio.to_thread(_changes, svc.store(), position)
                for change in changes:
                    position = change.cursor
                    partition = shapes.partition_of(change.project, change.page_id)
                    if not start.wants(change, partition):
                        continue
                    if not grant.allows(change.project, change.namespace):
                        continue
                    record = await asyncio.to_thread(event_record, svc.store(), change)
                    if filters and not matches(record, filters):
                        continue
                    line = msgspec.json.encode(project(record, query.fields)) + b"\n"
                    sent += 1
                    sent_bytes += len(line)
                    yield line
                    idle_since = time.monotonic()
                    if query.limit is not None and sent >= query.limit:
                        return
                if changes:
                    continue
                if await request.is_disconnected():
                    return
                if query.timeout is not None and time.monotonic() - idle_since >= query.timeout:
                    return
                await asyncio.sleep(POLL_SECONDS)
        except (GeneratorExit, asyncio.CancelledError):
            raise  # the client went away: what was sent counts as delivered
        except BaseException:
            status = 500
            raise
        finally:
            meter.finish(status, project="*", articles=sent, bytes_sent=sent_bytes)

    response = FeedResponse(
        events(),
        media_type=NDJSON,
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
    response.send_timeout = getattr(request.app.state, "slow_client_seconds", SLOW_CLIENT_SECONDS)
    return response


STREAM_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Article events, one JSON object per line, each with its `event`",
        "content": {NDJSON: {"schema": {"type": "string"}}},
    }
}


@router.post(
    "/articles",
    responses=STREAM_RESPONSES,
    response_class=StreamingResponse,
    summary="Realtime article events (Enterprise's stream): NDJSON, resumable per partition",
)
async def post_stream(
    request: Request, principal: Caller, query: Annotated[StreamQuery | None, Body()] = None
) -> StreamingResponse:
    return await _stream(request, principal, query or StreamQuery())


@router.get(
    "/articles",
    responses=STREAM_RESPONSES,
    response_class=StreamingResponse,
    summary="Realtime article events (the same stream; parameters in the query string)",
)
async def get_stream(
    request: Request,
    principal: Caller,
    since: Annotated[str | None, Query(max_length=40)] = None,
    fields: Annotated[list[str] | None, Query()] = None,
    filters: Annotated[list[str] | None, Query(description="field:value")] = None,
    parts: Annotated[list[int] | None, Query(max_length=10, description="0 to 9")] = None,
    limit: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
    timeout: Annotated[float | None, Query(gt=0, le=3600)] = None,
) -> StreamingResponse:
    base = from_params(fields, filters)
    query = validated(
        StreamQuery,
        fields=base.fields,
        filters=base.filters,
        since=since,
        parts=parts or [],
        limit=limit,
        timeout=timeout,
    )
    return await _stream(request, principal, query)
