"""One error shape for every error: ``{"message": ..., "status": ...}`` (as Enterprise), no traces."""

from __future__ import annotations

import logging
import math

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
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


def install(app: FastAPI) -> None:
    """Map every exception to the error shape and a status code."""

    @app.exception_handler(AuthenticationError)
    async def _auth(request: Request, exc: AuthenticationError) -> JSONResponse:
        return error(401, str(exc), {"WWW-Authenticate": "Bearer"})

    @app.exception_handler(ForbiddenError)
    async def _forbidden(request: Request, exc: ForbiddenError) -> JSONResponse:
        return error(403, str(exc))

    @app.exception_handler(LimitExceeded)
    async def _limited(request: Request, exc: LimitExceeded) -> JSONResponse:
        return error(429, str(exc), {"Retry-After": str(max(1, math.ceil(exc.retry_after)))})

    @app.exception_handler(NotFoundError)
    async def _missing(request: Request, exc: NotFoundError) -> JSONResponse:
        return error(404, str(exc))

    @app.exception_handler(ConfigError)
    async def _bad(request: Request, exc: ConfigError) -> JSONResponse:
        return error(400, str(exc))

    @app.exception_handler(WikipactError)
    async def _other(request: Request, exc: WikipactError) -> JSONResponse:
        log.error("request failed: %s", exc)
        return error(500, "the server could not complete the request")

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', 'invalid')}"
            for e in exc.errors()
        )
        return error(422, f"invalid request: {problems}")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error")
        return error(500, "the server could not complete the request")
