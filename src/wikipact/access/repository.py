"""What the access layer stores, and the one interface through which it stores it.

The modules of ``access/`` (accounts, authentication, limits, metering, statements) hold the
rules; an ``AccessRepository`` holds the rows. Every write that changes a partner, an agreement
or a key takes an ``AuditEntry`` and appends it in the same transaction. Counters (rate limits,
quotas, usage) are updated atomically by the repository, so they are exact across threads,
processes and, with a shared database, hosts.

``sqlite_repository.SQLiteAccessRepository`` is the implementation on the store's SQLite file.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from wikipact.access.models import Agreement, ApiKey, Partner


@dataclass(frozen=True)
class AuditEntry:
    """One line of the append-only audit log."""

    at: str
    actor: str
    action: str
    object: str
    details: Any


@dataclass(frozen=True)
class KeyCredentials:
    """What authentication needs of a key: its digest, owner, scopes and validity."""

    digest: bytes
    partner: str | None
    scopes: tuple[str, ...]
    expires_at: str | None
    revoked_at: str | None
    grace_until: str | None


@dataclass(frozen=True)
class RefreshToken:
    """A login's refresh token as stored: its digest (never the token), key, partner, validity."""

    digest: bytes
    key: str
    partner: str
    created_at: str
    expires_at: str
    revoked_at: str | None = None


@dataclass(frozen=True)
class UsageEvent:
    """One metered delivery (``event`` is its id: recorded once however often it is sent)."""

    event: str
    at: str
    day: str
    partner: str
    agreement: int | None
    key: str
    channel: str
    project: str
    articles: int
    bytes: int
    status: int
    snapshot: str | None


@dataclass(frozen=True)
class ChannelUsage:
    """Successful deliveries of one agreement on one channel in a period."""

    channel: str
    requests: int
    bytes: int
    downloads: int  # deliveries of a snapshot or dataset file


KEY_COLUMNS = (
    "identifier, partner, label, scopes, created_at, expires_at, revoked_at, grace_until, "
    "rotated_to"
)
AUDIT_COLUMNS = "seq, at, actor, action, object, details"
REFRESH_COLUMNS = "digest, key, partner, created_at, expires_at, revoked_at"


def key_from_row(row: Sequence[Any]) -> ApiKey:
    """An ``ApiKey`` from a row of ``KEY_COLUMNS`` (either backend)."""
    return ApiKey(
        identifier=row[0],
        partner=row[1],
        label=row[2],
        scopes=tuple(json.loads(row[3])),
        created_at=row[4],
        expires_at=row[5],
        revoked_at=row[6],
        grace_until=row[7],
        rotated_to=row[8],
    )


def refresh_from_row(row: Sequence[Any]) -> RefreshToken:
    """A ``RefreshToken`` from a row of ``REFRESH_COLUMNS`` (either backend)."""
    digest, key, partner, created_at, expires_at, revoked_at = row
    return RefreshToken(bytes(digest), key, partner, created_at, expires_at, revoked_at)


def audit_from_row(row: Sequence[Any]) -> dict[str, Any]:
    """An audit entry from a row of ``AUDIT_COLUMNS`` (either backend)."""
    seq, at, actor, action, obj, details = row
    return {"seq": seq, "at": at, "actor": actor, "action": action, "object": obj,
            "details": json.loads(details)}  # fmt: skip


class RateRefused(Exception):
    """The rate limit refuses the request: retry after ``retry_after`` seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


class QuotaRefused(Exception):
    """The quota of the period is used up."""


class AccessRepository(Protocol):
    """Rows of partners, agreements, keys, refresh tokens, audit, rate limits, quotas and
    usage."""

    secret: bytes  # the installation's key secret (HMAC keys are digested with it)
    remote: bool  # a call is a network round trip (PostgreSQL), not a local file read

    # accounts
    def insert_partner(self, partner: Partner, audit: AuditEntry) -> bool:
        """False when a partner with that id exists already (nothing is written)."""
        ...

    def partners(self) -> list[Partner]: ...

    def insert_agreement(self, draft: Agreement, audit: AuditEntry) -> Agreement:
        """The agreement with its new identifier (the audit entry gets it too)."""
        ...

    def update_agreement(self, agreement: Agreement, audit: AuditEntry) -> None: ...

    def agreements(self, partner: str | None = None) -> list[Agreement]: ...

    # keys
    def insert_key(self, key: ApiKey, digest: bytes, audit: AuditEntry) -> None: ...

    def keys(self, *, partner: str | None = None, admins: bool = False) -> list[ApiKey]: ...

    def key(self, identifier: str) -> ApiKey | None: ...

    def credentials(self, identifier: str) -> KeyCredentials | None: ...

    def revoke_key(self, identifier: str, at: str, audit: AuditEntry) -> None: ...

    def rotate_key(
        self, identifier: str, new: ApiKey, digest: bytes, grace_until: str, audit: AuditEntry
    ) -> None: ...

    def keys_last_used(self, partner: str) -> dict[str, str]:
        """When each of ``partner``'s keys was last used: key identifier -> the ``at`` of its
        latest usage event, whatever its status (keys never used are absent)."""
        ...

    # refresh tokens of Enterprise-compatible logins
    def insert_refresh_token(self, token: RefreshToken, audit: AuditEntry) -> None: ...

    def refresh_token(self, digest: bytes) -> RefreshToken | None: ...

    def revoke_refresh_token(self, digest: bytes, at: str, audit: AuditEntry) -> bool:
        """Mark it revoked and append ``audit``, unless it is unknown or revoked already
        (then nothing is written): whether this call revoked it."""
        ...

    def audit_log(self, limit: int) -> list[dict[str, Any]]: ...

    def append_audit(self, entry: AuditEntry) -> None:
        """An entry of its own (an action outside the access tables, e.g. a takedown)."""
        ...

    # limits
    def take(
        self,
        key: str,
        *,
        moment: float,
        interval: float,
        tolerance: float,
        quota: tuple[int, str, str, int] | None,
    ) -> None:
        """Take one request from ``key``'s GCRA bucket and, with ``quota`` = (agreement,
        channel, period, limit), one unit of that quota, atomically: both or neither.
        Raises ``RateRefused`` or ``QuotaRefused``."""
        ...

    def release(self, agreement: int, channel: str, period: str) -> None: ...

    def quota_used(self, agreement: int, channel: str, period: str) -> int: ...

    # metering
    def record_usage(self, event: UsageEvent) -> None: ...

    def usage_by_day(
        self, partner: str, since: str, until: str
    ) -> list[tuple[str, str, str, int, int, int]]:
        """(day, channel, project, requests, articles, bytes) of successful deliveries."""
        ...

    def usage_by_channel(
        self, partner: str, agreement: int, first: str, last: str
    ) -> list[ChannelUsage]: ...

    def close(self) -> None: ...
