"""Object storage that refuses the credentials: every read, write and listing says so, names
the variables to check, and is never taken for a missing bucket or object; a command exits with
that message, not a traceback.

The server is moto's, run as its own process with request authentication on
(``INITIAL_NO_AUTH_ACTION_COUNT=0``: it knows no key, so every key is refused), as S3 refuses a
wrong or revoked key.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import s3
from tests.conftest import ENWIKI_MULTISTREAM
from wikipact import storage
from wikipact.errors import ConfigError

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def refusing_endpoint() -> Iterator[str]:
    reason = s3.unavailable()
    if reason:
        pytest.skip(reason)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env={**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "0"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(port, server)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=60)


def _wait_for(port: int, server: subprocess.Popen[bytes]) -> None:
    """Until the server accepts connections (a readiness poll, not a timing assumption)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"moto's server exited with {server.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    pytest.fail("moto's server did not start")


@pytest.fixture
def refused(refusing_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The AWS variables of a caller with a key the server does not accept."""
    variables = {
        "AWS_ENDPOINT_URL": refusing_endpoint,
        "AWS_ACCESS_KEY_ID": "AKIAREVOKEDKEY000000",
        "AWS_SECRET_ACCESS_KEY": "not-the-secret",
        "AWS_REGION": s3.REGION,
    }
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    for name in s3.HIDDEN:
        monkeypatch.delenv(name, raising=False)
    return variables


ACTIONS: dict[str, Callable[[], Any]] = {
    "read": lambda: storage.get_bytes("s3://partner-dumps/enwiki/dump.xml.bz2"),
    "ranged read": lambda: storage.read_range("s3://partner-dumps/enwiki/dump.xml.bz2", 0, 10),
    "size": lambda: storage.size("s3://partner-dumps/enwiki/dump.xml.bz2"),
    "write": lambda: storage.put_bytes("s3://partner-datasets/x/manifest.json", b"{}"),
    "listing": lambda: storage.listdir("s3://partner-datasets/x"),
    "presigned URL": lambda: storage.presign("s3://partner-datasets/x/a.tar.gz", 60),
}


@pytest.mark.parametrize("action", ACTIONS)
def test_refused_credentials_are_reported_as_such(refused: dict[str, str], action: str) -> None:
    if action == "presigned URL":
        # signing happens locally, with whatever key is set: only the GET is refused
        url = ACTIONS[action]()
        assert url.startswith(refused["AWS_ENDPOINT_URL"]) and "Signature=" in url
        return
    with pytest.raises(ConfigError) as caught:
        ACTIONS[action]()
    message = str(caught.value)
    assert not isinstance(caught.value, FileNotFoundError)  # not "no such bucket/object"
    assert "access denied" in message
    assert "AWS_ACCESS_KEY_ID" in message and "AWS_SECRET_ACCESS_KEY" in message
    assert refused["AWS_ENDPOINT_URL"] in message  # which endpoint refused


def test_a_command_exits_with_the_message(refused: dict[str, str], tmp_path: Path) -> None:
    run = subprocess.run(
        [
            sys.executable, "-m", "wikipact", "ingest",
            f"s3://partner-dumps/enwiki/{ENWIKI_MULTISTREAM.name}",
            "--db", f"sqlite:///{tmp_path / 'w.db'}",
        ],
        capture_output=True, text=True, timeout=300, env={**os.environ},
    )  # fmt: skip
    assert run.returncode != 0
    assert "access denied" in run.stderr and "AWS_ACCESS_KEY_ID" in run.stderr, run.stderr
    assert "Traceback" not in run.stderr
