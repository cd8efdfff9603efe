"""The admin pages' forms, read and checked: a new partner, an agreement's terms (new or edited)
and an agreement's end date.

Each reader takes the posted form and gives back what was typed (``values``, shown again as it
was when the form comes back), the terms for the access layer, and the problems found, by field
name (shown next to that field). The reading checks shapes (numbers, days, amounts, codes);
the rules of an agreement (a channel that exists, quotas and prices not below zero, the end not
before the start...) stay the access layer's: its ``ConfigError`` is mapped back to the fields
it names (``agreement_problems``)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.datastructures import FormData

from wikipact.access.accounts import check_agreement
from wikipact.access.models import CHANNELS, PERIODS, Agreement, Fees, Quota
from wikipact.errors import ConfigError
from wikipact.model.instants import parse_day

MAX_TEXT = 200
MAX_QUOTAS = 20
BLANK_QUOTA_ROWS = 2  # empty rows offered under the typed ones (more after saving)
MAX_RATE = 100_000  # as the API's admin routes (api/admin.py)
BIG = 10**15  # beyond any quota or namespace (and within a database's integers)
_PROJECT = re.compile(r"\*|[a-z][a-z0-9_]{0,62}")
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{1,8})*")
_CURRENCY = re.compile(r"[A-Z]{3}")
_AMOUNT = re.compile(r"-?\d{1,12}(\.\d{1,6})?")
FEE_FIELDS = ("flat_monthly", "per_gb", "per_snapshot")
TEXT_FIELDS = ("name", "projects", "languages", "namespaces", "rate_limit", "burst", "starts",
               "ends", "currency", *FEE_FIELDS)  # fmt: skip

Values = dict[str, Any]
Problems = dict[str, str]


def _text(form: FormData, name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def _texts(form: FormData, name: str) -> list[str]:
    return [v.strip() for v in form.getlist(name) if isinstance(v, str)]


def _items(text: str) -> list[str]:
    """A comma-separated list (blanks and repeats dropped, order kept)."""
    seen: dict[str, None] = {}
    for item in text.split(","):
        if item.strip():
            seen.setdefault(item.strip(), None)
    return list(seen)


# -- partners --------------------------------------------------------------------------------


def new_partner_values() -> Values:
    return {"identifier": "", "name": "", "contact": ""}


def read_partner(form: FormData) -> tuple[Values, Problems]:
    """A new partner's identifier, name and contact, and what is wrong with them."""
    values = {name: _text(form, name) for name in ("identifier", "name", "contact")}
    problems: Problems = {}
    if not values["identifier"]:
        problems["identifier"] = "an identifier is needed: lowercase letters, digits and '-'"
    if not values["name"]:
        problems["name"] = "a name is needed"
    for name in ("name", "contact"):
        if len(values[name]) > MAX_TEXT:
            problems[name] = f"at most {MAX_TEXT} characters"
    return values, problems


def partner_problems(message: str) -> Problems:
    """The access layer's refusal of a new partner, by field."""
    if message.startswith("partner id") or message.startswith("partner "):
        return {"identifier": message}
    if "partner's name" in message:
        return {"name": message}
    if "partner's contact" in message:
        return {"contact": message}
    return {"form": message}


# -- agreements ------------------------------------------------------------------------------


def new_agreement_values(today: str) -> Values:
    """The new-agreement form, empty but for the access layer's defaults."""
    return {
        "name": "", "projects": "", "languages": "", "namespaces": "", "uses": [],
        "channels": [], "quotas": [], "rate_limit": "10", "burst": "20", "starts": today,
        "ends": "", "currency": "USD", "flat_monthly": "0", "per_1000": {}, "per_gb": "0",
        "per_snapshot": "0",
    }  # fmt: skip


def agreement_values(agreement: Agreement) -> Values:
    """An agreement's terms as its edit form shows them."""
    fees = agreement.fees
    rate = agreement.rate_limit
    return {
        "name": agreement.name,
        "projects": ", ".join(agreement.projects),
        "languages": ", ".join(agreement.languages),
        "namespaces": ", ".join(str(n) for n in agreement.namespaces),
        "uses": list(agreement.uses),
        "channels": list(agreement.channels),
        "quotas": [
            {"channel": q.channel, "period": q.period, "limit": str(q.limit)}
            for q in agreement.quotas
        ],
        "rate_limit": str(int(rate)) if float(rate).is_integer() else str(rate),
        "burst": str(agreement.burst),
        "starts": agreement.starts,
        "ends": agreement.ends or "",
        "currency": fees.currency,
        "flat_monthly": fees.flat_monthly,
        "per_1000": dict(fees.per_1000_requests),
        "per_gb": fees.per_gb,
        "per_snapshot": fees.per_snapshot,
    }


def quota_rows(values: Values) -> list[dict[str, str]]:
    """The quota rows a form shows: those typed, then blank ones to fill in."""
    typed = list(values["quotas"])
    blanks = max(0, min(BLANK_QUOTA_ROWS, MAX_QUOTAS - len(typed)))
    return typed + [{"channel": "", "period": "day", "limit": ""} for _ in range(blanks)]


