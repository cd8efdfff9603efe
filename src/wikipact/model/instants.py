"""Points in time: every timestamp wikipact accepts becomes an aware UTC instant here.

Timestamps come from people (``--expires``), partners (``since=``) and the store. They are parsed
once into ``datetime`` objects in UTC and compared as instants, never as text: ``11:21+05:00`` and
``06:21Z`` are the same moment, and neither sorts before the other as a string would have it.

Accepted forms (ISO 8601 / RFC 3339):

* ``2027-01-01T00:00:00Z``, ``2027-01-01T05:30:00+05:30``, fractions of a second, ``T`` or a space;
* ``2027-01-01``: a whole day alone means 00:00:00 UTC of that day.

A time of day without ``Z`` or an offset is refused: whether ``2027-01-01T09:00`` is UTC or the
writer's local time cannot be known, and guessing wrong would make a key expire hours early or
late. Stored timestamps are written back in one form, ``YYYY-MM-DDTHH:MM:SSZ`` (``format_instant``).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from wikipact.errors import ConfigError

_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_HAS_OFFSET = re.compile(r"(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$")


def utc_now() -> datetime:
    return datetime.now(UTC)


def parse_instant(text: str, *, what: str = "time") -> datetime:
    """``text`` as an aware UTC ``datetime``; ``ConfigError`` naming ``what`` when unreadable."""
    value = text.strip()
    if _DAY.fullmatch(value):
        return datetime.combine(parse_day(value, what=what), datetime.min.time(), UTC)
    example = "e.g. 2027-01-01T00:00:00Z or 2027-01-01T09:00:00+02:00"
    if not _HAS_OFFSET.search(value):
        raise ConfigError(
            f"{what} {text!r}: give the time zone, Z for UTC or an offset ({example})"
        )
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{what} {text!r} is not an ISO 8601 time ({example})") from None
    if moment.tzinfo is None or moment.utcoffset() is None:  # pragma: no cover - regex above
        raise ConfigError(f"{what} {text!r}: give the time zone ({example})")
    return moment.astimezone(UTC)


def parse_day(text: str, *, what: str = "day") -> date:
    """A calendar day ``YYYY-MM-DD`` (checked: no 2026-02-30)."""
    value = text.strip()
    if not _DAY.fullmatch(value):
        raise ConfigError(f"{what} {text!r}: use YYYY-MM-DD, e.g. 2027-01-31")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{what} {text!r} is not a calendar day") from None


def format_instant(moment: datetime) -> str:
    """The one stored form: UTC, whole seconds, ``Z``."""
    if moment.tzinfo is None:
        raise ValueError("format_instant needs an aware datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def normalize_instant(text: str | None, *, what: str = "time") -> str | None:
    """``text`` in the stored form (``None`` stays ``None``)."""
    return None if text is None else format_instant(parse_instant(text, what=what))


def stored_instant(text: str) -> datetime:
    """A timestamp read back from the store, whatever form an older version wrote it in.

    A stored value without an offset was written as UTC by wikipact itself, so it is read as UTC.
    """
    value = text.strip()
    if not _DAY.fullmatch(value) and not _HAS_OFFSET.search(value):
        value += "Z"
    return parse_instant(value, what="stored time")
