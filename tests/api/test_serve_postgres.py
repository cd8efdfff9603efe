"""Two ``wikipact serve`` processes on one PostgreSQL share one rate limit and one quota, exactly,
and keep them across a restart: the limits are rows of the database, not state of a process."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from tests.conftest import ENWIKI_MULTISTREAM


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(
    url: str, count: int, *, workers: int = 1, env: dict[str, str] | None = None
) -> Iterator[list[str]]:
    """``count`` servers on ``url``'s database, each its own process; their base URLs."""
    ports = [_free_port() for _ in range(count)]
    command = [sys.executable, "-m", "wikipact", "serve", "--db", url, "--workers", str(workers)]
    processes = [
        subprocess.Popen(
            [*command, "--port", str(port), "--no-access-log"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
        )
        for port in ports
    ]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for process, base in zip(processes, bases, strict=True):
            for _ in range(600):  # until it answers (a readiness wait, not a measurement)
                if process.poll() is not None:
                    raise AssertionError(process.stderr.read().decode() if process.stderr else "")
                try:
                    httpx.get(f"{base}/openapi.json", timeout=5)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
        yield bases
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)


@pytest.fixture
def database(postgres_url: str):  # type: ignore[no-untyped-def]
    from wikipact.access import Access
    from wikipact.access.models import Quota
    from wikipact.backends import open_backends
    from wikipact.run.ingest import IngestOptions, ingest

    backends = open_backends(postgres_url)
    store = backends.store()
    ingest([ENWIKI_MULTISTREAM], store, IngestOptions())
    store.close()
    access: Access = backends.access()
    keys = {}
    for partner, rate, burst, quota in (("rated", 4.0, 4, None), ("quoted", 1000.0, 1000, 25)):
        access.add_partner(partner, partner, actor="test")
        access.add_agreement(
            partner, name="t", projects=["enwiki"], channels=["on-demand"], rate_limit=rate,
            burst=burst, starts="2026-01-01",
            quotas=[Quota(channel="on-demand", period="day", limit=quota)] if quota else [],
            actor="test",
        )  # fmt: skip
        keys[partner] = access.create_key(partner, label="k", actor="test")[1]
    yield postgres_url, keys, access
    backends.close()


def _ask(bases: list[str], key: str, count: int) -> tuple[Counter[int], list[str]]:
    """``count`` on-demand requests, alternating between the servers."""
    statuses: Counter[int] = Counter()
    messages = []
    clients = [httpx.Client(base_url=base, timeout=30) for base in bases]
    try:
        for n in range(count):
            response = clients[n % len(clients)].get(
                "/v2/articles/Anarchism", headers={"Authorization": f"Bearer {key}"}
            )
            statuses[response.status_code] += 1
            if response.status_code == 429:
                messages.append(response.json()["message"])
    finally:
        for client in clients:
            client.close()
    return statuses, messages


def test_two_servers_share_one_rate_limit_and_one_quota(database) -> None:  # type: ignore[no-untyped-def]
    url, keys, access = database
    with serving(url, 2) as bases:
        started = time.monotonic()
        rated, _ = _ask(bases, keys["rated"], 60)
        elapsed = time.monotonic() - started
        assert set(rated) == {200, 429}, rated
        # GCRA at 4/s with a burst of 4, across both processes: never more than R*t + burst
        assert rated[200] <= 4.0 * elapsed + 4, (rated, elapsed)
        quoted, messages = _ask(bases, keys["quoted"], 60)
        assert quoted == Counter({200: 25, 429: 35})
        assert set(messages) == {"the daily quota of 25 on-demand requests is used up"}
    usage = {row.channel: row.requests for row in access.usage("rated")}
    assert usage == {"on-demand": rated[200]}  # the ledger is the 2xx responses, once each
    assert sum(row.requests for row in access.usage("quoted")) == 25

    with serving(url, 1) as bases:  # a restart: the quota is still used up
        again, _ = _ask(bases, keys["quoted"], 5)
        assert again == Counter({429: 5})
    assert access.quotas("quoted")[0]["used"] == 25
