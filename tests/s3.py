"""A throwaway S3-compatible server for the tests: moto's server mode, run in this process on a
free port of 127.0.0.1, and the standard AWS variables pointing at it for the session.

wikipact reads the endpoint and credentials from ``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY`` and ``AWS_REGION`` (``wikipact.storage``), so code under test
reaches this server exactly as it would reach S3; worker processes inherit the variables. The
server counts the bytes of every response it sends (``Server.served``), which is how a test
proves that a task fetched only its byte ranges. Without moto (the ``dev`` extra) or s3fs (the
``s3`` extra), the tests that need a server are skipped, saying so.
"""

from __future__ import annotations

import contextlib
import importlib.util
import socketserver
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from wsgiref import simple_server

import pytest

# the variables the session sets, and those it hides: a developer's own S3 settings must not
# send the tests to a real bucket (AWS_ENDPOINT_URL_S3 would win over AWS_ENDPOINT_URL)
HIDDEN = (
    "AWS_ENDPOINT_URL_S3",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_REGION",
)
ACCESS_KEY = "wikipact-test"
SECRET_KEY = "wikipact-test-secret"
REGION = "eu-central-1"  # not us-east-1: s3fs names the region when it makes a bucket,
# and S3 (moto too) refuses us-east-1 as a location constraint


def unavailable() -> str | None:
    """Why no S3-compatible server can be had here (None: one can)."""
    missing = [m for m in ("moto", "s3fs", "flask") if importlib.util.find_spec(m) is None]
    if missing:
        return f"no {', '.join(missing)}: install the dev extra (pip install -e '.[dev]')"
    return None


@dataclass
class Request:
    method: str
    path: str  # /bucket/key (path-style: botocore's choice for an endpoint given by address)
    status: int
    sent: int = 0  # bytes of the response body, counted before they go out


@dataclass
class Traffic:
    """Every request the server answered, in order (thread-safe: the server is threaded)."""

    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, request: Request) -> None:
        with self.lock:
            self.requests.append(request)

    def count(self, request: Request, sent: int) -> None:
        with self.lock:
            request.sent += sent

    def mark(self) -> int:
        """A point to count from (``Server.served(since=...)``)."""
        with self.lock:
            return len(self.requests)


class _Counting:
    """WSGI middleware in front of moto's app that counts the bytes of each response.

    A chunk is counted before it is handed to the server to send, so when a client has read a
    response, its bytes are already counted: a test reads the count with no wait.
    """

    def __init__(self, app: Callable[..., Iterable[bytes]], traffic: Traffic) -> None:
        self.app = app
        self.traffic = traffic

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        status: list[int] = []

        def recording_start(code: str, headers: Any, *args: Any) -> Any:
            status.append(int(code.split()[0]))
            return start_response(code, headers, *args)

        body = self.app(environ, recording_start)
        request = Request(environ["REQUEST_METHOD"], environ["PATH_INFO"], status[0])
        self.traffic.add(request)
        try:
            for chunk in body:
                self.traffic.count(request, len(chunk))
                yield chunk
        finally:
            close = getattr(body, "close", None)
            if close:
                close()


@dataclass
class Server:
    """A running server; ``bucket()`` makes a new, empty bucket and returns its URL."""

    endpoint: str
    traffic: Traffic

    def bucket(self) -> str:
        from wikipact import storage

        url = "s3://wikipact-test-" + uuid.uuid4().hex[:16]
        fs, path = storage.filesystem(url)
        fs.mkdir(path)
        return url

    def served(self, url: str, *, since: int = 0) -> int:
        """Bytes of the object at ``url`` that GETs have sent since ``since`` (``mark()``)."""
        path = "/" + url.removeprefix("s3://")
        with self.traffic.lock:
            requests = self.traffic.requests[since:]
        return sum(r.sent for r in requests if r.method == "GET" and r.path == path)


class _ThreadingServer(socketserver.ThreadingMixIn, simple_server.WSGIServer):
    daemon_threads = True  # a client that keeps its connection open does not hold up the end


class _QuietHandler(simple_server.WSGIRequestHandler):
    # botocore sends a body only after "100 Continue", which http.server answers to HTTP/1.1
    # requests if the handler speaks 1.1 (wsgiref's replies are 1.0: one request a connection)
    protocol_version = "HTTP/1.1"

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """One line per request on stderr would bury pytest's output."""


@contextlib.contextmanager
def server() -> Iterator[Server]:
    """moto's S3 app (what ``moto.server.ThreadedMotoServer`` serves) behind the byte counter,
    on a threaded WSGI server of the standard library, on a free port of 127.0.0.1; the AWS
    variables point at it until the block ends."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    traffic = Traffic()
    app = _Counting(DomainDispatcherApplication(create_backend_app), traffic)
    httpd = simple_server.make_server(
        "127.0.0.1", 0, app, server_class=_ThreadingServer, handler_class=_QuietHandler
    )
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="moto-s3", daemon=True
    )
    thread.start()
    endpoint = f"http://127.0.0.1:{httpd.server_port}"
    try:
        with pytest.MonkeyPatch.context() as env:
            for name in HIDDEN:
                env.delenv(name, raising=False)
            env.setenv("AWS_ENDPOINT_URL", endpoint)
            env.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            env.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
            env.setenv("AWS_REGION", REGION)
            yield Server(endpoint, traffic)
    finally:
        httpd.shutdown()
        thread.join()
        httpd.server_close()
