"""The web portal at ``/portal/``, served by ``wikipact serve`` beside the API: the same process,
store and access rules, for the people on both sides of an agreement.

- partners (signed in with one of their API keys): overview, usage, catalogue, article explorer,
  keys;
- admins (an admin key): partners and agreements, usage and revenue, the audit log, operations.

Pages are rendered on the server (Jinja2, ``templates/``) with a little local JavaScript
(``static/``); nothing is loaded from another site. Every response under ``/portal`` carries a
strict Content-Security-Policy (scripts, styles and images from this origin only, no inline
script or style, no framing), and HTML is never cached. Sessions and CSRF: ``session``.
"""

from __future__ import annotations

import time
from importlib import resources
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wikipact.portal.guard import SignInRequired

PREFIX = "/portal"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


def install(app: FastAPI) -> None:
    """Add the portal's routes, static files, error pages and headers to the API's app."""
    from wikipact.portal import admin, catalogue, explorer, keys, login, overview, usage

    for module in (login, overview, usage, keys, catalogue, explorer, admin):
        app.include_router(module.router)
    static = resources.files("wikipact.portal") / "static"
    app.mount(f"{PREFIX}/static", StaticFiles(directory=str(static)), name="portal-static")
    app.state.error_page = error_page
    app.add_exception_handler(SignInRequired, _sign_in)  # type: ignore[arg-type]
    app.add_middleware(PortalHeaders)


def _is_portal(request: Request) -> bool:
    path = request.url.path
    return path == PREFIX or path.startswith(PREFIX + "/")


async def _sign_in(request: Request, exc: SignInRequired) -> Response:
    from urllib.parse import urlencode

    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    query = {"next": target} if request.method == "GET" else {}
    return RedirectResponse(f"{PREFIX}/login?{urlencode(query)}", status_code=303)


TITLES = {
    400: "That request could not be read",
    401: "Sign in needed",
    403: "Not allowed",
    404: "Not found",
    413: "Too large",
    422: "That request could not be read",
    429: "Too many requests",
}


def error_page(
    request: Request, status: int, message: str, headers: dict[str, str] | None
) -> Response | None:
    """The portal's page for an error on one of its paths (None elsewhere: the API's JSON)."""
    if not _is_portal(request):
        return None
    from wikipact.portal.render import render

    title = TITLES.get(status, "Something went wrong")
    extra = {k: v for k, v in (headers or {}).items() if k.lower() == "retry-after"}
    return render(request, "error.html", status=status, headers=extra, title=title, message=message)


class PortalHeaders:
    """ASGI middleware: the security headers on every ``/portal`` response, ``no-store`` on its
    pages (they show a partner's own data), and ``Server-Timing: app;dur=<ms>``: the time the
    server took until the response started (``bench/portal.py`` reads it)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not (path == PREFIX or path.startswith(PREFIX + "/")):
            await self.app(scope, receive, send)
            return
        is_static = path.startswith(f"{PREFIX}/static/")
        started = time.perf_counter()

        async def add_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers: list[Any] = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [h for h in HEADERS if h[0] not in present]
                took = (time.perf_counter() - started) * 1000
                headers.append((b"server-timing", f"app;dur={took:.1f}".encode()))
                if not is_static and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, add_headers)
