"""``wikipact db copy``: a running pilot moved to another database keeps serving its partners.

The pilot is real: the enwiki sample ingested, a partner with an agreement and a key, a
snapshot, usage from real requests. After ``wikipact db copy``, the same key, the same realtime
``Last-Event-ID`` and the same snapshot id give the same answers from the copy, byte for byte.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import ENWIKI_MULTISTREAM


def wikipact(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wikipact", *args], capture_output=True, text=True, timeout=300
    )


def answers(client: TestClient, key: str, snapshot: str) -> dict[str, object]:
    """What a partner sees: an article, the realtime feed after cursor 50, the snapshot."""
    headers = {"Authorization": f"Bearer {key}"}
    article = client.get("/v2/articles/Anarchism", headers=headers)
    feed = client.get(
        "/v2/realtime/articles",
        params={"timeout": "0.1"},
        headers=headers | {"Last-Event-ID": "50", "Accept": "application/x-ndjson"},
    )
    download = client.get(f"/v2/snapshots/{snapshot}/download", headers=headers)
    listed = client.get("/v2/snapshots", headers=headers)
    return {
        "article": (article.status_code, article.content),
        "feed": (feed.status_code, feed.content),
        "download": (download.status_code, hashlib.sha256(download.content).hexdigest()),
        "listed": (listed.status_code, listed.content),
    }


@pytest.mark.parametrize("target", ["sqlite", "postgresql"])
def test_a_copied_pilot_serves_the_same_to_its_partners(
    tmp_path: Path, request: pytest.FixtureRequest, target: str
) -> None:
    from wikipact.api import create_app
    from wikipact.backends import open_backends
    from wikipact.snapshots.create import create_snapshot

    month = datetime.now(UTC).strftime("%Y-%m")  # the usage below is metered now
    pilot = tmp_path / "pilot.db"
    pilot_url = f"sqlite:///{pilot}"
    root = tmp_path / "snapshots"
    assert wikipact("ingest", str(ENWIKI_MULTISTREAM), "--db", pilot_url).returncode == 0
    app = create_app(pilot, snapshots_root=root)
    access = app.state.services.access
    access.add_partner("acme", "Acme", actor="test")
    access.add_agreement(
        "acme", name="all", projects=["enwiki"], channels=["on-demand", "realtime", "snapshots"],
        starts="2026-01-01", rate_limit=1000, burst=1000, actor="test",
    )  # fmt: skip
    _, key = access.create_key("acme", label="main", actor="test")
    snapshot = create_snapshot(pilot, root, "enwiki", 0)
    with TestClient(app) as client:
        before = answers(client, key, snapshot.identifier)
        statement = client.get(
            f"/v2/statements/{month}", headers={"Authorization": f"Bearer {key}"}
        )
    assert before["article"][0] == 200 and before["download"][0] == 200
    assert before["download"][1] == snapshot.sha256
    assert before["feed"][1].count(b"\n") == 6  # cursors 51..56

    copy_url = (
        f"sqlite:///{tmp_path / 'copy.db'}"
        if target == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    copied = wikipact("db", "copy", pilot_url, copy_url)
    assert copied.returncode == 0, copied.stderr
    assert "verified by counts and checksums" in copied.stdout
    again = wikipact("db", "copy", pilot_url, copy_url)
    assert again.returncode == 2 and "not empty" in again.stderr

    backends = open_backends(copy_url, snapshots=root)
    with TestClient(create_app(backends)) as client:
        headers = {"Authorization": f"Bearer {key}"}
        assert client.get(f"/v2/statements/{month}", headers=headers).json() == statement.json()
        after = answers(client, key, snapshot.identifier)
    assert after == before