def read_agreement(form: FormData, *, editing: bool = False) -> tuple[Values, Values, Problems]:
    """An agreement's form: (what was typed, the terms for ``Access.add_agreement`` or
    ``Access.edit_agreement``, the problems by field). The terms are complete only when there
    is no problem."""
    values: Values = {name: _text(form, name) for name in TEXT_FIELDS}
    values["uses"] = [u for u in _texts(form, "uses") if u]
    values["channels"] = [c for c in _texts(form, "channels") if c]
    values["per_1000"] = {c: _text(form, f"per_1000-{c}") for c in CHANNELS}
    values["per_1000"] = {c: v for c, v in values["per_1000"].items() if v}
    rows = zip(
        _texts(form, "quota_channel"),
        _texts(form, "quota_period"),
        _texts(form, "quota_limit"),
        strict=False,
    )
    values["quotas"] = [{"channel": c, "period": p, "limit": n} for c, p, n in rows if c or n]
    problems: Problems = {}
    terms: Values = {}

    terms["name"] = values["name"]
    if not values["name"]:
        problems["name"] = "a name is needed (partners see it)"
    elif len(values["name"]) > MAX_TEXT:
        problems["name"] = f"at most {MAX_TEXT} characters"

    projects = _items(values["projects"])
    bad = [p for p in projects if not _PROJECT.fullmatch(p)]
    if not projects:
        problems["projects"] = "at least one project: database names such as enwiki, or *"
    elif bad:
        problems["projects"] = f"not a database name: {', '.join(bad[:5])} (e.g. enwiki, or *)"
    elif len(projects) > 1000:
        problems["projects"] = "at most 1,000 projects (or * for every project)"
    terms["projects"] = projects

    languages = _items(values["languages"])
    bad = [code for code in languages if not _LANGUAGE.fullmatch(code)]
    if bad:
        problems["languages"] = f"not a language code: {', '.join(bad[:5])} (e.g. en, mr)"
    terms["languages"] = languages

    namespaces: list[int] = []
    for item in _items(values["namespaces"]):
        try:
            namespaces.append(int(item))
            if abs(namespaces[-1]) > BIG:
                raise ValueError(item)
        except ValueError:
            problems["namespaces"] = f"{item!r} is not a number: namespace numbers such as 0, 14"
            break
    terms["namespaces"] = namespaces

    terms["uses"] = values["uses"]
    terms["channels"] = values["channels"]
    if not values["channels"]:
        problems["channels"] = "choose at least one channel"

    quotas: list[Quota] = []
    rows_of: list[int] = []  # the form's row of each quota read
    for i, row in enumerate(values["quotas"]):
        field = f"quota-{i}"
        if i >= MAX_QUOTAS:
            problems[field] = f"at most {MAX_QUOTAS} quotas"
        elif not row["channel"]:
            problems[field] = "choose the channel this quota limits (or clear its limit)"
        elif not row["limit"]:
            problems[field] = "the limit: a whole number of requests, 0 or more"
        else:
            try:
                limit = int(row["limit"])
                if abs(limit) > BIG:
                    raise ValueError(limit)
                quotas.append(Quota(channel=row["channel"], period=row["period"], limit=limit))
                rows_of.append(i)
            except ValueError:
                problems[field] = f"limit {row['limit']!r}: a whole number of requests, 0 or more"
    terms["quotas"] = quotas
    values["quota_rows_of"] = rows_of

    rate = _number(values["rate_limit"], float, "rate_limit", problems, "requests per second")
    burst = _number(values["burst"], int, "burst", problems, "requests")
    if rate is not None and rate > MAX_RATE:
        problems["rate_limit"] = f"at most {MAX_RATE:,} requests per second"
    if burst is not None and burst > MAX_RATE:
        problems["burst"] = f"at most {MAX_RATE:,} requests"
    terms["rate_limit"], terms["burst"] = rate, burst

    for name, what in (("starts", "the start"), ("ends", "the end")):
        if not values[name]:
            if name == "starts" and editing:
                problems[name] = "a start date is needed: YYYY-MM-DD"
            terms[name] = None
            continue
        try:
            terms[name] = parse_day(values[name], what=what).isoformat()
        except ConfigError as exc:
            problems[name] = str(exc)

    currency = values["currency"].upper()
    if not _CURRENCY.fullmatch(currency):
        problems["currency"] = "a three-letter currency code, such as USD or EUR"
    amounts: dict[str, str] = {}
    for name in FEE_FIELDS:
        amounts[name] = _amount(values[name] or "0", name, problems)
    per_1000 = {c: _amount(v, f"per_1000-{c}", problems) for c, v in values["per_1000"].items()}
    terms["fees"] = Fees(
        currency=currency if "currency" not in problems else "USD",
        per_1000_requests=per_1000,
        **amounts,
    )
    if problems:  # what the access layer would also refuse, said at the same time
        for field, problem in _precheck(terms, problems, rows_of).items():
            problems.setdefault(field, problem)
    return values, terms, problems


