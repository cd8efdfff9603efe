"""The admin's reports: usage and revenue across partners for a month (``/portal/admin/usage``,
also as CSV), the audit log (``/portal/admin/audit``) and what the platform has been doing
(``/portal/admin/operations``). Read only; their routes join ``admin.router``.

Usage figures (requests, articles, bytes) are a partner's successful deliveries in the month
(``Access.usage``); amounts are its statement (``Access.statement``), the same as the partner
sees and the API's ``/v2/admin/partners/{id}/statements/{period}`` gives.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from wikipact.access import Access
from wikipact.access.statements import month_days
from wikipact.errors import ConfigError
from wikipact.portal.guard import AdminSession, access_of
from wikipact.portal.render import render
from wikipact.store import operations

router = APIRouter()  # under admin.router's prefix, /portal
log = logging.getLogger("wikipact.portal")
AUDIT_SCAN = 5000  # the newest entries the audit page filters
AUDIT_SHOWN = 200  # of which it shows at most this many
RECENT_RUNS = 20
RECENT_SNAPSHOTS = 50
MONTHS_OFFERED = 24


# -- usage and revenue ----------------------------------------------------------------------


@dataclass
class MonthFigures:
    """One partner's month: successful deliveries and what its statement charges."""

    partner: str
    name: str
    requests: int = 0
    articles: int = 0
    bytes: int = 0
    total: str | None = None  # the statement's total (a decimal string); None: no statement
    currency: str = ""
    problem: str | None = None  # why there is no statement (e.g. agreements in two currencies)


def month_figures(access: Access, partner: str, name: str, period: str) -> MonthFigures:
    """Usage and the statement's total of ``partner`` in ``period`` (YYYY-MM)."""
    first, last = month_days(period)
    figures = MonthFigures(partner, name)
    for row in access.usage(partner, since=first, until=last):
        figures.requests += row.requests
        figures.articles += row.articles
        figures.bytes += row.bytes
    try:
        statement = access.statement(partner, period)
    except ConfigError as exc:
        figures.problem = str(exc)
    else:
        figures.total, figures.currency = statement.total, statement.currency
    return figures


@dataclass
class UsageReport:
    period: str
    rows: list[MonthFigures]
    requests: int = 0
    articles: int = 0
    bytes: int = 0
    totals: dict[str, str] = field(default_factory=dict)  # currency -> total of the month


def usage_report(access: Access, period: str) -> UsageReport:
    """Every partner's figures of ``period`` and their sums (amounts summed per currency)."""
    rows = [month_figures(access, p.identifier, p.name, period) for p in access.partners()]
    report = UsageReport(period, rows)
    sums: dict[str, Decimal] = {}
    for row in rows:
        report.requests += row.requests
        report.articles += row.articles
        report.bytes += row.bytes
        if row.total is not None:
            sums[row.currency] = sums.get(row.currency, Decimal(0)) + Decimal(row.total)
    report.totals = {currency: str(total) for currency, total in sorted(sums.items())}
    return report


CSV_COLUMNS = ("partner", "name", "requests", "articles", "bytes", "amount", "currency")


def usage_csv(report: UsageReport) -> str:
    """The usage page's table as CSV: a line per partner, then the totals: the counts and the
    amount of the first currency, then a line for each other currency's amount."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*CSV_COLUMNS, "period"])
    for row in report.rows:
        writer.writerow([row.partner, row.name, row.requests, row.articles, row.bytes,
                         row.total if row.total is not None else "", row.currency,
                         report.period])  # fmt: skip
    counts = [report.requests, report.articles, report.bytes]
    for n, (currency, total) in enumerate(report.totals.items() or [("", "")]):
        writer.writerow(["total", "", *(counts if n == 0 else ["", "", ""]), total, currency,
                         report.period])  # fmt: skip
    return out.getvalue()


def months(today: date, count: int = MONTHS_OFFERED) -> list[str]:
    """This month and the ``count - 1`` before it, newest first (YYYY-MM)."""
    year, month = today.year, today.month
    found = []
    for _ in range(count):
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return found


def _period(access: Access, period: str | None) -> tuple[str, str | None]:
    """The month asked for (this month when none) and the problem with it."""
    if not period:
        return access.clock().strftime("%Y-%m"), None
    try:
        month_days(period)
    except ConfigError:
        return period, "a month as YYYY-MM, e.g. 2026-03"
    return period, None


Period = Annotated[str | None, Query(max_length=20)]


@router.get("/admin/usage", include_in_schema=False)
def usage_page(request: Request, found: AdminSession, period: Period = None) -> Response:
    access = access_of(request)
    chosen, problem = _period(access, period)
    offered = months(access.clock().date())
    if chosen not in offered and not problem:
        offered = sorted({*offered, chosen}, reverse=True)
    report = None if problem else usage_report(access, chosen)
    return render(
        request, "admin/usage.html", status=400 if problem else 200, title="Usage & revenue",
        period=chosen, months=offered, problem=problem, report=report,
    )  # fmt: skip


@router.get("/admin/usage.csv", include_in_schema=False)
def usage_download(request: Request, found: AdminSession, period: Period = None) -> Response:
    access = access_of(request)
    chosen, problem = _period(access, period)
    if problem:
        raise ConfigError(f"period {chosen!r}: {problem}")
    return Response(
        usage_csv(usage_report(access, chosen)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="wikipact-usage-{chosen}.csv"'},
    )


# -- the audit log --------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""  # exactly
    action: str = ""  # a prefix: "agreement." or "agreement.end"
    object: str = ""  # exactly: "partner:acme", "agreement:4"

    def admits(self, entry: dict[str, Any]) -> bool:
        return (
            (not self.actor or entry["actor"] == self.actor)
            and (not self.action or str(entry["action"]).startswith(self.action))
            and (not self.object or entry["object"] == self.object)
        )

    @property
    def active(self) -> bool:
        return bool(self.actor or self.action or self.object)


def details_text(details: Any) -> str:
    """An entry's details as indented JSON (escaped by the template like any text)."""
    if details is None:
        return ""
    return json.dumps(details, indent=2, ensure_ascii=False, sort_keys=True, default=str)


