"""Send Wikimedia Enterprise's host names to a local ``wikipact serve``, as an /etc/hosts entry
would: the clients under test run unchanged with their own built-in URLs.

``route(base)`` makes every ``httpx.Client`` and ``httpx.AsyncClient`` created afterwards in
this process rewrite requests for ``*.enterprise.wikimedia.com`` to ``base`` (scheme, host and
port; the path is kept). ``hosts/sitecustomize.py`` does the same in a child process when
``WIKIPACT_ENTERPRISE_BASE`` is set.
"""

from __future__ import annotations

from typing import Any

import httpx

ENTERPRISE_SUFFIX = ".enterprise.wikimedia.com"


def _rewrite(request: httpx.Request, base: httpx.URL) -> None:
    if request.url.host.endswith(ENTERPRISE_SUFFIX):
        request.url = request.url.copy_with(scheme=base.scheme, host=base.host, port=base.port)
        request.headers["Host"] = f"{base.host}:{base.port}"


class _Routed(httpx.HTTPTransport):
    def __init__(self, base: httpx.URL, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base = base

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        _rewrite(request, self.base)
        return super().handle_request(request)


class _AsyncRouted(httpx.AsyncHTTPTransport):
    def __init__(self, base: httpx.URL, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base = base

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        _rewrite(request, self.base)
        return await super().handle_async_request(request)


def route(base: str) -> None:
    """From now on, Enterprise's hosts are ``base`` (e.g. ``http://127.0.0.1:8123``)."""
    target = httpx.URL(base)
    sync_init, async_init = httpx.Client.__init__, httpx.AsyncClient.__init__
    if getattr(sync_init, "wikipact_routed", False):
        return

    def client_init(self: httpx.Client, *args: Any, **kwargs: Any) -> None:
        given = kwargs.pop("transport", None)
        retries = getattr(getattr(given, "_pool", None), "_retries", 0) if given else 0
        kwargs["transport"] = _Routed(target, retries=retries)
        sync_init(self, *args, **kwargs)

    def async_client_init(self: httpx.AsyncClient, *args: Any, **kwargs: Any) -> None:
        kwargs.pop("transport", None)
        kwargs["transport"] = _AsyncRouted(target)
        async_init(self, *args, **kwargs)

    client_init.wikipact_routed = True  # type: ignore[attr-defined]
    httpx.Client.__init__ = client_init  # type: ignore[method-assign]
    httpx.AsyncClient.__init__ = async_client_init  # type: ignore[method-assign]
