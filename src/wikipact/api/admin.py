"""Admin routes (admin keys only): partners, agreements, keys, statements and the audit log."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from wikipact.access.models import Fees, Quota
from wikipact.api.context import Admin, services

router = APIRouter(prefix="/v2/admin", tags=["admin"])
SLUG = Annotated[str, Path(max_length=63, pattern=r"^[a-z0-9][a-z0-9-]*$")]


def _json(data: Any, status: int = 200) -> Response:
    return Response(msgspec.json.encode(data), status_code=status, media_type="application/json")


class NewPartner(BaseModel):
    identifier: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    name: str = Field(min_length=1, max_length=200)
    contact: str = Field(default="", max_length=200)


class NewQuota(BaseModel):
    channel: str
    period: str
    limit: int = Field(ge=0)


class NewFees(BaseModel):
    currency: str = Field(default="USD", max_length=3)
    flat_monthly: str = "0"
    per_1000_requests: dict[str, str] = Field(default_factory=dict)
    per_gb: str = "0"
    per_snapshot: str = "0"


class NewAgreement(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    projects: list[str] = Field(min_length=1, max_length=1000)
    channels: list[str] = Field(min_length=1, max_length=10)
    uses: list[str] = Field(default_factory=list, max_length=10)
    languages: list[str] = Field(default_factory=list, max_length=1000)
    namespaces: list[int] = Field(default_factory=list, max_length=1000)
    quotas: list[NewQuota] = Field(default_factory=list, max_length=20)
    rate_limit: float = Field(default=10.0, gt=0, le=100_000)
    burst: int = Field(default=20, ge=1, le=100_000)
    starts: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    ends: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    fees: NewFees = Field(default_factory=NewFees)


class NewKey(BaseModel):
    label: str = Field(min_length=1, max_length=200)
    scopes: list[str] = Field(default_factory=list, max_length=10)
    expires_at: str | None = Field(
        default=None,
        max_length=40,
        description="ISO 8601 with Z or an offset (e.g. 2027-01-01T00:00:00Z), or a day",
    )


@router.get("/partners")
def partners(request: Request, principal: Admin) -> Response:
    return _json(services(request).access.partners())


@router.post("/partners", status_code=201)
def add_partner(request: Request, principal: Admin, body: NewPartner) -> Response:
    partner = services(request).access.add_partner(
        body.identifier, body.name, body.contact, actor=principal.key
    )
    return _json(partner, 201)


@router.get("/partners/{partner}/agreements")
def agreements(request: Request, principal: Admin, partner: SLUG) -> Response:
    svc = services(request)
    svc.access.partner(partner)
    return _json(svc.access.agreements(partner))


@router.post("/partners/{partner}/agreements", status_code=201)
def add_agreement(
    request: Request, principal: Admin, partner: SLUG, body: NewAgreement
) -> Response:
    agreement = services(request).access.add_agreement(
        partner,
        name=body.name,
        projects=body.projects,
        channels=body.channels,
        uses=body.uses,
        languages=body.languages,
        namespaces=body.namespaces,
        quotas=[Quota(channel=q.channel, period=q.period, limit=q.limit) for q in body.quotas],
        rate_limit=body.rate_limit,
        burst=body.burst,
        starts=body.starts,
        ends=body.ends,
        fees=msgspec.convert(body.fees.model_dump(), Fees),
        actor=principal.key,
    )
    return _json(agreement, 201)


@router.post("/agreements/{identifier}/end")
def end_agreement(
    request: Request,
    principal: Admin,
    identifier: Annotated[int, Path(ge=1, le=2**62)],
    ends: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
) -> Response:
    return _json(services(request).access.end_agreement(identifier, ends, actor=principal.key))


@router.get("/partners/{partner}/keys")
def partner_keys(request: Request, principal: Admin, partner: SLUG) -> Response:
    svc = services(request)
    svc.access.partner(partner)
    return _json(svc.access.keys(partner))


@router.post("/partners/{partner}/keys", status_code=201)
def create_key(
    request: Request, principal: Admin, partner: SLUG, body: Annotated[NewKey, Body()]
) -> Response:
    key, raw = services(request).access.create_key(
        partner, label=body.label, scopes=body.scopes, expires_at=body.expires_at,
        actor=principal.key,
    )  # fmt: skip
    return _json(
        {"key": key, "secret": raw, "note": "store the secret now: it is never shown again"}, 201
    )


@router.post("/keys/{identifier}/revoke")
def revoke_key(
    request: Request,
    principal: Admin,
    identifier: Annotated[str, Path(max_length=40, pattern=r"^[A-Za-z0-9_]+$")],
) -> Response:
    return _json(services(request).access.revoke_key(identifier, actor=principal.key))


@router.get("/partners/{partner}/statements/{period}")
def partner_statement(
    request: Request,
    principal: Admin,
    partner: SLUG,
    period: Annotated[str, Path(pattern=r"^[1-9]\d{3}-(0[1-9]|1[0-2])$")],
) -> Response:
    return _json(services(request).access.statement(partner, period))


@router.get("/audit")
def audit(
    request: Request, principal: Admin, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> Response:
    return _json(services(request).access.audit_log(limit))


@router.get("/follow")
def follow_status(
    request: Request,
    principal: Admin,
    stream: Annotated[str, Query(max_length=100)] = "mediawiki.page_change.v1",
) -> Response:
    """The change-stream follower's freshness: last event, lag, events per second, counters."""
    from wikipact.follow.follower import status_report

    report = status_report(services(request).store(), stream)
    if report is None:
        return _json({"status": 404, "message": f"{stream} was never followed in this store"}, 404)
    return _json(report)
