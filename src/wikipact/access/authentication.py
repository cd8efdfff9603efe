"""API keys: created (shown once), listed, rotated, revoked, and checked on every request; and
the Enterprise-compatible logins (``Sessions``) whose access tokens stand for a key."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from wikipact.access import keys as keymod
from wikipact.access import tokens
from wikipact.access.models import ADMIN_SCOPE, CHANNELS, ApiKey, plain_text
from wikipact.access.repository import AccessRepository, AuditEntry, KeyCredentials, RefreshToken
from wikipact.errors import AuthenticationError, ConfigError, NotFoundError
from wikipact.model.instants import format_instant, normalize_instant, stored_instant


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key, its partner (None for admins) and its scopes."""

    key: str
    partner: str | None
    scopes: tuple[str, ...]

    @property
    def is_admin(self) -> bool:
        return self.partner is None and ADMIN_SCOPE in self.scopes


class Keys:
    def __init__(
        self,
        repository: AccessRepository,
        clock: Callable[[], datetime],
        partner_exists: Callable[[str], object],
    ) -> None:
        self.repository = repository
        self.clock = clock
        self._partner_exists = partner_exists  # raises NotFoundError for an unknown partner

    def _stamp(self, moment: datetime | None = None) -> str:
        return format_instant(moment or self.clock())

    def create(
        self,
        partner: str | None,
        *,
        label: str,
        scopes: Sequence[str] = (),
        expires_at: str | None = None,
        actor: str,
    ) -> tuple[ApiKey, str]:
        """A new key: (what is stored, the key itself — shown this once, never again)."""
        plain_text(label, "the key's label")
        if partner is None:
            scopes = (ADMIN_SCOPE,)
        else:
            self._partner_exists(partner)
            unknown = sorted(set(scopes) - set(CHANNELS) - {"usage"})
            if unknown:
                raise ConfigError(f"unknown scopes {unknown}; choose from {[*CHANNELS, 'usage']}")
            scopes = tuple(scopes) or (*CHANNELS, "usage")
        expires_at = normalize_instant(expires_at, what="expiry")
        if expires_at is not None and stored_instant(expires_at) <= self.clock():
            raise ConfigError(f"expiry {expires_at} is not in the future")
        identifier, raw = keymod.new_key()
        key = ApiKey(
            identifier=identifier,
            partner=partner,
            label=label,
            scopes=tuple(scopes),
            created_at=self._stamp(),
            expires_at=expires_at,
        )
        audit = AuditEntry(
            key.created_at, actor, "key.create", f"key:{identifier}",
            {"partner": partner, "label": label, "scopes": list(scopes)},
        )  # fmt: skip
        self.repository.insert_key(key, self._digest(raw), audit)
        return key, raw

    def _digest(self, raw: str) -> bytes:
        return keymod.digest(self.repository.secret, raw)

    def list(self, partner: str | None = None, *, admins: bool = False) -> list[ApiKey]:
        return self.repository.keys(partner=partner, admins=admins)

    def get(self, identifier: str, partner: str | None = None) -> ApiKey:
        """A key by id; with ``partner``, only that partner's (others are 'not found')."""
        found = self.repository.key(identifier)
        if found is None or (partner is not None and found.partner != partner):
            raise NotFoundError(f"no key {identifier!r}")
        return found

    def revoke(self, identifier: str, *, actor: str, partner: str | None = None) -> ApiKey:
        self.get(identifier, partner)
        stamp = self._stamp()
        audit = AuditEntry(stamp, actor, "key.revoke", f"key:{identifier}", {})
        self.repository.revoke_key(identifier, stamp, audit)
        return self.get(identifier)

    def rotate(
        self,
        identifier: str,
        *,
        grace_seconds: int = 7 * 86400,
        actor: str,
        partner: str | None = None,
    ) -> tuple[ApiKey, str]:
        """A new key with the same partner, label and scopes; the old one works ``grace_seconds``."""
        old = self.get(identifier, partner)
        if old.revoked_at or old.rotated_to:
            raise ConfigError(f"key {identifier} is revoked or already rotated")
        new_id, raw = keymod.new_key()
        now = self.clock()
        key = ApiKey(
            identifier=new_id,
            partner=old.partner,
            label=old.label,
            scopes=old.scopes,
            created_at=self._stamp(now),
            expires_at=old.expires_at,
        )
        grace = self._stamp(now + timedelta(seconds=grace_seconds))
        audit = AuditEntry(
            key.created_at, actor, "key.rotate", f"key:{identifier}",
            {"new": new_id, "grace_until": grace},
        )  # fmt: skip
        self.repository.rotate_key(identifier, key, self._digest(raw), grace, audit)
        return key, raw

    def authenticate(self, raw: str | None, now: datetime | None = None) -> Principal:
        """The principal of a key, or of an access token (``tokens``: the principal of the key
        it was issued for); ``AuthenticationError`` for anything else (never says which)."""
        if not raw:
            raise AuthenticationError("an API key is required: Authorization: Bearer <key>")
        moment = now or self.clock()
        if tokens.is_access_token(raw):
            claims = tokens.verify(self.repository.secret, raw, now=moment)
            return self.principal_of(claims.key, claims.partner, moment, tokens.INVALID)
        identifier = keymod.identifier_of(raw)
        found = self.repository.credentials(identifier) if identifier is not None else None
        if found is None or not keymod.matches(self.repository.secret, raw, found.digest):
            raise AuthenticationError("the API key is not valid")
        return _valid(str(identifier), found, moment)

    def principal_of(
        self, identifier: str, partner: str, moment: datetime, invalid: str
    ) -> Principal:
        """The principal of key ``identifier``, which a token says is ``partner``'s, if the key
        is valid at ``moment`` (``AuthenticationError``: ``invalid`` when it is not that
        partner's)."""
        found = self.repository.credentials(identifier)
        if found is None or found.partner != partner:
            raise AuthenticationError(invalid)
        return _valid(identifier, found, moment)

    def principal_of_key(self, identifier: str, moment: datetime, invalid: str) -> Principal:
        """The principal of key ``identifier`` (a partner's or an admin's) if it is valid at
        ``moment``; ``AuthenticationError`` (``invalid`` for an unknown key) otherwise."""
        found = self.repository.credentials(identifier)
        if found is None:
            raise AuthenticationError(invalid)
        return _valid(identifier, found, moment)


