"""Metadata routes, as Wikimedia Enterprise serves them: /v2/codes, /v2/languages,
/v2/projects and /v2/namespaces, each as a list and by identifier, by GET (``fields``,
``filters`` and ``limit`` as parameters) or by POST (the same as a JSON body, as Enterprise's
clients send them). Lists hold what the caller's agreements cover."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.responses import Response

from wikipact.api.context import Caller, Services, rate_limited, services
from wikipact.api.query import ListQuery, apply, apply_one, from_params
from wikipact.enterprise import shapes
from wikipact.enterprise.names import (
    CODES,
    NAMESPACE_DESCRIPTIONS,
    code_of,
    namespace_name,
    project_code,
)
from wikipact.errors import NotFoundError
from wikipact.model.project import direction_of

router = APIRouter(prefix="/v2")

Lister = Callable[[Services, Any], list[dict[str, Any]]]
FieldsParam = Annotated[
    list[str] | None, Query(description="Dot paths to return, e.g. name,identifier")
]
FiltersParam = Annotated[list[str] | None, Query(description="field:value, e.g. code:wiki")]
LimitParam = Annotated[int | None, Query(ge=1, le=10_000)]
QueryBody = Annotated[ListQuery | None, Body()]
IdParam = Annotated[str, Path(min_length=1, max_length=100)]


def _json(data: Any) -> Response:
    return Response(msgspec.json.encode(data), media_type="application/json")


def _sites(svc: Services, principal: Any) -> list[Any]:
    """Site information of the projects the caller may receive on any channel."""
    grant = svc.listing_grant(principal)
    out = []
    for name in grant.projects(svc.store().projects()):
        site = svc.store().site(name)
        if site is not None:
            out.append(site)
    return out


def _project(site: Any) -> dict[str, Any]:
    return {
        "identifier": site.dbname,
        "name": site.sitename or site.dbname,
        "url": site.server,
        "code": project_code(site.dbname),
        "in_language": shapes.language(site.language, direction_of(site.language)),
    }


def projects_of(svc: Services, principal: Any) -> list[dict[str, Any]]:
    return [_project(site) for site in _sites(svc, principal)]


def languages_of(svc: Services, principal: Any) -> list[dict[str, Any]]:
    codes = sorted({site.language for site in _sites(svc, principal)})
    return [shapes.language(c, direction_of(c), autonym=True) for c in codes]


def codes_of(svc: Services, principal: Any) -> list[dict[str, Any]]:
    """Every project code (Enterprise lists them all: they are names, not content)."""
    return [c for c in (code_of(code) for code in CODES) if c is not None]


def namespaces_of(svc: Services, principal: Any) -> list[dict[str, Any]]:
    grant = svc.listing_grant(principal)
    names: dict[int, str] = {}
    for site in _sites(svc, principal):
        allowed = grant.namespaces_of(site.dbname)
        for ns in site.namespaces:
            if ns.key >= 0 and (allowed is None or ns.key in allowed):
                names.setdefault(ns.key, ns.name)
    out = []
    for key in sorted(names):
        item: dict[str, Any] = {"identifier": key, "name": namespace_name(key, names[key])}
        if key in NAMESPACE_DESCRIPTIONS:
            item["description"] = NAMESPACE_DESCRIPTIONS[key]
        out.append(item)
    return out


def _list(request: Request, principal: Any, lister: Lister, query: ListQuery | None) -> Response:
    svc = services(request)
    rate_limited(svc, principal)
    return _json(apply(lister(svc, principal), query))


def _one(
    request: Request,
    principal: Any,
    lister: Lister,
    identifier: str,
    what: str,
    query: ListQuery | None,
) -> Response:
    svc = services(request)
    rate_limited(svc, principal)
    for item in lister(svc, principal):
        if str(item["identifier"]) == identifier:
            return _json(apply_one(item, query))
    raise NotFoundError(f"no {what} {identifier!r} in the projects you are entitled to")


def _routes(path: str, lister: Lister, what: str, plural: str) -> None:
    """GET and POST for the list and for one item."""

    @router.get(f"/{path}", summary=f"{plural.capitalize()} of the projects the caller may receive")
    def get_list(
        request: Request,
        principal: Caller,
        fields: FieldsParam = None,
        filters: FiltersParam = None,
        limit: LimitParam = None,
    ) -> Response:
        return _list(request, principal, lister, from_params(fields, filters, limit))

    @router.post(f"/{path}", summary=f"{plural.capitalize()} (Enterprise's POST with a JSON body)")
    def post_list(request: Request, principal: Caller, query: QueryBody = None) -> Response:
        return _list(request, principal, lister, query)

    @router.get(f"/{path}/{{identifier}}", summary=f"One {what}")
    def get_one(
        request: Request, principal: Caller, identifier: IdParam, fields: FieldsParam = None
    ) -> Response:
        query = from_params(fields, None)
        return _one(request, principal, lister, identifier, what, query)

    @router.post(f"/{path}/{{identifier}}", summary=f"One {what} (POST with a JSON body)")
    def post_one(
        request: Request, principal: Caller, identifier: IdParam, query: QueryBody = None
    ) -> Response:
        return _one(request, principal, lister, identifier, what, query)


_routes("codes", codes_of, "code", "project codes")
_routes("languages", languages_of, "language", "languages")
_routes("projects", projects_of, "project", "projects")
_routes("namespaces", namespaces_of, "namespace", "namespaces")