def audit_view(access: Access, chosen: AuditFilter) -> dict[str, Any]:
    """The newest entries that pass ``chosen`` (of the newest ``AUDIT_SCAN``), with the actors
    and actions seen, for the filter form."""
    scanned = access.audit_log(AUDIT_SCAN)
    matching = [e for e in scanned if chosen.admits(e)]
    entries = [
        {**e, "text": details_text(e["details"]),
         "short": len(json.dumps(e["details"], default=str)) <= 80}
        for e in matching[:AUDIT_SHOWN]
    ]  # fmt: skip
    actors = sorted({str(e["actor"]) for e in scanned} | ({chosen.actor} - {""}))
    return {
        "entries": entries,
        "matching": len(matching),
        "scanned": len(scanned),
        "full_scan": len(scanned) < AUDIT_SCAN,
        "actors": actors,
        "actions": sorted({str(e["action"]) for e in scanned}),
        "chosen": chosen,
        "shown_limit": AUDIT_SHOWN,
    }


Filter = Annotated[str, Query(max_length=200)]


@router.get("/admin/audit", include_in_schema=False)
def audit_page(
    request: Request, found: AdminSession, actor: Filter = "", action: Filter = "",
    object: Filter = "",
) -> Response:  # fmt: skip
    chosen = AuditFilter(actor.strip(), action.strip(), object.strip())
    view = audit_view(access_of(request), chosen)
    return render(request, "admin/audit.html", title="Audit log", **view)


# -- operations -----------------------------------------------------------------------------


def feeds(store: Any) -> list[dict[str, Any]] | None:
    """Every change-stream follower saved in the store, as ``/v2/admin/follow`` reports it."""
    from wikipact.follow.follower import status_report

    names = operations.stream_names(store)
    if names is None:
        return None
    reports = []
    for name in names:
        try:
            report = status_report(store, name)
        except (ValueError, TypeError, KeyError) as exc:  # a state this version cannot read
            report = {"stream": name, "problem": str(exc)}
        if report is not None:
            reports.append(report)
    return reports


def snapshots(registry: Any) -> dict[str, Any]:
    """Registered files (any owner; chunks apart): counts and the newest, by kind."""
    try:
        files = registry.list(all_owners=True)
    except operations.DATABASE_ERRORS as exc:
        log.info("operations page: %s", exc)
        return {"recorded": False, "files": [], "counts": {}, "total": 0}
    files.sort(key=lambda s: (s.created_at, s.identifier), reverse=True)
    counts: dict[str, int] = {}
    for s in files:
        counts[s.kind] = counts.get(s.kind, 0) + 1
    return {"recorded": True, "files": files[:RECENT_SNAPSHOTS], "counts": counts,
            "total": len(files)}  # fmt: skip


def operations_view(services: Any) -> dict[str, Any]:
    store = services.store()
    return {
        "ingest": operations.ingest_runs(store, RECENT_RUNS),
        "feeds": feeds(store),
        "index": operations.search_index(store),
        "last_cursor": operations.latest_cursor(store),
        "files": snapshots(services.registry),
    }


@router.get("/admin/operations", include_in_schema=False)
def operations_page(request: Request, found: AdminSession) -> Response:
    view = operations_view(request.app.state.services)
    return render(request, "admin/operations.html", title="Operations", **view)
