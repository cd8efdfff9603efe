"""A live ``wikipact serve`` for the tests that need a real server (real clients over HTTP)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_server(url: str, *options: str, workers: int = 2) -> Iterator[str]:
    """``wikipact serve`` on the database ``url`` (with ``options``): its base URL, once it
    answers; stopped on exit."""
    port = free_port()
    command = [sys.executable, "-m", "wikipact", "serve", "--db", url, "--workers", str(workers)]
    process = subprocess.Popen(
        [*command, "--port", str(port), *options, "--no-access-log"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120  # a readiness wait, not a measurement
        while True:
            if process.poll() is not None:
                raise AssertionError(process.stderr.read().decode() if process.stderr else "")
            try:
                httpx.get(f"{base}/openapi.json", timeout=5)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
