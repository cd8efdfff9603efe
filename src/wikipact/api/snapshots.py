"""Snapshots, their chunks, Structured Contents snapshots and dataset builds: list, describe,
and download with Range, ETag and HEAD, on Wikimedia Enterprise's paths and in its shapes.

Identifiers: a snapshot is asked for by Enterprise's stable name (``enwiki_namespace_0``, the
newest file of that name the caller may see) or by its dated identifier
(``enwiki_namespace_0_20250126``); its chunks are ``<that identifier>_chunk_<k>``. Lists show
each name once, by its stable name, with ``dated_identifier`` as a wikipact addition.

Files are found through the registry and opened only through ``registry.snapshot_file`` (under
the snapshots root, a folder or object storage): nothing from the URL becomes a path. From
object storage a download is streamed by ranged GETs, or, with ``WIKIPACT_SNAPSHOTS_REDIRECT``
set, answered with a redirect to a presigned URL of the object (``api.files``). A snapshot
needs the ``snapshots`` channel and a dataset the ``datasets`` channel, for every project it
holds; a file private to another partner is "not found".
"""

from __future__ import annotations

import logging
import re
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.responses import Response

from wikipact.access import Principal
from wikipact.access.entitlement import Grant
from wikipact.api import files
from wikipact.api.context import Caller, Meter, Services, rate_limited, services
from wikipact.api.query import ListQuery, apply, apply_one, from_params
from wikipact.errors import ConfigError, ForbiddenError, NotFoundError, StoreError
from wikipact.snapshots import registry

log = logging.getLogger("wikipact.api")
router = APIRouter(prefix="/v2")
CHANNEL = {
    "snapshot": "snapshots",
    "structured": "snapshots",
    "chunk": "snapshots",
    "dataset": "datasets",
}
Identifier = Annotated[str, Path(max_length=200, description="Snapshot identifier")]
ChunkId = Annotated[str, Path(max_length=220, description="Chunk identifier")]
QueryBody = Annotated[ListQuery | None, Body()]
FieldsParam = Annotated[list[str] | None, Query(description="Dot paths to return")]
FiltersParam = Annotated[
    list[str] | None, Query(description="field:value, e.g. is_part_of.identifier:enwiki")
]
_CHUNK = re.compile(r"(.+)_chunk_([0-9]{1,6})")


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


def visible_files(svc: Services, principal: Principal, kinds: tuple[str, ...]) -> list[Any]:
    """Files of these kinds the caller may download, newest first within a name (the API's
    lists and the portal's catalogue)."""
    if principal.partner is None:
        return []
    grants = {kind: svc.listing_grant(principal, channel) for kind, channel in CHANNEL.items()}
    return [
        s
        for s in svc.registry.list(owner=principal.partner)
        if s.kind in kinds and _covers(grants[s.kind], s)
    ]


def _newest_per_name(found: list[Any]) -> list[Any]:
    seen: set[str] = set()
    out = []
    for snapshot in found:  # the registry lists newest first within a name
        if snapshot.kind == "dataset" or snapshot.name not in seen:
            seen.add(snapshot.name)
            out.append(snapshot)
    return out


def find_file(svc: Services, principal: Principal, identifier: str, kinds: tuple[str, ...]) -> Any:
    """The file a caller asks for, by dated identifier or stable name; 'not found' for anything
    it may not see (another partner's private file, a project it is not entitled to)."""
    snapshot = svc.registry.get(identifier)
    if snapshot is not None and snapshot.kind in kinds:
        if (
            principal.partner is not None
            and snapshot.owner in (None, principal.partner)
            and _covers(svc.listing_grant(principal, CHANNEL[snapshot.kind]), snapshot)
        ):
            return snapshot
        raise NotFoundError(f"no snapshot {identifier!r}")
    for candidate in visible_files(svc, principal, kinds):
        if candidate.kind != "dataset" and candidate.name == identifier:
            return candidate
    raise NotFoundError(f"no snapshot {identifier!r}")


def _find_chunk(
    svc: Services, principal: Principal, identifier: str, chunk: str, kinds: tuple[str, ...]
) -> tuple[Any, Any]:
    """(the snapshot, its chunk) for ``<identifier>_chunk_<k>``."""
    parent = find_file(svc, principal, identifier, kinds)
    match = _CHUNK.fullmatch(chunk)
    if match is None or match.group(1) != identifier:
        raise NotFoundError(f"no chunk {chunk!r} of snapshot {identifier!r}")
    chunks = svc.registry.chunks(parent.identifier)
    k = int(match.group(2))
    if k >= len(chunks):
        raise NotFoundError(f"no chunk {chunk!r} of snapshot {identifier!r}")
    return parent, chunks[k]


