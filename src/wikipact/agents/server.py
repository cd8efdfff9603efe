"""The MCP server: grounding search, articles and attribution for a partner's agents.

Every tool call is a delivery on the agreement channel ``mcp``, exactly as an HTTP request is
on its channel: the key is authenticated, the agreements must grant channel ``mcp`` for use
``grounding`` (and the projects asked for), the key's rate limit and the agreement's ``mcp``
quota take one unit (``Access.admit``), and one usage event is recorded with the status and the
bytes of the result. A refused call (no key, not granted, rate limited, quota used up) records
nothing; a call that finds nothing or fails records its status and gives its quota unit back.
Refusals reach the agent as MCP tool errors (``isError``) whose message says what to do.

Where the key comes from is the transport's business (``key``): the ``WIKIPACT_API_KEY``
environment variable on stdio, ``Authorization: Bearer <key>`` per request over HTTP
(``bearer_key``).
"""

from __future__ import annotations

import math
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any, Literal

import msgspec
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.transport_security import TransportSecuritySettings
from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel, Field

from wikipact import __version__
from wikipact.access import Access, Principal
from wikipact.access.entitlement import Grant
from wikipact.enterprise import shapes
from wikipact.errors import (
    AuthenticationError,
    ForbiddenError,
    LimitExceeded,
    StoreError,
)
from wikipact.model.project import language_of

if TYPE_CHECKING:
    from starlette.types import Receive, Scope, Send

    from wikipact.backends import Backends
    from wikipact.model.article import Article
    from wikipact.search.query import PassageIndex
    from wikipact.store.base import ArticleStore

CHANNEL = "mcp"
USE = "grounding"
MAX_PASSAGES = 100
TOOLS = ("search_passages", "get_article", "get_attribution")
ArticlePart = Literal["abstract", "text", "sections", "infoboxes", "claims", "references", "tables"]
DEFAULT_PARTS: tuple[ArticlePart, ...] = (
    "abstract",
    "sections",
    "infoboxes",
    "claims",
    "references",
)
KeyOf = Callable[[Context], "str | None"]

INSTRUCTIONS = (
    "Wikimedia content (Wikipedia and sister projects) under your organisation's agreement. "
    "Ground answers with search_passages (passages with the citations that back them), read "
    "a whole article with get_article, and show the user what get_attribution returns next to "
    "any text you use (CC BY-SA: title, link, licence and the attribution line)."
)


# -- what the tools return (the output schemas; results are built as plain JSON) ---------


class Citation(BaseModel):
    """A reference cited by a passage (fields that are unknown are left out)."""

    identifier: str
    type: str | None = None
    title: str | None = None
    url: str | None = None
    doi: str | None = None
    isbn: str | None = None
    text: str | None = None


class Passage(BaseModel):
    """A paragraph-level passage of one article revision (as ``GET /v2/search`` gives it)."""

    project: str
    page_id: int
    title: str
    url: str
    revision_id: int
    language: str
    section: str
    position: int
    text: str
    snippet: str
    score: float
    citations: list[Citation]


class SearchResult(BaseModel):
    query: str
    passages: list[Passage]


class Revision(BaseModel):
    identifier: int
    date_modified: str


class License(BaseModel):
    identifier: str
    name: str
    url: str


class Claim(BaseModel):
    """A sentence of the article text backed by references, with those references."""

    text: str
    start: int
    end: int
    section: str
    citations: list[str]
    references: list[dict[str, Any]]


class ArticleParts(BaseModel):
    """One article (one project) at one revision: the parts asked for, as its record has them
    (``GET /v2/articles/{name}``)."""

    title: str
    project: str
    language: str
    page_id: int
    url: str
    revision: Revision
    license: list[License]
    attribution: str
    abstract: str | None = None
    text: str | None = None
    sections: list[dict[str, Any]] | None = None
    infoboxes: list[dict[str, Any]] | None = None
    claims: list[Claim] | None = None
    references: list[dict[str, Any]] | None = None
    tables: list[dict[str, Any]] | None = None


class ArticlesResult(BaseModel):
    title: str
    articles: list[ArticleParts]


