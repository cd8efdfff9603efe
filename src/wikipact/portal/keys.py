"""The partner's API keys (``/portal/keys``): every key with its state and when it was last used;
creating one, rotating one (the old key works on for a grace period the partner picks) and
revoking one. A new key's secret is shown once, on the page that answers the form, and never
again: only its digest is stored (``access.keys``).

The rules are the access layer's (``Access.create_key``, ``rotate_key``, ``revoke_key``, as
the API's ``/v2/keys`` routes use them): the portal checks the form's fields first only to say
which field is wrong, next to it. Another partner's key is "not found" (404), exactly as a
missing one. Revoking the key the session was opened with ends the session at the next page
(the guard reads the key on every request).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from wikipact.access import Access
from wikipact.access.models import CHANNELS, ApiKey, plain_text
from wikipact.errors import ConfigError, NotFoundError
from wikipact.model.instants import normalize_instant, stored_instant
from wikipact.portal.guard import PartnerSession, access_of
from wikipact.portal.render import instant, render
from wikipact.portal.session import Session

router = APIRouter(prefix="/portal")

SCOPES = (*CHANNELS, "usage")
LABEL_MAX = 200  # as the admin API's NewKey
# the grace periods the rotate form offers: value -> (seconds, what the option says)
GRACES: dict[str, tuple[int, str]] = {
    "none": (0, "none: it stops at once"),
    "1h": (3600, "1 hour"),
    "1d": (86400, "1 day"),
    "7d": (7 * 86400, "7 days"),
}
DEFAULT_GRACE = "1d"  # the API's default too
STATUS_BADGES = {"active": "good", "expired": "warn", "rotated": "warn", "revoked": "bad"}


@dataclass(frozen=True)
class KeyRow:
    """One key as the list shows it."""

    key: ApiKey
    status: str  # active, expired, rotated or revoked
    note: str  # what the status means for this key ("works until ...")
    works: bool  # it authenticates now (active, or rotated and in its grace period)
    last_used: str | None
    is_session: bool  # the key this session was opened with

    @property
    def scopes(self) -> str:
        if set(self.key.scopes) >= set(SCOPES):
            return "every channel, usage"
        return ", ".join(self.key.scopes)

    @property
    def badge(self) -> str:
        return STATUS_BADGES[self.status]

    @property
    def can_rotate(self) -> bool:
        return self.status == "active"

    @property
    def can_revoke(self) -> bool:
        """Active, or rotated and still in its grace period (revoking ends the grace)."""
        return self.works


def key_status(key: ApiKey, now: datetime) -> tuple[str, str, bool]:
    """(status, note, whether it works) of a key at ``now``: revoked, expired, rotated (its
    grace period running or over) or active; the same tests as authentication's."""
    if key.revoked_at is not None:
        return "revoked", f"since {instant(key.revoked_at)}", False
    if key.expires_at is not None and now >= stored_instant(key.expires_at):
        return "expired", f"since {instant(key.expires_at)}", False
    if key.rotated_to is not None or key.grace_until is not None:
        replaced = f"replaced by {key.rotated_to}" if key.rotated_to else "replaced"
        if key.grace_until is not None and now < stored_instant(key.grace_until):
            return "rotated", f"works until {instant(key.grace_until)}; {replaced}", True
        return "rotated", f"stopped {instant(key.grace_until)}; {replaced}", False
    return "active", "", True


def key_rows(access: Access, partner: str, session_key: str) -> list[KeyRow]:
    """The partner's keys, newest first, with their state and last use."""
    now = access.clock()
    used = access.keys_last_used(partner)
    rows = []
    for key in reversed(access.keys(partner)):
        status, note, works = key_status(key, now)
        last = used.get(key.identifier)
        rows.append(KeyRow(key, status, note, works, last, key.identifier == session_key))
    return rows


@dataclass
class NewKeyForm:
    """The create form's fields as typed, and what is wrong with them (field -> message)."""

    label: str = ""
    scopes: tuple[str, ...] = ()
    expires: str = ""
    errors: dict[str, str] | None = None


