"""The partner's usage (``/portal/usage``) and monthly statements (``/portal/statements/...``).

- ``GET /portal/usage?since=YYYY-MM-DD&until=YYYY-MM-DD``: metered usage of a period (this
  month so far by default; quick choices for this month, last month and the last 30 days),
  drawn on the server as inline SVG charts (requests by day and by project, stacked by
  channel) and given again, number for number, in tables (by day and channel, by channel, by
  project, with totals). A date that is not a calendar day, an end before the start or a
  period longer than ``MAX_DAYS`` is shown next to its field (status 422).
- ``GET /portal/usage.csv``: the same rows as ``GET /v2/usage`` (day, channel, project), as CSV.
- The page's ``#statements`` section lists the months that had usage or an agreement in force
  (the current and previous months always), each priced by ``Access.statement``;
  ``GET /portal/statements/YYYY-MM`` shows one, ``.csv`` and ``.json`` download it (the JSON
  is byte for byte what ``GET /v2/statements/{period}`` returns).

The numbers are the access layer's (``Access.usage``, ``Access.statement``): the API's account
routes and this page cannot disagree. Only successful deliveries are metered, by UTC day.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import msgspec
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from wikipact.access.models import CHANNELS, Agreement, UsageRow
from wikipact.access.pricing import Statement, to_csv
from wikipact.api.account import MONTH
from wikipact.errors import ConfigError, NotFoundError
from wikipact.model.instants import parse_day
from wikipact.portal.guard import PartnerSession, access_of
from wikipact.portal.render import number, render

router = APIRouter(prefix="/portal")

MAX_DAYS = 366  # the longest period the page draws (a day's bar stays at least 1.8 px wide)
STATEMENT_MONTHS = 24  # how far back the statements section looks
QUICK = {"this-month": "This month", "last-month": "Last month", "last-30-days": "Last 30 days"}
CSV_HEADER = ("day", "channel", "project", "requests", "articles", "bytes")
_PERIOD = re.compile(MONTH)
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


# -- the period -----------------------------------------------------------------------------


@dataclass
class Period:
    """The days a page shows (inclusive), or the errors of the form that asked for them.

    ``typed`` holds what was asked for (kept in the form when it is refused); ``errors`` maps a
    field (``since``, ``until``) to what is wrong with it."""

    since: date
    until: date
    typed: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def days(self) -> list[date]:
        return [self.since + timedelta(n) for n in range((self.until - self.since).days + 1)]


def quick_period(choice: str, today: date) -> tuple[date, date]:
    """The days of a quick choice (``QUICK``) seen on ``today``."""
    first = today.replace(day=1)
    if choice == "last-month":
        last = first - timedelta(days=1)
        return last.replace(day=1), last
    if choice == "last-30-days":
        return today - timedelta(days=29), today
    return first, today


def read_period(since: str | None, until: str | None, today: date) -> Period:
    """The period asked for by the query's ``since`` and ``until`` (each optional: the start of
    the current month, today), checked: calendar days, in order, at most ``MAX_DAYS``."""
    typed = {"since": (since or "").strip()[:40], "until": (until or "").strip()[:40]}
    errors: dict[str, str] = {}
    chosen: dict[str, date] = {"since": today.replace(day=1), "until": today}
    for name, text in typed.items():
        if text:
            try:
                chosen[name] = parse_day(text, what="The date")
            except ConfigError as exc:
                errors[name] = str(exc)
    period = Period(chosen["since"], chosen["until"], typed, errors)
    if not errors:
        if period.since > period.until:
            errors["until"] = f"The end ({period.until}) is before the start ({period.since})."
        elif len(period.days) > MAX_DAYS:
            errors["since"] = f"Choose at most {MAX_DAYS} days (this is {len(period.days)})."
    return period


# -- the numbers ----------------------------------------------------------------------------


@dataclass
class Totals:
    """Requests, articles and bytes summed over usage rows."""

    requests: int = 0
    articles: int = 0
    bytes: int = 0

    def add(self, row: UsageRow) -> None:
        self.requests += row.requests
        self.articles += row.articles
        self.bytes += row.bytes


def channel_order(channels: Iterable[str]) -> list[str]:
    """Channels in the access layer's order (``CHANNELS``), any other after them by name."""
    known = {c: n for n, c in enumerate(CHANNELS)}
    return sorted(set(channels), key=lambda c: (known.get(c, len(known)), c))


