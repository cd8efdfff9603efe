"""Partners and their agreements: created, listed, ended; every change audited."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec

from wikipact.access.models import (
    CHANNELS,
    PERIODS,
    USES,
    Agreement,
    Fees,
    Partner,
    Quota,
    plain_text,
)
from wikipact.access.repository import AccessRepository, AuditEntry
from wikipact.errors import ConfigError, NotFoundError
from wikipact.model.instants import format_instant, parse_day

AGREEMENT_CACHE_SECONDS = 1.0
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


class Accounts:
    def __init__(self, repository: AccessRepository, clock: Callable[[], datetime]) -> None:
        self.repository = repository
        self.clock = clock
        self._cache: dict[str, tuple[float, list[Agreement]]] = {}

    def _stamp(self) -> str:
        return format_instant(self.clock())

    # -- partners ---------------------------------------------------------------------------

    def add_partner(self, identifier: str, name: str, contact: str = "", *, actor: str) -> Partner:
        if not _SLUG.fullmatch(identifier):
            raise ConfigError(
                f"partner id {identifier!r}: use lowercase letters, digits and '-' (e.g. acme-ai)"
            )
        partner = Partner(
            identifier=identifier,
            name=plain_text(name, "the partner's name"),
            contact=plain_text(contact, "the partner's contact"),
            created_at=self._stamp(),
        )
        audit = AuditEntry(
            partner.created_at, actor, "partner.add", f"partner:{identifier}",
            msgspec.to_builtins(partner),
        )  # fmt: skip
        if not self.repository.insert_partner(partner, audit):
            raise ConfigError(f"partner {identifier!r} exists already")
        return partner

    def partners(self) -> list[Partner]:
        return self.repository.partners()

    def partner(self, identifier: str) -> Partner:
        for partner in self.partners():
            if partner.identifier == identifier:
                return partner
        raise NotFoundError(f"no partner {identifier!r}; `wikipact partners list` shows them")

    # -- agreements -------------------------------------------------------------------------

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
        self.partner(partner)
        starts = starts or self.clock().date().isoformat()
        check_agreement(
            projects, channels, uses, namespaces, quotas, rate_limit, burst, starts, ends, fees
        )
        draft = Agreement(
            identifier=0,
            partner=partner,
            name=plain_text(name, "the agreement's name"),
            projects=tuple(projects),
            languages=tuple(languages),
            namespaces=tuple(sorted(set(namespaces))),
            uses=tuple(uses),
            channels=tuple(channels),
            quotas=tuple(quotas),
            rate_limit=rate_limit,
            burst=burst,
            starts=starts,
            ends=ends,
            fees=fees or Fees(),
            created_at=self._stamp(),
        )
        audit = AuditEntry(draft.created_at, actor, "agreement.add", "agreement", None)
        agreement = self.repository.insert_agreement(draft, audit)
        self._cache.pop(partner, None)
        return agreement

    def agreements(
        self, partner: str | None = None, *, active_on: str | None = None
    ) -> list[Agreement]:
        found = self.repository.agreements() if partner is None else self._cached(partner)
        if active_on is not None:
            found = [a for a in found if a.active_on(active_on)]
        return found

    def _cached(self, partner: str) -> list[Agreement]:
        """A partner's agreements, cached for ``AGREEMENT_CACHE_SECONDS`` per server process.

        Every request needs them (entitlement, rate limit); a change made by an admin reaches
        every server process within that time.
        """
        now = time.monotonic()
        cached = self._cache.get(partner)
        if cached is not None and now - cached[0] < AGREEMENT_CACHE_SECONDS:
            return cached[1]
        found = self.repository.agreements(partner)
        self._cache[partner] = (now, found)
        return found

    def agreement(self, identifier: int, partner: str | None = None) -> Agreement:
        for agreement in self.agreements(partner):
            if agreement.identifier == identifier:
                return agreement
        raise NotFoundError(f"no agreement {identifier}")

    def end_agreement(self, identifier: int, ends: str | None = None, *, actor: str) -> Agreement:
        current = self.agreement(identifier)
        today = self.clock().date().isoformat()
        ends = parse_day(ends, what="end date").isoformat() if ends else today
        if ends < current.starts:
            raise ConfigError(f"end date {ends}: not before the start, {current.starts}")
        ended = msgspec.structs.replace(current, ends=ends, ended_at=self._stamp())
        audit = AuditEntry(
            self._stamp(), actor, "agreement.end", f"agreement:{identifier}", {"ends": ends}
        )
        self.repository.update_agreement(ended, audit)
        self._cache.pop(current.partner, None)
        return ended

    def edit_agreement(self, identifier: int, *, actor: str, **terms: Any) -> Agreement:
        """Agreement ``identifier`` with new ``terms`` (keywords of ``add_agreement`` but the
        partner), checked as a new agreement's are (``ConfigError`` naming every problem).
        Its partner, identifier, creation and ending stay. Audited as ``agreement.edit`` with
        each changed term's value before and after; nothing changed, nothing is written."""
        editable = {"name", "projects", "channels", "uses", "languages", "namespaces", "quotas",
                    "rate_limit", "burst", "starts", "ends", "fees"}  # fmt: skip
        if set(terms) - editable:
            raise TypeError(f"not terms of an agreement: {sorted(set(terms) - editable)}")
        current = self.agreement(identifier)
        for name in ("projects", "channels", "uses", "languages", "quotas"):
            if name in terms:
                terms[name] = tuple(terms[name])
        if "namespaces" in terms:
            terms["namespaces"] = tuple(sorted(set(terms["namespaces"])))
        if "name" in terms:
            terms["name"] = plain_text(terms["name"], "the agreement's name")
        if terms.get("fees", current.fees) is None:
            terms["fees"] = Fees()
        if not terms.get("starts", current.starts):
            terms["starts"] = current.starts
        edited = msgspec.structs.replace(current, **terms)
        check_agreement(
            edited.projects, edited.channels, edited.uses, edited.namespaces, edited.quotas,
            edited.rate_limit, edited.burst, edited.starts, edited.ends, edited.fees,
        )  # fmt: skip
        before, after = msgspec.to_builtins(current), msgspec.to_builtins(edited)
        changes = {k: {"from": before[k], "to": v} for k, v in after.items() if before[k] != v}
        if not changes:
            return current
        stamp = self._stamp()
        audit = AuditEntry(stamp, actor, "agreement.edit", f"agreement:{identifier}", changes)
        self.repository.update_agreement(edited, audit)
        self._cache.pop(current.partner, None)  # seen at once by this process
        return edited


