"""Hours of the batch routes: any YYYY-MM-DD and HH the path accepts is an hour or a clear
refusal, never a server error (the last hour of the calendar has no end to be past)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from wikipact.enterprise.batches import Hour
from wikipact.errors import ConfigError


@pytest.mark.parametrize(
    ("date", "hour"),
    [("9999-12-31", "23"), ("2026-13-01", "00"), ("2026-02-30", "01"), ("2026-01-01", "24")],
)
def test_hours_that_do_not_exist_are_refused(date: str, hour: str) -> None:
    with pytest.raises(ConfigError, match="YYYY-MM-DD"):
        Hour.parse(date, hour)


def test_an_hour_has_ended_only_when_its_end_is_past() -> None:
    hour = Hour.parse("2026-12-07", "09")
    assert hour.stamps == ("2026-12-07T09:00:00.000000Z", "2026-12-07T10:00:00.000000Z")
    assert not hour.ended(datetime(2026, 12, 7, 9, 59, 59, tzinfo=UTC))
    assert hour.ended(datetime(2026, 12, 7, 10, 0, tzinfo=UTC))
