"""Serving a kept file (a snapshot, a chunk, an hourly batch) over HTTP: HEAD, GET with Range
and If-Range, If-None-Match; the download metered as it is sent."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import Header
from fastapi.responses import Response, StreamingResponse

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
    416: {"description": "Range not satisfiable"},
}


@dataclass(frozen=True)
class KeptFile:
    """A file to serve and what its headers say of it."""

    path: Path
    size: int
    sha256: str
    filename: str  # offered to save as
    modified: str  # ISO 8601: Last-Modified
    records: int  # articles or events: metered for a whole download
    metered_as: str | None = None  # the registry identifier, for a whole download


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
