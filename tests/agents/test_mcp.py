"""The MCP server, through the official MCP client over both transports: stdio (``wikipact mcp``)
and streamable HTTP at /mcp of a live ``wikipact serve``. Same content as the HTTP API for the same
key, refusals as tool errors, and every successful call metered on channel ``mcp``."""

from __future__ import annotations

import asyncio
import gc
import shutil
import sys
import uuid
from collections.abc import Callable, Coroutine, Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
from mcp.client import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult

from tests.api.conftest import make_partners, sample_db  # noqa: F401 (a fixture)
from tests.live import live_server

QUERY = "anarchism stateless societies"


@dataclass
class Setup:
    url: str  # the database
    agent: str  # enwiki, channels search + on-demand + mcp
    no_mcp: str  # acme: enwiki on every channel but mcp
    no_key_scope: str  # agent's partner, a key whose scopes leave out mcp


@pytest.fixture(scope="module")
def setup(sample_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Setup:  # noqa: F811
    from wikipact.backends import open_backends
    from wikipact.search import build_index

    db = tmp_path_factory.mktemp("mcp") / "w.db"
    shutil.copy(sample_db, db)
    build_index(db)
    url = f"sqlite:///{db}"
    backends = open_backends(url)
    try:
        access = backends.access()
        keys = make_partners(access)
        access.add_partner("agentco", "Agent Co", actor="test")
        access.add_agreement(
            "agentco",
            name="grounding on enwiki",
            projects=["enwiki"],
            channels=["search", "on-demand", "mcp"],
            uses=["grounding", "retrieval"],
            rate_limit=1000,
            burst=1000,
            starts="2026-01-01",
            actor="test",
        )
        agent = access.create_key("agentco", label="agents", actor="test")[1]
        scoped = access.create_key("agentco", label="http", scopes=["search"], actor="test")[1]
    finally:
        backends.close()
    return Setup(url=url, agent=agent, no_mcp=keys.acme, no_key_scope=scoped)


def mcp_usage(url: str, partner: str) -> tuple[int, int, int]:
    """(requests, articles, bytes) metered on channel mcp for ``partner``."""
    from wikipact.backends import open_backends

    backends = open_backends(url)
    try:
        rows = [r for r in backends.access().usage(partner) if r.channel == "mcp"]
    finally:
        backends.close()
    return (
        sum(r.requests for r in rows),
        sum(r.articles for r in rows),
        sum(r.bytes for r in rows),
    )


# -- the two transports ---------------------------------------------------------------------


Session = Callable[[str | None], AbstractAsyncContextManager[Client]]


def stdio_session(url: str) -> Session:
    def connect(key: str | None) -> AbstractAsyncContextManager[Client]:
        env = {"WIKIPACT_API_KEY": key} if key else {}
        params = StdioServerParameters(
            command=sys.executable, args=["-m", "wikipact", "mcp", "--db", url], env=env
        )
        return Client(params, read_timeout_seconds=120)

    return connect


@pytest.fixture(scope="module")
def api(setup: Setup) -> Iterator[str]:
    """A live ``wikipact serve`` (two worker processes) on the setup's database: its base URL."""
    with live_server(setup.url) as base:
        yield base


def http_session(base: str) -> Session:
    def connect(key: str | None) -> AbstractAsyncContextManager[Client]:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        http = httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(120))
        return Client(
            streamable_http_client(f"{base}/mcp", http_client=http), read_timeout_seconds=120
        )

    return connect


@pytest.fixture(params=["stdio", "http"])
def transport(request: pytest.FixtureRequest, setup: Setup) -> Session:
    if request.param == "stdio":
        return stdio_session(setup.url)
    return http_session(request.getfixturevalue("api"))


