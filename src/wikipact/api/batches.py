"""Hourly batches on Wikimedia Enterprise's paths: ``/v2/batches/{date}/{hour}`` lists the
hour's files (one per project and namespace), ``/{identifier}`` describes one and
``/{identifier}/download`` serves it (HEAD, Range). Only hours that have ended have batches;
a batch is made when first asked for and kept (``snapshots.batch_files``). Batches are part
of the realtime product: they need the ``realtime`` channel for their project and namespace.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.responses import Response

from wikipact.api import files
from wikipact.api.context import Caller, Meter, Services, rate_limited, services
from wikipact.api.query import ListQuery, apply, apply_one, from_params
from wikipact.enterprise import batches, shapes
from wikipact.errors import NotFoundError
from wikipact.snapshots.batch_files import BatchFile, batch_file

router = APIRouter(prefix="/v2")
DateParam = Annotated[str, Path(pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD (UTC)")]
HourParam = Annotated[str, Path(pattern=r"^\d{2}$", description="00 to 23 (UTC)")]
BatchId = Annotated[str, Path(max_length=120, description="e.g. enwiki_namespace_0")]
QueryBody = Annotated[ListQuery | None, Body()]
FieldsParam = Annotated[list[str] | None, Query(description="Dot paths to return")]
FiltersParam = Annotated[list[str] | None, Query(description="field:value")]
LimitParam = Annotated[int | None, Query(ge=1, le=10_000)]


def _ended(date: str, hour: str) -> batches.Hour:
    found = batches.Hour.parse(date, hour)
    if not found.ended(datetime.now(UTC)):
        raise NotFoundError(f"the hour {date}/{hour} has not ended yet: its batches come after")
    return found


def _listed(svc: Services, principal: Any, hour: batches.Hour) -> list[batches.BatchInfo]:
    grant = svc.listing_grant(principal, "realtime")
    return batches.batches_in(svc.store(), hour, grant.allows)


def _kept(svc: Services, hour: batches.Hour, date: str, hh: str, info: Any) -> BatchFile:
    def make(out: Any) -> int:
        return batches.write_batch(svc.store(), hour, info.project, info.namespace, out)

    return batch_file(svc.snapshots_root, date, hh, info.identifier, make)


def _describe(svc: Services, info: batches.BatchInfo, kept: BatchFile | None) -> dict[str, Any]:
    language = svc.language_of(info.project)
    out: dict[str, Any] = {
        "identifier": info.identifier,
        "date_modified": info.newest,
        "is_part_of": {"identifier": info.project},
        "namespace": {"identifier": info.namespace},
        "events": info.events,
    }
    if language:
        out["in_language"] = shapes.language(language)
    if kept is not None:
        out["version"] = kept.sha256
        out["size"] = {"value": round(kept.size / 1_000_000, 6), "unit_text": "MB"}
        out["bytes"] = kept.size
    return out


def _find(
    svc: Services, principal: Any, date: str, hour: str, identifier: str
) -> tuple[batches.Hour, batches.BatchInfo]:
    ended = _ended(date, hour)
    parsed = batches.parse_identifier(identifier)
    if parsed is not None:
        svc.grant(principal, "realtime", project=parsed[0], namespace=parsed[1])
        for info in _listed(svc, principal, ended):
            if info.identifier == identifier:
                return ended, info
    raise NotFoundError(f"no batch {identifier!r} in the hour {date}/{hour}")


def _list(
    request: Request, principal: Any, date: str, hour: str, query: ListQuery | None
) -> Response:
    svc = services(request)
    rate_limited(svc, principal)
    found = batches.Hour.parse(date, hour)
    listed = _listed(svc, principal, found) if found.ended(datetime.now(UTC)) else []
    items = [_describe(svc, info, None) for info in listed]
    return Response(msgspec.json.encode(apply(items, query)), media_type="application/json")


def _one(
    request: Request,
    principal: Any,
    date: str,
    hour: str,
    identifier: str,
    query: ListQuery | None,
) -> Response:
    svc = services(request)
    rate_limited(svc, principal)
    ended, info = _find(svc, principal, date, hour, identifier)
    described = _describe(svc, info, _kept(svc, ended, date, hour, info))
    return Response(msgspec.json.encode(apply_one(described, query)), media_type="application/json")


def _file(svc: Services, principal: Any, date: str, hour: str, identifier: str) -> Any:
    ended, info = _find(svc, principal, date, hour, identifier)
    kept = _kept(svc, ended, date, hour, info)
    return info, files.KeptFile(
        path=kept.path,
        size=kept.size,
        sha256=kept.sha256,
        filename=f"{identifier}_{date}_{hour}.tar.gz",
        modified=info.newest,
        records=kept.events,
        redirect_seconds=svc.backends.settings.snapshots_redirect,
    )


@router.get("/batches/{date}/{hour}", summary="The hour's batches (one per project, namespace)")
def list_batches(
    request: Request,
    principal: Caller,
    date: DateParam,
    hour: HourParam,
    fields: FieldsParam = None,
    filters: FiltersParam = None,
    limit: LimitParam = None,
) -> Response:
    return _list(request, principal, date, hour, from_params(fields, filters, limit))


@router.post("/batches/{date}/{hour}", summary="The hour's batches (POST with a JSON body)")
def post_list_batches(
    request: Request, principal: Caller, date: DateParam, hour: HourParam, query: QueryBody = None
) -> Response:
    return _list(request, principal, date, hour, query)


@router.get("/batches/{date}/{hour}/{identifier}", summary="One batch's metadata")
def get_batch(
    request: Request,
    principal: Caller,
    date: DateParam,
    hour: HourParam,
    identifier: BatchId,
    fields: FieldsParam = None,
) -> Response:
    return _one(request, principal, date, hour, identifier, from_params(fields, None))


@router.post("/batches/{date}/{hour}/{identifier}", summary="One batch's metadata (POST)")
def post_batch(
    request: Request,
    principal: Caller,
    date: DateParam,
    hour: HourParam,
    identifier: BatchId,
    query: QueryBody = None,
) -> Response:
    return _one(request, principal, date, hour, identifier, query)


@router.head(
    "/batches/{date}/{hour}/{identifier}/download",
    responses=files.DOWNLOAD_RESPONSES,
    summary="A batch's size and ETag",
)
def head_batch(
    request: Request, principal: Caller, date: DateParam, hour: HourParam, identifier: BatchId
) -> Response:
    svc = services(request)
    rate_limited(svc, principal)
    _, kept = _file(svc, principal, date, hour, identifier)
    return files.head(kept)


@router.get(
    "/batches/{date}/{hour}/{identifier}/download",
    responses=files.DOWNLOAD_RESPONSES,
    summary="Download a batch (tar.gz of NDJSON article events); Range supported",
)
def download_batch(
    request: Request,
    principal: Caller,
    date: DateParam,
    hour: HourParam,
    identifier: BatchId,
    range_: files.RangeHeader = None,
    if_range: files.IfRange = None,
    if_none_match: files.IfNoneMatch = None,
) -> Response:
    svc = services(request)
    info, kept = _file(svc, principal, date, hour, identifier)

    def meter() -> Meter:
        return Meter(
            request, principal, channel="realtime", project=info.project, namespace=info.namespace
        )

    return files.download(kept, meter, info.project, range_, if_range, if_none_match)
