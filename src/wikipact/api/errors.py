"""One error shape for every error: ``{"message": ..., "status": ...}`` (as Enterprise), no traces."""

from __future__ import annotations

import logging
import math

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from wikipact.errors import (
    AuthenticationError,
    ConfigError,
    ForbiddenError,
    LimitExceeded,
    NotFoundError,
    WikipactError,
)

log = logging.getLogger("wikipact.api")

ERROR_SCHEMA = {
    "type": "object",
    "properties": {"message": {"type": "string"}, "status": {"type": "integer"}},
    "required": ["message", "status"],
}


def error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"message": message, "status": status}, status_code=status, headers=headers)


def _respond(
    request: Request, status: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    """The error shape; or, for a path whose pages render their own errors (the portal's
    ``app.state.error_page``), that page."""
    page = getattr(request.app.state, "error_page", None)
    if page is not None:
        rendered = page(request, status, message, headers)
        if rendered is not None:
            return rendered  # type: ignore[no-any-return]
    return error(status, message, headers)


def install(app: FastAPI) -> None:
    """Map every exception to the error shape and a status code."""

    @app.exception_handler(AuthenticationError)
    async def _auth(request: Request, exc: AuthenticationError) -> Response:
        return _respond(request, 401, str(exc), {"WWW-Authenticate": "Bearer"})

    @app.exception_handler(ForbiddenError)
    async def _forbidden(request: Request, exc: ForbiddenError) -> Response:
        return _respond(request, 403, str(exc))

    @app.exception_handler(LimitExceeded)
    async def _limited(request: Request, exc: LimitExceeded) -> Response:
        return _respond(
            request, 429, str(exc), {"Retry-After": str(max(1, math.ceil(exc.retry_after)))}
        )

    @app.exception_handler(NotFoundError)
    async def _missing(request: Request, exc: NotFoundError) -> Response:
        return _respond(request, 404, str(exc))

    @app.exception_handler(ConfigError)
    async def _bad(request: Request, exc: ConfigError) -> Response:
        return _respond(request, 400, str(exc))

    @app.exception_handler(WikipactError)
    async def _other(request: Request, exc: WikipactError) -> Response:
        log.error("request failed: %s", exc)
        return _respond(request, 500, "the server could not complete the request")

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', 'invalid')}"
            for e in exc.errors()
        )
        return _respond(request, 422, f"invalid request: {problems}")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        return _respond(request, exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error")
        return _respond(request, 500, "the server could not complete the request")
