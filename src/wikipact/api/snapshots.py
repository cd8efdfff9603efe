"""Snapshots and dataset builds: list, describe, and download with Range, ETag and HEAD.

Files are found through the registry by identifier and opened only through
``registry.snapshot_file`` (under the snapshots root): nothing from the URL becomes a path. A
snapshot needs the ``snapshots`` channel and a dataset the ``datasets`` channel, for every project
it holds; a file private to another partner is "not found".
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import Response, StreamingResponse

from wikipact.access import Principal
from wikipact.access.entitlement import Grant
from wikipact.api.context import Caller, Meter, Services, rate_limited, services
from wikipact.api.errors import error
from wikipact.errors import ForbiddenError, NotFoundError
from wikipact.snapshots import ranges, registry

router = APIRouter(prefix="/v2")
CHANNEL = {"snapshot": "snapshots", "dataset": "datasets"}
Identifier = Annotated[str, Path(max_length=200, description="Snapshot identifier")]


def _root(svc: Services) -> Any:
    return svc.snapshots_root


def _covers(grant: Grant, snapshot: registry.Snapshot) -> bool:
    """Does the grant cover everything in the snapshot: each project, in its namespace (or in
    every namespace, for a file that holds all of them)?"""
    for project in snapshot.projects:
        if snapshot.namespace is not None:
            if not grant.allows(project, snapshot.namespace):
                return False
        elif not grant.allows(project) or grant.namespaces_of(project) is not None:
            return False
    return True


def _visible(svc: Services, principal: Principal) -> list[registry.Snapshot]:
    if principal.partner is None:
        return []
    found = svc.registry.list(owner=principal.partner)
    grants = {kind: svc.listing_grant(principal, channel) for kind, channel in CHANNEL.items()}
    return [s for s in found if _covers(grants[s.kind], s)]


def _find(svc: Services, principal: Principal, identifier: str) -> registry.Snapshot:
    """The snapshot if the caller may see it; 'not found' for anything else."""
    snapshot = svc.registry.get(identifier)
    if (
        snapshot is None
        or principal.partner is None
        or snapshot.owner not in (None, principal.partner)
    ):
        raise NotFoundError(f"no snapshot {identifier!r}")
    if not _covers(svc.listing_grant(principal, CHANNEL[snapshot.kind]), snapshot):
        raise NotFoundError(f"no snapshot {identifier!r}")
    return snapshot


def _describe(snapshot: registry.Snapshot) -> dict[str, Any]:
    return {
        "identifier": snapshot.identifier,
        "kind": snapshot.kind,
        "name": snapshot.name,
        "is_part_of": [{"identifier": p} for p in snapshot.projects],
        "namespace": {"identifier": snapshot.namespace} if snapshot.namespace is not None else None,
        "in_language": {"identifier": snapshot.in_language} if snapshot.in_language else None,
        "date_modified": snapshot.date_modified,
        "date_created": snapshot.created_at,
        "size": {"value": snapshot.size, "unit_text": "B"},
        "records": snapshot.records,
        "sha256": snapshot.sha256,
        "change_cursor": snapshot.change_cursor,
        "private": snapshot.owner is not None,
        "url": f"/v2/snapshots/{snapshot.identifier}/download",
    }


@router.get("/snapshots", summary="Snapshots and dataset builds the caller may download")
def list_snapshots(
    request: Request,
    principal: Caller,
    project: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    svc = services(request)
    if principal.partner is None:
        raise ForbiddenError("admin keys manage accounts; deliveries need a partner key")
    rate_limited(svc, principal)
    found = [s for s in _visible(svc, principal) if project is None or project in s.projects]
    return Response(
        msgspec.json.encode([_describe(s) for s in found]), media_type="application/json"
    )


@router.get("/snapshots/{identifier}", summary="One snapshot's metadata (size, sha256, records)")
def get_snapshot(request: Request, principal: Caller, identifier: Identifier) -> Response:
    svc = services(request)
    rate_limited(svc, principal)
    snapshot = _find(svc, principal, identifier)
    return Response(msgspec.json.encode(_describe(snapshot)), media_type="application/json")


def _headers(snapshot: registry.Snapshot) -> dict[str, str]:
    modified = datetime.fromisoformat(snapshot.created_at.replace("Z", "+00:00"))
    return {
        "Accept-Ranges": "bytes",
        "ETag": ranges.etag(snapshot),
        "Last-Modified": ranges.http_date(modified),
        "Content-Disposition": f'attachment; filename="{snapshot.identifier}.tar.gz"',
        "X-Checksum-Sha256": snapshot.sha256,
    }


DOWNLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The whole file", "content": {"application/gzip": {}}},
    206: {"description": "The requested byte range", "content": {"application/gzip": {}}},
    304: {"description": "Not modified (If-None-Match)"},
    416: {"description": "Range not satisfiable"},
}


@router.head(
    "/snapshots/{identifier}/download", responses=DOWNLOAD_RESPONSES, summary="Size and ETag"
)
def head_download(request: Request, principal: Caller, identifier: Identifier) -> Response:
    svc = services(request)
    snapshot = _find(svc, principal, identifier)
    svc.grant(principal, CHANNEL[snapshot.kind])
    rate_limited(svc, principal)
    registry.snapshot_file(_root(svc), snapshot)
    headers = _headers(snapshot) | {"Content-Length": str(snapshot.size)}
    return Response(status_code=200, headers=headers, media_type="application/gzip")


@router.get(
    "/snapshots/{identifier}/download",
    responses=DOWNLOAD_RESPONSES,
    summary="Download a snapshot (tar.gz of NDJSON); Range and If-Range supported",
)
def download(
    request: Request,
    principal: Caller,
    identifier: Identifier,
    range_: Annotated[str | None, Header(alias="Range", max_length=200)] = None,
    if_range: Annotated[str | None, Header(max_length=200)] = None,
    if_none_match: Annotated[str | None, Header(max_length=2000)] = None,
) -> Response:
    svc = services(request)
    snapshot = _find(svc, principal, identifier)
    headers = _headers(snapshot)
    if ranges.if_none_match(if_none_match, headers["ETag"]):
        return Response(status_code=304, headers=headers)
    project = ",".join(snapshot.projects)
    meter = Meter(request, principal, channel=CHANNEL[snapshot.kind], project=snapshot.project)
    try:
        path = registry.snapshot_file(_root(svc), snapshot)
        span = None
        if range_ is not None and ranges.if_range_matches(if_range, headers["ETag"]):
            try:
                span = ranges.parse_range(range_, snapshot.size)
            except ranges.MalformedRange:
                span = None  # RFC 9110: an invalid Range is ignored
    except ranges.RangeNotSatisfiable as exc:
        meter.finish(416, project=project)
        return error(416, str(exc), {"Content-Range": f"bytes */{snapshot.size}"})
    except BaseException:
        meter.finish(500, project=project)
        raise
    start, end = span if span is not None else (0, snapshot.size - 1)
    length = end - start + 1
    headers["Content-Length"] = str(length)
    status = 200
    if span is not None:
        status = 206
        headers["Content-Range"] = ranges.content_range(start, end, snapshot.size)

    def body() -> Any:
        sent = 0
        try:
            for chunk in ranges.iter_file(path, start, end):
                sent += len(chunk)
                yield chunk
        finally:
            meter.finish(
                status if sent == length else 499,
                project=project,
                articles=snapshot.records if start == 0 and sent == length else 0,
                bytes_sent=sent,
                snapshot=snapshot.identifier if start == 0 else None,
            )

    return StreamingResponse(
        body(), status_code=status, headers=headers, media_type="application/gzip"
    )
