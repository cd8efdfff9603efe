"""``Access``: the access layer's one entry point, composed of small parts over a repository.

- ``accounts``: partners and agreements;
- ``authentication``: API keys, who is calling, and Enterprise-compatible logins whose access
  tokens (``tokens``) stand for a key;
- ``entitlement``: what a caller may receive, on every channel;
- ``limits``: rate limits and quotas;
- ``metering``: usage events and usage reports;
- ``statements``: usage priced by the fee schedules (Decimal, pure).

The rows live behind ``AccessRepository`` (``sqlite_repository`` on the store's SQLite file),
where every change to a partner, agreement or key appends to the audit log in its transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from wikipact.access.accounts import Accounts
from wikipact.access.authentication import Issued, Keys, Principal, Sessions
from wikipact.access.entitlement import Caller, Grant, LanguageOf, entitle
from wikipact.access.limits import Limits
from wikipact.access.metering import Metering
from wikipact.access.models import Agreement, ApiKey, Fees, Partner, Quota, UsageRow
from wikipact.access.pricing import Statement
from wikipact.access.repository import AccessRepository
from wikipact.access.sqlite_repository import SQLiteAccessRepository
from wikipact.access.statements import price
from wikipact.model.instants import utc_now

__all__ = ["Access", "Principal"]


class Access:
    """Partners, agreements, keys, entitlement, limits, metering and statements.

    ``Access(path)`` works on the store's SQLite file; ``Access(repository=...)`` on any
    ``AccessRepository``. ``clock`` gives the current instant (aware, UTC): key expiry,
    agreement dates and every stamp ask it (tests set it to move time).
    """

    def __init__(
        self,
        db_path: str | Path | None = None,
        *,
        repository: AccessRepository | None = None,
        background_checkpoints: bool = False,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        if repository is None:
            if db_path is None:
                raise TypeError("Access needs a database path or a repository")
            repository = SQLiteAccessRepository(
                db_path, background_checkpoints=background_checkpoints
            )
        self.repository = repository
        self.path = Path(db_path) if db_path is not None else None
        self.clock = clock
        now = lambda: self.clock()  # noqa: E731 - follows a clock that tests replace
        self.accounts = Accounts(repository, now)
        self.authentication = Keys(repository, now, self.accounts.partner)
        self.sessions = Sessions(self.authentication, repository, now)
        self.limits = Limits(repository)
        self.metering = Metering(repository, now)

    def start_checkpointer(self, every: float = 1.0) -> Any:
        start = getattr(self.repository, "start_checkpointer", None)
        return start(every) if start is not None else None

    def close(self) -> None:
        self.repository.close()

    # -- accounts ---------------------------------------------------------------------------

    def add_partner(self, identifier: str, name: str, contact: str = "", *, actor: str) -> Partner:
        return self.accounts.add_partner(identifier, name, contact, actor=actor)

    def partners(self) -> list[Partner]:
        return self.accounts.partners()

    def partner(self, identifier: str) -> Partner:
        return self.accounts.partner(identifier)

    def add_agreement(
        self,
        partner: str,
        *,
        name: str,
        projects: Sequence[str],
        channels: Sequence[str],
        uses: Sequence[str] = (),
        languages: Sequence[str] = (),
        namespaces: Sequence[int] = (),
        quotas: Sequence[Quota] = (),
        rate_limit: float = 10.0,
        burst: int = 20,
        starts: str | None = None,
        ends: str | None = None,
        fees: Fees | None = None,
        actor: str,
    ) -> Agreement:
        return self.accounts.add_agreement(
            partner, name=name, projects=projects, channels=channels, uses=uses,
            languages=languages, namespaces=namespaces, quotas=quotas, rate_limit=rate_limit,
            burst=burst, starts=starts, ends=ends, fees=fees, actor=actor,
        )  # fmt: skip

    def agreements(
        self, partner: str | None = None, *, active_on: str | None = None
    ) -> list[Agreement]:
        return self.accounts.agreements(partner, active_on=active_on)

    def agreement(self, identifier: int, partner: str | None = None) -> Agreement:
        return self.accounts.agreement(identifier, partner)

    def end_agreement(self, identifier: int, ends: str | None = None, *, actor: str) -> Agreement:
        return self.accounts.end_agreement(identifier, ends, actor=actor)

    def edit_agreement(self, identifier: int, *, actor: str, **terms: Any) -> Agreement:
        """Agreement ``identifier`` with new ``terms`` (``Accounts.edit_agreement``)."""
        return self.accounts.edit_agreement(identifier, actor=actor, **terms)

    # -- keys -------------------------------------------------------------------------------

    def create_key(
        self,
        partner: str | None,
        *,
        label: str,
        scopes: Sequence[str] = (),
        expires_at: str | None = None,
        actor: str,
    ) -> tuple[ApiKey, str]:
        """A new key: (what is stored, the key itself — shown this once, never again)."""
        return self.authentication.create(
            partner, label=label, scopes=scopes, expires_at=expires_at, actor=actor
        )

    def keys(self, partner: str | None = None, *, admins: bool = False) -> list[ApiKey]:
        return self.authentication.list(partner, admins=admins)

    def key(self, identifier: str, partner: str | None = None) -> ApiKey:
        return self.authentication.get(identifier, partner)

    def revoke_key(self, identifier: str, *, actor: str, partner: str | None = None) -> ApiKey:
        return self.authentication.revoke(identifier, actor=actor, partner=partner)

    def rotate_key(
        self,
        identifier: str,
        *,
        grace_seconds: int = 7 * 86400,
        actor: str,
        partner: str | None = None,
    ) -> tuple[ApiKey, str]:
        return self.authentication.rotate(
            identifier, grace_seconds=grace_seconds, actor=actor, partner=partner
        )

    def keys_last_used(self, partner: str) -> dict[str, str]:
        """When each of ``partner``'s keys last made a metered request (key identifier -> the
        instant of its latest usage event); keys never used are absent."""
        return self.repository.keys_last_used(partner)

    def authenticate(self, raw: str | None, now: datetime | None = None) -> Principal:
        """The caller of an API key or of a login's access token (the same principal)."""
        return self.authentication.authenticate(raw, now)

    # -- Enterprise-compatible logins (``authentication.Sessions``) ---------------------------

    def login(self, username: str, password: str, now: datetime | None = None) -> Issued:
        """Tokens for partner ``username``, whose API key ``password`` is."""
        return self.sessions.login(username, password, now)

    def token_refresh(
        self, username: str, refresh_token: str, now: datetime | None = None
    ) -> Issued:
        return self.sessions.refresh(username, refresh_token, now)

    def token_revoke(self, refresh_token: str, now: datetime | None = None) -> None:
        self.sessions.revoke(refresh_token, now)

    def audit_log(self, limit: int = 100) -> list[dict[str, Any]]:
        return self.repository.audit_log(limit)

    def audit(self, actor: str, action: str, object: str, details: dict[str, Any]) -> None:
        """Record an action taken outside the access tables (a takedown) in the audit log."""
        from wikipact.access.repository import AuditEntry
        from wikipact.model.instants import format_instant

        entry = AuditEntry(format_instant(self.clock()), actor, action, object, details)
        self.repository.append_audit(entry)

    # -- entitlement ------------------------------------------------------------------------

    def grant(
        self,
        principal: Principal,
        *,
        channel: str | None,
        use: str | None = None,
        project: str | None = None,
        namespace: int | None = None,
        language_of: LanguageOf | None = None,
        at: datetime | None = None,
    ) -> Grant:
        """What ``principal`` may receive on ``channel`` now (``entitlement.entitle``)."""
        agreements = self.agreements(principal.partner) if principal.partner is not None else []
        return entitle(
            Caller(principal.partner, principal.scopes),
            agreements,
            channel=channel,
            at=at or self.clock(),
            use=use,
            project=project,
            namespace=namespace,
            language_of=language_of,
        )

    # -- limits -----------------------------------------------------------------------------

    def admit(
        self, principal: Principal, agreement: Agreement, channel: str, now: float | None = None
    ) -> str | None:
        """Take one request from the key's rate limit and the agreement's quota (``Limits``)."""
        return self.limits.admit(principal.key, agreement, channel, now)

    def release(self, agreement: Agreement, channel: str, period: str) -> None:
        self.limits.release(agreement, channel, period)

    def quotas(self, partner: str, now: float | None = None) -> list[dict[str, Any]]:
        today = self.clock().date().isoformat()
        return self.limits.quotas(self.agreements(partner, active_on=today), now)

    # -- metering ---------------------------------------------------------------------------

    def record(
        self,
        event: str,
        principal: Principal,
        *,
        channel: str,
        project: str,
        articles: int,
        bytes_sent: int,
        status: int,
        agreement: Agreement | None = None,
        snapshot: str | None = None,
        now: datetime | None = None,
    ) -> None:
        """Meter one delivery; the same ``event`` id twice is recorded once."""
        self.metering.record(
            event, partner=principal.partner, key=principal.key, channel=channel,
            project=project, articles=articles, bytes_sent=bytes_sent, status=status,
            agreement=agreement, snapshot=snapshot, now=now,
        )  # fmt: skip

    def usage(
        self, partner: str, *, since: str | None = None, until: str | None = None
    ) -> list[UsageRow]:
        return self.metering.usage(partner, since=since, until=until)

    # -- statements -------------------------------------------------------------------------

    def statement(self, partner: str, period: str) -> Statement:
        """Usage of ``period`` (YYYY-MM) priced by each agreement's fee schedule."""
        self.partner(partner)
        return price(
            partner,
            period,
            self.agreements(partner),
            lambda agreement, first, last: self.repository.usage_by_channel(
                partner, agreement.identifier, first, last
            ),
        )
