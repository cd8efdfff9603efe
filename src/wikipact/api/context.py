"""Per-request plumbing: the caller, the store, and metering of what is delivered."""

from __future__ import annotations

import asyncio
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from wikipact.access import Access, Principal
from wikipact.access.entitlement import Grant
from wikipact.access.models import Agreement
from wikipact.backends import Backends
from wikipact.errors import ForbiddenError
from wikipact.model.project import language_of
from wikipact.search.query import PassageIndex
from wikipact.snapshots.registry import Registry

bearer = HTTPBearer(
    auto_error=False,
    description="Authorization: Bearer <API key>, or <access token> from POST /v1/login",
)


@dataclass
class Services:
    """What the app serves from: its backends, and the access layer built on them."""

    backends: Backends
    access: Access
    _local: threading.local | None = None
    _passages: Any = None
    _registry: Any = None
    _shared: Any = None  # the PostgreSQL store
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _languages: dict[str, str | None] = field(default_factory=dict)

    def store(self) -> Any:
        """The article store, read-only: on SQLite a connection per thread; on PostgreSQL one
        store (a pool) that every thread shares."""
        if self.backends.is_postgres:
            if self._shared is None:
                with self._lock:
                    if self._shared is None:
                        self._shared = self.backends.store(readonly=True)
            return self._shared
        if self._local is None:
            self._local = threading.local()
        store = getattr(self._local, "store", None)
        if store is None:
            store = self._local.store = self.backends.store(readonly=True)
        return store

    def close(self) -> None:
        """Give back the pools and connections reads hold (at shutdown; they are opened again
        if the app serves on). The access layer lives as long as the app."""
        for held in (self._shared, self._passages, self._registry):
            close = getattr(held, "close", None)
            if close is not None:
                close()
        self._shared = self._passages = self._registry = None

    @property
    def passages(self) -> PassageIndex:
        if self._passages is None:
            self._passages = self.backends.passages()
        return self._passages  # type: ignore[no-any-return]

    @property
    def registry(self) -> Registry:
        if self._registry is None:
            self._registry = self.backends.registry()
        return self._registry  # type: ignore[no-any-return]

    @property
    def snapshots_root(self) -> Path | str:
        return self.backends.snapshots_root

    def language_of(self, project: str) -> str | None:
        """The content language of a project: its site information, else its name's."""
        if project not in self._languages:
            site = self.store().site(project)
            self._languages[project] = site.language if site is not None else language_of(project)
        return self._languages[project]

    def grant(
        self,
        principal: Principal,
        channel: str | None,
        *,
        use: str | None = None,
        project: str | None = None,
        namespace: int | None = None,
    ) -> Grant:
        """What the caller may receive on ``channel`` (``ForbiddenError`` with the reason)."""
        return self.access.grant(
            principal,
            channel=channel,
            use=use,
            project=project,
            namespace=namespace,
            language_of=self.language_of,
        )

    def listing_grant(self, principal: Principal, channel: str | None = None) -> Grant:
        """For lists: the grant, or an empty one when the caller may receive nothing."""
        try:
            return self.grant(principal, channel)
        except ForbiddenError:
            return Grant(channel, ())


def services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


async def caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    """The authenticated caller; 401 (never 422) without a valid key or access token (a login's
    token authenticates as the key it was issued for: ``Access.authenticate``).

    On SQLite a key check is a ~15 µs read, so it runs on the event loop; on PostgreSQL it is a
    network round trip, so it runs in the thread pool like the routes that write (rate limits,
    metering): a call waiting on the database must not stall every request of this process
    (measured: with writes on the event loop, 200 connections gave 2 s timeouts; in threads,
    p99 204 ms and none)."""
    access = services(request).access
    raw = credentials.credentials if credentials else None
    if access.repository.remote:
        return await run_in_threadpool(access.authenticate, raw)
    return access.authenticate(raw)


Caller = Annotated[Principal, Depends(caller)]


