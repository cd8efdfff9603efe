"""The caller's own account: usage and quotas, keys (list, rotate, revoke) and statements.

A partner only ever sees its own objects: another partner's key or statement is "not found"
(404), never "forbidden", so ids cannot be probed.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from wikipact.access import Principal
from wikipact.api.context import Caller, rate_limited, services
from wikipact.errors import ConfigError, ForbiddenError, NotFoundError
from wikipact.model.instants import parse_day

router = APIRouter(prefix="/v2")
DAY = r"^\d{4}-\d{2}-\d{2}$"
MONTH = r"^[1-9]\d{3}-(0[1-9]|1[0-2])$"
KEY_ID = Annotated[str, Path(max_length=40, pattern=r"^[A-Za-z0-9_]+$")]


def _json(data: Any) -> Response:
    return Response(msgspec.json.encode(data), media_type="application/json")


def _partner(principal: Principal) -> str:
    if principal.partner is None:
        raise ForbiddenError("admin keys have no usage, keys or statements of their own")
    return principal.partner


@router.get("/usage", summary="The caller's metered usage by day, channel and project")
def usage(
    request: Request,
    principal: Caller,
    since: Annotated[str | None, Query(pattern=DAY)] = None,
    until: Annotated[str | None, Query(pattern=DAY)] = None,
) -> Response:
    svc = services(request)
    partner = _partner(principal)
    rate_limited(svc, principal)
    days = [parse_day(d, what=name) for name, d in (("since", since), ("until", until)) if d]
    if len(days) == 2 and days[0] > days[1]:
        raise ConfigError(f"since {since} is after until {until}")
    rows = svc.access.usage(partner, since=since, until=until)
    return _json(
        {
            "partner": partner,
            "usage": rows,
            "totals": {
                "requests": sum(r.requests for r in rows),
                "articles": sum(r.articles for r in rows),
                "bytes": sum(r.bytes for r in rows),
            },
            "quotas": svc.access.quotas(partner),
        }
    )


@router.get("/keys", summary="The caller's API keys (never the keys themselves)")
def keys(request: Request, principal: Caller) -> Response:
    svc = services(request)
    partner = _partner(principal)
    rate_limited(svc, principal)
    return _json(svc.access.keys(partner))


@router.post("/keys/{identifier}/rotate", summary="Replace a key; the old one stays valid a while")
def rotate(
    request: Request,
    principal: Caller,
    identifier: KEY_ID,
    grace_seconds: Annotated[int, Query(ge=0, le=30 * 86400)] = 86400,
) -> Response:
    svc = services(request)
    partner = _partner(principal)
    key, raw = svc.access.rotate_key(
        identifier, grace_seconds=grace_seconds, actor=principal.key, partner=partner
    )
    return _json(
        {"key": key, "secret": raw, "note": "store the secret now: it is never shown again"}
    )


@router.post("/keys/{identifier}/revoke", summary="Revoke one of the caller's keys")
def revoke(request: Request, principal: Caller, identifier: KEY_ID) -> Response:
    svc = services(request)
    partner = _partner(principal)
    return _json(svc.access.revoke_key(identifier, actor=principal.key, partner=partner))


@router.get("/statements/{period}", summary="The caller's statement for a month (YYYY-MM)")
def statement(
    request: Request,
    principal: Caller,
    period: Annotated[str, Path(pattern=MONTH)],
) -> Response:
    svc = services(request)
    partner = _partner(principal)
    rate_limited(svc, principal)
    if not re.fullmatch(MONTH[1:-1], period):
        raise NotFoundError(f"no statement for {period!r}")
    return _json(svc.access.statement(partner, period))
