"""Signing in and out: ``GET/POST /portal/login`` (the API key in the form field ``key``,
exchanged for a session cookie) and ``POST /portal/logout``."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from wikipact.errors import AuthenticationError
from wikipact.portal import session as sessions
from wikipact.portal.guard import Signed, access_of, check_login_csrf
from wikipact.portal.render import render

router = APIRouter(prefix="/portal")


def _next(target: str | None, admin: bool) -> str:
    """Where to go after signing in: a portal path only (never another site)."""
    home = "/portal/admin/" if admin else "/portal/"
    if not target:
        return home
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/portal/"):
        return home
    if parts.path.startswith("/portal/admin") != admin:
        return home
    return target


def _login_page(
    request: Request, *, message: str = "", status: int = 200, target: str = ""
) -> Response:
    token = sessions.new_login_token()
    response = render(
        request,
        "login.html",
        status=status,
        csrf=token,
        message=message,
        reason=request.query_params.get("reason", ""),
        target=target or request.query_params.get("next", ""),
    )
    response.set_cookie(
        sessions.LOGIN_COOKIE, token, max_age=3600, path=sessions.PATH,
        secure=True, httponly=True, samesite="strict",
    )  # fmt: skip
    return response


@router.get("/login", include_in_schema=False)
def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post("/login", include_in_schema=False, dependencies=[Depends(check_login_csrf)])
async def login(
    request: Request,
    key: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    access = access_of(request)
    try:
        principal, cookie = await run_in_threadpool(
            sessions.open_session, access, key, access.clock()
        )
    except AuthenticationError as exc:
        return _login_page(request, message=str(exc), status=401, target=next)
    response = RedirectResponse(_next(next, principal.is_admin), status_code=303)
    response.set_cookie(
        sessions.COOKIE, cookie, max_age=int(sessions.LIFETIME.total_seconds()),
        path=sessions.PATH, secure=True, httponly=True, samesite="strict",
    )  # fmt: skip
    response.delete_cookie(sessions.LOGIN_COOKIE, path=sessions.PATH)
    return response


@router.post("/logout", include_in_schema=False)
def logout(request: Request, found: Signed) -> Response:
    response = RedirectResponse("/portal/login?reason=signed-out", status_code=303)
    response.delete_cookie(
        sessions.COOKIE, path=sessions.PATH, secure=True, httponly=True, samesite="strict"
    )
    return response