def _precheck(terms: Values, problems: Problems, rows_of: list[int]) -> Problems:
    """The access layer's own check (``accounts.check_agreement``, which ``add_agreement``
    runs) of the terms that could be read, those that could not standing in with neutral
    values: so that one submission names every problem."""
    try:
        check_agreement(
            terms["projects"] or ["*"],
            terms["channels"] or [CHANNELS[0]],
            terms["uses"],
            terms["namespaces"],
            terms["quotas"],
            1.0 if "rate_limit" in problems else terms["rate_limit"],
            1 if "burst" in problems else terms["burst"],
            "0001-01-01" if "starts" in problems else (terms["starts"] or "0001-01-01"),
            None if "ends" in problems else terms["ends"],
            terms["fees"],
        )
    except ConfigError as exc:
        return agreement_problems(str(exc), terms, rows_of)
    return {}


def _number(text: str, kind: type, field: str, problems: Problems, unit: str) -> Any:
    whole = kind is int
    try:
        value = kind(text)
    except ValueError:
        problems[field] = (
            f"{text!r} is not a {'whole ' if whole else ''}number of {unit}" if text
            else f"a {'whole ' if whole else ''}number of {unit} is needed"
        )  # fmt: skip
        return None
    if isinstance(value, float) and not math.isfinite(value):
        problems[field] = f"a finite number of {unit}"
        return None
    return value


def _amount(text: str, field: str, problems: Problems) -> str:
    """A decimal amount as typed ("12.50"), or a problem for ``field``."""
    if not _AMOUNT.fullmatch(text):
        problems[field] = (
            f"{text!r} is not an amount: digits with an optional decimal point (12.50)"
        )
        return "0"
    try:
        return str(Decimal(text))
    except InvalidOperation:  # pragma: no cover - the pattern admits decimals only
        problems[field] = f"{text!r} is not an amount"
        return "0"


def agreement_problems(
    message: str, terms: Mapping[str, Any], rows_of: list[int] | None = None
) -> Problems:
    """The access layer's refusal of an agreement's terms (``check_agreement`` names every
    problem at once, separated by '; '), by field. ``rows_of``: the form's row of each of
    ``terms["quotas"]`` (``values["quota_rows_of"]`` of ``read_agreement``)."""
    problems: Problems = {}

    def add(field: str, text: str) -> None:
        problems[field] = f"{problems[field]}; {text}" if field in problems else text

    body = message.removeprefix("agreement: ")
    for part in body.split("; ") if body != message else [message]:
        head = part.split(" ", 1)[0].rstrip(":")
        if head in ("projects", "channels", "uses", "namespaces", "starts", "ends"):
            add(head, part)
        elif "agreement's name" in part:
            add("name", part)
        elif head == "quota":
            _quota_problem(part, terms.get("quotas", ()), rows_of, add)
        elif head == "rate_limit":
            if (terms.get("rate_limit") or 0) <= 0:
                add("rate_limit", "must be more than 0 requests per second")
            if (terms.get("burst") or 0) < 1:
                add("burst", "must be 1 or more")
        elif head == "fees":
            _fee_problem(part, terms.get("fees"), add)
        else:
            add("form", part)
    return problems


def _quota_problem(part: str, quotas: Any, rows_of: list[int] | None, add: Any) -> None:
    for j, quota in enumerate(quotas):
        if str(quota) not in part:
            continue
        i = rows_of[j] if rows_of is not None else j
        if quota.channel not in CHANNELS:
            add(f"quota-{i}", f"channel {quota.channel!r} is not one of {', '.join(CHANNELS)}")
        if quota.period not in PERIODS:
            add(f"quota-{i}", f"period {quota.period!r}: day or month")
        if quota.limit < 0:
            add(f"quota-{i}", f"limit {quota.limit}: 0 or more requests")
        return
    add("quotas", part)


def _fee_problem(part: str, fees: Fees | None, add: Any) -> None:
    if fees is None:
        add("form", part)
        return
    named = {name: getattr(fees, name) for name in FEE_FIELDS}
    named.update({f"per_1000-{c}": v for c, v in fees.per_1000_requests.items()})
    negative = [name for name, amount in named.items() if Decimal(amount) < 0]
    for name in negative:
        add(name, "an amount of 0 or more")
    if not negative:
        add("form", part)


# -- ending ----------------------------------------------------------------------------------


def read_end(form: FormData) -> tuple[str, str | None, str | None]:
    """The end form: (what was typed, the day for ``Access.end_agreement`` or None for today,
    the problem)."""
    typed = _text(form, "ends")
    if not typed:
        return typed, None, None
    try:
        return typed, parse_day(typed, what="the end date").isoformat(), None
    except ConfigError as exc:
        return typed, None, str(exc)