def run(body: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    try:
        return asyncio.run(body())
    finally:
        # collect the HTTP client's garbage now: on CPython 3.11.7 its finalizers, run by a
        # collection that happens to fall inside a later ast.parse (pytest's assertion rewriting,
        # tests/test_dependencies.py), make that parse fail with "AST constructor recursion depth
        # mismatch" (CPython gh-106905)
        gc.collect()


def data(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


def refusal(result: CallToolResult) -> str:
    assert result.is_error
    assert result.structured_content is None
    return " ".join(getattr(c, "text", "") for c in result.content)


# -- the tests ------------------------------------------------------------------------------


def test_tools_are_listed_with_schemas(transport: Session, setup: Setup) -> None:
    async def body() -> list[Any]:
        async with transport(setup.agent) as client:
            return (await client.list_tools()).tools

    tools = {t.name: t for t in run(body)}
    assert set(tools) == {"search_passages", "get_article", "get_attribution"}
    search = tools["search_passages"]
    assert search.input_schema["required"] == ["query"]
    assert "passages" in (search.output_schema or {}).get("properties", {})
    assert all(t.description for t in tools.values())


def test_search_article_attribution_match_the_http_api(
    transport: Session, setup: Setup, api: str
) -> None:
    before = mcp_usage(setup.url, "agentco")

    async def body() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        async with transport(setup.agent) as client:
            found = data(await client.call_tool("search_passages", {"query": QUERY, "limit": 5}))
            title = found["passages"][0]["title"]
            article = data(await client.call_tool("get_article", {"title": title}))
            credit = data(await client.call_tool("get_attribution", {"title": title}))
            return found, article, credit

    found, article, credit = run(body)
    headers = {"Authorization": f"Bearer {setup.agent}"}
    http_search = httpx.get(
        f"{api}/v2/search", params={"q": QUERY, "limit": 5}, headers=headers, timeout=60
    )
    assert http_search.status_code == 200
    assert found == http_search.json()
    top = found["passages"][0]
    assert top["title"] == "Anarchism" and top["citations"]

    http_article = httpx.get(f"{api}/v2/articles/Anarchism", headers=headers, timeout=60)
    assert http_article.status_code == 200
    record = http_article.json()[0]
    (mine,) = article["articles"]
    assert mine["project"] == record["is_part_of"]["identifier"] == "enwiki"
    assert mine["url"] == record["url"] == top["url"]
    assert mine["revision"] == {
        "identifier": record["version"]["identifier"],
        "date_modified": record["date_modified"],
    }
    assert mine["revision"]["identifier"] == top["revision_id"]
    assert mine["abstract"] == record["abstract"] and mine["license"] == record["license"]
    for part in ("sections", "infoboxes", "references"):  # records leave out empty fields
        assert mine[part] == record.get(part, []), part
    assert mine["attribution"] == record["provenance"]["attribution"]
    references = {r["identifier"]: r for r in record["references"]}
    assert [{k: v for k, v in c.items() if k != "references"} for c in mine["claims"]] == record[
        "claims"
    ]
    for claim in mine["claims"]:
        assert claim["references"] == [references[c] for c in claim["citations"]]
    cited = {c["identifier"] for c in top["citations"]}
    assert cited <= set(references)

    (shown,) = credit["attributions"]
    assert shown == {
        "title": "Anarchism",
        "project": "enwiki",
        "url": record["url"],
        "revision_id": record["version"]["identifier"],
        "date_modified": record["date_modified"],
        "license_name": record["license"][0]["name"],
        "license_url": record["license"][0]["url"],
        "attribution": record["provenance"]["attribution"],
    }
    # exactly the three tool calls are metered on mcp (the HTTP calls are on their own channels)
    requests, articles, sent = mcp_usage(setup.url, "agentco")
    assert requests - before[0] == 3
    assert articles - before[1] == len(found["passages"]) + 2
    assert sent > before[2]


def test_parts_select_what_an_article_carries(transport: Session, setup: Setup) -> None:
    async def body() -> dict[str, Any]:
        async with transport(setup.agent) as client:
            return data(
                await client.call_tool(
                    "get_article",
                    {"title": "Anarchism", "project": "enwiki", "parts": ["abstract"]},
                )
            )

    (article,) = run(body)["articles"]
    assert article["abstract"]
    assert "sections" not in article and "claims" not in article
    assert article["license"] and article["attribution"]


def test_refusals_are_tool_errors_and_unmetered(transport: Session, setup: Setup) -> None:
    before = mcp_usage(setup.url, "agentco"), mcp_usage(setup.url, "acme")

    async def call(key: str | None, tool: str, arguments: dict[str, Any]) -> str:
        async with transport(key) as client:
            return refusal(await client.call_tool(tool, arguments))

    async def body() -> dict[str, str]:
        return {
            "no key": await call(None, "search_passages", {"query": QUERY}),
            "bad key": await call("wpk_not_a_key", "get_article", {"title": "Anarchism"}),
            "no mcp channel": await call(setup.no_mcp, "search_passages", {"query": QUERY}),
            "key scope": await call(setup.no_key_scope, "get_attribution", {"title": "Anarchism"}),
            "project": await call(
                setup.agent, "get_article", {"title": "Anarchism", "project": "mrwiki"}
            ),
            "search project": await call(
                setup.agent, "search_passages", {"query": QUERY, "projects": ["mrwiki"]}
            ),
        }

    messages = run(body)
    assert "WIKIPACT_API_KEY" in messages["no key"] or "Bearer" in messages["no key"]
    assert "not valid" in messages["bad key"]
    assert "mcp" in messages["no mcp channel"] and "not granted" in messages["no mcp channel"]
    assert "scopes" in messages["key scope"]
    assert "mrwiki" in messages["project"] and "mrwiki" in messages["search project"]
    assert (mcp_usage(setup.url, "agentco"), mcp_usage(setup.url, "acme")) == before


def test_not_found_is_an_error_and_not_billed(transport: Session, setup: Setup) -> None:
    before = mcp_usage(setup.url, "agentco")

    async def body() -> str:
        async with transport(setup.agent) as client:
            return refusal(
                await client.call_tool("get_article", {"title": "No Such Article Anywhere"})
            )

    assert "No Such Article Anywhere" in run(body)
    assert mcp_usage(setup.url, "agentco") == before  # usage counts successful deliveries


def test_quota_on_the_mcp_channel(transport: Session, setup: Setup) -> None:
    """An agreement's mcp quota counts tool calls; once used up, calls are refused."""
    from wikipact.access.models import Quota
    from wikipact.backends import open_backends

    partner = f"quoted-{uuid.uuid4().hex[:8]}"
    backends = open_backends(setup.url)
    try:
        access = backends.access()
        access.add_partner(partner, partner, actor="test")
        access.add_agreement(
            partner, name="two calls", projects=["enwiki"], channels=["mcp"], uses=["grounding"],
            quotas=[Quota(channel="mcp", period="day", limit=2)], rate_limit=1000, burst=1000,
            starts="2026-01-01", actor="test",
        )  # fmt: skip
        key = access.create_key(partner, label="k", actor="test")[1]
    finally:
        backends.close()

    async def body() -> list[CallToolResult]:
        async with transport(key) as client:
            return [
                await client.call_tool("get_attribution", {"title": "Anarchism"}) for _ in range(3)
            ]

    first, second, third = run(body)
    assert not first.is_error and not second.is_error
    assert "quota" in refusal(third)
    assert mcp_usage(setup.url, partner)[0] == 2
