"""Snapshots and hourly batches kept in object storage (a real S3-compatible server, tests/s3.py),
served by the real API: whole and ranged downloads streamed by ranged GETs of just the asked
bytes; with ``snapshots_redirect`` set, a 307 to a presigned URL that the store itself honours,
metered when issued and never handed to a caller who may not have the file; batch files made
once and kept as objects beside the snapshots."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import sqlite3
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import Partners, auth, make_partners
from tests.conftest import ENWIKI_MULTISTREAM
from tests.s3 import Server
from wikipact import storage
from wikipact.access.models import Quota
from wikipact.snapshots.registry import Snapshot

REDIRECT_SECONDS = 300


@dataclass
class Stored:
    """Snapshots written to ``root`` (an s3:// prefix) and two APIs over them: one that streams
    downloads, one that redirects them to presigned URLs."""

    db: Path
    root: str
    streaming: TestClient
    redirecting: TestClient
    keys: Partners
    english: Snapshot  # acme may download it
    marathi: Snapshot  # acme is not entitled to mrwiki
    private: Snapshot  # another partner's


@pytest.fixture(scope="module")
def stored(
    s3_server: Server, sample_db: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stored]:
    from wikipact.api import create_app
    from wikipact.backends import Backends
    from wikipact.settings import load_settings
    from wikipact.snapshots.create import create_snapshot

    folder = tmp_path_factory.mktemp("snapshots-s3")
    db = folder / "w.db"
    shutil.copy(sample_db, db)
    root = s3_server.bucket() + "/snapshots"
    english = create_snapshot(db, root, "enwiki", 0)
    marathi = create_snapshot(db, root, "mrwiki", 0)
    private = create_snapshot(db, root, "enwiki", 0, owner="someone", force=True)
    streaming = create_app(db, snapshots_root=root)
    settings = load_settings(
        db=f"sqlite:///{db}", snapshots=root, snapshots_redirect=REDIRECT_SECONDS
    )
    redirecting = create_app(Backends(settings))
    keys = make_partners(streaming.state.services.access)
    with TestClient(streaming) as one, TestClient(redirecting, follow_redirects=False) as two:
        yield Stored(db, root, one, two, keys, english, marathi, private)


def _download(identifier: str) -> str:
    return f"/v2/snapshots/{identifier}/download"


def _partner(stored: Stored, name: str, quotas: list[Quota] | None = None) -> str:
    """A new partner entitled to enwiki snapshots (its usage is its own); its key."""
    access = stored.streaming.app.state.services.access  # type: ignore[attr-defined]
    access.add_partner(name, name.capitalize(), actor="test")
    access.add_agreement(
        name, name="snapshots", projects=["enwiki"], channels=["snapshots"],
        quotas=quotas or [], rate_limit=1000, burst=1000, starts="2026-01-01", actor="test",
    )  # fmt: skip
    return str(access.create_key(name, label="k", actor="test")[1])


def _events(db: Path, partner: str) -> list[dict[str, Any]]:
    """The usage events metered for ``partner``, as the access tables hold them."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        rows = conn.execute(
            "SELECT day, channel, project, articles, bytes, status, snapshot FROM access_usage "
            "WHERE partner=? ORDER BY at",
            (partner,),
        ).fetchall()
    finally:
        conn.close()
    return [dict(r) for r in rows]


def _members(data: bytes) -> list[bytes]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        [member] = tar.getmembers()
        return tar.extractfile(member).read().splitlines()  # type: ignore[union-attr]


# -- streamed from object storage ------------------------------------------------------------


def test_the_snapshot_is_an_object_under_the_root(stored: Stored) -> None:
    url = storage.join(stored.root, stored.english.path)
    assert storage.exists(url) and storage.size(url) == stored.english.size
    assert storage.sha256(url) == stored.english.sha256
    assert len(_members(storage.get_bytes(url))) == stored.english.records == 55


