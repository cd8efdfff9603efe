"""Grounding search: passages that answer a query, each with the citations that back it."""

from __future__ import annotations

from typing import Annotated

import msgspec
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from wikipact.api.context import Caller, Meter, services
from wikipact.api.errors import error
from wikipact.errors import StoreError

router = APIRouter(prefix="/v2")


@router.get(
    "/search",
    summary="Passages (paragraph level) for a query, with the citations that back each one",
    responses={503: {"description": "The search index has not been built"}},
)
def search(
    request: Request,
    principal: Caller,
    q: Annotated[str, Query(max_length=2000, description="Words to look for (any text)")],
    project: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> Response:
    svc = services(request)
    # a search serves grounding or search (entitlement.CHANNEL_USES); only namespace 0 is indexed
    meter = Meter(request, principal, channel="search", project=project, namespace=0)
    try:
        candidates = svc.store().projects() if project is None else [project]
        scope = {p for p in candidates if meter.grant.allows(p, 0)}
        passages = svc.passages.search(q, projects=scope, limit=limit)
    except StoreError as exc:
        meter.finish(503, project=project or "")
        return error(503, f"search is not available: {exc}")
    except BaseException:
        meter.finish(500, project=project or "")
        raise
    body = msgspec.json.encode({"query": q, "passages": [p.to_dict() for p in passages]})
    meter.finish(
        200,
        project=",".join(sorted({p.project for p in passages})) or (project or ""),
        articles=len(passages),
        bytes_sent=len(body),
    )
    return Response(body, media_type="application/json")
