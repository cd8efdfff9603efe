"""Realtime: the store's change log as Server-Sent Events (or NDJSON), resumable by cursor.

Each event's SSE ``id`` is its change-log cursor. A client that reconnects with
``Last-Event-ID`` (or ``?cursor=``) receives exactly the events after it: none lost, none
repeated. ``since`` (an ISO time) starts at the first change recorded at or after it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import Response, StreamingResponse

from wikipact.api.context import Caller, Meter, services
from wikipact.api.projection import matches, project
from wikipact.model.instants import parse_instant
from wikipact.store import records
from wikipact.store.base import ChangeEvent

router = APIRouter(prefix="/v2")
POLL_SECONDS = 0.5
HEARTBEAT_SECONDS = 15.0
SLOW_CLIENT_SECONDS = 30.0  # a client that takes no data for this long is let go (G14)


class FeedResponse(StreamingResponse):
    """A stream that lets go of a client that stopped reading.

    When a client stops reading, its socket buffers fill and each ``send`` waits (TCP
    back-pressure); without a limit the stream, its generator and its position would be held
    forever. A send that has not completed after ``SLOW_CLIENT_SECONDS`` ends the response: the
    server closes the connection, and the client resumes later with ``Last-Event-ID``.
    """

    send_timeout: float = SLOW_CLIENT_SECONDS

    async def stream_response(self, send: Any) -> None:
        async def timed(message: Any) -> None:
            await asyncio.wait_for(send(message), self.send_timeout)

        try:
            await super().stream_response(timed)
        except TimeoutError:
            await self.body_iterator.aclose()  # type: ignore[attr-defined]


BATCH = 200


def _event(change: ChangeEvent, svc: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "name": change.title,
        "identifier": change.page_id,
        "is_part_of": {"identifier": change.project},
        "namespace": {"identifier": change.namespace},
        "event": {
            "identifier": change.cursor,
            "type": change.kind,
            "date_created": change.recorded_at,
        },
    }
    if change.revision_id is not None:
        record["version"] = {"identifier": change.revision_id}
    if change.redirect_target:
        record["redirect_target"] = {"name": change.redirect_target}
    if change.kind != "delete":
        article = svc.store().get(change.project, change.page_id)
        if article is not None and article.version.identifier == change.revision_id:
            full = msgspec.to_builtins(article)
            full.pop("article_body", None)
            full.update(record)
            record = full
    return record


def store_time(since: str) -> str:
    """``since`` (any ISO 8601 time with a zone) in the change log's form, to compare as text."""
    return records.stamp(parse_instant(since, what="since"))


def _changes(svc: Any, after: int) -> list[ChangeEvent]:
    return list(svc.store().changes(after=after, limit=BATCH))