def test_head_and_a_whole_download_give_the_objects_bytes(
    s3_server: Server, stored: Stored
) -> None:
    english, client = stored.english, stored.streaming
    url = _download(english.identifier)
    head = client.head(url, headers=auth(stored.keys.acme))
    assert head.status_code == 200
    assert int(head.headers["content-length"]) == english.size
    assert head.headers["etag"] == f'"{english.sha256}"'
    assert head.content == b""
    obj = storage.join(stored.root, english.path)
    data = storage.get_bytes(obj)
    mark = s3_server.traffic.mark()
    whole = client.get(url, headers=auth(stored.keys.acme))
    served = s3_server.served(obj, since=mark)
    assert whole.status_code == 200 and whole.headers["etag"] == head.headers["etag"]
    assert whole.content == data
    assert hashlib.sha256(whole.content).hexdigest() == english.sha256
    assert served == english.size  # the object was read once, and nothing more


@pytest.mark.parametrize(
    ("header", "span"),
    [("bytes=1000-1999", (1000, 1999)), ("bytes=-700", (-700, None)), ("bytes=5-5", (5, 5))],
)
def test_a_range_is_fetched_from_the_store_alone(
    s3_server: Server, stored: Stored, header: str, span: tuple[int, int | None]
) -> None:
    english = stored.english
    obj = storage.join(stored.root, english.path)
    data = storage.get_bytes(obj)
    first = span[0] % english.size
    last = english.size - 1 if span[1] is None else span[1]
    mark = s3_server.traffic.mark()
    part = stored.streaming.get(
        _download(english.identifier), headers=auth(stored.keys.acme) | {"Range": header}
    )
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes {first}-{last}/{english.size}"
    assert part.content == data[first : last + 1]
    # the server asked the store for exactly these bytes (ranged GETs), not the object
    assert s3_server.served(obj, since=mark) == last - first + 1


def test_a_chunk_is_served_from_the_store(stored: Stored) -> None:
    client, english = stored.streaming, stored.english
    chunks = client.get(
        f"/v2/snapshots/{english.identifier}/chunks", headers=auth(stored.keys.acme)
    ).json()
    assert chunks
    lines: list[bytes] = []
    for chunk in chunks:
        got = client.get(
            f"/v2/snapshots/{english.identifier}/chunks/{chunk['identifier']}/download",
            headers=auth(stored.keys.acme),
        )
        assert got.status_code == 200 and hashlib.sha256(got.content).hexdigest() == chunk["sha256"]
        lines += _members(got.content)
    assert len(lines) == english.records


# -- redirected to presigned URLs ------------------------------------------------------------


def test_a_download_redirects_to_a_presigned_url_the_store_honours(
    s3_server: Server, stored: Stored
) -> None:
    english = stored.english
    key = _partner(stored, "presigned")
    url = _download(english.identifier)
    head = stored.redirecting.head(url, headers=auth(key))
    assert head.status_code == 200 and int(head.headers["content-length"]) == english.size
    redirect = stored.redirecting.get(url, headers=auth(key))
    assert redirect.status_code == 307
    assert redirect.headers["etag"] == head.headers["etag"] == f'"{english.sha256}"'
    location = redirect.headers["location"]
    parts = urlsplit(location)
    bucket_and_key = stored.root.removeprefix("s3://") + "/" + english.path
    assert f"{parts.scheme}://{parts.netloc}" == s3_server.endpoint
    assert parts.path == "/" + bucket_and_key
    query = parse_qs(parts.query)
    assert query["X-Amz-Expires"] == [str(REDIRECT_SECONDS)] and query["X-Amz-Signature"]
    # a real GET of the presigned URL, to the store, without the API or its key
    whole = httpx.get(location)
    assert whole.status_code == 200 and whole.content == storage.get_bytes(
        storage.join(stored.root, english.path)
    )
    assert hashlib.sha256(whole.content).hexdigest() == english.sha256
    assert english.identifier in whole.headers.get("content-disposition", "")
    piece = httpx.get(location, headers={"Range": "bytes=100-299"})
    assert piece.status_code == 206 and piece.content == whole.content[100:300]
    # metered when issued, as the whole download it allows; the HEAD is no delivery
    [event] = _events(stored.db, "presigned")
    assert event["status"] == 200 and event["snapshot"] == english.identifier
    assert event["articles"] == english.records == 55
    assert event["bytes"] == english.size and event["channel"] == "snapshots"
    # ... and reported as a delivery: in the partner's usage and on its statement
    usage = stored.redirecting.get("/v2/usage", headers=auth(key)).json()
    [row] = [u for u in usage["usage"] if u["channel"] == "snapshots"]
    assert (row["requests"], row["articles"], row["bytes"]) == (1, 55, english.size)
    period = event["day"][:7]
    statement = stored.redirecting.get(f"/v2/statements/{period}", headers=auth(key)).json()
    assert (statement["requests"], statement["bytes"]) == (1, english.size)


