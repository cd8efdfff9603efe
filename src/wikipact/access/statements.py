"""Statements: a partner's usage in a month, priced by its agreements' fee schedules.

Pure functions over usage rows: every quantity, price and amount is a ``Decimal`` from the
fee schedule's decimal strings to the rounded total (half up, to the cent), never a float.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal

from wikipact.access.models import Agreement
from wikipact.access.pricing import Statement, StatementLine, money
from wikipact.access.repository import ChannelUsage
from wikipact.errors import ConfigError

_MONTH = re.compile(r"\d{4}-\d{2}")
GB = Decimal(10**9)

# (agreement, first day, last day) -> that agreement's successful usage by channel
UsageOf = Callable[[Agreement, str, str], Sequence[ChannelUsage]]


def month_days(period: str) -> tuple[str, str]:
    """First and last day (YYYY-MM-DD) of ``period`` (YYYY-MM)."""
    if not _MONTH.fullmatch(period) or not 1 <= int(period[5:]) <= 12:
        raise ConfigError(f"period {period!r}: use YYYY-MM")
    year, month = int(period[:4]), int(period[5:])
    last = calendar.monthrange(year, month)[1]
    return date(year, month, 1).isoformat(), date(year, month, last).isoformat()


def price(
    partner: str, period: str, agreements: Sequence[Agreement], usage_of: UsageOf
) -> Statement:
    """The statement of ``partner`` for ``period``: each agreement in force during the month
    priced on its own usage."""
    first, last = month_days(period)
    lines: list[StatementLine] = []
    currency: str | None = None
    requests = sent_total = 0
    for agreement in agreements:
        if agreement.starts > last or (agreement.ends is not None and agreement.ends < first):
            continue
        fees = agreement.fees
        if currency not in (None, fees.currency):
            raise ConfigError(f"partner {partner}'s agreements use several currencies")
        currency = fees.currency
        usage = usage_of(agreement, first, last)
        requests += sum(u.requests for u in usage)
        sent = sum(u.bytes for u in usage)
        sent_total += sent
        lines.extend(_agreement_lines(agreement, usage, sent))
    total = sum((Decimal(line.amount) for line in lines), Decimal(0))
    return Statement(
        partner=partner,
        period=period,
        currency=currency or "USD",
        lines=lines,
        total=money(total),
        requests=requests,
        bytes=sent_total,
    )


def _agreement_lines(
    agreement: Agreement, usage: Sequence[ChannelUsage], sent: int
) -> list[StatementLine]:
    fees = agreement.fees
    lines = []
    flat = Decimal(fees.flat_monthly)
    if flat:
        lines.append(_line(agreement.identifier, "flat_monthly", Decimal(1), flat))
    for row in usage:
        unit = Decimal(fees.per_1000_requests.get(row.channel, "0"))
        if unit:
            quantity = Decimal(row.requests) / 1000
            lines.append(_line(agreement.identifier, f"requests:{row.channel}", quantity, unit))
    per_gb = Decimal(fees.per_gb)
    if per_gb and sent:
        lines.append(_line(agreement.identifier, "bytes", Decimal(sent) / GB, per_gb))
    per_snapshot = Decimal(fees.per_snapshot)
    downloads = sum(u.downloads for u in usage)
    if per_snapshot and downloads:
        lines.append(_line(agreement.identifier, "snapshots", Decimal(downloads), per_snapshot))
    return lines


def _line(agreement: int, item: str, quantity: Decimal, unit_price: Decimal) -> StatementLine:
    return StatementLine(
        agreement=agreement,
        item=item,
        quantity=str(quantity.normalize()) if quantity else "0",
        unit_price=str(unit_price),
        amount=money(quantity * unit_price),
    )