@router.get(
    "/realtime/articles",
    summary="Article changes as a stream (SSE, or NDJSON by Accept)",
    responses={
        200: {
            "description": "A stream of change events",
            "content": {"text/event-stream": {"itemSchema": {"type": "object", "required": ["data"], "properties": {"id": {"type": "string"}, "event": {"type": "string"}, "data": {"type": "string"}}}},
                        "application/x-ndjson": {"schema": {"type": "string"}}},
        }
    },
)  # fmt: skip
async def realtime(
    request: Request,
    principal: Caller,
    cursor: Annotated[
        int | None, Query(ge=0, le=2**63 - 1, description="Resume after this event id")
    ] = None,
    since: Annotated[str | None, Query(max_length=40, description="ISO time to start at")] = None,
    project_: Annotated[str | None, Query(alias="project", max_length=100)] = None,
    namespace: Annotated[int | None, Query()] = None,
    fields: Annotated[list[str] | None, Query()] = None,
    limit: Annotated[
        int | None, Query(ge=1, le=100_000, description="Close after N events")
    ] = None,
    timeout: Annotated[
        float | None, Query(gt=0, le=3600, description="Close after this many idle seconds")
    ] = None,
    last_event_id: Annotated[str | None, Header(max_length=40)] = None,
) -> StreamingResponse:
    svc = services(request)
    meter = Meter(request, principal, channel="realtime", project=project_, namespace=namespace)
    grant = meter.grant
    start = cursor
    if start is None and last_event_id and last_event_id.isdigit() and len(last_event_id) < 19:
        start = int(last_event_id)
    if start is None and since:
        try:
            start = svc.store().cursor_before(store_time(since))
        except BaseException:
            meter.finish(400, project=project_ or "*")
            raise
    position = start if start is not None else svc.store().stats().last_cursor
    wanted = [p for v in fields or () for p in v.split(",") if p]
    filters: list[tuple[str, Any]] = []
    if namespace is not None:
        filters.append(("namespace.identifier", namespace))
    ndjson = "application/x-ndjson" in request.headers.get("accept", "")

    async def stream() -> AsyncIterator[bytes]:
        nonlocal position
        sent = sent_bytes = 0
        idle_since = last_beat = time.monotonic()
        status = 200
        try:
            while True:
                changes = await asyncio.to_thread(_changes, svc, position)
                for change in changes:
                    position = change.cursor
                    if not grant.allows(change.project, change.namespace):
                        continue
                    if project_ is not None and change.project != project_:
                        continue
                    record = await asyncio.to_thread(_event, change, svc)
                    if filters and not matches(record, filters):
                        continue
                    data = msgspec.json.encode(project(record, wanted))
                    chunk = (
                        data + b"\n"
                        if ndjson
                        else b"id: %d\nevent: article\ndata: %s\n\n" % (change.cursor, data)
                    )
                    sent += 1
                    sent_bytes += len(chunk)
                    yield chunk
                    idle_since = time.monotonic()
                    if limit is not None and sent >= limit:
                        return
                if changes:
                    continue
                if await request.is_disconnected():
                    return
                now = time.monotonic()
                if timeout is not None and now - idle_since >= timeout:
                    return
                if not ndjson and now - last_beat >= HEARTBEAT_SECONDS:
                    last_beat = now
                    yield b": keep-alive\n\n"
                await asyncio.sleep(POLL_SECONDS)
        except (GeneratorExit, asyncio.CancelledError):
            raise  # the client went away: what was sent counts as delivered
        except BaseException:
            status = 500
            raise
        finally:
            meter.finish(status, project=project_ or "*", articles=sent, bytes_sent=sent_bytes)

    media = "application/x-ndjson" if ndjson else "text/event-stream"
    response = FeedResponse(
        stream(), media_type=media, headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )
    response.send_timeout = getattr(request.app.state, "slow_client_seconds", SLOW_CLIENT_SECONDS)
    return response


HOUR = r"^\d{4}-\d{2}-\d{2}T\d{2}$"


@router.get("/realtime/batches", summary="Hours (UTC) of the last days that have change batches")
def batches(
    request: Request,
    principal: Caller,
    days: Annotated[int, Query(ge=1, le=31)] = 2,
) -> Response:
    svc = services(request)
    meter = Meter(request, principal, channel="realtime")
    meter.finish(200, project="*")
    store = svc.store()
    since = (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H")
    hours: dict[str, int] = {}
    for change in _since(store, since):
        if meter.grant.allows(change.project, change.namespace):
            hour = change.recorded_at[:13]
            hours[hour] = hours.get(hour, 0) + 1
    return Response(
        msgspec.json.encode(
            [
                {"identifier": h, "events": n, "url": f"/v2/realtime/batches/{h}"}
                for h, n in sorted(hours.items())
            ]
        ),
        media_type="application/json",
    )


@router.get(
    "/realtime/batches/{hour}",
    summary="One hour's change events (UTC, e.g. 2026-11-28T04) as NDJSON",
    responses={200: {"content": {"application/x-ndjson": {"schema": {"type": "string"}}}}},
)
def batch(
    request: Request,
    principal: Caller,
    hour: Annotated[str, Path(pattern=HOUR)],
) -> Response:
    svc = services(request)
    meter = Meter(request, principal, channel="realtime")
    lines = []
    for change in _since(svc.store(), hour):
        if change.recorded_at[:13] > hour:
            break
        if meter.grant.allows(change.project, change.namespace):
            lines.append(msgspec.json.encode(_event(change, svc)) + b"\n")
    body = b"".join(lines)
    meter.finish(200, project="*", articles=len(lines), bytes_sent=len(body))
    return Response(body, media_type="application/x-ndjson")


def _since(store: Any, hour: str) -> Iterator[ChangeEvent]:
    """Change events recorded at or after the start of ``hour`` (YYYY-MM-DDTHH), in order."""
    position = store.cursor_before(hour + ":00:00")
    while True:
        changes = list(store.changes(after=position, limit=1000))
        if not changes:
            return
        yield from changes
        position = changes[-1].cursor
