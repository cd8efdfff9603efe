"""API keys: created (shown once), listed, rotated, revoked, and checked on every request."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from wikipact.access import keys as keymod
from wikipact.access.models import ADMIN_SCOPE, CHANNELS, ApiKey, plain_text
from wikipact.access.repository import AccessRepository, AuditEntry
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
        """The principal of a key; ``AuthenticationError`` for anything else (never says which)."""
        if not raw:
            raise AuthenticationError("an API key is required: Authorization: Bearer <key>")
        identifier = keymod.identifier_of(raw)
        found = self.repository.credentials(identifier) if identifier is not None else None
        if found is None or not keymod.matches(self.repository.secret, raw, found.digest):
            raise AuthenticationError("the API key is not valid")
        moment = now or self.clock()
        if found.revoked_at is not None:
            raise AuthenticationError("the API key has been revoked")
        # instants, not text: a key stored by an older version as '...+05:00' expires on time
        if found.expires_at is not None and moment >= stored_instant(found.expires_at):
            raise AuthenticationError("the API key has expired")
        if found.grace_until is not None and moment >= stored_instant(found.grace_until):
            raise AuthenticationError("the API key was rotated and its grace period is over")
        return Principal(key=str(identifier), partner=found.partner, scopes=found.scopes)
