"""Serving a kept file (a snapshot, a chunk, an hourly batch) over HTTP: HEAD, GET with Range
and If-Range, If-None-Match; the download metered as it is sent.

A file in object storage is streamed by ranged GETs of exactly the bytes asked for. When the
operator sets ``WIKIPACT_SNAPSHOTS_REDIRECT`` (seconds), a GET of such a file is answered
instead with ``307 Temporary Redirect`` to a presigned URL of the object (lasting that long),
after the same checks (entitlement, quota, If-None-Match, Range); HTTP clients follow it and
send their Range again to the store. The download is metered when the redirect is issued, as
what it allows: the asked bytes, and the file's records when the whole file is asked for. HEAD
is always answered here."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Header
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from wikipact import storage
from wikipact.api.context import Meter
from wikipact.api.errors import error
from wikipact.snapshots import ranges

RangeHeader = Annotated[str | None, Header(alias="Range", max_length=200)]
IfRange = Annotated[str | None, Header(max_length=200)]
IfNoneMatch = Annotated[str | None, Header(max_length=2000)]

DOWNLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The whole file", "content": {"application/gzip": {}}},
    206: {"description": "The requested byte range", "content": {"application/gzip": {}}},
    304: {"description": "Not modified (If-None-Match)"},
    307: {
        "description": "The file is in object storage and the server hands out presigned "
        "URLs: follow Location (a URL valid for a limited time), sending Range again"
    },
    416: {"description": "Range not satisfiable"},
}


@dataclass(frozen=True)
class KeptFile:
    """A file to serve and what its headers say of it."""

    path: Path | str  # a file, or an object's URL
    size: int
    sha256: str
    filename: str  # offered to save as
    modified: str  # ISO 8601: Last-Modified
    records: int  # articles or events: metered for a whole download
    metered_as: str | None = None  # the registry identifier, for a whole download
    redirect_seconds: int = 0  # > 0: redirect a GET of an object to a presigned URL


def headers_of(kept: KeptFile) -> dict[str, str]:
    modified = datetime.fromisoformat(kept.modified.replace("Z", "+00:00"))
    return {
        "Accept-Ranges": "bytes",
        "ETag": ranges.etag(kept.sha256),
        "Last-Modified": ranges.http_date(modified),
        "Content-Disposition": f'attachment; filename="{kept.filename}"',
        "X-Checksum-Sha256": kept.sha256,
    }


def head(kept: KeptFile) -> Response:
    headers = headers_of(kept) | {"Content-Length": str(kept.size)}
    return Response(status_code=200, headers=headers, media_type="application/gzip")


def download(
    kept: KeptFile,
    make_meter: Callable[[], Meter],
    project: str,
    range_: str | None,
    if_range: str | None,
    if_none_match: str | None,
) -> Response:
    """The file, or the asked byte range of it (206), 304 or 416; metered as it is sent."""
    headers = headers_of(kept)
    if ranges.if_none_match(if_none_match, headers["ETag"]):
        return Response(status_code=304, headers=headers)
    meter = make_meter()
    span = None
    if range_ is not None and ranges.if_range_matches(if_range, headers["ETag"]):
        try:
            span = ranges.parse_range(range_, kept.size)
        except ranges.MalformedRange:
            span = None  # RFC 9110: an invalid Range is ignored
        except ranges.RangeNotSatisfiable as exc:
            meter.finish(416, project=project)
            return error(416, str(exc), {"Content-Range": f"bytes */{kept.size}"})
    start, end = span if span is not None else (0, kept.size - 1)
    length = end - start + 1
    headers["Content-Length"] = str(length)
    status = 200
    if span is not None:
        status = 206
        headers["Content-Range"] = ranges.content_range(start, end, kept.size)
    if kept.redirect_seconds > 0 and storage.is_url(kept.path):
        return _redirect(kept, meter, project, status, start, length)

    def body() -> Iterator[bytes]:
        sent = 0
        try:
            for chunk in ranges.iter_file(kept.path, start, end):
                sent += len(chunk)
                yield chunk
        finally:
            whole = start == 0 and sent == length
            meter.finish(
                status if sent == length else 499,
                project=project,
                articles=kept.records if whole else 0,
                bytes_sent=sent,
                snapshot=kept.metered_as if start == 0 else None,
            )

    return StreamingResponse(
        body(), status_code=status, headers=headers, media_type="application/gzip"
    )


def _redirect(
    kept: KeptFile, meter: Meter, project: str, status: int, start: int, length: int
) -> Response:
    """307 to a presigned URL of the object, metered now as the delivery it allows: with the
    status that delivery has (200 or 206), which usage and statements count (2xx only)."""
    url = storage.presign(kept.path, kept.redirect_seconds, filename=kept.filename)
    meter.finish(
        status,
        project=project,
        articles=kept.records if start == 0 and length == kept.size else 0,
        bytes_sent=length,
        snapshot=kept.metered_as if start == 0 else None,
    )
    headers = headers_of(kept) | {"Cache-Control": "no-store"}
    return RedirectResponse(url, status_code=307, headers=headers)
