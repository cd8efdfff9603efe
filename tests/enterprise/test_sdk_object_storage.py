"""Enterprise's SDK against a ``wikipact serve`` whose snapshots are in object storage and whose
downloads are redirects to presigned URLs (``WIKIPACT_SNAPSHOTS_REDIRECT``): the SDK's parallel
ranged download follows each redirect to the store (the tests' S3 server, tests/s3.py) and gets
the file the API describes, byte for byte, every byte of it from the store.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.enterprise.conftest import CHUNK_RECORDS, Enterprise
from tests.live import live_server
from wikipact import storage
from wikipact.snapshots.registry import file_location

pytestmark = pytest.mark.slow


@pytest.fixture
def redirecting(sdk: Enterprise, s3_server: Any) -> Iterator[tuple[Enterprise, str]]:
    """The same store served by a second server, its snapshots in a bucket."""
    from wikipact.snapshots.create import create_snapshot

    root = s3_server.bucket() + "/snapshots"
    create_snapshot(sdk.url, root, "enwiki", 0, chunk_records=CHUNK_RECORDS)
    with live_server(
        sdk.url, "--snapshots", root, "--snapshots-redirect", "300", workers=1
    ) as base:
        yield dataclasses.replace(sdk, base=base), root


def test_the_sdk_downloads_by_redirect_from_object_storage(
    redirecting: tuple[Enterprise, str], s3_server: Any
) -> None:
    from wikipact.snapshots.registry import latest

    enterprise, root = redirecting
    client = enterprise.client(download_chunk_size=64 * 1024, download_concurrency=4)
    snapshot = client.get_snapshot("enwiki_namespace_0")
    head = client.head_snapshot("enwiki_namespace_0")
    assert head["Content-Length"] > 4 * 64 * 1024  # several ranged requests, in parallel
    registered = latest(enterprise.url, "enwiki", 0)
    assert registered is not None
    location = file_location(root, registered)
    mark = s3_server.traffic.mark()
    buffer = io.BytesIO()
    client.download_snapshot("enwiki_namespace_0", buffer)
    data = buffer.getvalue()
    assert len(data) == head["Content-Length"] == registered.size
    assert hashlib.sha256(data).hexdigest() == snapshot.version == head["ETag"]
    # every byte came from the store, fetched by the SDK at the presigned URLs
    assert s3_server.served(location, since=mark) == registered.size
    assert data == storage.get_bytes(location)
    # ... by redirect, not through the API (which would fetch the same bytes by ranged GETs)
    answer = httpx.get(
        f"{enterprise.base}/v2/snapshots/enwiki_namespace_0/download",
        headers={"Authorization": f"Bearer {enterprise.keys.acme}", "Range": "bytes=0-9"},
        follow_redirects=False,
    )
    assert answer.status_code == 307, answer.text
    assert answer.headers["location"].startswith(s3_server.endpoint + "/")