def test_a_ranged_redirect_counts_the_range_and_no_articles(stored: Stored) -> None:
    english = stored.english
    key = _partner(stored, "ranged")
    redirect = stored.redirecting.get(
        _download(english.identifier), headers=auth(key) | {"Range": "bytes=100-199"}
    )
    assert redirect.status_code == 307
    piece = httpx.get(redirect.headers["location"], headers={"Range": "bytes=100-199"})
    assert piece.status_code == 206 and len(piece.content) == 100
    [event] = _events(stored.db, "ranged")
    assert (event["articles"], event["bytes"], event["snapshot"]) == (0, 100, None)
    assert event["status"] == 206


def test_a_range_past_the_end_is_refused_not_redirected(stored: Stored) -> None:
    english = stored.english
    beyond = stored.redirecting.get(
        _download(english.identifier),
        headers=auth(stored.keys.acme) | {"Range": f"bytes={english.size}-"},
    )
    assert beyond.status_code == 416 and "location" not in beyond.headers
    etag = f'"{english.sha256}"'
    same = stored.redirecting.get(
        _download(english.identifier), headers=auth(stored.keys.acme) | {"If-None-Match": etag}
    )
    assert same.status_code == 304 and "location" not in same.headers


@pytest.mark.parametrize(
    ("who", "which"),
    [
        ("beta", "english"),  # no snapshots channel
        ("gone", "english"),  # an agreement that ended
        ("acme", "marathi"),  # a project acme is not entitled to
        ("acme", "private"),  # another partner's file
    ],
)
def test_no_redirect_for_a_file_the_caller_may_not_have(
    stored: Stored, who: str, which: str
) -> None:
    snapshot: Snapshot = getattr(stored, which)
    key = getattr(stored.keys, who)
    # by its dated identifier, and by its stable name (which for acme names its own file)
    names = (snapshot.identifier,) if which == "private" else (snapshot.identifier, snapshot.name)
    for identifier in names:
        answer = stored.redirecting.get(_download(identifier), headers=auth(key))
        assert answer.status_code in (403, 404), (identifier, answer.status_code)
        assert "location" not in answer.headers
        assert "X-Amz-Signature" not in answer.text


def test_a_redirect_takes_a_quota_unit_and_an_exhausted_quota_gets_none(stored: Stored) -> None:
    key = _partner(stored, "limited", [Quota(channel="snapshots", period="day", limit=1)])
    url = _download(stored.english.identifier)
    assert stored.redirecting.get(url, headers=auth(key)).status_code == 307
    refused = stored.redirecting.get(url, headers=auth(key))
    assert refused.status_code == 429 and "location" not in refused.headers
    [event] = _events(stored.db, "limited")  # the refusal is no delivery
    assert event["status"] == 200 and event["snapshot"] == stored.english.identifier


# -- hourly batch files in object storage ----------------------------------------------------

HOUR = datetime(2026, 3, 4, 5, tzinfo=UTC)  # an hour long ended; the sample's events are in it