class Attribution(BaseModel):
    """What to show the user next to text taken from one article."""

    title: str
    project: str
    url: str
    revision_id: int
    date_modified: str
    license_name: str
    license_url: str
    attribution: str


class AttributionsResult(BaseModel):
    title: str
    attributions: list[Attribution]


# -- reads and metering -------------------------------------------------------------------


class _Reader:
    """The store (read-only; a connection per thread on SQLite, one pool on PostgreSQL) and
    the passage index, opened on first use."""

    def __init__(self, backends: Backends) -> None:
        self.backends = backends
        self._local = threading.local()
        self._shared: ArticleStore | None = None
        self._passages: PassageIndex | None = None
        self._lock = threading.Lock()
        self._languages: dict[str, str | None] = {}

    def store(self) -> ArticleStore:
        if self.backends.is_postgres:
            with self._lock:
                if self._shared is None:
                    self._shared = self.backends.store(readonly=True)
            return self._shared
        store: ArticleStore | None = getattr(self._local, "store", None)
        if store is None:
            store = self._local.store = self.backends.store(readonly=True)
        return store

    @property
    def passages(self) -> PassageIndex:
        with self._lock:
            if self._passages is None:
                self._passages = self.backends.passages()
            return self._passages

    def language_of(self, project: str) -> str | None:
        if project not in self._languages:
            site = self.store().site(project)
            self._languages[project] = site.language if site is not None else language_of(project)
        return self._languages[project]

    def close(self) -> None:
        for held in (self._shared, self._passages):
            if held is not None:
                held.close()
        self._shared = self._passages = None


class _Delivery:
    """One metered tool call: entitlement, rate limit and quota before; one usage event after."""

    def __init__(self, access: Access, principal: Principal, grant: Grant) -> None:
        self.access = access
        self.principal = principal
        self.grant = grant
        self.agreement = grant.agreement
        self.period = access.admit(principal, self.agreement, CHANNEL)
        self.event = uuid.uuid4().hex

    def finish(self, status: int, *, project: str, articles: int = 0, bytes_sent: int = 0) -> None:
        self.access.record(
            self.event,
            self.principal,
            channel=CHANNEL,
            project=project,
            articles=articles,
            bytes_sent=bytes_sent,
            status=status,
            agreement=self.agreement,
        )
        if not 200 <= status < 300 and self.period is not None:
            self.access.release(self.agreement, CHANNEL, self.period)


