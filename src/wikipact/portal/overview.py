"""The partner's overview (``/portal/``): active agreements, quota left this period, and the cost
so far this month. An admin is sent to the admin pages."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from wikipact.portal.guard import Signed, access_of
from wikipact.portal.render import render

router = APIRouter(prefix="/portal")


@router.get("", include_in_schema=False)
def bare() -> Response:
    return RedirectResponse("/portal/", status_code=308)


@router.get("/", include_in_schema=False)
async def overview(request: Request, found: Signed) -> Response:
    if found.is_admin:
        return RedirectResponse("/portal/admin/", status_code=303)
    return await run_in_threadpool(_overview, request, str(found.partner))


def overview_data(access, partner: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """What the overview shows, read from the access layer."""
    now = access.clock()
    today, month = now.date().isoformat(), now.strftime("%Y-%m")
    active = access.agreements(partner, active_on=today)
    quotas: dict[int, list[dict[str, object]]] = {}
    for quota in access.quotas(partner, now.timestamp()):
        quotas.setdefault(int(quota["agreement"]), []).append(quota)
    return {
        "partner": access.partner(partner),
        "agreements": active,
        "quotas": quotas,
        "statement": access.statement(partner, month),
        "month": month,
        "today": today,
        "ended": [a for a in access.agreements(partner) if a not in active],
    }


def _overview(request: Request, partner: str) -> Response:
    return render(request, "overview.html", **overview_data(access_of(request), partner))
