"""Rendering the portal's pages: one Jinja2 environment (autoescaped), the layout's context, and
the number and size formats every page shares."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from wikipact import __version__
from wikipact.portal.session import Session


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("wikipact.portal", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,  # a name a template misspells fails its test, not silently
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        number=number, size=size, money=money, day=day, instant=instant, percent=percent
    )
    env.globals.update(version=__version__)
    return env


def render(
    request: Request,
    template: str,
    *,
    status: int = 200,
    session: Session | None = None,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """The page ``template`` with the layout's context: who is signed in, the CSRF token of
    their forms, and the current path (for the navigation)."""
    from wikipact.portal.session import csrf_token

    if session is None:
        session = getattr(request.state, "portal_session", None)
    access = request.app.state.services.access
    csrf = context.pop("csrf", None) or (csrf_token(access, session) if session else "")
    html = (
        environment()
        .get_template(template)
        .render(session=session, csrf=csrf, path=request.url.path, **context)
    )
    return HTMLResponse(html, status_code=status, headers=headers)


def number(value: object) -> str:
    """12,345 (a dash for nothing)."""
    if value is None or value == "":
        return "–"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return f"{int(value):,}"  # type: ignore[call-overload]


def size(value: int | None) -> str:
    """Bytes in SI units: 1.4 MB."""
    if value is None:
        return "–"
    amount = float(value)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if amount < 1000 or unit == "TB":
            return f"{int(amount)} B" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1000
    return f"{value} B"  # pragma: no cover - the loop returns


def money(value: object, currency: str = "") -> str:
    """1,234.50 USD (statements' amounts are decimal strings)."""
    try:
        amount = float(str(value))
    except ValueError:
        return str(value)
    return f"{amount:,.2f}" + (f" {currency}" if currency else "")


def percent(part: float, whole: float) -> str:
    return "–" if not whole else f"{100 * part / whole:.0f} %"


def day(value: str | None) -> str:
    return value[:10] if value else "–"


def instant(value: str | float | None) -> str:
    """An ISO instant or epoch seconds, as '2026-12-07 21:40 UTC'."""
    if value is None or value == "":
        return "–"
    if isinstance(value, (int, float)):
        moment = datetime.fromtimestamp(value, UTC)
    else:
        try:
            moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return str(value)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