def check_agreement(
    projects: Sequence[str],
    channels: Sequence[str],
    uses: Sequence[str],
    namespaces: Sequence[int],
    quotas: Sequence[Quota],
    rate_limit: float,
    burst: int,
    starts: str,
    ends: str | None,
    fees: Fees | None,
) -> None:
    """Every problem of an agreement's terms at once, as one ``ConfigError``."""
    problems = []
    if not projects:
        problems.append("projects: at least one (or '*')")
    if not channels or set(channels) - set(CHANNELS):
        problems.append(f"channels: choose from {list(CHANNELS)}")
    if set(uses) - set(USES):
        problems.append(f"uses: choose from {list(USES)}")
    if any(n < 0 for n in namespaces):
        problems.append("namespaces: numbers of content namespaces, 0 or more")
    for quota in quotas:
        if quota.channel not in CHANNELS or quota.period not in PERIODS or quota.limit < 0:
            problems.append(f"quota {quota}: channel in {list(CHANNELS)}, period day|month")
    if rate_limit <= 0 or burst < 1:
        problems.append("rate_limit must be > 0 and burst >= 1")
    try:
        first = parse_day(starts, what="starts")
        if ends is not None and parse_day(ends, what="ends") < first:
            problems.append("ends: not before starts")
    except ConfigError as exc:
        problems.append(str(exc))
    if fees is not None:
        try:
            amounts = [fees.flat_monthly, fees.per_gb, fees.per_snapshot,
                       *fees.per_1000_requests.values()]  # fmt: skip
            if any(Decimal(a) < 0 for a in amounts):
                problems.append("fees: amounts must be >= 0")
        except ArithmeticError:
            problems.append("fees: amounts are decimal strings such as '12.50'")
    if problems:
        raise ConfigError("agreement: " + "; ".join(problems))
