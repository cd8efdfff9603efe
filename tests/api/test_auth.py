"""API keys (goal G9): 401 never 422, hashed at rest, revocation and rotation take effect."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Partners, auth


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer not-a-key"},
        {"Authorization": "Bearer wpk_000000000000_" + "A" * 43},
        {"Authorization": "Bearer " + "x" * 5000},
    ],
    ids=["none", "empty", "basic", "garbage", "unknown", "huge"],
)
def test_missing_or_invalid_keys_are_401_in_the_error_shape(
    client: TestClient, partners: Partners, headers: dict[str, str]
) -> None:
    for path in ("/v2/projects", "/v2/articles/Anarchism", "/v2/usage", "/v2/admin/partners"):
        response = client.get(path, headers=headers)
        assert response.status_code == 401, (path, response.text)
        body = response.json()
        assert set(body) == {"message", "status"} and body["status"] == 401
        assert response.headers["www-authenticate"] == "Bearer"


def test_a_key_with_a_wrong_secret_is_rejected(client: TestClient, partners: Partners) -> None:
    identifier = partners.acme[:16]
    forged = identifier + "_" + ("B" if partners.acme[17] != "B" else "C") + partners.acme[18:]
    assert client.get("/v2/projects", headers=auth(forged)).status_code == 401
    assert client.get("/v2/projects", headers=auth(partners.acme)).status_code == 200


def _dump(db: Path | str) -> str:
    """Every row of every table of the database, as text."""
    if isinstance(db, str):
        import psycopg

        with psycopg.connect(db) as conn:
            tables = conn.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema()"
            ).fetchall()
            return "\n".join(
                repr(row) for (t,) in tables for row in conn.execute(f'SELECT * FROM "{t}"')
            )
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


def test_raw_keys_are_never_stored_logged_or_returned(
    app, db: Path | str, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    from tests.api.conftest import make_partners

    caplog.set_level(logging.DEBUG)
    keys = make_partners(app.state.services.access)
    canary = keys.acme
    client.get("/v2/keys", headers=auth(canary))
    client.get("/v2/articles/Anarchism", headers=auth(canary))
    rotated = client.post(f"/v2/keys/{canary[:16]}/rotate", headers=auth(canary)).json()
    listing = client.get("/v2/keys", headers=auth(canary)).text
    dump = _dump(db)
    for secret in (canary, rotated["secret"]):
        assert secret not in dump
        assert secret[17:] not in dump
        assert secret not in listing
        assert secret not in caplog.text
    assert canary[:16] in listing  # the public id is shown


def test_revocation_is_immediate(client: TestClient, partners: Partners) -> None:
    headers = auth(partners.acme)
    assert client.get("/v2/projects", headers=headers).status_code == 200
    assert client.post(f"/v2/keys/{partners.acme[:16]}/revoke", headers=headers).status_code == 200
    response = client.get("/v2/projects", headers=headers)
    assert response.status_code == 401 and "revoked" in response.json()["message"]


def test_rotation_keeps_the_old_key_for_its_grace_period_only(app, partners: Partners) -> None:  # type: ignore[no-untyped-def]
    from wikipact.errors import AuthenticationError

    access = app.state.services.access
    old_id = partners.acme[:16]
    new, secret = access.rotate_key(old_id, grace_seconds=3600, actor="test", partner="acme")
    assert access.authenticate(partners.acme).key == old_id
    assert access.authenticate(secret).key == new.identifier
    later = datetime.now(UTC) + timedelta(hours=2)
    with pytest.raises(AuthenticationError, match="grace period"):
        access.authenticate(partners.acme, now=later)
    assert access.authenticate(secret, now=later).partner == "acme"


@pytest.mark.parametrize(
    "expires",
    [
        "2030-06-01T11:21:44+05:00",  # 06:21:44 UTC: sorts after 06:21:44Z as text
        "2030-06-01T06:21:44Z",
        "2030-06-01T06:21:44.000+00:00",
        "2030-05-31T20:21:44-10:00",
        "2030-06-01 01:21:44-05:00",
        "2030-06-01T12:06:44+0545",  # Nepal
    ],
)
def test_keys_expire_at_the_same_instant_whatever_the_offset(
    app, client: TestClient, partners: Partners, expires: str
) -> None:  # type: ignore[no-untyped-def]
    """Each form names 2030-06-01 06:21:44 UTC: the key works until then, and not after."""
    from datetime import UTC, datetime, timedelta

    access = app.state.services.access
    access.add_partner("temp", "Temp", actor="test")
    access.add_agreement(
        "temp", name="all", projects=["*"], channels=["on-demand", "snapshots"],
        starts="2026-01-01", rate_limit=1000, burst=1000, actor="test",
    )  # fmt: skip
    key, secret = access.create_key("temp", label="short", expires_at=expires, actor="test")
    assert key.expires_at == "2030-06-01T06:21:44Z"
    instant = datetime(2030, 6, 1, 6, 21, 44, tzinfo=UTC)
    before, after = instant - timedelta(seconds=1), instant + timedelta(minutes=30)
    for moment, status in ((before, 200), (instant, 401), (after, 401)):
        access.clock = lambda moment=moment: moment
        for path in ("/v2/articles/Anarchism", "/v2/keys"):
            response = client.get(path, headers=auth(secret))
            assert response.status_code == status, (expires, moment, path, response.text)
        if status == 401:
            assert "expired" in response.json()["message"]


def test_a_key_stored_with_an_offset_by_an_older_version_expires_on_time(app, db) -> None:  # type: ignore[no-untyped-def]
    """Rows written before expiry was normalised keep the text they were given."""
    import sqlite3

    from tests.api.conftest import sqlite_only

    sqlite_only(db)  # older versions wrote SQLite files only
    from datetime import UTC, datetime

    from wikipact.errors import AuthenticationError

    access = app.state.services.access
    access.add_partner("temp", "Temp", actor="test")
    key, secret = access.create_key("temp", label="old", actor="test")
    with sqlite3.connect(access.path) as conn:
        conn.execute(
            "UPDATE access_keys SET expires_at=? WHERE identifier=?",
            ("2030-06-01T11:21:44+05:00", key.identifier),
        )
    access.authenticate(secret, now=datetime(2030, 6, 1, 6, 21, 43, tzinfo=UTC))
    with pytest.raises(AuthenticationError, match="expired"):
        access.authenticate(secret, now=datetime(2030, 6, 1, 6, 51, 44, tzinfo=UTC))


@pytest.mark.parametrize(
    ("expires", "message"),
    [
        ("2030-06-01T06:21:44", "time zone"),
        ("tomorrow", "time zone"),
        ("2030-02-30", "calendar day"),
        ("2030-06-01T25:00:00Z", "ISO 8601"),
        ("2020-01-01T00:00:00Z", "not in the future"),
    ],
)
def test_an_ambiguous_or_past_expiry_is_refused(app, expires: str, message: str) -> None:  # type: ignore[no-untyped-def]
    from wikipact.errors import ConfigError

    access = app.state.services.access
    access.add_partner("temp", "Temp", actor="test")
    with pytest.raises(ConfigError, match=message):
        access.create_key("temp", label="bad", expires_at=expires, actor="test")


def test_every_account_change_is_in_the_append_only_audit_log(app, db, partners: Partners) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    from tests.api.conftest import sqlite_only

    sqlite_only(db)  # PostgreSQL's trigger: tests/access/test_backends.py

    access = app.state.services.access
    access.revoke_key(partners.beta[:16], actor="ops")
    actions = [entry["action"] for entry in reversed(access.audit_log())]
    assert actions[:2] == ["partner.add", "agreement.add"]
    assert actions.count("key.create") == 4 and actions[-1] == "key.revoke"
    conn = sqlite3.connect(app.state.services.backends.sqlite_path())
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE access_audit SET actor='someone else'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM access_audit")
    conn.close()


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"since": "2026-02-30"}, 400),  # not a calendar day
        ({"since": "2026-12-01", "until": "2026-11-01"}, 400),
        ({"since": "2026-11-01", "until": "2026-11-30"}, 200),
    ],
)
def test_usage_days_are_calendar_days(
    client: TestClient, partners: Partners, params: dict[str, str], status: int
) -> None:
    response = client.get("/v2/usage", params=params, headers=auth(partners.acme))
    assert response.status_code == status, response.text
