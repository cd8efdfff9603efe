"""Records of the access layer: partners, agreements and their fee schedules, keys, usage."""

from __future__ import annotations

import msgspec

CHANNELS = ("on-demand", "snapshots", "realtime", "search", "datasets", "mcp")
USES = ("training", "retrieval", "grounding", "search")
PERIODS = ("day", "month")
ADMIN_SCOPE = "admin"


class Partner(msgspec.Struct, frozen=True, kw_only=True):
    identifier: str  # slug: "acme-ai"
    name: str
    contact: str = ""
    created_at: str = ""


class Quota(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """At most ``limit`` successful requests on a channel per ``period`` (UTC day or month)."""

    channel: str
    period: str
    limit: int


class Fees(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A fee schedule; amounts are decimal strings in ``currency`` (no floats for money)."""

    currency: str = "USD"
    flat_monthly: str = "0"
    per_1000_requests: dict[str, str] = {}  # channel -> price per 1,000 successful requests
    per_gb: str = "0"  # per 10^9 bytes delivered, any channel
    per_snapshot: str = "0"  # per snapshot or dataset download


class Agreement(msgspec.Struct, frozen=True, kw_only=True):
    identifier: int
    partner: str
    name: str
    projects: tuple[str, ...]  # database names; "*" grants every project
    languages: tuple[str, ...] = ()  # empty: any language of the granted projects
    namespaces: tuple[int, ...] = ()  # empty: every namespace of the granted projects
    uses: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    quotas: tuple[Quota, ...] = ()
    rate_limit: float = 10.0  # requests per second per key
    burst: int = 20
    starts: str = ""  # YYYY-MM-DD, inclusive (UTC days: compared as ISO dates, which sort)
    ends: str | None = None  # YYYY-MM-DD, inclusive; None: open-ended
    fees: Fees = Fees()
    created_at: str = ""
    ended_at: str | None = None

    def active_on(self, day: str) -> bool:
        return self.starts <= day and (self.ends is None or day <= self.ends)

    def grants_project(self, project: str) -> bool:
        return "*" in self.projects or project in self.projects

    def grants_namespace(self, namespace: int) -> bool:
        return not self.namespaces or namespace in self.namespaces


class ApiKey(msgspec.Struct, frozen=True, kw_only=True):
    """What is stored and shown about a key: never the key itself."""

    identifier: str  # public part of the key: "wpk_3f9a…"
    partner: str | None  # None for admin keys
    label: str
    scopes: tuple[str, ...]
    created_at: str
    expires_at: str | None = None  # YYYY-MM-DDTHH:MM:SSZ (model/instants.py), compared as instants
    revoked_at: str | None = None
    grace_until: str | None = None  # rotated: still valid until then
    rotated_to: str | None = None


class UsageRow(msgspec.Struct, frozen=True, kw_only=True):
    day: str
    channel: str
    project: str
    requests: int
    articles: int
    bytes: int


def plain_text(value: str, what: str) -> str:
    """``value`` unchanged, or ``ConfigError`` when it holds a NUL character: text the access
    layer stores must be storable the same on every backend (PostgreSQL refuses NUL in text)."""
    from wikipact.errors import ConfigError

    if "\x00" in value:
        raise ConfigError(f"{what} must not contain NUL characters")
    return value
