"""Wikimedia Enterprise-compatible login (``/v1/login``, ``/v1/token-refresh``,
``/v1/token-revoke``): the username is the partner's id, the password one of its API keys, and
the access token acts exactly as that key wherever a key is accepted, on both backends.

In-process tests use starlette's ``TestClient``; the real clients (Enterprise's Python SDK
``AuthClient`` and the ``wme`` package), whose URLs are fixed to Enterprise's host, talk to a
live uvicorn server in a thread through an httpx transport that sends their requests to it, as
an ``/etc/hosts`` entry would. Expiry is tested by passing the instant (``now``) or by setting
the access layer's clock, never by waiting.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Partners, auth
from tests.api.test_auth import _dump
from tests.conftest import SDK

BAD_LOGIN = "the username or password is not valid"


def login(client: TestClient, username: str, password: str) -> dict[str, Any]:
    response = client.post("/v1/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def refresh(client: TestClient, username: str, token: str) -> httpx.Response:
    return client.post("/v1/token-refresh", json={"username": username, "refresh_token": token})


def assert_401(response: httpx.Response, message: str | None = None) -> None:
    assert response.status_code == 401, response.text
    assert response.json()["status"] == 401 and set(response.json()) == {"message", "status"}
    assert response.headers["www-authenticate"] == "Bearer"
    if message is not None:
        assert response.json()["message"] == message


# -- logging in, and the access token as the key --------------------------------------------


def test_login_answers_as_enterprise_does(client: TestClient, partners: Partners) -> None:
    response = client.post("/v1/login", json={"username": "acme", "password": partners.acme})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"id_token", "access_token", "refresh_token", "expires_in"}
    assert body["expires_in"] == 86400
    assert body["access_token"].startswith("wpat_") and body["refresh_token"].startswith("wprt_")
    assert body["id_token"] == body["access_token"]
    assert not body["access_token"].startswith("wpk_")


def test_an_access_token_acts_exactly_as_its_key(
    app, client: TestClient, partners: Partners
) -> None:  # type: ignore[no-untyped-def]
    access = app.state.services.access
    token = login(client, "acme", partners.acme)["access_token"]
    assert access.authenticate(token) == access.authenticate(partners.acme)  # key, scopes
    for path in ("/v2/projects", "/v2/articles/Anarchism", "/v2/articles/Abacus"):
        by_key = client.get(path, headers=auth(partners.acme))
        by_token = client.get(path, headers=auth(token))
        assert by_token.status_code == by_key.status_code == 200, (path, by_token.text)
        assert by_token.json() == by_key.json(), path
    # what the key may not receive, its token may not either: beta has mrwiki only
    beta = login(client, "beta", partners.beta)["access_token"]
    for path in ("/v2/projects", "/v2/articles/Anarchism", "/v2/search?q=anarchism"):
        by_key = client.get(path, headers=auth(partners.beta))
        by_token = client.get(path, headers=auth(beta))
        assert (by_token.status_code, by_token.json()) == (by_key.status_code, by_key.json())
    assert client.get("/v2/search?q=anarchism", headers=auth(beta)).status_code == 403
    assert (
        client.get("/v2/projects", headers=auth(beta)).json()
        != client.get("/v2/projects", headers=auth(token)).json()
    )


def test_calls_with_a_token_are_metered_under_the_partner(
    app, client: TestClient, partners: Partners
) -> None:  # type: ignore[no-untyped-def]
    access = app.state.services.access
    token = login(client, "acme", partners.acme)["access_token"]
    assert client.get("/v2/articles/Anarchism", headers=auth(partners.acme)).status_code == 200
    for _ in range(2):
        assert client.get("/v2/articles/Anarchism", headers=auth(token)).status_code == 200
    usage = client.get("/v2/usage", headers=auth(token)).json()
    assert usage["partner"] == "acme" and usage["totals"]["requests"] == 3
    assert usage["quotas"][0]["used"] == 3  # one quota for the key and its tokens
    period = access.clock().strftime("%Y-%m")
    assert access.statement("acme", period).requests == 3
    assert access.usage("beta") == []


def test_logging_in_is_neither_metered_nor_rate_limited(
    app, client: TestClient, partners: Partners
) -> None:  # type: ignore[no-untyped-def]
    access = app.state.services.access
    access.add_partner("slow", "Slow", actor="test")
    access.add_agreement(
        "slow", name="one a second", projects=["enwiki"], channels=["on-demand"],
        rate_limit=1, burst=1, starts="2026-01-01", actor="test",
    )  # fmt: skip
    key = access.create_key("slow", label="k", actor="test")[1]
    for _ in range(5):
        login(client, "slow", key)
    assert access.usage("slow") == []
    # the key's bucket is untouched by the logins: its first delivery is admitted
    assert client.get("/v2/articles/Anarchism", headers=auth(key)).status_code == 200


# -- refresh and revoke ---------------------------------------------------------------------


def test_refresh_gives_a_new_working_access_token(client: TestClient, partners: Partners) -> None:
    first = login(client, "acme", partners.acme)
    response = refresh(client, "acme", first["refresh_token"])
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"id_token", "access_token", "expires_in"} and body["expires_in"] == 86400
    assert body["access_token"] != first["access_token"]
    assert client.get("/v2/projects", headers=auth(body["access_token"])).status_code == 200
    assert client.get("/v2/projects", headers=auth(first["access_token"])).status_code == 200
    # the refresh token is the partner's: another username, or no such token, is refused alike
    for username, token in (
        ("beta", first["refresh_token"]),
        ("acme", "wprt_" + "A" * 43),
        ("acme", "not-a-token"),
        ("acme", first["access_token"]),
    ):
        assert_401(refresh(client, username, token), "the refresh token is not valid")


def test_revoking_a_refresh_token_ends_its_refreshes(
    app, client: TestClient, partners: Partners
) -> None:  # type: ignore[no-untyped-def]
    access = app.state.services.access
    first = login(client, "acme", partners.acme)
    assert refresh(client, "acme", first["refresh_token"]).status_code == 200
    for token in (first["refresh_token"], first["refresh_token"], "wprt_" + "B" * 43, "x"):
        response = client.post("/v1/token-revoke", json={"refresh_token": token})
        assert response.status_code == 200 and response.json() == {}  # idempotent, tells nothing
    assert_401(
        refresh(client, "acme", first["refresh_token"]), "the refresh token has been revoked"
    )
    # another login's refresh token is untouched
    second = login(client, "acme", partners.acme)
    assert refresh(client, "acme", second["refresh_token"]).status_code == 200
    # each login, refresh and revocation is audited once, under the key
    actions = [e for e in access.audit_log(50) if e["action"].startswith("token.")]
    assert [e["action"] for e in reversed(actions)] == [
        "token.login", "token.refresh", "token.revoke", "token.login", "token.refresh",
    ]  # fmt: skip
    assert {e["actor"] for e in actions} == {partners.acme[:16]}
    assert all(e["details"]["partner"] == "acme" for e in actions)


def test_revoking_the_key_ends_its_tokens(client: TestClient, partners: Partners) -> None:
    tokens = login(client, "acme", partners.acme)
    assert client.get("/v2/projects", headers=auth(tokens["access_token"])).status_code == 200
    revoked = client.post(f"/v2/keys/{partners.acme[:16]}/revoke", headers=auth(partners.acme))
    assert revoked.status_code == 200
    assert_401(
        client.get("/v2/articles/Anarchism", headers=auth(tokens["access_token"])),
        "the API key has been revoked",
    )
    assert_401(refresh(client, "acme", tokens["refresh_token"]), "the API key has been revoked")
    assert_401(
        client.post("/v1/login", json={"username": "acme", "password": partners.acme}), BAD_LOGIN
    )


def test_a_token_lives_no_longer_than_its_key(app, client: TestClient, partners: Partners) -> None:  # type: ignore[no-untyped-def]
    from wikipact.errors import AuthenticationError

    access = app.state.services.access
    now = access.clock()
    _, key = access.create_key(
        "acme", label="brief", expires_at=(now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        actor="test",
    )  # fmt: skip
    issued = access.login("acme", key, now=now)
    assert access.authenticate(issued.access_token, now=now).partner == "acme"
    with pytest.raises(AuthenticationError, match="the API key has expired"):
        access.authenticate(issued.access_token, now=now + timedelta(hours=2))
    with pytest.raises(AuthenticationError, match="the API key has expired"):
        access.token_refresh("acme", str(issued.refresh_token), now=now + timedelta(hours=2))


# -- tokens that are not genuine or no longer valid -----------------------------------------


def _flip(text: str, index: int) -> str:
    return text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1 :]


def test_tampered_and_forged_tokens_are_401(app, client: TestClient, partners: Partners) -> None:  # type: ignore[no-untyped-def]
    from wikipact.access import tokens

    access = app.state.services.access
    acme = login(client, "acme", partners.acme)["access_token"]
    beta = login(client, "beta", partners.beta)["access_token"]
    payload = acme.split(".")[0]
    claims = tokens.verify(access.repository.secret, acme, now=access.clock())
    as_beta = tokens.Claims(claims.key, "beta", claims.expires, claims.token_id)
    forged = [
        _flip(acme, 8),  # the payload
        _flip(acme, len(acme) - 3),  # the signature
        payload + "." + beta.split(".")[1],  # acme's claims, beta's signature
        payload + ".",
        payload,
        acme + "A",
        "wpat_",
        "wpat_" + "A" * 600,
        tokens.encode(b"another installation's secret 32b", claims),
        tokens.encode(access.repository.secret, as_beta),  # genuine, but not beta's key
        tokens.encode(access.repository.secret, tokens.Claims("wpk_000000000000", "acme", claims.expires, "x")),
    ]  # fmt: skip
    for token in forged:
        assert_401(client.get("/v2/projects", headers=auth(token)), "the access token is not valid")
    assert client.get("/v2/projects", headers=auth(acme)).status_code == 200


def test_expired_tokens_are_401(app, client: TestClient, partners: Partners) -> None:  # type: ignore[no-untyped-def]
    from wikipact.errors import AuthenticationError

    access = app.state.services.access
    start = access.clock()
    issued = access.login("acme", partners.acme, now=start)
    assert issued.expires_in == 86400
    day = timedelta(seconds=issued.expires_in)
    assert access.authenticate(issued.access_token, now=start + day - timedelta(seconds=1))
    with pytest.raises(AuthenticationError, match="the access token has expired"):
        access.authenticate(issued.access_token, now=start + day)
    # the refresh token lasts 30 days
    month = timedelta(days=30)
    assert access.token_refresh("acme", str(issued.refresh_token), now=start + month - day)
    with pytest.raises(AuthenticationError, match="the refresh token has expired"):
        access.token_refresh("acme", str(issued.refresh_token), now=start + month)
    # and through the API, on the access layer's clock
    access.clock = lambda: start + day + timedelta(minutes=1)
    assert_401(
        client.get("/v2/projects", headers=auth(issued.access_token)),
        "the access token has expired",
    )
    assert client.get("/v2/projects", headers=auth(partners.acme)).status_code == 200
    fresh = refresh(client, "acme", str(issued.refresh_token)).json()["access_token"]
    assert client.get("/v2/projects", headers=auth(fresh)).status_code == 200


def test_the_lifetimes_are_settings(app, client: TestClient, partners: Partners) -> None:  # type: ignore[no-untyped-def]
    from wikipact.errors import AuthenticationError

    access = app.state.services.access
    access.sessions.access_lifetime = timedelta(minutes=5)
    access.sessions.refresh_lifetime = timedelta(hours=1)
    start = access.clock()
    issued = access.login("acme", partners.acme, now=start)
    assert issued.expires_in == 300
    assert login(client, "acme", partners.acme)["expires_in"] == 300
    with pytest.raises(AuthenticationError, match="expired"):
        access.authenticate(issued.access_token, now=start + timedelta(minutes=5))
    with pytest.raises(AuthenticationError, match="expired"):
        access.token_refresh("acme", str(issued.refresh_token), now=start + timedelta(hours=1))


# -- who may not log in ---------------------------------------------------------------------


def test_wrong_credentials_are_401_with_one_message(
    app, client: TestClient, partners: Partners
) -> None:  # type: ignore[no-untyped-def]
    access = app.state.services.access
    token = login(client, "acme", partners.acme)["access_token"]
    _, revoked = access.create_key("acme", label="old", actor="test")
    access.revoke_key(revoked[:16], actor="test")
    for username, password in (
        ("nobody", partners.acme),  # unknown user
        ("acme", _flip(partners.acme, 30)),  # wrong password
        ("acme", partners.beta),  # another partner's key
        ("acme", "wpk_000000000000_" + "A" * 43),
        ("acme", "hunter2"),
        ("acme", token),  # an access token is no password
        ("acme", revoked),
    ):
        response = client.post("/v1/login", json={"username": username, "password": password})
        assert_401(response, BAD_LOGIN)
    before = len(access.audit_log(1000))
    assert_401(client.post("/v1/login", json={"username": "x", "password": "y"}), BAD_LOGIN)
    assert len(access.audit_log(1000)) == before  # failures write nothing


def test_admin_keys_cannot_log_in(client: TestClient, partners: Partners) -> None:
    for username in ("admin", "ops", "acme", "-"):
        response = client.post("/v1/login", json={"username": username, "password": partners.admin})
        assert_401(response, BAD_LOGIN)


def test_bodies_are_bounded_and_checked(client: TestClient, partners: Partners) -> None:
    huge = {"username": "acme", "password": partners.acme, "padding": "x" * 5000}
    for path in ("/v1/login", "/v1/token-refresh", "/v1/token-revoke"):
        response = client.post(path, json=huge)
        assert response.status_code == 413, response.text
        assert response.json() == {
            "message": "the request body is larger than 4096 bytes",
            "status": 413,
        }

    def chunks() -> Iterator[bytes]:  # no Content-Length: refused once 4 KB have come
        yield b'{"username": "acme", "password": "'
        yield b"x" * 8192

    assert client.post("/v1/login", content=chunks()).status_code == 413
    for body in (
        {"username": "acme"},
        {"username": "acme", "password": "x" * 257},
        {"username": "a" * 65, "password": partners.acme},
        {"username": "", "password": partners.acme},
        {"username": ["acme"], "password": partners.acme},
    ):
        response = client.post("/v1/login", json=body)
        assert response.status_code == 422 and response.json()["status"] == 422, body
    assert client.post("/v1/login", content=b"{not json").status_code == 422
    assert client.post("/v1/token-revoke", json={}).status_code == 422


def test_tokens_are_never_stored(
    app, db: Path | str, client: TestClient, partners: Partners
) -> None:  # type: ignore[no-untyped-def]
    from wikipact.access import keys

    access = app.state.services.access
    first = login(client, "acme", partners.acme)
    again = refresh(client, "acme", first["refresh_token"]).json()
    dump = _dump(db)
    for secret in (first["refresh_token"], first["access_token"], again["access_token"]):
        assert secret not in dump
        assert secret[5:] not in dump
    digest = keys.digest(access.repository.secret, first["refresh_token"])
    stored = access.repository.refresh_token(digest)
    assert (stored.key, stored.partner, stored.revoked_at) == (partners.acme[:16], "acme", None)


# -- the real clients against a live server -------------------------------------------------


@dataclass
class Live:
    base: httpx.URL
    acme: str  # acme's key
    app: Any


@pytest.fixture
def live(app, partners: Partners) -> Iterator[Live]:  # type: ignore[no-untyped-def]
    """The app served by uvicorn on a free port of 127.0.0.1, in a thread."""
    import uvicorn

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60  # a readiness wait, not a measurement
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    try:
        yield Live(httpx.URL(f"http://127.0.0.1:{port}"), partners.acme, app)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def _routed(request: httpx.Request, base: httpx.URL) -> None:
    """Send ``request`` to ``base`` whatever host it names (its Host header stays)."""
    request.url = request.url.copy_with(scheme=base.scheme, host=base.host, port=base.port)


class Routed(httpx.HTTPTransport):
    def __init__(self, base: httpx.URL) -> None:
        super().__init__()
        self.base = base

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        _routed(request, self.base)
        return super().handle_request(request)


class AsyncRouted(httpx.AsyncHTTPTransport):
    def __init__(self, base: httpx.URL) -> None:
        super().__init__()
        self.base = base

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        _routed(request, self.base)
        return await super().handle_async_request(request)


def _sdk_auth_client(monkeypatch: pytest.MonkeyPatch) -> type:
    if not SDK.is_dir():
        pytest.skip(f"Wikimedia Enterprise's Python SDK is not at {SDK}")
    pytest.importorskip("dotenv", reason="the SDK needs python-dotenv (a dev dependency)")
    monkeypatch.syspath_prepend(str(SDK))
    from modules.auth.auth_client import AuthClient  # type: ignore[import-not-found]

    return AuthClient  # type: ignore[no-any-return]


def _projects(live: Live, token: str) -> httpx.Response:
    return httpx.get(live.base.join("/v2/projects"), headers=auth(token), timeout=60)


def test_the_enterprise_sdk_auth_client_logs_in_refreshes_and_revokes(
    live: Live, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    auth_client = _sdk_auth_client(monkeypatch)
    monkeypatch.chdir(tmp_path)  # it keeps tokenstore.json in the working directory
    monkeypatch.setenv("WME_USERNAME", "acme")
    monkeypatch.setenv("WME_PASSWORD", live.acme)
    real_client = httpx.Client

    def client(*args: Any, **kwargs: Any) -> httpx.Client:
        return real_client(*args, transport=Routed(live.base), **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(httpx, "Client", client)
        sdk = auth_client()
    with sdk:
        token = sdk.get_access_token()  # logs in and stores the tokens
        by_key = _projects(live, live.acme)
        assert _projects(live, token).json() == by_key.json() and by_key.status_code == 200
        assert sdk.get_access_token() == token  # stored, still fresh
        store = json.loads((tmp_path / "tokenstore.json").read_text())
        # a day later by its own bookkeeping, the client refreshes
        store["access_token_generated_at"] = (datetime.now() - timedelta(hours=25)).isoformat()
        (tmp_path / "tokenstore.json").write_text(json.dumps(store))
        refreshed = sdk.get_access_token()
        assert refreshed != token and _projects(live, refreshed).status_code == 200
        sdk.clear_state()  # revokes the refresh token, deletes the store
        assert not (tmp_path / "tokenstore.json").exists()
        with pytest.raises(httpx.HTTPStatusError) as refused:
            sdk.refresh_token(store["refresh_token"])
        assert refused.value.response.status_code == 401
        assert refused.value.response.json()["message"] == "the refresh token has been revoked"
        sdk.password = "wpk_000000000000_" + "A" * 43
        with pytest.raises(httpx.HTTPStatusError) as wrong:
            sdk.login()
        assert wrong.value.response.status_code == 401
        assert wrong.value.response.json() == {"message": BAD_LOGIN, "status": 401}


def test_the_wme_package_logs_in_refreshes_and_revokes(live: Live) -> None:
    wme_auth = pytest.importorskip("wme.auth", reason="the wme package is not installed")

    async def flow() -> None:
        async with httpx.AsyncClient(transport=AsyncRouted(live.base), timeout=60) as http:
            first = await wme_auth.login("acme", live.acme, client=http)
            assert first.expires_in == 86400 and first.refresh_token.startswith("wprt_")
            again = await wme_auth.refresh_token("acme", first.refresh_token, client=http)
            for token in (first.access_token, again.access_token, again.id_token):
                assert (await asyncio.to_thread(_projects, live, token)).status_code == 200
            assert await wme_auth.revoke_token(first.refresh_token, client=http) is None
            with pytest.raises(httpx.HTTPStatusError) as refused:
                await wme_auth.refresh_token("acme", first.refresh_token, client=http)
            assert refused.value.response.status_code == 401
            with pytest.raises(httpx.HTTPStatusError) as wrong:
                await wme_auth.login("nobody", live.acme, client=http)
            assert wrong.value.response.json() == {"message": BAD_LOGIN, "status": 401}

    asyncio.run(flow())


def test_an_access_token_works_on_mcp(live: Live) -> None:
    """The MCP server authenticates through the same access layer: a login's token is a key."""
    import httpx2
    from mcp.client import Client
    from mcp.client.streamable_http import streamable_http_client

    access = live.app.state.services.access
    access.add_partner("agentco", "Agent Co", actor="test")
    access.add_agreement(
        "agentco", name="grounding", projects=["enwiki"], channels=["mcp"], uses=["grounding"],
        rate_limit=1000, burst=1000, starts="2026-01-01", actor="test",
    )  # fmt: skip
    key = access.create_key("agentco", label="agents", actor="test")[1]
    token = access.login("agentco", key).access_token

    async def attribution(bearer: str) -> Any:
        http = httpx2.AsyncClient(headers=auth(bearer), timeout=httpx2.Timeout(60))
        transport = streamable_http_client(f"{live.base}/mcp", http_client=http)
        async with Client(transport, read_timeout_seconds=60) as client:
            return await client.call_tool("get_attribution", {"title": "Anarchism"})

    by_token, by_key = asyncio.run(attribution(token)), asyncio.run(attribution(key))
    assert not by_token.is_error, by_token.content
    assert by_token.structured_content == by_key.structured_content
    forged = asyncio.run(attribution(_flip(token, 8)))
    assert forged.is_error and "the access token is not valid" in str(forged.content)
