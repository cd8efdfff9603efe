"""A live ``wikipact serve`` over the vendored English and Marathi samples, for Wikimedia
Enterprise's own clients to run against.

The store's clock is set while the samples are ingested, so that their change events fall in
two hours that have ended: the English sample three hours before the fixture is made, the
Marathi sample two hours before. Whatever hour "now minus three hours" is when a client asks a
little later (the SDK's own integration test asks for that hour), it has a batch. There is an
enwiki snapshot (chunks of 20 articles) and a Structured Contents snapshot of it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.api.conftest import Partners, make_partners
from tests.conftest import CORPUS, ENWIKI_MULTISTREAM, MRWIKI_MULTISTREAM, SDK
from tests.live import live_server

REPO = Path(__file__).resolve().parents[2]
CHUNK_RECORDS = 20


@dataclass
class Enterprise:
    base: str  # the server, e.g. http://127.0.0.1:8123
    url: str  # its database
    root: Path  # its snapshots folder
    keys: Partners  # acme: enwiki on every channel; beta: mrwiki on-demand and realtime
    everyone: str  # the key of partner ``everyone``: every project on every channel
    hours: tuple[datetime, datetime]  # the hours (UTC) holding the samples' change events

    def client(self, key: str | None = None, **options: object):  # type: ignore[no-untyped-def]
        """The SDK's Client pointed at this server, as its README says to."""
        from modules.api.api_client import Client

        return Client(
            base_url=f"{self.base}/",
            realtime_url=f"{self.base}/",
            access_token=key or self.keys.acme,
            **options,
        )


def sdk_available() -> None:
    """Skip when Enterprise's SDK (../shared/clients) is not there; else make it importable."""
    if not (SDK / "modules" / "api" / "api_client.py").is_file():
        pytest.skip(f"Enterprise's Python SDK is not in {SDK} (it comes with ../shared/clients)")
    if str(SDK) not in sys.path:
        sys.path.insert(0, str(SDK))


def _ingest_at(url: str, source: Path, moment: datetime) -> None:
    """Ingest ``source`` with the store's clock at ``moment`` (its change events' time)."""
    from wikipact.run.ingest import IngestOptions, ingest
    from wikipact.store import open_store, records, sqlite

    at = records.stamp(moment)
    saved = sqlite._now
    sqlite._now = lambda: at
    try:
        store = open_store(url)
        try:
            ingest([source], store, IngestOptions(workers=1))
        finally:
            store.close()
    finally:
        sqlite._now = saved


def _everyone(access) -> str:  # type: ignore[no-untyped-def]
    """Partner ``everyone``: every project on every channel (the SDK's examples log in as it,
    with its key as the password)."""
    access.add_partner("everyone", "Every Project Ltd", actor="test")
    access.add_agreement(
        "everyone",
        name="everything",
        projects=["*"],
        channels=["on-demand", "snapshots", "realtime", "search", "datasets"],
        uses=["training", "retrieval", "grounding", "search"],
        rate_limit=1000,
        burst=1000,
        starts="2026-01-01",
        actor="test",
    )
    return str(access.create_key("everyone", label="examples", actor="test")[1])


@pytest.fixture(scope="session")
def enterprise(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Enterprise]:
    from wikipact.backends import open_backends
    from wikipact.snapshots.create import create_snapshot

    folder = tmp_path_factory.mktemp("enterprise")
    url, root = f"sqlite:///{folder / 'w.db'}", folder / "snapshots"
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    hours = (now - timedelta(hours=3), now - timedelta(hours=2))
    _ingest_at(url, ENWIKI_MULTISTREAM, hours[0] + timedelta(minutes=10))
    _ingest_at(url, MRWIKI_MULTISTREAM, hours[1] + timedelta(minutes=10))
    spanish = Path(CORPUS) / "assembled" / "sample-eswiki-pages-articles.xml"
    if spanish.is_file():  # what the SDK's examples ask for, when the shared corpus is here
        _ingest_at(url, spanish, hours[1] + timedelta(minutes=20))
    backends = open_backends(url)
    try:
        keys = make_partners(backends.access())
        everyone = _everyone(backends.access())
    finally:
        backends.close()
    create_snapshot(url, root, "enwiki", 0, chunk_records=CHUNK_RECORDS)
    create_snapshot(url, root, "enwiki", 0, chunk_records=CHUNK_RECORDS, structured=True)
    if spanish.is_file():
        create_snapshot(url, root, "eswiki", 0)
    with live_server(url, "--snapshots", str(root)) as base:
        yield Enterprise(base=base, url=url, root=root, keys=keys, everyone=everyone, hours=hours)


@pytest.fixture
def sdk(enterprise: Enterprise) -> Enterprise:
    """The live server, with Enterprise's SDK importable (skips without ../shared)."""
    sdk_available()
    return enterprise
