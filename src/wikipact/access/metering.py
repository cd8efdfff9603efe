"""Metering: one usage event per delivery, and a partner's usage by day, channel and project."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from wikipact.access.models import Agreement, UsageRow
from wikipact.access.repository import AccessRepository, UsageEvent
from wikipact.model.instants import format_instant


class Metering:
    def __init__(self, repository: AccessRepository, clock: Callable[[], datetime]) -> None:
        self.repository = repository
        self.clock = clock

    def record(
        self,
        event: str,
        *,
        partner: str | None,
        key: str,
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
        moment = now or self.clock()
        self.repository.record_usage(
            UsageEvent(
                event=event,
                at=format_instant(moment),
                day=moment.date().isoformat(),
                partner=partner or "",
                agreement=agreement.identifier if agreement else None,
                key=key,
                channel=channel,
                project=project,
                articles=articles,
                bytes=bytes_sent,
                status=status,
                snapshot=snapshot,
            )
        )

    def usage(
        self, partner: str, *, since: str | None = None, until: str | None = None
    ) -> list[UsageRow]:
        """Successful deliveries by day, channel and project (days inclusive, YYYY-MM-DD)."""
        rows = self.repository.usage_by_day(partner, since or "0000-00-00", until or "9999-99-99")
        return [
            UsageRow(day=r[0], channel=r[1], project=r[2], requests=r[3], articles=r[4], bytes=r[5])
            for r in rows
        ]
