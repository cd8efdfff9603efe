"""API keys: random, shown once, stored as a keyed hash, checked in constant time.

A key reads ``wpk_<id>_<secret>``: the id (12 hex) is public and indexes the row; the secret
(32 random bytes, base64url) never leaves the moment of creation. The database keeps
HMAC-SHA256(installation secret, key). Keys carry 256 bits of entropy, so a fast keyed hash is the
right tool (a password hash such as argon2id would cost ~0.2 s per request for no gain).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

PREFIX = "wpk_"
_SHAPE = re.compile(r"wpk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})")


def new_key() -> tuple[str, str]:
    """(identifier, full key) for a new key."""
    identifier = PREFIX + secrets.token_hex(6)
    return identifier, f"{identifier}_{secrets.token_urlsafe(32)}"


def digest(secret: bytes, key: str) -> bytes:
    return hmac.new(secret, key.encode("utf-8"), hashlib.sha256).digest()


def identifier_of(key: str) -> str | None:
    """The public id of a well-formed key, or None (malformed keys are never looked up)."""
    match = _SHAPE.fullmatch(key)
    return PREFIX + match[1] if match else None


def matches(secret: bytes, key: str, stored: bytes) -> bool:
    return hmac.compare_digest(digest(secret, key), stored)