class _Tools:
    """The tools' work, independent of the MCP plumbing."""

    def __init__(self, backends: Backends, key: KeyOf, key_hint: str) -> None:
        self.backends = backends
        self.access = backends.access()
        self.reader = _Reader(backends)
        self.key = key
        self.key_hint = key_hint

    # -- the gate -------------------------------------------------------------------------

    def _principal(self, ctx: Context) -> Principal:
        raw = self.key(ctx)
        if not raw:
            raise ToolError(f"no API key: {self.key_hint}")
        try:
            return self.access.authenticate(raw)
        except AuthenticationError as exc:
            raise ToolError(f"{exc}: {self.key_hint}") from None

    def _open(self, ctx: Context, projects: Iterable[str | None]) -> _Delivery:
        """Authenticate, check the grant for each project asked for, take a unit of rate limit
        and quota; every refusal is a ``ToolError`` with its reason."""
        principal = self._principal(ctx)
        try:
            grant: Grant | None = None
            for project in projects:
                grant = self.access.grant(
                    principal,
                    channel=CHANNEL,
                    use=USE,
                    project=project,
                    namespace=0 if project is not None else None,
                    language_of=self.reader.language_of,
                )
            assert grant is not None
            return _Delivery(self.access, principal, grant)
        except ForbiddenError as exc:
            raise ToolError(
                f"not granted: {exc}. MCP access needs an active agreement that lists channel "
                f"'{CHANNEL}', use '{USE}' and the project, and a key whose scopes include "
                f"'{CHANNEL}'; ask your account contact."
            ) from None
        except LimitExceeded as exc:
            wait = max(1, math.ceil(exc.retry_after))
            raise ToolError(f"{exc}; retry in {wait} s") from None

    @staticmethod
    def _result(data: dict[str, Any]) -> tuple[CallToolResult, int]:
        """The tool result (the JSON text for the model, the same data structured) and the
        bytes it delivers."""
        text = msgspec.json.encode(data).decode()
        result = CallToolResult(
            content=[TextContent(type="text", text=text)], structured_content=data
        )
        return result, len(text.encode())

    # -- the tools ------------------------------------------------------------------------

    def search(
        self, ctx: Context, query: str, projects: list[str] | None, limit: int
    ) -> CallToolResult:
        asked = sorted(set(projects)) if projects else []
        delivery = self._open(ctx, asked or [None])
        where = ",".join(asked)
        try:
            candidates = asked or self.reader.store().projects()
            scope = {p for p in candidates if delivery.grant.allows(p, 0)}
            found = self.reader.passages.search(query, projects=scope, limit=limit)
        except StoreError as exc:
            delivery.finish(503, project=where)
            raise ToolError(f"search is not available: {exc}") from None
        except BaseException:
            delivery.finish(500, project=where)
            raise
        result, size = self._result({"query": query, "passages": [p.to_dict() for p in found]})
        delivery.finish(
            200,
            project=",".join(sorted({p.project for p in found})) or where,
            articles=len(found),
            bytes_sent=size,
        )
        return result

    def _articles(
        self, ctx: Context, title: str, project: str | None
    ) -> tuple[_Delivery, list[Article]]:
        delivery = self._open(ctx, [project])
        try:
            found = [
                a
                for a in self.reader.store().find(title, project)
                if delivery.grant.allows(a.is_part_of.identifier, a.namespace.identifier)
            ]
        except BaseException:
            delivery.finish(500, project=project or "")
            raise
        if not found:
            delivery.finish(404, project=project or "")
            where = f"in {project}" if project else "in the projects you are entitled to"
            raise ToolError(
                f"no article titled {title!r} {where}; search_passages finds titles by content"
            )
        return delivery, found

    def article(
        self, ctx: Context, title: str, project: str | None, parts: list[ArticlePart] | None
    ) -> CallToolResult:
        wanted = tuple(dict.fromkeys(parts)) if parts else DEFAULT_PARTS
        return self._deliver(ctx, title, project, lambda a: _article(a, wanted), "articles")

    def attribution(self, ctx: Context, title: str, project: str | None) -> CallToolResult:
        return self._deliver(ctx, title, project, _attribution, "attributions")

    def _deliver(
        self,
        ctx: Context,
        title: str,
        project: str | None,
        shape: Callable[[Article], dict[str, Any]],
        key: str,
    ) -> CallToolResult:
        delivery, found = self._articles(ctx, title, project)
        try:
            result, size = self._result({"title": title, key: [shape(a) for a in found]})
        except BaseException:
            delivery.finish(500, project=project or "")
            raise
        delivery.finish(
            200,
            project=",".join(sorted({a.is_part_of.identifier for a in found})),
            articles=len(found),
            bytes_sent=size,
        )
        return result


def _article(article: Article, parts: tuple[ArticlePart, ...]) -> dict[str, Any]:
    record = shapes.article(msgspec.to_builtins(article))  # as the HTTP API shapes it
    out: dict[str, Any] = {
        "title": article.name,
        "project": article.is_part_of.identifier,
        "language": article.in_language.identifier,
        "page_id": article.identifier,
        "url": article.url,
        "revision": {
            "identifier": article.version.identifier,
            "date_modified": article.date_modified,
        },
        "license": record.get("license", []),
        "attribution": article.provenance.attribution,
    }
    references = {r["identifier"]: r for r in record.get("references", [])}
    for part in parts:
        if part == "claims":
            out["claims"] = [
                {
                    **claim,
                    "references": [references[c] for c in claim["citations"] if c in references],
                }
                for claim in record.get("claims", [])
            ]
        elif part in ("abstract", "text"):
            out[part] = record.get(part)
        else:
            out[part] = record.get(part, [])
    return out


def _attribution(article: Article) -> dict[str, Any]:
    license = article.license[0] if article.license else None
    return {
        "title": article.name,
        "project": article.is_part_of.identifier,
        "url": article.url,
        "revision_id": article.version.identifier,
        "date_modified": article.date_modified,
        "license_name": license.name if license else "",
        "license_url": license.url if license else "",
        "attribution": article.provenance.attribution,
    }