def _valid(identifier: str, found: KeyCredentials, moment: datetime) -> Principal:
    """The key's principal unless it is revoked, expired or past its rotation's grace."""
    if found.revoked_at is not None:
        raise AuthenticationError("the API key has been revoked")
    # instants, not text: a key stored by an older version as '...+05:00' expires on time
    if found.expires_at is not None and moment >= stored_instant(found.expires_at):
        raise AuthenticationError("the API key has expired")
    if found.grace_until is not None and moment >= stored_instant(found.grace_until):
        raise AuthenticationError("the API key was rotated and its grace period is over")
    return Principal(key=identifier, partner=found.partner, scopes=found.scopes)


@dataclass(frozen=True)
class Issued:
    """What a login or a refresh hands out (Enterprise's response, less ``id_token``)."""

    access_token: str
    expires_in: int  # seconds
    refresh_token: str | None = None  # a login's; a refresh keeps the one it was given


BAD_LOGIN = "the username or password is not valid"
BAD_REFRESH = "the refresh token is not valid"


class Sessions:
    """Enterprise-compatible logins: ``login``, ``refresh`` and ``revoke``.

    The username is the partner's identifier and the password one of that partner's API keys.
    A key, not a password of its own: there is no second secret to issue, store, rotate or leak,
    and the key's life bounds its sessions, since every access token and every refresh is
    checked against the key it came from (revoking, expiring or rotating the key ends them).
    Admin keys have no partner and cannot log in. Failed logins and refreshes write nothing
    (anyone may try, and the audit log keeps every row forever); successful ones, and revoking
    a live refresh token, are audited under the key.
    """

    def __init__(
        self,
        keys: Keys,
        repository: AccessRepository,
        clock: Callable[[], datetime],
        *,
        access_lifetime: timedelta = tokens.ACCESS_LIFETIME,
        refresh_lifetime: timedelta = tokens.REFRESH_LIFETIME,
    ) -> None:
        self.keys = keys
        self.repository = repository
        self.clock = clock
        self.access_lifetime = access_lifetime
        self.refresh_lifetime = refresh_lifetime

    def login(self, username: str, password: str, now: datetime | None = None) -> Issued:
        """An access token and a refresh token for the partner ``username`` whose API key is
        ``password``; ``AuthenticationError`` with one message for every failure."""
        moment = now or self.clock()
        principal = self._by_password(username, password, moment)
        partner = str(principal.partner)
        raw = tokens.new_refresh_token()
        stored = RefreshToken(
            self._digest(raw), principal.key, partner, format_instant(moment),
            format_instant(moment + self.refresh_lifetime),
        )  # fmt: skip
        access, claims = self._access_token(principal.key, partner, moment)
        audit = self._audit(stored, "token.login", stored.created_at, claims.token_id)
        self.repository.insert_refresh_token(stored, audit)
        return Issued(access, self._seconds, raw)

    def refresh(self, username: str, refresh_token: str, now: datetime | None = None) -> Issued:
        """A new access token for a live refresh token of ``username`` whose key is valid."""
        moment = now or self.clock()
        stored = self._stored(refresh_token)
        if stored is None or stored.partner != username:
            raise AuthenticationError(BAD_REFRESH)
        if stored.revoked_at is not None:
            raise AuthenticationError("the refresh token has been revoked")
        if moment >= stored_instant(stored.expires_at):
            raise AuthenticationError("the refresh token has expired")
        self.keys.principal_of(stored.key, stored.partner, moment, BAD_REFRESH)
        access, claims = self._access_token(stored.key, stored.partner, moment)
        audit = self._audit(stored, "token.refresh", format_instant(moment), claims.token_id)
        self.repository.append_audit(audit)
        return Issued(access, self._seconds)

    def revoke(self, refresh_token: str, now: datetime | None = None) -> None:
        """Revoke a refresh token; an unknown or revoked one is left alone, and nothing tells
        the caller which happened."""
        stored = self._stored(refresh_token)
        if stored is None or stored.revoked_at is not None:
            return
        stamp = format_instant(now or self.clock())
        audit = self._audit(stored, "token.revoke", stamp, None)
        self.repository.revoke_refresh_token(stored.digest, stamp, audit)

    # -- parts --------------------------------------------------------------------------------

    @property
    def _seconds(self) -> int:
        return int(self.access_lifetime.total_seconds())

    def _by_password(self, username: str, password: str, moment: datetime) -> Principal:
        if keymod.identifier_of(password) is None:  # an API key, not a token, is the password
            raise AuthenticationError(BAD_LOGIN)
        try:
            principal = self.keys.authenticate(password, moment)
        except AuthenticationError:
            raise AuthenticationError(BAD_LOGIN) from None
        if principal.partner is None or principal.partner != username:
            raise AuthenticationError(BAD_LOGIN)
        return principal

    def _access_token(self, key: str, partner: str, moment: datetime) -> tuple[str, tokens.Claims]:
        claims = tokens.claims_for(key, partner, now=moment, lifetime=self.access_lifetime)
        return tokens.encode(self.repository.secret, claims), claims

    def _digest(self, raw: str) -> bytes:
        return keymod.digest(self.repository.secret, raw)

    def _stored(self, raw: str) -> RefreshToken | None:
        if not tokens.is_refresh_token(raw):
            return None
        return self.repository.refresh_token(self._digest(raw))

    @staticmethod
    def _audit(stored: RefreshToken, action: str, at: str, access_token: str | None) -> AuditEntry:
        """An entry under the key; the refresh token is named by the start of its digest."""
        details: dict[str, str] = {"partner": stored.partner, "key": stored.key}
        if access_token is not None:
            details["access_token"] = access_token
        name = f"refresh-token:{stored.digest.hex()[:16]}"
        return AuditEntry(at, stored.key, action, name, details)
