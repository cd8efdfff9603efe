"""Statements are priced in Decimal from the fee schedule's strings to the cent (no floats)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from wikipact.access.models import Agreement, Fees
from wikipact.access.repository import ChannelUsage
from wikipact.access.statements import month_days, price
from wikipact.errors import ConfigError


def agreement(identifier: int, fees: Fees, starts: str = "2026-01-01", ends: str | None = None):  # type: ignore[no-untyped-def]
    return Agreement(
        identifier=identifier, partner="acme", name=f"a{identifier}", projects=("*",),
        channels=("on-demand", "snapshots"), starts=starts, ends=ends, fees=fees,
    )  # fmt: skip


FEES = Fees(
    flat_monthly="25000",
    per_1000_requests={"on-demand": "2.50", "snapshots": "0.001"},
    per_gb="0.08",
    per_snapshot="150",
)
USAGE = {
    1: [
        ChannelUsage("on-demand", requests=1_234_567, bytes=123_456_789_012, downloads=0),
        ChannelUsage("snapshots", requests=5, bytes=5_000_000_000, downloads=3),
    ]
}


def usage_of(agreement: Agreement, first: str, last: str) -> list[ChannelUsage]:
    assert (first, last) == ("2026-11-01", "2026-11-30")
    return USAGE.get(agreement.identifier, [])


def test_lines_and_total_to_the_cent() -> None:
    statement = price("acme", "2026-11", [agreement(1, FEES)], usage_of)
    lines = {line.item: (line.quantity, line.unit_price, line.amount) for line in statement.lines}
    assert lines == {
        "flat_monthly": ("1", "25000", "25000.00"),
        "requests:on-demand": ("1234.567", "2.50", "3086.42"),  # 3086.4175
        "requests:snapshots": ("0.005", "0.001", "0.00"),  # 0.000005
        "bytes": ("128.456789012", "0.08", "10.28"),  # 10.27654312096
        "snapshots": ("3", "150", "450.00"),
    }
    assert statement.total == "28546.70"
    assert Decimal(statement.total) == sum(Decimal(a) for _, _, a in lines.values())
    assert (statement.requests, statement.bytes) == (1_234_572, 128_456_789_012)


def test_half_a_cent_rounds_up() -> None:
    fees = Fees(per_1000_requests={"on-demand": "0.001"})
    usage = lambda a, first, last: [ChannelUsage("on-demand", 5_000, 0, 0)]  # noqa: E731
    assert price("acme", "2026-11", [agreement(1, fees)], usage).total == "0.01"  # 0.005


def test_only_agreements_in_force_that_month_are_priced() -> None:
    ended = agreement(1, FEES, starts="2026-01-01", ends="2026-10-31")
    later = agreement(2, FEES, starts="2026-12-01")
    assert price("acme", "2026-11", [ended, later], usage_of).lines == []
    last_day = agreement(3, Fees(flat_monthly="10"), starts="2026-11-30")
    assert price("acme", "2026-11", [last_day], usage_of).total == "10.00"


def test_refusals() -> None:
    with pytest.raises(ConfigError, match="several currencies"):
        price("acme", "2026-11", [agreement(1, FEES), agreement(2, Fees(currency="EUR"))], usage_of)
    for period in ("2026-13", "2026-1", "26-11"):
        with pytest.raises(ConfigError, match="YYYY-MM"):
            month_days(period)
    assert month_days("2028-02") == ("2028-02-01", "2028-02-29")
