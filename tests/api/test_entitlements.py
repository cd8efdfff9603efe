"""Entitlements (403 with a reason) and tenant isolation (goal G8: 404, never another's data)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Partners, auth

ADMIN_ROUTES = [
    ("get", "/v2/admin/partners"),
    ("post", "/v2/admin/partners"),
    ("get", "/v2/admin/partners/acme/agreements"),
    ("post", "/v2/admin/partners/acme/agreements"),
    ("post", "/v2/admin/agreements/1/end"),
    ("get", "/v2/admin/partners/acme/keys"),
    ("post", "/v2/admin/partners/acme/keys"),
    ("post", "/v2/admin/keys/wpk_000000000000/revoke"),
    ("get", "/v2/admin/partners/acme/statements/2026-11"),
    ("get", "/v2/admin/audit"),
]


def test_metadata_lists_only_entitled_projects(client: TestClient, partners: Partners) -> None:
    acme = client.get("/v2/projects", headers=auth(partners.acme)).json()
    beta = client.get("/v2/projects", headers=auth(partners.beta)).json()
    assert [p["identifier"] for p in acme] == ["enwiki"]
    assert [p["identifier"] for p in beta] == ["mrwiki"]
    assert client.get("/v2/languages", headers=auth(partners.beta)).json() == [
        {"identifier": "mr", "name": "Marathi", "alternate_name": "मराठी", "direction": "ltr"}
    ]
    assert client.get("/v2/projects", headers=auth(partners.gone)).json() == []


def test_articles_come_only_from_entitled_projects(client: TestClient, partners: Partners) -> None:
    assert client.get("/v2/articles/Anarchism", headers=auth(partners.acme)).status_code == 200
    denied = client.get("/v2/articles/Anarchism", headers=auth(partners.beta))
    assert denied.status_code == 404  # beta's projects have no such article
    explicit = client.get(
        "/v2/articles/Anarchism",
        params={"filters": "is_part_of.identifier:enwiki"},
        headers=auth(partners.beta),
    )
    assert explicit.status_code == 403 and "enwiki" in explicit.json()["message"]


def test_channels_uses_and_dates_are_enforced(client: TestClient, partners: Partners) -> None:
    gone = client.get("/v2/articles/Anarchism", headers=auth(partners.gone))
    assert gone.status_code == 403 and gone.json()["message"] == "no active agreement"
    admin = client.get("/v2/articles/Anarchism", headers=auth(partners.admin))
    assert admin.status_code == 403 and "partner key" in admin.json()["message"]


def test_a_key_without_the_channel_scope_is_refused(
    app, client: TestClient, partners: Partners
) -> None:  # type: ignore[no-untyped-def]
    _, narrow = app.state.services.access.create_key(
        "acme", label="usage only", scopes=["usage"], actor="test"
    )
    response = client.get("/v2/articles/Anarchism", headers=auth(narrow))
    assert response.status_code == 403 and "scopes" in response.json()["message"]
    assert client.get("/v2/usage", headers=auth(narrow)).status_code == 200


@pytest.mark.parametrize("method,path", ADMIN_ROUTES)
def test_admin_routes_refuse_partner_keys(
    client: TestClient, partners: Partners, method: str, path: str
) -> None:
    for key in (partners.acme, partners.beta, partners.gone):
        response = client.request(method, path, headers=auth(key), json={})
        assert response.status_code == 403, (path, response.text)


def test_no_partner_can_reach_another_partners_objects(
    app, client: TestClient, partners: Partners
) -> None:  # type: ignore[no-untyped-def]
    """Every foreign key id, on every route that takes one, is 'not found' (G8)."""
    access = app.state.services.access
    own = {p: [k.identifier for k in access.keys(p)] for p in ("acme", "beta", "gone")}
    keys = {"acme": partners.acme, "beta": partners.beta, "gone": partners.gone}
    probes = leaks = 0
    for caller, key in keys.items():
        for owner, ids in own.items():
            if owner == caller:
                continue
            for identifier in ids:
                for action in ("rotate", "revoke"):
                    response = client.post(f"/v2/keys/{identifier}/{action}", headers=auth(key))
                    probes += 1
                    leaks += response.status_code != 404
        listing = client.get("/v2/keys", headers=auth(key)).json()
        assert {k["partner"] for k in listing} == {caller}
        usage = client.get("/v2/usage", headers=auth(key)).json()
        assert usage["partner"] == caller
    assert probes == 12 and leaks == 0
    # every foreign key still works: nothing was rotated or revoked by the probes
    for key in keys.values():
        assert client.get("/v2/usage", headers=auth(key)).status_code == 200