def describe(snapshot: Any, identifier: str | None = None) -> dict[str, Any]:
    """A file's metadata in Enterprise's shape (``version`` is the file's SHA-256, ``size`` in
    MB) with wikipact's additions (exact ``bytes``, ``records``, ``sha256`` ...)."""
    out: dict[str, Any] = {
        "identifier": identifier or snapshot.identifier,
        "version": snapshot.sha256,
        "date_modified": snapshot.date_modified or snapshot.created_at,
    }
    if len(snapshot.projects) == 1:
        out["is_part_of"] = {"identifier": snapshot.projects[0]}
    if snapshot.in_language:
        out["in_language"] = {"identifier": snapshot.in_language}
    if snapshot.namespace is not None:
        out["namespace"] = {"identifier": snapshot.namespace}
    out["size"] = {"value": round(snapshot.size / 1_000_000, 6), "unit_text": "MB"}
    out |= {
        "kind": snapshot.kind,
        "name": snapshot.name,
        "dated_identifier": snapshot.identifier,
        "projects": list(snapshot.projects),
        "bytes": snapshot.size,
        "records": snapshot.records,
        "sha256": snapshot.sha256,
        "date_created": snapshot.created_at,
        "change_cursor": snapshot.change_cursor,
        "private": snapshot.owner is not None,
    }
    return out


def _with_chunks(svc: Services, snapshot: Any, identifier: str) -> dict[str, Any]:
    out = describe(snapshot, identifier)
    if snapshot.kind != "dataset":
        count = len(svc.registry.chunks(snapshot.identifier))
        out["chunks"] = [f"{identifier}_chunk_{k}" for k in range(count)]
    return out


def _json(data: Any) -> Response:
    return Response(msgspec.json.encode(data), media_type="application/json")


def _partner(principal: Principal) -> None:
    if principal.partner is None:
        raise ForbiddenError("admin keys manage accounts; deliveries need a partner key")


# -- listing and describing ----------------------------------------------------------------


def _list(
    request: Request,
    principal: Principal,
    kinds: tuple[str, ...],
    query: ListQuery | None,
    project: str | None = None,
) -> Response:
    svc = services(request)
    _partner(principal)
    rate_limited(svc, principal)
    found = [
        s
        for s in _newest_per_name(visible_files(svc, principal, kinds))
        if project is None or project in s.projects
    ]
    items = [_with_chunks(svc, s, s.identifier if s.kind == "dataset" else s.name) for s in found]
    return _json(apply(items, query))


def _one(
    request: Request,
    principal: Principal,
    identifier: str,
    kinds: tuple[str, ...],
    query: ListQuery | None,
) -> Response:
    svc = services(request)
    rate_limited(svc, principal)
    snapshot = find_file(svc, principal, identifier, kinds)
    return _json(apply_one(_with_chunks(svc, snapshot, identifier), query))


def _chunks(
    request: Request, principal: Principal, identifier: str, query: ListQuery | None
) -> Response:
    svc = services(request)
    rate_limited(svc, principal)
    parent = find_file(svc, principal, identifier, ("snapshot", "structured"))
    items = [
        describe(c, f"{identifier}_chunk_{k}")
        for k, c in enumerate(svc.registry.chunks(parent.identifier))
    ]
    return _json(apply(items, query))


def _chunk(
    request: Request, principal: Principal, identifier: str, chunk: str, query: ListQuery | None
) -> Response:
    svc = services(request)
    rate_limited(svc, principal)
    _, found = _find_chunk(svc, principal, identifier, chunk, ("snapshot", "structured"))
    return _json(apply_one(describe(found, chunk), query))


# -- downloads -----------------------------------------------------------------------------


def _file_of(svc: Services, snapshot: Any) -> Any:
    """The registered file on disk. A registry row whose file is missing (or whose stored path
    is refused) is logged with the details for the operator; the caller is told only that the
    file is not available, never a path of this server."""
    try:
        return registry.snapshot_file(svc.snapshots_root, snapshot)
    except (NotFoundError, StoreError, ConfigError) as exc:
        log.error("download of %s: %s", snapshot.identifier, exc)
        raise NotFoundError(
            f"the file of {snapshot.identifier} is not available on this server now; "
            "try again later or ask your contact"
        ) from None


def _kept(svc: Services, snapshot: Any, filename: str) -> files.KeptFile:
    return files.KeptFile(
        path=_file_of(svc, snapshot),
        size=snapshot.size,
        sha256=snapshot.sha256,
        filename=f"{filename}.tar.gz",
        modified=snapshot.created_at,
        records=snapshot.records,
        metered_as=snapshot.identifier,
        redirect_seconds=svc.backends.settings.snapshots_redirect,
    )


def _head(request: Request, principal: Principal, snapshot: Any, filename: str) -> Response:
    svc = services(request)
    svc.grant(principal, CHANNEL[snapshot.kind])
    rate_limited(svc, principal)
    return files.head(_kept(svc, snapshot, filename))


def send_file(
    request: Request,
    principal: Principal,
    snapshot: Any,
    filename: str,
    headers: tuple[str | None, str | None, str | None],
) -> Response:
    """Stream ``snapshot`` as ``<filename>.tar.gz`` (Range, If-Range, If-None-Match from
    ``headers``), metered on its channel (``snapshots`` or ``datasets``) under ``principal``:
    the API's downloads and the portal's."""
    svc = services(request)
    project = ",".join(snapshot.projects)

    def meter() -> Meter:
        return Meter(
            request,
            principal,
            channel=CHANNEL[snapshot.kind],
            project=snapshot.projects[0] if len(snapshot.projects) == 1 else None,
        )

    return files.download(_kept(svc, snapshot, filename), meter, project, *headers)


