"""Wikimedia Enterprise-compatible login: ``POST /v1/login``, ``/v1/token-refresh``,
``/v1/token-revoke``, with Enterprise's request and response bodies, so Enterprise's own clients
(its Python SDK's ``AuthClient``, the ``wme`` package) log in to wikipact unchanged.

The username is the partner's identifier and the password one of its API keys
(``access.authentication.Sessions`` says why). The access token goes where a key goes,
``Authorization: Bearer``, on every route. ``id_token`` is the access token again: Enterprise's
is an OpenID identity token that no API route reads, and a second token would be one more thing
to keep secret.

The routes run in the thread pool (a login writes its refresh token). They take no key, so
nothing is metered or rate-limited per key; what bounds an
anonymous caller is the size of what it may send: a body over ``MAX_BODY`` bytes is refused
with 413 before it is read to the end.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field
from starlette.types import Message, Receive

from wikipact.access.authentication import Issued
from wikipact.api.context import services
from wikipact.api.errors import error

MAX_BODY = 4096  # bytes; a real request is under 200
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}  # tokens: never cached (RFC 6749)

Username = Annotated[str, Field(min_length=1, max_length=64, description="The partner's id")]
Secret = Annotated[str, Field(min_length=1, max_length=256)]


class SmallBodyRoute(APIRoute):
    """A route that refuses a body over ``MAX_BODY`` bytes (413) before parsing it."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def bounded(request: Request) -> Response:
            body = await _read_at_most(request, MAX_BODY)
            if body is None:
                return error(413, f"the request body is larger than {MAX_BODY} bytes")
            return await handler(Request(request.scope, _replay(body, request.receive)))

        return bounded


async def _read_at_most(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it is known to be longer than ``limit``."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives ``body`` once, then what the connection says (a disconnect)."""
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed


router = APIRouter(prefix="/v1", tags=["login"], route_class=SmallBodyRoute)
TOO_LARGE: dict[int | str, dict[str, Any]] = {
    413: {
        "description": f"The body is larger than {MAX_BODY} bytes",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
}


class LoginRequest(BaseModel):
    username: Username
    password: Secret = Field(description="One of the partner's API keys")


class RefreshRequest(BaseModel):
    username: Username
    refresh_token: Secret


class RevokeRequest(BaseModel):
    refresh_token: Secret


class TokenResponse(BaseModel):
    id_token: str = Field(description="The access token again (no route reads identities)")
    access_token: str = Field(description="Send as Authorization: Bearer <access_token>")
    expires_in: int = Field(description="Seconds the access token is valid")


class InitialTokenResponse(TokenResponse):
    refresh_token: str = Field(description="Gets new access tokens at /v1/token-refresh")


class Revoked(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _tokens(issued: Issued) -> JSONResponse:
    body: dict[str, Any] = {
        "id_token": issued.access_token,
        "access_token": issued.access_token,
        "expires_in": issued.expires_in,
    }
    if issued.refresh_token is not None:
        body["refresh_token"] = issued.refresh_token
    return JSONResponse(body, headers=NO_STORE)


@router.post(
    "/login",
    summary="Log in with the partner's id and an API key: access and refresh tokens",
    response_model=InitialTokenResponse,
    responses=TOO_LARGE,
)
def login(request: Request, body: LoginRequest) -> JSONResponse:
    return _tokens(services(request).access.login(body.username, body.password))


@router.post(
    "/token-refresh",
    summary="A new access token for a refresh token",
    response_model=TokenResponse,
    responses=TOO_LARGE,
)
def token_refresh(request: Request, body: RefreshRequest) -> JSONResponse:
    return _tokens(services(request).access.token_refresh(body.username, body.refresh_token))


@router.post(
    "/token-revoke",
    summary="Revoke a refresh token (200 whether or not it was known)",
    response_model=Revoked,
    responses=TOO_LARGE,
)
def token_revoke(request: Request, body: RevokeRequest) -> JSONResponse:
    services(request).access.token_revoke(body.refresh_token)
    return JSONResponse({}, headers=NO_STORE)
