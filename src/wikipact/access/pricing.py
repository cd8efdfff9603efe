"""Statements: a partner's metered usage in a month, priced by its agreements' fee schedules."""

from __future__ import annotations

import csv
import io
from decimal import ROUND_HALF_UP, Decimal

import msgspec


class StatementLine(msgspec.Struct, frozen=True, kw_only=True):
    agreement: int
    item: str  # flat_monthly | requests:<channel> | bytes | snapshots
    quantity: str  # requests, GB or downloads, as a decimal string
    unit_price: str
    amount: str


class Statement(msgspec.Struct, frozen=True, kw_only=True):
    partner: str
    period: str  # YYYY-MM
    currency: str
    lines: list[StatementLine]
    total: str
    requests: int  # metered successful requests in the period (what the lines price)
    bytes: int


CENT = Decimal("0.01")


def money(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def to_csv(statement: Statement) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["partner", "period", "agreement", "item", "quantity", "unit_price", "amount",
                     "currency"])  # fmt: skip
    for line in statement.lines:
        writer.writerow(
            [statement.partner, statement.period, line.agreement, line.item, line.quantity,
             line.unit_price, line.amount, statement.currency]
        )  # fmt: skip
    writer.writerow([statement.partner, statement.period, "", "total", "", "", statement.total,
                     statement.currency])  # fmt: skip
    return out.getvalue()
