"""Grounding search: passages that answer a query, each with the citations that back it."""

from __future__ import annotations

from typing import Annotated

import msgspec
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from wikipact.access.entitlement import Grant
from wikipact.api.context import Caller, Meter, Services, services
from wikipact.api.errors import error
from wikipact.errors import StoreError
from wikipact.search.records import Passage

router = APIRouter(prefix="/v2")


def entitled_passages(
    svc: Services, grant: Grant, q: str, project: str | None, limit: int
) -> list[Passage]:
    """The best ``limit`` passages for ``q`` in ``project`` (None: every project) among the
    projects ``grant`` lets through (only namespace 0 is indexed); ``StoreError`` when the
    index has not been built. What ``GET /v2/search`` delivers (and the portal's search)."""
    candidates = svc.store().projects() if project is None else [project]
    scope = {p for p in candidates if grant.allows(p, 0)}
    return svc.passages.search(q, projects=scope, limit=limit)


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
        passages = entitled_passages(svc, meter.grant, q, project, limit)
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