def channel_class(channel: str) -> str:
    """The CSS class of a channel's colour: the same on every chart and legend."""
    return f"ch-{CHANNELS.index(channel) if channel in CHANNELS else len(CHANNELS)}"


def _grouped(rows: Iterable[UsageRow], key: Any) -> dict[Any, Totals]:
    groups: dict[Any, Totals] = {}
    for row in rows:
        groups.setdefault(key(row), Totals()).add(row)
    return groups


@dataclass
class Summary:
    """A period's usage rows and their sums: by day and channel, by channel, by project."""

    rows: list[UsageRow]
    channels: list[str]
    by_day_channel: list[tuple[str, str, Totals]]
    by_channel: list[tuple[str, Totals]]
    by_project: list[tuple[str, Totals]]
    total: Totals


def summarize(rows: Sequence[UsageRow]) -> Summary:
    """The sums the page's tables and charts show (rows as ``Access.usage`` gives them)."""
    channels = channel_order(r.channel for r in rows)
    rank = {c: n for n, c in enumerate(channels)}
    by_day = _grouped(rows, lambda r: (r.day, r.channel))
    by_channel = _grouped(rows, lambda r: r.channel)
    by_project = _grouped(rows, lambda r: r.project)
    total = Totals()
    for row in rows:
        total.add(row)
    return Summary(
        rows=list(rows),
        channels=channels,
        by_day_channel=[
            (d, c, t)
            for (d, c), t in sorted(by_day.items(), key=lambda i: (i[0][0], rank[i[0][1]]))
        ],
        by_channel=[(c, by_channel[c]) for c in channels],
        by_project=sorted(by_project.items(), key=lambda i: (-i[1].requests, i[0])),
        total=total,
    )


# -- the charts (SVG drawn by the template from these shapes) --------------------------------


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    label: str  # the tooltip (an SVG <title>)


@dataclass(frozen=True)
class Tick:
    at: float
    label: str


@dataclass
class Chart:
    """A bar chart's geometry in SVG user units: bars, axis ticks, plot edges."""

    width: int
    height: int
    left: float
    right: float
    top: float
    bottom: float
    bars: list[Bar] = field(default_factory=list)
    value_ticks: list[Tick] = field(default_factory=list)  # gridlines with labels
    category_ticks: list[Tick] = field(default_factory=list)  # days or projects
    values: list[Tick] = field(default_factory=list)  # a figure at the end of a bar


def _r(value: float) -> float:
    return round(value, 2)


def nice_step(largest: int, ticks: int = 4) -> int:
    """A round step (1, 2 or 5 times a power of ten) giving about ``ticks`` gridlines up to
    ``largest``."""
    rough = max(largest, 1) / ticks
    power = 10 ** max(0, math.floor(math.log10(rough))) if rough >= 1 else 1
    return next(int(m * power) for m in (1, 2, 5, 10) if m * power >= rough)


def compact(value: int) -> str:
    """An axis label: 950, 12k, 3.5M."""
    if value < 10_000:
        return number(value)
    if value < 1_000_000:
        return f"{value / 1000:.0f}k"
    return f"{value / 1_000_000:.1f}".rstrip("0").rstrip(".") + "M"


