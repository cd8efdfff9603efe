"""When each key was last used (the portal's keys page): the latest usage event of every key of
one partner, the same on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from wikipact.access import Access

NOW = datetime(2026, 11, 15, 12, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def access(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        made = Access(tmp_path / "w.db", clock=lambda: NOW)
    else:
        from wikipact.access.postgres_repository import PostgresAccessRepository

        url = request.getfixturevalue("postgres_url")
        made = Access(repository=PostgresAccessRepository(url), clock=lambda: NOW)
    yield made
    made.close()


def test_the_latest_usage_event_of_each_key_of_one_partner(access: Access) -> None:
    access.add_partner("acme", "Acme AI", actor="ops")
    access.add_partner("beta", "Beta Labs", actor="ops")
    used, used_raw = access.create_key("acme", label="used", actor="ops")
    idle, _ = access.create_key("acme", label="idle", actor="ops")
    _, beta_raw = access.create_key("beta", label="main", actor="ops")
    acme, beta = access.authenticate(used_raw), access.authenticate(beta_raw)
    # recorded out of order, one refused (still a use of the key), and a later one by beta
    moments = [NOW - timedelta(days=3), NOW - timedelta(seconds=3605), NOW - timedelta(days=9)]
    for n, (moment, status) in enumerate(zip(moments, (200, 404, 200), strict=True)):
        access.record(f"a{n}", acme, channel="on-demand", project="enwiki", articles=1,
                      bytes_sent=10, status=status, now=moment)  # fmt: skip
    access.record("b0", beta, channel="search", project="enwiki", articles=1, bytes_sent=1,
                  status=200, now=NOW)  # fmt: skip

    assert access.keys_last_used("acme") == {used.identifier: "2026-11-15T10:59:55Z"}
    assert idle.identifier not in access.keys_last_used("acme")
    assert list(access.keys_last_used("beta").values()) == ["2026-11-15T12:00:00Z"]
    assert access.keys_last_used("nobody") == {}