# -- routes --------------------------------------------------------------------------------


def _file_routes(path: str, kinds: tuple[str, ...], what: str) -> None:
    """List (GET, POST), describe (GET, POST), HEAD and download the files of ``kinds``."""

    @router.get(path, summary=f"{what.capitalize()} the caller may download")
    def get_list(
        request: Request,
        principal: Caller,
        project: Annotated[str | None, Query(max_length=100)] = None,
        fields: FieldsParam = None,
        filters: FiltersParam = None,
    ) -> Response:
        return _list(request, principal, kinds, from_params(fields, filters), project)

    @router.post(path, summary=f"{what.capitalize()} (POST with a JSON body)")
    def post_list(request: Request, principal: Caller, query: QueryBody = None) -> Response:
        return _list(request, principal, kinds, query)

    @router.get(f"{path}/{{identifier}}", summary="One file's metadata (size, version, chunks)")
    def get_one(
        request: Request, principal: Caller, identifier: Identifier, fields: FieldsParam = None
    ) -> Response:
        return _one(request, principal, identifier, kinds, from_params(fields, None))

    @router.post(f"{path}/{{identifier}}", summary="One file's metadata (POST)")
    def post_one(
        request: Request, principal: Caller, identifier: Identifier, query: QueryBody = None
    ) -> Response:
        return _one(request, principal, identifier, kinds, query)

    @router.head(
        f"{path}/{{identifier}}/download",
        responses=files.DOWNLOAD_RESPONSES,
        summary="Size and ETag",
    )
    def head_file(request: Request, principal: Caller, identifier: Identifier) -> Response:
        snapshot = find_file(services(request), principal, identifier, kinds)
        return _head(request, principal, snapshot, identifier)

    @router.get(
        f"{path}/{{identifier}}/download",
        responses=files.DOWNLOAD_RESPONSES,
        summary="Download (tar.gz of NDJSON); Range and If-Range supported",
    )
    def download(
        request: Request,
        principal: Caller,
        identifier: Identifier,
        range_: files.RangeHeader = None,
        if_range: files.IfRange = None,
        if_none_match: files.IfNoneMatch = None,
    ) -> Response:
        snapshot = find_file(services(request), principal, identifier, kinds)
        headers = (range_, if_range, if_none_match)
        return send_file(request, principal, snapshot, identifier, headers)


# Structured Contents first: /snapshots/structured-contents is not a snapshot's identifier
_file_routes("/snapshots/structured-contents", ("structured",), "Structured Contents snapshots")
_file_routes("/snapshots", ("snapshot", "dataset"), "snapshots and dataset builds")


@router.get("/snapshots/{identifier}/chunks", summary="A snapshot's chunks")
def list_chunks(
    request: Request, principal: Caller, identifier: Identifier, fields: FieldsParam = None
) -> Response:
    return _chunks(request, principal, identifier, from_params(fields, None))


@router.post("/snapshots/{identifier}/chunks", summary="A snapshot's chunks (POST)")
def post_list_chunks(
    request: Request, principal: Caller, identifier: Identifier, query: QueryBody = None
) -> Response:
    return _chunks(request, principal, identifier, query)


@router.get("/snapshots/{identifier}/chunks/{chunk}", summary="One chunk's metadata")
def get_chunk(
    request: Request,
    principal: Caller,
    identifier: Identifier,
    chunk: ChunkId,
    fields: FieldsParam = None,
) -> Response:
    return _chunk(request, principal, identifier, chunk, from_params(fields, None))


@router.post("/snapshots/{identifier}/chunks/{chunk}", summary="One chunk's metadata (POST)")
def post_chunk(
    request: Request,
    principal: Caller,
    identifier: Identifier,
    chunk: ChunkId,
    query: QueryBody = None,
) -> Response:
    return _chunk(request, principal, identifier, chunk, query)


@router.head(
    "/snapshots/{identifier}/chunks/{chunk}/download",
    responses=files.DOWNLOAD_RESPONSES,
    summary="A chunk's size and ETag",
)
def head_chunk(
    request: Request, principal: Caller, identifier: Identifier, chunk: ChunkId
) -> Response:
    svc = services(request)
    _, found = _find_chunk(svc, principal, identifier, chunk, ("snapshot", "structured"))
    return _head(request, principal, found, chunk)


@router.get(
    "/snapshots/{identifier}/chunks/{chunk}/download",
    responses=files.DOWNLOAD_RESPONSES,
    summary="Download a chunk (tar.gz of NDJSON); Range supported",
)
def download_chunk(
    request: Request,
    principal: Caller,
    identifier: Identifier,
    chunk: ChunkId,
    range_: files.RangeHeader = None,
    if_range: files.IfRange = None,
    if_none_match: files.IfNoneMatch = None,
) -> Response:
    svc = services(request)
    _, found = _find_chunk(svc, principal, identifier, chunk, ("snapshot", "structured"))
    headers = (range_, if_range, if_none_match)
    return send_file(request, principal, found, chunk, headers)