def check_form(form: NewKeyForm, now: datetime) -> tuple[str, tuple[str, ...], str | None]:
    """(label, scopes, expiry in the stored form) of a valid form; otherwise ``form.errors``
    says what is wrong with each field (and ``ConfigError`` is raised)."""
    errors: dict[str, str] = {}
    label = form.label.strip()
    try:
        if not label:
            raise ConfigError("give the key a label, e.g. the service that will use it")
        if len(label) > LABEL_MAX:
            raise ConfigError(f"the label is too long: at most {LABEL_MAX} characters")
        plain_text(label, "the key's label")
    except ConfigError as exc:
        errors["label"] = str(exc)
    unknown = sorted(set(form.scopes) - set(SCOPES))
    if unknown:
        errors["scopes"] = f"unknown scopes {unknown}; choose from {list(SCOPES)}"
    expires: str | None = None
    if form.expires.strip():
        try:
            expires = normalize_instant(form.expires.strip(), what="expiry date")
            if expires is not None and stored_instant(expires) <= now:
                raise ConfigError("the expiry date must be in the future (00:00 UTC that day)")
        except ConfigError as exc:
            errors["expires"] = str(exc)
    if errors:
        form.errors = errors
        raise ConfigError("; ".join(errors.values()))
    return label, tuple(s for s in SCOPES if s in form.scopes), expires


def _list_page(
    request: Request,
    found: Session,
    *,
    form: NewKeyForm | None = None,
    message: str = "",
    status: int = 200,
) -> Response:
    access = access_of(request)
    partner = str(found.partner)
    rows = key_rows(access, partner, found.principal.key)
    return render(
        request,
        "keys.html",
        status=status,
        title="API keys",
        rows=rows,
        form=form or NewKeyForm(),
        scopes=SCOPES,
        graces=GRACES,
        default_grace=DEFAULT_GRACE,
        message=message,
        tomorrow=(access.clock().date() + timedelta(days=1)).isoformat(),
    )


@router.get("/keys", include_in_schema=False)
def keys_page(request: Request, found: PartnerSession, revoked: str = "") -> Response:
    """The list of the partner's keys and the form for a new one; ``?revoked=<id>`` after a
    revocation says so."""
    message = ""
    if revoked:
        try:
            key = access_of(request).key(revoked[:40], str(found.partner))
        except NotFoundError:
            key = None
        if key is not None and key.revoked_at is not None:
            message = f"The key {key.label} ({key.identifier}) is revoked: it no longer works."
    return _list_page(request, found, message=message)


@router.post("/keys", include_in_schema=False)
def create_key(
    request: Request,
    found: PartnerSession,
    label: Annotated[str, Form(max_length=1000)] = "",
    scopes: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies defaults
    expires: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """A new key for the partner: its secret on the page that answers (once), or the form again
    with what is wrong next to each field (422)."""
    access = access_of(request)
    form = NewKeyForm(label=label, scopes=tuple(scopes[: len(SCOPES) + 10]), expires=expires)
    try:
        good_label, good_scopes, expiry = check_form(form, access.clock())
        key, raw = access.create_key(
            str(found.partner), label=good_label, scopes=good_scopes, expires_at=expiry,
            actor=found.principal.key,
        )  # fmt: skip
    except ConfigError as exc:
        if not form.errors:  # the access layer's own refusal of a field we let through
            form.errors = {"form": str(exc)}
        return _list_page(request, found, form=form, status=422)
    return render(
        request, "keys_secret.html", title="New API key", key=key, secret=raw, rotated=None,
        grace="", is_session=False,
    )  # fmt: skip


@router.post("/keys/{identifier}/rotate", include_in_schema=False)
def rotate_key(
    request: Request,
    found: PartnerSession,
    identifier: str,
    grace: Annotated[str, Form(max_length=10)] = DEFAULT_GRACE,
) -> Response:
    """A new key in place of ``identifier`` (same label, scopes and expiry); the old one works
    for the grace period chosen. The new secret is shown once."""
    access = access_of(request)
    partner = str(found.partner)
    old = access.key(identifier[:40], partner)  # NotFoundError: the 404 page
    if grace not in GRACES:
        raise ConfigError(f"grace period {grace!r}: choose one of {list(GRACES)}")
    key, raw = access.rotate_key(
        old.identifier, grace_seconds=GRACES[grace][0], actor=found.principal.key, partner=partner
    )
    rotated = access.key(old.identifier, partner)
    return render(
        request, "keys_secret.html", title="Rotated API key", key=key, secret=raw,
        rotated=rotated, grace=grace, is_session=old.identifier == found.principal.key,
    )  # fmt: skip


@router.post("/keys/{identifier}/revoke", include_in_schema=False)
def revoke_key(request: Request, found: PartnerSession, identifier: str) -> Response:
    """Revoke one of the partner's keys (at once) and go back to the list, which says so."""
    key = access_of(request).revoke_key(
        identifier[:40], actor=found.principal.key, partner=str(found.partner)
    )
    query = urlencode({"revoked": key.identifier})
    return RedirectResponse(f"/portal/keys?{query}", status_code=303)