@pytest.fixture(scope="module")
def batches(
    s3_server: Server, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, Partners, str]]:
    """The English sample ingested with the store's clock in ``HOUR``, and the API over it with
    the snapshots root (and so the batch files) in a new bucket."""
    from wikipact.api import create_app
    from wikipact.run.ingest import IngestOptions, ingest
    from wikipact.store import open_store, records, sqlite

    db = tmp_path_factory.mktemp("batches-s3") / "w.db"
    with pytest.MonkeyPatch.context() as patch:
        at = records.stamp(HOUR.replace(minute=10))
        patch.setattr(sqlite, "_now", lambda: at)
        store = open_store(f"sqlite:///{db}")
        try:
            ingest([ENWIKI_MULTISTREAM], store, IngestOptions(workers=1))
        finally:
            store.close()
    root = s3_server.bucket() + "/snapshots"
    app = create_app(db, snapshots_root=root)
    keys = make_partners(app.state.services.access)
    with TestClient(app) as client:
        yield client, keys, root


def test_a_batch_file_is_made_once_and_kept_in_the_bucket(
    s3_server: Server, batches: tuple[TestClient, Partners, str]
) -> None:
    client, keys, root = batches
    date, hour = HOUR.strftime("%Y-%m-%d"), HOUR.strftime("%H")
    listed = client.get(f"/v2/batches/{date}/{hour}", headers=auth(keys.acme)).json()
    assert [b["identifier"] for b in listed] == ["enwiki_namespace_0"]
    events = listed[0]["events"]
    assert events > 0
    url = f"/v2/batches/{date}/{hour}/enwiki_namespace_0/download"
    obj = storage.join(root, "batches", date, hour, "enwiki_namespace_0.tar.gz")
    about = storage.join(root, "batches", date, hour, "enwiki_namespace_0.json")
    assert not storage.exists(obj) and not storage.exists(about)
    bucket, key = root.removeprefix("s3://").split("/", 1)

    def writes(since: int) -> list[str]:
        """The objects of the bucket written (PUT, or a multipart POST) since ``since``."""
        with s3_server.traffic.lock:
            answered = s3_server.traffic.requests[since:]
        return sorted(
            r.path.removeprefix(f"/{bucket}/")
            for r in answered
            if r.method in ("PUT", "POST") and r.path.startswith(f"/{bucket}/")
        )

    mark = s3_server.traffic.mark()
    first = client.get(url, headers=auth(keys.acme))
    assert first.status_code == 200
    folder = f"{key}/batches/{date}/{hour}"
    made = [f"{folder}/enwiki_namespace_0.json", f"{folder}/enwiki_namespace_0.tar.gz"]
    assert writes(mark) == made  # each object written once
    assert storage.listdir(storage.join(root, "batches", date, hour)) == [
        "enwiki_namespace_0.json",
        "enwiki_namespace_0.tar.gz",
    ]
    kept = storage.get_bytes(obj)
    digest = hashlib.sha256(kept).hexdigest()
    assert first.content == kept and first.headers["etag"] == f'"{digest}"'
    assert json.loads(storage.get_bytes(about)) == {
        "size": len(kept),
        "sha256": digest,
        "events": events,
    }
    assert len(_members(kept)) == events

    mark = s3_server.traffic.mark()
    head = client.head(url, headers=auth(keys.acme))
    again = client.get(url, headers=auth(keys.acme))
    piece = client.get(url, headers=auth(keys.acme) | {"Range": "bytes=10-19"})
    assert head.status_code == 200 and int(head.headers["content-length"]) == len(kept)
    assert again.status_code == 200 and again.content == kept
    assert head.headers["etag"] == again.headers["etag"] == first.headers["etag"]
    assert piece.status_code == 206 and piece.content == kept[10:20]
    assert writes(mark) == []  # served from the kept objects, never made again
    assert storage.get_bytes(obj) == kept