# -- the server ---------------------------------------------------------------------------


def bearer_key(ctx: Context) -> str | None:
    """The key of an HTTP request's ``Authorization: Bearer <key>`` header (None without)."""
    headers = ctx.headers
    if headers is None:
        return None
    scheme, _, value = (headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


def build_server(
    backends: Backends,
    *,
    key: Callable[[Context], str | None],
    key_hint: str = "send the partner API key as 'Authorization: Bearer <key>'",
) -> MCPServer:
    """The MCP server over ``backends``; ``key`` gives the partner key of a call (``key_hint``
    tells the agent how to supply one when it is missing or not valid)."""
    tools = _Tools(backends, key, key_hint)

    @asynccontextmanager
    async def lifespan(_: MCPServer) -> AsyncIterator[dict[str, Any]]:
        try:
            yield {}
        finally:
            tools.reader.close()

    server: MCPServer = MCPServer(
        "wikipact",
        title="Wikimedia content under agreement",
        instructions=INSTRUCTIONS,
        version=__version__,
        lifespan=lifespan,
    )

    @server.tool()
    def search_passages(
        query: str,
        ctx: Context,
        projects: list[str] | None = None,
        limit: Annotated[int, Field(ge=1, le=MAX_PASSAGES)] = 5,
    ) -> Annotated[CallToolResult, SearchResult]:
        """Find paragraph-level passages of Wikimedia articles that answer `query` (any words,
        any language), best first, each with the citations (references) that back it.

        Use it to ground an answer: quote or paraphrase `text`, cite its `citations`, and link
        `url` at `revision_id`. `projects` narrows the search to wikis by database name (e.g.
        ["enwiki"]); by default every project your agreement grants is searched. `limit` is
        1 to 100 (default 5)."""
        return tools.search(ctx, query, projects, limit)

    @server.tool()
    def get_article(
        title: str,
        ctx: Context,
        project: str | None = None,
        parts: list[ArticlePart] | None = None,
    ) -> Annotated[CallToolResult, ArticlesResult]:
        """An article by its exact title, once for each granted project that has it (or only
        from `project`, e.g. "enwiki"): its revision (identifier, date_modified), licence,
        attribution line, and the `parts` asked for: abstract, text, sections, infoboxes,
        claims (sentences with the references that back them), references, tables. Default
        parts: abstract, sections, infoboxes, claims, references."""
        return tools.article(ctx, title, project, parts)

    @server.tool()
    def get_attribution(
        title: str,
        ctx: Context,
        project: str | None = None,
    ) -> Annotated[CallToolResult, AttributionsResult]:
        """What to show the user next to any text taken from the article `title` (optionally
        only from `project`): title, link, revision id, date modified, licence name and link,
        and the ready-to-print attribution line the licence (CC BY-SA) requires."""
        return tools.attribution(ctx, title, project)

    return server


class StreamableHTTPEndpoint:
    """The MCP server as a streamable-HTTP ASGI endpoint, to route in another app at one path.

    Stateless and answering in JSON, so any of several server processes can take any request
    (no session lives in one process). ``run()`` belongs in the host app's lifespan: it starts
    the session manager (a new one each time the app starts)."""

    def __init__(self, server: MCPServer) -> None:
        self.server = server
        self._manager: Any = None

    @asynccontextmanager
    async def run(self) -> AsyncIterator[None]:
        # the keys are bearer tokens, never cookies: a rebound DNS name cannot send one, and
        # the API answers for whatever host name it is deployed under
        self.server.streamable_http_app(
            streamable_http_path="/",
            stateless_http=True,
            json_response=True,
            transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False),
        )
        manager = self.server.session_manager
        async with manager.run():
            self._manager = manager
            try:
                yield
            finally:
                self._manager = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        manager = self._manager
        if manager is None:
            body = b'{"message": "the MCP endpoint is not running", "status": 503}'
            await send(
                {
                    "type": "http.response.start",
                    "status": 503,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await manager.handle_request(scope, receive, send)
