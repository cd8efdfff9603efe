"""On-demand routes: /v2/articles/{name} and /v2/structured-contents/{name}."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.responses import Response
from pydantic import Field

from wikipact.access.entitlement import Grant
from wikipact.api.context import Caller, Meter, services
from wikipact.api.errors import error
from wikipact.api.projection import matches, project
from wikipact.api.query import ListQuery, from_params, validated
from wikipact.enterprise import shapes
from wikipact.enterprise.records import enterprise_article
from wikipact.follow.settled import settled_article

router = APIRouter(prefix="/v2")
NDJSON = "application/x-ndjson"
MAX_LIMIT = 100


class ArticleQuery(ListQuery):
    """Enterprise's request body for on-demand articles, with wikipact's settled view."""

    limit: int = Field(default=10, ge=1, le=MAX_LIMIT)  # type: ignore[assignment]
    settled_minutes: int | None = Field(
        default=None,
        ge=0,
        le=525_600,
        description="The settled view: each article at its newest revision at least this many "
        "minutes old that was not reverted (articles with none are left out).",
    )


def _candidates(svc: Any, name: str, settled: int | None) -> Iterator[dict[str, Any]]:
    """The stored records titled ``name`` as JSON data (the settled view of each, when asked)."""
    if settled is None:
        for _, _, raw in svc.store().find_json(name):
            yield msgspec.json.decode(raw)
        return
    now = datetime.now(UTC)
    for current in svc.store().find(name):
        article = settled_article(svc.store(), current, timedelta(minutes=settled), now)
        if article is not None:
            yield msgspec.to_builtins(article)


def entitled_articles(
    svc: Any, grant: Grant, name: str, query: ArticleQuery, *, structured: bool = False
) -> list[tuple[str, dict[str, Any]]]:
    """The articles titled ``name`` that ``grant`` lets through, in Enterprise's shape
    (Structured Contents for ``structured``), filtered, projected and cut as ``query`` asks,
    each with its project: what ``GET /v2/articles/{name}`` delivers (the portal's article
    page shows the same)."""
    filters = [(f.field, f.value) for f in query.filters]
    found = []
    for record in _candidates(svc, name, query.settled_minutes):
        part, ns = record["is_part_of"]["identifier"], record["namespace"]["identifier"]
        if not grant.allows(part, ns):
            continue
        shaped = enterprise_article(svc.store(), record)
        if structured:
            shaped = shapes.structured(shaped)
        if filters and not matches(shaped, filters):
            continue
        found.append((part, project(shaped, query.fields)))
        if len(found) >= query.limit:
            break
    return found


def _articles(
    request: Request, principal: Caller, name: str, query: ArticleQuery, structured: bool
) -> Response:
    """Each entitled project's article titled ``name``, in Enterprise's shape (Structured
    Contents for ``structured``), filtered and projected as the query asks."""
    svc = services(request)
    filters = [(f.field, f.value) for f in query.filters]
    wanted_project = next((str(v) for f, v in filters if f == "is_part_of.identifier"), None)
    meter = Meter(request, principal, channel="on-demand", project=wanted_project)
    try:
        delivered = entitled_articles(svc, meter.grant, name, query, structured=structured)
        found = [record for _, record in delivered]
        projects_sent = ",".join(sorted({part for part, _ in delivered}))
        if not found:
            meter.finish(404, project=wanted_project or "")
            return error(404, f"no article named {name!r} in the projects you are entitled to")
        if NDJSON in request.headers.get("accept", ""):
            body = b"".join(msgspec.json.encode(r) + b"\n" for r in found)
            media = NDJSON
        else:
            body = msgspec.json.encode(found)
            media = "application/json"
    except BaseException:
        meter.finish(500, project=wanted_project or "")
        raise
    meter.finish(200, project=projects_sent, articles=len(found), bytes_sent=len(body))
    return Response(body, media_type=media)


ARTICLE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Articles with this name, one per entitled project (fields as selected)",
        "content": {
            "application/json": {
                "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Article"}}
            },
            NDJSON: {"schema": {"type": "string"}},
        },
    },
}

NameParam = Annotated[str, Path(min_length=1, max_length=512, description="Article title")]


def _get_query(
    fields: list[str] | None,
    filters: list[str] | None,
    limit: int,
    settled_minutes: int | None = None,
) -> ArticleQuery:
    base = from_params(fields, filters)
    return validated(
        ArticleQuery,
        fields=base.fields,
        filters=base.filters,
        limit=limit,
        settled_minutes=settled_minutes,
    )


FieldsParam = Annotated[
    list[str] | None,
    Query(description="Dot paths to return, e.g. name,abstract,is_part_of.identifier"),
]
FiltersParam = Annotated[
    list[str] | None, Query(description="field:value, e.g. is_part_of.identifier:enwiki")
]
LimitParam = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
SettledParam = Annotated[
    int | None,
    Query(
        ge=0,
        le=525_600,
        description="The settled view: the newest revision at least this many minutes old "
        "that was not reverted.",
    ),
]


@router.get("/articles/{name}", responses=ARTICLE_RESPONSES, summary="An article, on demand")
def get_article(
    request: Request,
    principal: Caller,
    name: NameParam,
    fields: FieldsParam = None,
    filters: FiltersParam = None,
    limit: LimitParam = 10,
    settled_minutes: SettledParam = None,
) -> Response:
    query = _get_query(fields, filters, limit, settled_minutes)
    return _articles(request, principal, name, query, False)


@router.post("/articles/{name}", responses=ARTICLE_RESPONSES, summary="An article, on demand")
def post_article(
    request: Request,
    principal: Caller,
    name: NameParam,
    query: Annotated[ArticleQuery | None, Body()] = None,
) -> Response:
    return _articles(request, principal, name, query or ArticleQuery(), False)


@router.get(
    "/structured-contents/{name}",
    responses=ARTICLE_RESPONSES,
    summary="An article's parsed structure (no wikitext), on demand",
)
def get_structured(
    request: Request,
    principal: Caller,
    name: NameParam,
    fields: FieldsParam = None,
    filters: FiltersParam = None,
    limit: LimitParam = 10,
) -> Response:
    return _articles(request, principal, name, _get_query(fields, filters, limit), True)


@router.post(
    "/structured-contents/{name}",
    responses=ARTICLE_RESPONSES,
    summary="An article's parsed structure (no wikitext), on demand",
)
def post_structured(
    request: Request,
    principal: Caller,
    name: NameParam,
    query: Annotated[ArticleQuery | None, Body()] = None,
) -> Response:
    return _articles(request, principal, name, query or ArticleQuery(), True)
