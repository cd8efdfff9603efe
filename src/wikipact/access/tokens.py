"""Access and refresh tokens of the Enterprise-compatible login (``POST /v1/login``).

Wikimedia Enterprise's clients log in with a username and password and then send a short-lived
access token as ``Authorization: Bearer``. Who may log in is ``authentication.Sessions``'s
business; this module only makes and reads the tokens.

- An **access token** is stateless: ``wpat_<payload>.<signature>``, both base64url. The payload
  is (key identifier, partner, expiry in epoch seconds, token id); the signature is HMAC-SHA256
  under a key derived from the installation secret that API keys are digested with, so nobody
  without the database's secret can make or alter one. A token names the key it was issued for,
  never what that key may do: authenticating it reads the key, so its scopes, revocation and
  expiry apply to the token at once.
- A **refresh token** is random (``wprt_`` and 256 bits, like a key's secret) and is stored only
  as its digest (``keys.digest``).

The prefixes differ from a key's (``wpk_``): authentication tells the three apart by looking.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta
from typing import TypeVar

import msgspec

from wikipact.errors import AuthenticationError

ACCESS_PREFIX = "wpat_"
REFRESH_PREFIX = "wprt_"
ACCESS_LIFETIME = timedelta(hours=24)  # Enterprise's: ``expires_in`` 86400
REFRESH_LIFETIME = timedelta(days=30)  # Enterprise's
MAX_ACCESS_TOKEN = 512  # a real one is about 230 characters; longer ones are not read
INVALID = "the access token is not valid"

_REFRESH_SHAPE = re.compile(r"wprt_[A-Za-z0-9_-]{43}")
_PURPOSE = b"wikipact access token v1"  # the signing key is HMAC(secret, this): its own key


T = TypeVar("T", bound=msgspec.Struct)


class Claims(msgspec.Struct, frozen=True, array_like=True):
    """What an access token says: the key it stands for, whose it is, until when, and its id."""

    key: str
    partner: str
    expires: int  # epoch seconds
    token_id: str


def claims_for(
    key: str, partner: str, *, now: datetime, lifetime: timedelta = ACCESS_LIFETIME
) -> Claims:
    """New claims for ``key`` of ``partner``, valid ``lifetime`` from ``now``."""
    return Claims(key, partner, int((now + lifetime).timestamp()), secrets.token_hex(8))


def encode(secret: bytes, claims: Claims) -> str:
    """The signed access token of ``claims``."""
    return seal(secret, _PURPOSE, ACCESS_PREFIX, claims)


def verify(secret: bytes, token: str, *, now: datetime) -> Claims:
    """The claims of a genuine, unexpired token; ``AuthenticationError`` otherwise."""
    claims = unseal(
        secret, _PURPOSE, ACCESS_PREFIX, token, Claims, max_length=MAX_ACCESS_TOKEN,
        invalid=INVALID,
    )  # fmt: skip
    if now.timestamp() >= claims.expires:
        raise AuthenticationError("the access token has expired")
    return claims


def seal(secret: bytes, purpose: bytes, prefix: str, payload: msgspec.Struct) -> str:
    """``<prefix><payload>.<signature>``, both base64url: ``payload`` as JSON, signed with
    HMAC-SHA256 under the key derived from ``secret`` for ``purpose`` (each kind of token, the
    API's access tokens and the portal's sessions, has a key of its own)."""
    body = prefix + _b64encode(msgspec.json.encode(payload))
    return f"{body}.{mac(secret, purpose, body)}"


def unseal(
    secret: bytes,
    purpose: bytes,
    prefix: str,
    token: str,
    payload_type: type[T],
    *,
    max_length: int,
    invalid: str,
) -> T:
    """The payload of a genuine ``seal``; ``AuthenticationError(invalid)`` for anything else
    (too long, not ASCII, another prefix, a signature that does not match)."""
    body, dot, signature = token.rpartition(".")
    shaped = len(token) <= max_length and token.isascii() and dot
    if not shaped or not body.startswith(prefix):
        raise AuthenticationError(invalid)
    if not hmac.compare_digest(mac(secret, purpose, body), signature):
        raise AuthenticationError(invalid)
    try:
        return msgspec.json.decode(_b64decode(body[len(prefix) :]), type=payload_type)
    except (ValueError, msgspec.DecodeError):  # pragma: no cover - signed by us: well formed
        raise AuthenticationError(invalid) from None


def is_access_token(raw: str) -> bool:
    return raw.startswith(ACCESS_PREFIX)


def new_refresh_token() -> str:
    return REFRESH_PREFIX + secrets.token_urlsafe(32)


def is_refresh_token(raw: str) -> bool:
    """Whether ``raw`` has a refresh token's shape (others are never looked up)."""
    return _REFRESH_SHAPE.fullmatch(raw) is not None


def mac(secret: bytes, purpose: bytes, text: str) -> str:
    """HMAC-SHA256 of ``text`` under the key derived from ``secret`` for ``purpose``,
    base64url."""
    key = hmac.new(secret, purpose, hashlib.sha256).digest()
    return _b64encode(hmac.new(key, text.encode("ascii"), hashlib.sha256).digest())


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
