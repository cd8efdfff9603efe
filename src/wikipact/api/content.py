"""Metadata and on-demand routes: /v2/projects, /v2/languages, /v2/namespaces,
/v2/articles/{name} and /v2/structured-contents/{name}."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, Field

from wikipact.api.context import Caller, Meter, rate_limited, services
from wikipact.api.errors import error
from wikipact.api.projection import matches, project
from wikipact.follow.settled import settled_article
from wikipact.model.article import Article
from wikipact.model.project import direction_of

router = APIRouter(prefix="/v2")
NDJSON = "application/x-ndjson"
MAX_LIMIT = 100


class FilterItem(BaseModel):
    field: str = Field(max_length=200)
    value: str | int | bool = Field(description="Compared as text for non-string fields")


class ArticleQuery(BaseModel):
    fields: list[str] = Field(default_factory=list, max_length=100)
    filters: list[FilterItem] = Field(default_factory=list, max_length=20)
    limit: int = Field(default=10, ge=1, le=MAX_LIMIT)
    settled_minutes: int | None = Field(
        default=None,
        ge=0,
        le=525_600,
        description="The settled view: each article at its newest revision at least this many "
        "minutes old that was not reverted (articles with none are left out).",
    )


def _json(data: Any, status: int = 200) -> Response:
    return Response(msgspec.json.encode(data), status_code=status, media_type="application/json")


def _entitled(request: Request, principal: Caller) -> list[str]:
    """Projects of the store the caller may receive on any channel its key may use."""
    svc = services(request)
    return svc.listing_grant(principal).projects(svc.store().projects())


@router.get("/projects", summary="Projects the caller is entitled to")
def projects(request: Request, principal: Caller) -> Response:
    svc = services(request)
    rate_limited(svc, principal)
    out = []
    for name in _entitled(request, principal):
        site = svc.store().site(name)
        if site is None:
            continue
        out.append(
            {
                "identifier": name,
                "name": site.sitename or name,
                "url": site.server,
                "in_language": {"identifier": site.language},
            }
        )
    return _json(out)


@router.get("/languages", summary="Languages of the projects the caller is entitled to")
def languages(request: Request, principal: Caller) -> Response:
    svc = services(request)
    rate_limited(svc, principal)
    seen: dict[str, dict[str, str]] = {}
    for name in _entitled(request, principal):
        site = svc.store().site(name)
        if site is not None and site.language not in seen:
            seen[site.language] = {
                "identifier": site.language,
                "direction": direction_of(site.language),
            }
    return _json([seen[k] for k in sorted(seen)])


@router.get("/namespaces", summary="Namespaces of the projects the caller is entitled to")
def namespaces(request: Request, principal: Caller) -> Response:
    svc = services(request)
    rate_limited(svc, principal)
    names: dict[int, str] = {}
    grant = svc.listing_grant(principal)
    for name in grant.projects(svc.store().projects()):
        site = svc.store().site(name)
        allowed = grant.namespaces_of(name)
        for ns in site.namespaces if site else ():
            if ns.key >= 0 and (allowed is None or ns.key in allowed):
                names.setdefault(ns.key, ns.name)
    return _json([{"identifier": k, "name": names[k]} for k in sorted(names)])


def _articles(
    request: Request, principal: Caller, name: str, query: ArticleQuery, structured: bool
) -> Response:
    svc = services(request)
    filters = [(f.field, f.value) for f in query.filters]
    wanted_project = next((str(v) for f, v in filters if f == "is_part_of.identifier"), None)
    meter = Meter(request, principal, channel="on-demand", project=wanted_project)
    settled = query.settled_minutes
    if not structured and not filters and not query.fields and settled is None:
        return _stored_articles(request, principal, name, query.limit, meter)
    try:
        found = []
        sent: set[str] = set()
        for current in svc.store().find(name):
            if not meter.grant.allows(current.is_part_of.identifier, current.namespace.identifier):
                continue
            article: Article | None = current
            if settled is not None:
                article = settled_article(
                    svc.store(), current, timedelta(minutes=settled), datetime.now(UTC)
                )
                if article is None:
                    continue
            record = msgspec.to_builtins(article)
            if structured:
                record.pop("article_body", None)
            if filters and not matches(record, filters):
                continue
            found.append(project(record, query.fields))
            sent.add(article.is_part_of.identifier)
            if len(found) >= query.limit:
                break
        projects_sent = ",".join(sorted(sent))
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


def _stored_articles(
    request: Request, principal: Caller, name: str, limit: int, meter: Meter
) -> Response:
    """Whole records, served as the stored JSON (no decode, no encode)."""
    svc = services(request)
    try:
        found = [
            (p, raw) for p, ns, raw in svc.store().find_json(name) if meter.grant.allows(p, ns)
        ][:limit]
    except BaseException:
        meter.finish(500, project="")
        raise
    if not found:
        meter.finish(404, project="")
        return error(404, f"no article named {name!r} in the projects you are entitled to")
    if NDJSON in request.headers.get("accept", ""):
        body, media = b"".join(raw + b"\n" for _, raw in found), NDJSON
    else:
        body, media = b"[" + b",".join(raw for _, raw in found) + b"]", "application/json"
    projects_sent = ",".join(sorted({p for p, _ in found}))
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


def _split(values: list[str] | None) -> list[str]:
    return [p for v in values or () for p in v.split(",") if p]


def _get_query(
    fields: list[str] | None,
    filters: list[str] | None,
    limit: int,
    settled_minutes: int | None = None,
) -> ArticleQuery:
    items = []
    for raw in filters or ():
        field, sep, value = raw.partition(":")
        if not sep:
            raise RequestValidationError(
                [{"loc": ("query", "filters"), "msg": f"{raw!r}: use field:value", "type": "value"}]
            )
        items.append(FilterItem(field=field, value=value))
    return ArticleQuery(
        fields=_split(fields), filters=items, limit=limit, settled_minutes=settled_minutes
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
