"""The FastAPI application: routes, the one error shape, and the OpenAPI contract.

The article schema in the OpenAPI document is derived from the msgspec model (the same one
``wikipact schema`` prints), so the contract and the records cannot drift apart.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import msgspec
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from wikipact import __version__
from wikipact.api import (
    account,
    admin,
    batches,
    content,
    errors,
    login,
    metadata,
    realtime,
    snapshots,
    stream,
)
from wikipact.api.context import MeterGuard, RefuseNul, Services
from wikipact.backends import Backends, open_backends
from wikipact.model.article import Article


def create_app(
    backends: Backends | str | Path, *, snapshots_root: Path | str | None = None
) -> FastAPI:
    """The API over ``backends`` (or the SQLite file at that path, with ``snapshots_root``)."""
    if not isinstance(backends, Backends):
        url = str(backends)
        if not url.startswith(("postgresql://", "postgres://", "sqlite://")):
            url = f"sqlite:///{url}"
        backends = open_backends(url, snapshots=snapshots_root)
    app = FastAPI(
        lifespan=_lifespan,
        title="wikipact partner API",
        version=__version__,
        description=(
            "Wikimedia content for AI partners under agreements: on-demand articles, snapshots, "
            "a realtime feed, grounding search with citations, and each partner's own usage. "
            "Authenticate with `Authorization: Bearer <API key>`. Every error is "
            '`{"message": ..., "status": ...}`.'
        ),
    )
    access = backends.access(background_checkpoints=True)
    access.start_checkpointer()
    app.state.services = Services(backends=backends, access=access)
    from wikipact.snapshots.registry import ensure_schema

    ensure_schema(backends.url if backends.is_postgres else backends.sqlite_path())
    errors.install(app)
    app.add_middleware(MeterGuard)
    app.add_middleware(RefuseNul)
    routers = (metadata, content, stream, realtime, batches, snapshots, account, admin, login)
    for module in routers:
        app.include_router(module.router)
    _optional_routers(app)
    _mount_mcp(app, backends)
    from wikipact import portal

    portal.install(app)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    try:
        async with app.state.mcp.run():
            yield
    finally:
        app.state.services.close()


def _mount_mcp(app: FastAPI, backends: Backends) -> None:
    """The MCP server (wikipact.agents) over streamable HTTP at /mcp, the key from each
    request's ``Authorization: Bearer``; a plain route, so it stays out of the OpenAPI document."""
    from starlette.routing import Route

    from wikipact.agents import StreamableHTTPEndpoint, bearer_key, build_server

    endpoint = StreamableHTTPEndpoint(build_server(backends, key=bearer_key))
    app.state.mcp = endpoint
    app.router.routes.append(Route("/mcp", endpoint, include_in_schema=False))


def _optional_routers(app: FastAPI) -> None:
    """Search routes, when their libraries are present."""
    for name in ("search",):
        try:
            module = __import__(f"wikipact.api.{name}", fromlist=["router"])
        except ImportError:
            continue
        app.include_router(module.router)


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    _, components = msgspec.json.schema_components(
        [Article], ref_template="#/components/schemas/{name}"
    )
    for component in components.values():
        # `fields` may select any subset of an article: no property is required in responses
        component.pop("required", None)
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(components)
    schemas["Error"] = errors.ERROR_SCHEMA
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            responses = operation.setdefault("responses", {})
            for status, text in (
                ("400", "Bad request"),
                ("401", "No valid API key"),
                ("403", "Not granted by the caller's agreements"),
                ("404", "Not found"),
                ("422", "Invalid parameters"),
                ("429", "Rate limit or quota exceeded (see Retry-After)"),
            ):
                responses.setdefault(
                    status,
                    {
                        "description": text,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                        },
                    },
                )
            if "422" in responses:
                responses["422"] = {
                    "description": "Invalid parameters",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                }
    app.openapi_schema = schema
    return schema