def day_chart(summary: Summary, days: Sequence[date]) -> Chart:
    """Requests by day, each day's bar stacked by channel (a day without usage: no bar)."""
    chart = Chart(width=880, height=270, left=56, right=856, top=12, bottom=230)
    stacks: dict[str, list[tuple[str, int]]] = {}
    for day, channel, totals in summary.by_day_channel:
        stacks.setdefault(day, []).append((channel, totals.requests))
    largest = max((sum(n for _, n in s) for s in stacks.values()), default=0)
    step = nice_step(largest)
    top_value = step * max(1, math.ceil(largest / step))
    plot = chart.bottom - chart.top
    band = (chart.right - chart.left) / max(1, len(days))
    chart.value_ticks = [
        Tick(_r(chart.bottom - plot * v / top_value), compact(v))
        for v in range(0, top_value + 1, step)
    ]
    every = max(1, math.ceil(len(days) / 12))
    for n, day in enumerate(days):
        x = chart.left + n * band
        if n % every == 0:
            chart.category_ticks.append(Tick(_r(x + band / 2), f"{day.day} {day:%b}"))
        base = chart.bottom
        for channel, requests in stacks.get(day.isoformat(), []):
            height = plot * requests / top_value
            base -= height
            label = f"{day.isoformat()}, {channel}: {number(requests)} requests"
            chart.bars.append(
                Bar(_r(x + band * 0.15), _r(base), _r(band * 0.7), _r(height),
                    channel_class(channel), label)
            )  # fmt: skip
    return chart


def project_chart(summary: Summary) -> Chart:
    """Requests by project: one horizontal bar each, stacked by channel, its total beside it."""
    row = 28
    projects = summary.by_project
    height = 12 + row * max(1, len(projects)) + 24
    chart = Chart(width=880, height=height, left=140, right=800, top=12, bottom=height - 24)
    per_channel = _grouped(summary.rows, lambda r: (r.project, r.channel))
    largest = max((t.requests for _, t in projects), default=0)
    step = nice_step(largest)
    top_value = step * max(1, math.ceil(largest / step))
    span = chart.right - chart.left
    chart.value_ticks = [
        Tick(_r(chart.left + span * v / top_value), compact(v))
        for v in range(0, top_value + 1, step)
    ]
    for n, (project, totals) in enumerate(projects):
        y = chart.top + n * row
        chart.category_ticks.append(Tick(_r(y + row / 2), project))
        x = chart.left
        for channel in summary.channels:
            part = per_channel.get((project, channel))
            if part is None or not part.requests:
                continue
            width = span * part.requests / top_value
            label = f"{project}, {channel}: {number(part.requests)} requests"
            chart.bars.append(
                Bar(_r(x), _r(y + row * 0.15), _r(width), _r(row * 0.7),
                    channel_class(channel), label)
            )  # fmt: skip
            x += width
        chart.values.append(Tick(_r(y + row / 2), number(totals.requests)))
    return chart


# -- statements -----------------------------------------------------------------------------


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _months_back(today: date, count: int) -> list[str]:
    months, first = [], today.replace(day=1)
    for _ in range(count):
        months.append(_month(first))
        first = (first - timedelta(days=1)).replace(day=1)
    return months


def statement_months(
    agreements: Sequence[Agreement], usage: Iterable[UsageRow], today: date
) -> list[str]:
    """The months (newest first, at most ``STATEMENT_MONTHS`` back) with usage or an agreement
    in force; the current and the previous month always."""
    window = _months_back(today, STATEMENT_MONTHS)
    wanted = set(window[:2])
    for agreement in agreements:
        first = agreement.starts[:7] or window[-1]
        last = (agreement.ends or today.isoformat())[:7]
        wanted.update(m for m in window if first <= m <= last)
    wanted.update(row.day[:7] for row in usage)
    return [m for m in window if m in wanted]


def month_name(period: str) -> str:
    """``2026-12`` as ``December 2026``."""
    return f"{date(int(period[:4]), int(period[5:7]), 1):%B %Y}"


ITEMS = {"flat_monthly": "Monthly fee", "bytes": "Data delivered (GB)"}


def item_name(item: str) -> str:
    """A statement line's item, in words."""
    if item.startswith("requests:"):
        return f"{item.split(':', 1)[1]} requests (thousands)"
    if item == "snapshots":
        return "Snapshot and dataset downloads"
    return ITEMS.get(item, item)


