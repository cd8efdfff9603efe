"""Rate limits (GCRA per key) and quotas (successful requests per agreement, channel, period).

The arithmetic is here; the repository applies it atomically (``AccessRepository.take``), so a
limit shared by several server processes, or hosts on one database, is exact.
"""

from __future__ import annotations

import calendar
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from wikipact.access.models import Agreement
from wikipact.access.repository import AccessRepository, QuotaRefused, RateRefused
from wikipact.errors import LimitExceeded
from wikipact.model.instants import format_instant


def period_of(kind: str, moment: float) -> tuple[str, float]:
    """The quota period (``day`` or ``month``, UTC) containing ``moment``, and when it ends
    (epoch seconds)."""
    now = datetime.fromtimestamp(moment, UTC)
    if kind == "day":
        start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        return start.date().isoformat(), (start + timedelta(days=1)).timestamp()
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    days = calendar.monthrange(start.year, start.month)[1]
    return start.strftime("%Y-%m"), (start + timedelta(days=days)).timestamp()


class Limits:
    def __init__(self, repository: AccessRepository) -> None:
        self.repository = repository

    def admit(
        self, key: str, agreement: Agreement, channel: str, now: float | None = None
    ) -> str | None:
        """Take one request from the key's rate limit and the agreement's quota on ``channel``,
        or raise ``LimitExceeded`` with the seconds to wait. Returns the quota period taken
        from (to ``release`` if the request then fails), or None when no quota applies."""
        interval = 1.0 / agreement.rate_limit
        tolerance = interval * max(agreement.burst - 1, 0)
        quota = next((q for q in agreement.quotas if q.channel == channel), None)
        moment = time.time() if now is None else now
        period = reset = None
        if quota is not None:
            period, reset = period_of(quota.period, moment)
        try:
            self.repository.take(
                key,
                moment=moment,
                interval=interval,
                tolerance=tolerance,
                quota=None
                if quota is None or period is None
                else (agreement.identifier, channel, period, quota.limit),
            )
        except RateRefused as refused:
            raise LimitExceeded(
                f"rate limit of {agreement.rate_limit:g} requests/s exceeded",
                retry_after=refused.retry_after,
            ) from None
        except QuotaRefused:
            assert quota is not None and reset is not None
            raise LimitExceeded(
                f"the {'daily' if quota.period == 'day' else 'monthly'} quota of "
                f"{quota.limit} {channel} requests is used up",
                retry_after=reset - moment,
            ) from None
        return period

    def release(self, agreement: Agreement, channel: str, period: str) -> None:
        """Give back a quota unit taken by ``admit`` for a request that did not succeed."""
        self.repository.release(agreement.identifier, channel, period)

    def quotas(self, agreements: list[Agreement], now: float | None = None) -> list[dict[str, Any]]:
        """Each quota of ``agreements``: used, remaining, and when it resets."""
        moment = time.time() if now is None else now
        out = []
        for agreement in agreements:
            for quota in agreement.quotas:
                period, reset = period_of(quota.period, moment)
                used = self.repository.quota_used(agreement.identifier, quota.channel, period)
                out.append({
                    "agreement": agreement.identifier, "channel": quota.channel,
                    "period": period, "limit": quota.limit, "used": used,
                    "remaining": max(quota.limit - used, 0),
                    "resets_at": format_instant(datetime.fromtimestamp(reset, UTC)),
                })  # fmt: skip
        return out
