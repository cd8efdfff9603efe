"""The ``wme`` package from the registry (an on-demand client with pydantic models), unchanged,
against a live ``wikipact serve``: its URLs are Enterprise's, so its httpx client is given a
transport that sends them to the local server (tests/enterprise/routing.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.enterprise.conftest import Enterprise
from tests.enterprise.routing import _AsyncRouted

wme_on_demand = pytest.importorskip("wme.on_demand")


def _client(enterprise: Enterprise) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=_AsyncRouted(httpx.URL(enterprise.base)), timeout=60)


def _run(body: Any) -> Any:
    return asyncio.run(body)


def test_lookup_and_structured_lookup(enterprise: Enterprise) -> None:
    async def body() -> tuple[Any, Any]:
        async with _client(enterprise) as http:
            client = wme_on_demand.OnDemand(enterprise.keys.acme, client=http)
            found = await client.lookup("Alabama", limit=1)
            structured = await client.lookup_structured("Alabama", limit=1)
            return found, structured

    [article], [structured] = _run(body())
    assert article.name == "Alabama" and article.is_part_of["code"] == "wiki"
    assert article.article_body.wikitext.startswith("{{")
    assert article.license[0].identifier == "CC-BY-SA-4.0"
    sections = dict(structured.iter_sections())
    assert "Abstract" in sections and sections["Abstract"].strip()
    assert structured.infobox and structured.infobox[0].type == "infobox"
    assert structured.references and all(r.identifier for r in structured.references)


def test_lookup_enwiki_with_fields_and_filters(enterprise: Enterprise) -> None:
    async def body() -> Any:
        async with _client(enterprise) as http:
            client = wme_on_demand.OnDemand(enterprise.keys.acme, client=http)
            return await client.lookup_enwiki("Anarchism", fields=["name", "url", "version"])

    article = _run(body())
    assert article.name == "Anarchism" and article.url == "https://en.wikipedia.org/wiki/Anarchism"
    assert article.version.identifier and article.article_body is None


def test_login_refresh_and_revoke(enterprise: Enterprise) -> None:
    from wme import auth

    async def body() -> tuple[Any, Any, int]:
        async with _client(enterprise) as http:
            tokens = await auth.login("acme", enterprise.keys.acme, client=http)
            again = await auth.refresh_token("acme", tokens.refresh_token, client=http)
            await auth.revoke_token(tokens.refresh_token, client=http)
            refused = await http.post(
                "https://auth.enterprise.wikimedia.com/v1/token-refresh",
                json={"username": "acme", "refresh_token": tokens.refresh_token},
            )
            client = wme_on_demand.OnDemand(again, client=http)
            [found] = await client.lookup("Anarchism", limit=1)
            return tokens, found, refused.status_code

    tokens, found, refused = _run(body())
    assert tokens.expires_in > 0 and tokens.access_token != enterprise.keys.acme
    assert found.name == "Anarchism"
    assert refused == 401
