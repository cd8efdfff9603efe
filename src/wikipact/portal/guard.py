"""Who may see a portal page: the signed-in session (``Signed``), a partner's (``PartnerSession``)
or an admin's (``AdminSession``); and the CSRF check every form POST passes first.

A page that needs a session and has none redirects to the sign-in form (``SignInRequired``,
303). Another partner's thing is "not found" (404), exactly as a missing one, so that
identifiers cannot be probed; admin pages refuse partner keys (403).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from wikipact.errors import AuthenticationError, ForbiddenError, WikipactError
from wikipact.portal import session as sessions
from wikipact.portal.session import Session


class SignInRequired(WikipactError):
    """No valid session: the page redirects to ``/portal/login`` (with the reason)."""


class CsrfRefused(ForbiddenError):
    """A POST without the form's CSRF token."""


def access_of(request: Request):  # type: ignore[no-untyped-def]
    return request.app.state.services.access


async def signed(request: Request) -> Session:
    """The request's session; ``SignInRequired`` when there is none, it expired, or its key
    was revoked."""
    access = access_of(request)
    raw = request.cookies.get(sessions.COOKIE)
    if not raw:
        raise SignInRequired("sign in with your API key to see this page")
    now = access.clock()
    try:
        if access.repository.remote:  # a database round trip: off the event loop
            found = await run_in_threadpool(sessions.read_session, access, raw, now)
        else:
            found = sessions.read_session(access, raw, now)
    except AuthenticationError as exc:
        raise SignInRequired(str(exc)) from None
    request.state.portal_session = found
    if request.method == "POST":
        await _check_csrf(request, sessions.csrf_token(access, found))
    return found


async def _check_csrf(request: Request, expected: str) -> None:
    form = await request.form()
    given = form.get("csrf")
    if not sessions.csrf_matches(expected, given if isinstance(given, str) else None):
        raise CsrfRefused("the form's security token is missing or stale; reload the page")


async def partner_session(found: Annotated[Session, Depends(signed)]) -> Session:
    if found.partner is None:
        raise ForbiddenError("this page is a partner's; admin keys have no account of their own")
    return found


async def admin_session(found: Annotated[Session, Depends(signed)]) -> Session:
    if not found.is_admin:
        raise ForbiddenError("this page needs an admin key")
    return found


Signed = Annotated[Session, Depends(signed)]
PartnerSession = Annotated[Session, Depends(partner_session)]
AdminSession = Annotated[Session, Depends(admin_session)]


async def check_login_csrf(request: Request) -> None:
    """The login form's double-submit check: the form's token equals its cookie's."""
    await _check_csrf(request, request.cookies.get(sessions.LOGIN_COOKIE, ""))
