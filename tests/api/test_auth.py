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


def test_raw_keys_are_never_stored_logged_or_returned(
    app, db: Path, client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    from tests.api.conftest import make_partners

    caplog.set_level(logging.DEBUG)
    keys = make_partners(app.state.services.access)
    canary = keys.acme
    client.get("/v2/keys", headers=auth(canary))
    client.get("/v2/articles/Anarchism", headers=auth(canary))
    rotated = client.post(f"/v2/keys/{canary[:16]}/rotate", headers=auth(canary)).json()
    listing = client.get("/v2/keys", headers=auth(canary)).text
    conn = sqlite3.connect(db)
    dump = "\n".join(conn.iterdump())
    conn.close()
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


def test_expired_keys_are_rejected(app) -> None:  # type: ignore[no-untyped-def]
    from wikipact.errors import AuthenticationError

    access = app.state.services.access
    access.add_partner("temp", "Temp", actor="test")
    _, secret = access.create_key(
        "temp", label="short", expires_at="2026-01-01T00:00:00Z", actor="test"
    )
    with pytest.raises(AuthenticationError, match="expired"):
        access.authenticate(secret)


def test_every_account_change_is_in_the_append_only_audit_log(app, partners: Partners) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    access = app.state.services.access
    access.revoke_key(partners.beta[:16], actor="ops")
    actions = [entry["action"] for entry in reversed(access.audit_log())]
    assert actions[:2] == ["partner.add", "agreement.add"]
    assert actions.count("key.create") == 4 and actions[-1] == "key.revoke"
    conn = sqlite3.connect(app.state.services.db_path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE access_audit SET actor='someone else'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM access_audit")
    conn.close()
