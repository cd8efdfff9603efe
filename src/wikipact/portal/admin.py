"""The admin's pages (an admin key; ``AdminSession``): partners and their agreements.

- ``/portal/admin/``: every partner at a glance (agreements in force, keys, this month's usage
  and cost) and the form for a new partner;
- ``/portal/admin/partners/{id}``: a partner's agreements (all of their terms; in force, ended
  or to come), keys, and the form for a new agreement; each agreement can be edited
  (``/portal/admin/agreements/{n}/edit``) or ended (``.../end``);
- ``/portal/admin/partners/{id}/statements/{period}.json``: a statement, as the API gives it.

Every change goes through the access layer (``Access``), which checks it and writes it to the
audit log with the admin key as the actor. Forms read by ``admin_forms``; the usage, audit and
operations pages are ``admin_reports``' (their routes are included here).

Keys are listed, not made: an admin makes them with ``wikipact keys create`` or ``POST
/v2/admin/partners/{id}/keys`` (a partner makes its own on its keys page).
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from wikipact.access import Access
from wikipact.access.models import CHANNELS, PERIODS, USES, Agreement, ApiKey
from wikipact.access.statements import month_days
from wikipact.errors import ConfigError
from wikipact.model.instants import format_instant
from wikipact.portal import admin_forms as forms
from wikipact.portal import admin_reports
from wikipact.portal.guard import AdminSession, access_of
from wikipact.portal.render import render
from wikipact.portal.session import Session

router = APIRouter(prefix="/portal")
router.include_router(admin_reports.router)

PartnerId = Annotated[str, Path(max_length=100)]
AgreementId = Annotated[int, Path(ge=1, le=2**62)]
DONE = {  # what a redirect after a change says on the next page (a fixed text, never echoed)
    "partner-added": "The partner was added. Make its first agreement below.",
    "agreement-added": "The agreement was added.",
    "agreement-edited": "The agreement's terms were saved.",
    "agreement-unchanged": "Nothing was changed.",
    "agreement-ended": "The agreement was ended.",
}
CHOICES = {"channels": CHANNELS, "uses": USES, "periods": PERIODS}


async def _form(request: Request) -> FormData:
    return await request.form()  # read (and cached) by the CSRF check already


def _done(request: Request) -> str:
    return DONE.get(request.query_params.get("done", ""), "")


# -- partners -------------------------------------------------------------------------------


def key_state(key: ApiKey, now: str) -> str:
    """active, revoked, expired or rotated (still valid during its grace)."""
    if key.revoked_at:
        return "revoked"
    if key.expires_at and key.expires_at <= now:
        return "expired"
    if key.rotated_to:
        return "rotated" if key.grace_until and key.grace_until > now else "expired"
    return "active"


def agreement_state(agreement: Agreement, today: str) -> str:
    """active (in force today), future (starts later) or ended."""
    if agreement.active_on(today):
        return "active"
    return "future" if agreement.starts > today else "ended"


def partners_view(access: Access) -> dict[str, Any]:
    """Every partner's row on the admin's first page."""
    now = access.clock()
    today, stamp, month = now.date().isoformat(), format_instant(now), now.strftime("%Y-%m")
    rows = []
    for partner in access.partners():
        keys = access.keys(partner.identifier)
        rows.append({
            "partner": partner,
            "active": len(access.agreements(partner.identifier, active_on=today)),
            "agreements": len(access.agreements(partner.identifier)),
            "working_keys": sum(key_state(k, stamp) in ("active", "rotated") for k in keys),
            "all_keys": len(keys),
            "month": admin_reports.month_figures(access, partner.identifier, partner.name, month),
        })  # fmt: skip
    return {"rows": rows, "month": month}


def _partners_page(
    request: Request, *, values: dict[str, Any] | None = None,
    problems: dict[str, str] | None = None, status: int = 200,
) -> Response:  # fmt: skip
    return render(
        request, "admin/partners.html", status=status, title="Partners",
        values=values or forms.new_partner_values(), problems=problems or {},
        **partners_view(access_of(request)),
    )  # fmt: skip


@router.get("/admin", include_in_schema=False)
def admin_bare() -> Response:
    return RedirectResponse("/portal/admin/", status_code=308)


@router.get("/admin/", include_in_schema=False)
def partners_page(request: Request, found: AdminSession) -> Response:
    return _partners_page(request)


@router.post("/admin/partners", include_in_schema=False)
async def add_partner(request: Request, found: AdminSession) -> Response:
    values, problems = forms.read_partner(await _form(request))
    return await run_in_threadpool(_add_partner, request, found, values, problems)


def _add_partner(
    request: Request, found: Session, values: dict[str, Any], problems: dict[str, str]
) -> Response:
    if not problems:
        try:
            access_of(request).add_partner(
                values["identifier"], values["name"], values["contact"], actor=found.principal.key
            )
        except ConfigError as exc:
            problems = forms.partner_problems(str(exc))
    if problems:
        return _partners_page(request, values=values, problems=problems, status=422)
    return RedirectResponse(
        f"/portal/admin/partners/{values['identifier']}?done=partner-added", status_code=303
    )


# -- a partner and its agreements -----------------------------------------------------------


def partner_view(access: Access, partner: str) -> dict[str, Any]:
    """A partner, its agreements (with their state) and keys (``NotFoundError`` if missing)."""
    now = access.clock()
    today, stamp = now.date().isoformat(), format_instant(now)
    found = access.partner(partner)
    agreements = sorted(access.agreements(partner), key=lambda a: a.identifier, reverse=True)
    keys = access.keys(partner)
    return {
        "partner": found,
        "today": today,
        "agreements": [(a, agreement_state(a, today)) for a in agreements],
        "keys": [(k, key_state(k, stamp)) for k in keys],
        "month": now.strftime("%Y-%m"),
    }


def _partner_page(
    request: Request, partner: str, *, values: dict[str, Any] | None = None,
    problems: dict[str, str] | None = None, ending: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:  # fmt: skip
    access = access_of(request)
    view = partner_view(access, partner)
    values = values or forms.new_agreement_values(view["today"])
    return render(
        request, "admin/partner.html", status=status, title=view["partner"].name,
        values=values, quota_rows=forms.quota_rows(values), problems=problems or {},
        ending=ending or {}, done=_done(request), choices=CHOICES, **view,
    )  # fmt: skip


@router.get("/admin/partners/{partner}", include_in_schema=False)
def partner_page(request: Request, found: AdminSession, partner: PartnerId) -> Response:
    return _partner_page(request, partner)


@router.post("/admin/partners/{partner}/agreements", include_in_schema=False)
async def add_agreement(request: Request, found: AdminSession, partner: PartnerId) -> Response:
    form = await _form(request)
    return await run_in_threadpool(_add_agreement, request, found, partner, form)


def _add_agreement(request: Request, found: Session, partner: str, form: FormData) -> Response:
    access = access_of(request)
    access.partner(partner)  # 404 before anything else
    values, terms, problems = forms.read_agreement(form)
    if not problems:
        try:
            agreement = access.add_agreement(partner, actor=found.principal.key, **terms)
        except ConfigError as exc:
            problems = forms.agreement_problems(str(exc), terms, values["quota_rows_of"])
        else:
            return RedirectResponse(
                f"/portal/admin/partners/{partner}?done=agreement-added"
                f"#agreement-{agreement.identifier}",
                status_code=303,
            )
    return _partner_page(request, partner, values=values, problems=problems, status=422)


def _edit_page(
    request: Request, agreement: Agreement, values: dict[str, Any],
    problems: dict[str, str] | None = None, status: int = 200,
) -> Response:  # fmt: skip
    access = access_of(request)
    return render(
        request, "admin/agreement_edit.html", status=status,
        title=f"Edit agreement #{agreement.identifier}", agreement=agreement,
        partner=access.partner(agreement.partner), values=values,
        quota_rows=forms.quota_rows(values), problems=problems or {}, choices=CHOICES,
    )  # fmt: skip


@router.get("/admin/agreements/{identifier}/edit", include_in_schema=False)
def edit_form(request: Request, found: AdminSession, identifier: AgreementId) -> Response:
    agreement = access_of(request).agreement(identifier)
    return _edit_page(request, agreement, forms.agreement_values(agreement))


@router.post("/admin/agreements/{identifier}/edit", include_in_schema=False)
async def edit(request: Request, found: AdminSession, identifier: AgreementId) -> Response:
    form = await _form(request)
    return await run_in_threadpool(_edit, request, found, identifier, form)


def _edit(request: Request, found: Session, identifier: int, form: FormData) -> Response:
    access = access_of(request)
    current = access.agreement(identifier)
    values, terms, problems = forms.read_agreement(form, editing=True)
    if not problems:
        try:
            edited = access.edit_agreement(identifier, actor=found.principal.key, **terms)
        except ConfigError as exc:
            problems = forms.agreement_problems(str(exc), terms, values["quota_rows_of"])
        else:
            done = "agreement-unchanged" if edited == current else "agreement-edited"
            return RedirectResponse(
                f"/portal/admin/partners/{current.partner}?done={done}#agreement-{identifier}",
                status_code=303,
            )
    return _edit_page(request, current, values, problems, status=422)


@router.post("/admin/agreements/{identifier}/end", include_in_schema=False)
async def end(request: Request, found: AdminSession, identifier: AgreementId) -> Response:
    form = await _form(request)
    return await run_in_threadpool(_end, request, found, identifier, form)


def _end(request: Request, found: Session, identifier: int, form: FormData) -> Response:
    access = access_of(request)
    current = access.agreement(identifier)
    typed, ends, problem = forms.read_end(form)
    if problem is None:
        try:
            access.end_agreement(identifier, ends, actor=found.principal.key)
        except ConfigError as exc:
            problem = str(exc)
        else:
            return RedirectResponse(
                f"/portal/admin/partners/{current.partner}?done=agreement-ended"
                f"#agreement-{identifier}",
                status_code=303,
            )
    ending = {"agreement": identifier, "typed": typed, "problem": problem}
    return _partner_page(request, current.partner, ending=ending, status=422)


# -- statements -----------------------------------------------------------------------------


@router.get("/admin/partners/{partner}/statements/{period}.json", include_in_schema=False)
def statement_json(
    request: Request, found: AdminSession, partner: PartnerId,
    period: Annotated[str, Path(max_length=7)],
) -> Response:  # fmt: skip
    """A partner's statement of a month, exactly as ``GET /v2/admin/partners/{id}/statements/
    {period}`` gives it."""
    month_days(period)  # 400 for a malformed month
    statement = access_of(request).statement(partner, period)
    return Response(msgspec.json.encode(statement), media_type="application/json")
