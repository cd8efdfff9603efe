"""Snapshot downloads: listing by entitlement, Range resumes, ETag, HEAD, privacy (G8)."""

from __future__ import annotations

import hashlib
import io
import random
import tarfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import auth, make_partners


@pytest.fixture(scope="module")
def snap(sample_db: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    import shutil

    from wikipact.api import create_app
    from wikipact.snapshots.create import create_snapshot

    tmp_path = tmp_path_factory.mktemp("snapshots-api")
    db = tmp_path / "w.db"
    shutil.copy(sample_db, db)
    root = tmp_path / "snapshots"
    english = create_snapshot(db, root, "enwiki", 0)
    marathi = create_snapshot(db, root, "mrwiki", 0)
    private = create_snapshot(db, root, "enwiki", 0, owner="acme", force=True)
    app = create_app(db, snapshots_root=root)
    keys = make_partners(app.state.services.access)
    with TestClient(app) as client:
        yield client, keys, english, marathi, private


def test_listing_follows_entitlements_and_privacy(snap) -> None:  # type: ignore[no-untyped-def]
    client, keys, english, _marathi, private = snap
    listed = client.get("/v2/snapshots", headers=auth(keys.acme)).json()
    # one entry per Enterprise name: the newest file acme may see (its private one)
    assert [(s["identifier"], s["dated_identifier"]) for s in listed] == [
        ("enwiki_namespace_0", private.identifier)
    ]
    beta = client.get("/v2/snapshots", headers=auth(keys.beta)).json()
    assert [s["identifier"] for s in beta] == []  # beta has no snapshots channel
    meta = client.get(f"/v2/snapshots/{english.identifier}", headers=auth(keys.acme)).json()
    assert meta["sha256"] == meta["version"] == english.sha256 and meta["bytes"] == english.size
    assert meta["size"] == {"value": round(english.size / 1e6, 6), "unit_text": "MB"}
    assert meta["records"] == 55 and meta["is_part_of"] == {"identifier": "enwiki"}
    assert meta["identifier"] == english.identifier  # asked for by its dated identifier


@pytest.mark.parametrize("who", ["beta", "gone"])
def test_foreign_or_private_snapshots_are_not_found(snap, who: str) -> None:  # type: ignore[no-untyped-def]
    client, keys, english, marathi, private = snap
    key = getattr(keys, who)
    for identifier in (english.identifier, private.identifier, marathi.identifier):
        for path in ("", "/download"):
            response = client.get(f"/v2/snapshots/{identifier}{path}", headers=auth(key))
            assert response.status_code == 404, (identifier, path, response.status_code)
        assert (
            client.head(f"/v2/snapshots/{identifier}/download", headers=auth(key)).status_code
            == 404
        )


def test_a_download_resumed_by_ranges_is_byte_exact(snap) -> None:  # type: ignore[no-untyped-def]
    client, keys, english, *_ = snap
    url = f"/v2/snapshots/{english.identifier}/download"
    head = client.head(url, headers=auth(keys.acme))
    assert head.status_code == 200 and int(head.headers["content-length"]) == english.size
    etag = head.headers["etag"]
    rng = random.Random(7)
    pieces = []
    start = 0
    while start < english.size:  # a client that keeps getting cut off and resumes
        end = min(start + rng.randint(1, 40_000), english.size - 1)
        part = client.get(
            url, headers=auth(keys.acme) | {"Range": f"bytes={start}-{end}", "If-Range": etag}
        )
        assert part.status_code == 206
        assert part.headers["content-range"] == f"bytes {start}-{end}/{english.size}"
        pieces.append(part.content)
        start = end + 1
    data = b"".join(pieces)
    assert hashlib.sha256(data).hexdigest() == english.sha256
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        [member] = tar.getmembers()
        lines = tar.extractfile(member).read().splitlines()  # type: ignore[union-attr]
    assert len(lines) == english.records


def test_conditional_and_unsatisfiable_requests(snap) -> None:  # type: ignore[no-untyped-def]
    client, keys, english, *_ = snap
    url = f"/v2/snapshots/{english.identifier}/download"
    full = client.get(url, headers=auth(keys.acme))
    assert full.status_code == 200 and len(full.content) == english.size
    etag = full.headers["etag"]
    assert client.get(url, headers=auth(keys.acme) | {"If-None-Match": etag}).status_code == 304
    stale = client.get(url, headers=auth(keys.acme) | {"Range": "bytes=0-9", "If-Range": '"old"'})
    assert stale.status_code == 200 and len(stale.content) == english.size
    beyond = client.get(url, headers=auth(keys.acme) | {"Range": f"bytes={english.size}-"})
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{english.size}"
    garbage = client.get(url, headers=auth(keys.acme) | {"Range": "bytes=9-3"})
    assert garbage.status_code == 200  # an invalid Range is ignored


def test_downloads_are_metered_once_per_snapshot(snap) -> None:  # type: ignore[no-untyped-def]
    client, _, english, *_ = snap
    access = client.app.state.services.access  # type: ignore[attr-defined]
    access.add_partner("bulk", "Bulk", actor="test")
    access.add_agreement(
        "bulk", name="s", projects=["enwiki"], channels=["snapshots"], starts="2026-01-01",
        actor="test",
    )  # fmt: skip
    key = access.create_key("bulk", label="k", actor="test")[1]
    url = f"/v2/snapshots/{english.identifier}/download"
    client.get(url, headers=auth(key))
    client.get(url, headers=auth(key) | {"Range": "bytes=100-199"})
    usage = client.get("/v2/usage", headers=auth(key)).json()
    [row] = [u for u in usage["usage"] if u["channel"] == "snapshots"]
    assert row["requests"] == 2 and row["bytes"] == english.size + 100
    import sqlite3

    conn = sqlite3.connect(access.path)
    downloads = conn.execute(
        "SELECT COUNT(*) FROM access_usage WHERE snapshot IS NOT NULL AND partner='bulk'"
    ).fetchone()[0]
    conn.close()
    assert downloads == 1  # the ranged request is not another snapshot download


def test_traversal_identifiers_never_reach_the_disk(snap) -> None:  # type: ignore[no-untyped-def]
    client, keys, *_ = snap
    for probe in ("..%2F..%2Fetc%2Fhostname", "%2Fetc%2Fhostname", "..", "%2e%2e", "a%00b"):
        response = client.get(f"/v2/snapshots/{probe}/download", headers=auth(keys.acme))
        assert response.status_code in (400, 404, 422), probe  # 400: a NUL in the path
        assert b"localhost" not in response.content


def test_a_registered_file_gone_from_disk_is_not_found_without_a_server_path(snap) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from wikipact.snapshots.registry import register

    client, keys, english, *_ = snap
    services = client.app.state.services
    gone = replace(
        english,
        identifier=english.identifier[:-8] + "20200101",  # an older dump: the newest stays
        path="enwiki_namespace_0_20200101.tar.gz",
        created_at="2020-01-02T00:00:00Z",
    )
    register(services.backends.sqlite_path(), gone)
    root = str(services.snapshots_root)
    for verb in (client.get, client.head):
        answer = verb(f"/v2/snapshots/{gone.identifier}/download", headers=auth(keys.acme))
        assert answer.status_code == 404
        if verb is client.get:
            message = answer.json()["message"]
            assert "not available on this server" in message and root not in message
            assert "tar.gz" not in message