async def admin(principal: Caller) -> Principal:
    if not principal.is_admin:
        raise ForbiddenError("this route needs an admin key")
    return principal


Admin = Annotated[Principal, Depends(admin)]


class Meter:
    """Entitlement, rate limit and quota before a delivery; one usage event after it.

    ``grant`` is what the caller may receive: what the route sends is checked or filtered
    against it (``Grant.allows``). A route finishes its meter with what it delivered; a meter
    that no exit path finished (an exception, a forgotten branch) is finished by ``MeterGuard``
    when the response ends, with the status and the bytes the client really got, so an admitted
    request is always metered once and a failed one gives its quota unit back."""

    def __init__(
        self,
        request: Request,
        principal: Principal,
        *,
        channel: str,
        project: str | None = None,
        namespace: int | None = None,
        use: str | None = None,
    ) -> None:
        svc = services(request)
        self.svc = svc
        self.principal = principal
        self.channel = channel
        self.project = project
        self.grant: Grant = svc.grant(
            principal, channel, use=use, project=project, namespace=namespace
        )
        self.agreement: Agreement = self.grant.agreement
        self.period = svc.access.admit(principal, self.agreement, channel)
        self.event = uuid.uuid4().hex
        self.done = False
        meters = getattr(request.state, MeterGuard.KEY, None)
        if meters is None:
            meters = []
            setattr(request.state, MeterGuard.KEY, meters)
        meters.append(self)

    def finish(
        self,
        status: int,
        *,
        project: str,
        articles: int = 0,
        bytes_sent: int = 0,
        snapshot: str | None = None,
    ) -> None:
        """Record the delivery once; a failed one gives its quota unit back. (A redirect to a
        presigned URL of a file is recorded as the 200 or 206 download it allows: see
        ``api.files``.)"""
        if self.done:
            return
        self.done = True
        self.svc.access.record(
            self.event,
            self.principal,
            channel=self.channel,
            project=project,
            articles=articles,
            bytes_sent=bytes_sent,
            status=status,
            agreement=self.agreement,
            snapshot=snapshot,
        )
        if not 200 <= status < 300 and self.period is not None:
            self.svc.access.release(self.agreement, self.channel, self.period)


class MeterGuard:
    """ASGI middleware: when a response has ended (or failed, or the client left), finishes
    every ``Meter`` of the request that its route left open."""

    KEY = "wikipact_meters"

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        sent = 0
        completed = False

        async def watch(message: Message) -> None:
            nonlocal status, sent, completed
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
                completed = completed or not message.get("more_body", False)
            await send(message)

        failed = False
        try:
            await self.app(scope, receive, watch)
        except BaseException:
            failed = True
            raise
        finally:
            meters = scope.get("state", {}).get(self.KEY, ())
            final = 500 if failed else (status if completed else 499)
            for meter in meters:
                if not meter.done:
                    await asyncio.to_thread(
                        meter.finish, final, project=meter.project or "", bytes_sent=sent
                    )


def rate_limited(svc: Services, principal: Principal) -> None:
    """Rate-limit a non-delivery call (metadata, usage) by the caller's first active agreement."""
    if principal.partner is None:
        return
    grant = svc.listing_grant(principal)
    if grant.agreements:
        svc.access.admit(principal, grant.agreement, "meta")


class RefuseNul:
    """400 for a request whose path holds a NUL character (raw or ``%00``): no title or
    identifier contains one, and PostgreSQL text cannot hold it, so such a request is refused
    the same on every backend instead of failing in the database. (Query strings are the
    routes' own: a search query with NUL is searched without it.)"""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw = scope.get("raw_path") or b""
            if b"\x00" in raw or b"%00" in raw or "\x00" in scope.get("path", ""):
                body = b'{"message":"NUL characters are not allowed in paths","status":400}'
                await send({"type": "http.response.start", "status": 400,
                            "headers": [(b"content-type", b"application/json")]})  # fmt: skip
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
