"""Portal sessions: an API key typed into ``/portal/login`` is exchanged for a session cookie.

A session is stateless, like the API's access tokens (``access.tokens``):
``wpps_<payload>.<signature>``, the payload (key identifier, expiry in epoch seconds, session
id) signed with HMAC-SHA256 under a key derived from the installation secret for this purpose
only. The cookie names the key, never what it may do: every request reads the key, so revoking,
expiring or rotating it (past its grace) ends its sessions at once, and a partner's pages always
show what the key may see now.

The cookie is ``HttpOnly`` (no script reads it), ``Secure``, ``SameSite=Strict`` and scoped to
``/portal``, and lasts ``LIFETIME``. Signing out deletes it.

CSRF: every form carries a token. Signed in, it is an HMAC of the session id (so it changes
with each session and cannot be made without the secret); on the login form, which has no
session yet, it is a random value also set in a short-lived cookie (double submit). A POST
without the right token is refused with 403 before its route runs.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import msgspec

from wikipact.access import Access, Principal, tokens
from wikipact.errors import AuthenticationError

COOKIE = "wikipact_portal"
LOGIN_COOKIE = "wikipact_portal_login"  # the login form's CSRF value (double submit)
PATH = "/portal"
LIFETIME = timedelta(hours=8)
PREFIX = "wpps_"
MAX_LENGTH = 400
INVALID = "the session is not valid; sign in again"
_PURPOSE = b"wikipact portal session v1"
_CSRF_PURPOSE = b"wikipact portal csrf v1"


class _Claims(msgspec.Struct, frozen=True, array_like=True):
    key: str
    expires: int  # epoch seconds
    session: str


@dataclass(frozen=True)
class Session:
    """A signed-in user: the key's principal, and this session's id and expiry."""

    principal: Principal
    session: str
    expires: int

    @property
    def is_admin(self) -> bool:
        return self.principal.is_admin

    @property
    def partner(self) -> str | None:
        return self.principal.partner


def open_session(access: Access, raw_key: str, now: datetime) -> tuple[Principal, str]:
    """The principal of an API key and a new session cookie value for it;
    ``AuthenticationError`` when the key is not valid (the login page says so)."""
    key = raw_key.strip()
    if tokens.is_access_token(key):  # a key, not a token standing for one
        raise AuthenticationError("the API key is not valid")
    principal = access.authenticate(key, now)
    claims = _Claims(principal.key, int((now + LIFETIME).timestamp()), secrets.token_hex(16))
    return principal, tokens.seal(access.repository.secret, _PURPOSE, PREFIX, claims)


def read_session(access: Access, value: str | None, now: datetime) -> Session:
    """The session of a cookie value, its key still valid; ``AuthenticationError`` otherwise."""
    if not value:
        raise AuthenticationError(INVALID)
    claims = tokens.unseal(
        access.repository.secret, _PURPOSE, PREFIX, value, _Claims, max_length=MAX_LENGTH,
        invalid=INVALID,
    )  # fmt: skip
    if now.timestamp() >= claims.expires:
        raise AuthenticationError("the session has expired; sign in again")
    principal = access.authentication.principal_of_key(claims.key, now, INVALID)
    return Session(principal, claims.session, claims.expires)


def csrf_token(access: Access, session: Session) -> str:
    """The CSRF token of a session's forms."""
    return tokens.mac(access.repository.secret, _CSRF_PURPOSE, session.session)


def csrf_matches(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))


def new_login_token() -> str:
    """The login form's CSRF value (also set in ``LOGIN_COOKIE``)."""
    return secrets.token_urlsafe(24)