def _statement_period(text: str, today: date) -> str:
    """``text`` when it names a month that has begun (``YYYY-MM``); else ``NotFoundError``, as for
    any statement that does not exist."""
    if not _PERIOD.fullmatch(text) or text > _month(today):
        raise NotFoundError(f"no statement for {text[:20]!r}")
    return text


def _filename(*parts: str) -> str:
    return "-".join(_SAFE.sub("_", p) for p in ("wikipact", *parts))


# -- routes ---------------------------------------------------------------------------------


@router.get("/usage", include_in_schema=False)
def usage_page(
    request: Request,
    found: PartnerSession,
    since: str | None = None,
    until: str | None = None,
    quick: str | None = None,
) -> Response:
    """The usage page of a period, or its form with the errors (422)."""
    access = access_of(request)
    today = access.clock().date()
    if quick in QUICK:
        first, last = quick_period(quick, today)
        return RedirectResponse(f"/portal/usage?since={first}&until={last}", status_code=303)
    period = read_period(since, until, today)
    return _usage_page(request, str(found.partner), period, today)


@router.get("/usage.csv", include_in_schema=False)
def usage_csv(
    request: Request, found: PartnerSession, since: str | None = None, until: str | None = None
) -> Response:
    """The period's rows (day, channel, project) as CSV; a refused period gets the page (422)."""
    access = access_of(request)
    today = access.clock().date()
    partner = str(found.partner)
    period = read_period(since, until, today)
    if period.errors:
        return _usage_page(request, partner, period, today)
    rows = access.usage(partner, since=period.since.isoformat(), until=period.until.isoformat())
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    writer.writerows([r.day, r.channel, r.project, r.requests, r.articles, r.bytes] for r in rows)
    name = _filename("usage", partner, str(period.since), "to", str(period.until)) + ".csv"
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/statements/{name}", include_in_schema=False)
def statement(request: Request, found: PartnerSession, name: str) -> Response:
    """One month's statement: ``YYYY-MM`` (a page), ``YYYY-MM.csv`` or ``YYYY-MM.json`` (files;
    the JSON exactly as the API's ``GET /v2/statements/{period}``). A malformed month, or one
    that has not begun, is not found (404)."""
    access = access_of(request)
    partner = str(found.partner)
    stem, dot, kind = name.partition(".")
    if dot and kind not in ("csv", "json"):
        raise NotFoundError(f"no statement for {name[:20]!r}")
    period = _statement_period(stem, access.clock().date())
    priced: Statement = access.statement(partner, period)
    filename = _filename("statement", partner, period)
    if kind == "json":
        return Response(
            msgspec.json.encode(priced),
            media_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="{filename}.json"'},
        )
    if kind == "csv":
        return Response(
            to_csv(priced),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
        )
    agreements = {a.identifier: a for a in access.agreements(partner)}
    return render(
        request,
        "statement.html",
        title=f"Statement for {month_name(period)}",
        statement=priced,
        month=month_name(period),
        agreements=agreements,
        item_name=item_name,
    )


def _usage_page(request: Request, partner: str, period: Period, today: date) -> Response:
    access = access_of(request)
    context: dict[str, Any] = {"period": period, "quick": QUICK, "summary": None}
    if not period.errors:
        rows = access.usage(partner, since=period.since.isoformat(), until=period.until.isoformat())
        summary = summarize(rows)
        context.update(
            summary=summary,
            day_chart=day_chart(summary, period.days),
            project_chart=project_chart(summary),
            legend=[(c, channel_class(c)) for c in summary.channels],
            peak=max(
                _grouped(rows, lambda r: r.day).items(),
                key=lambda i: (i[1].requests, i[0]),
                default=None,
            ),
        )
    agreements = access.agreements(partner)
    earliest = _months_back(today, STATEMENT_MONTHS)[-1] + "-01"
    months = statement_months(agreements, access.usage(partner, since=earliest), today)
    context["statements"] = [(m, month_name(m), access.statement(partner, m)) for m in months]
    return render(
        request,
        "usage.html",
        status=422 if period.errors else 200,
        title="Usage",
        partner=access.partner(partner),
        **context,
    )
