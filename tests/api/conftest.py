"""A real store (vendored English and Marathi samples) with three partners, behind the API.

- ``acme``: enwiki on every channel (quota: 1,000 on-demand requests a day)
- ``beta``: mrwiki, on-demand and realtime only
- ``gone``: an agreement that ended last year
Each has a key; there is also an admin key. Keys are module-scoped; tests that change limits or
keys make their own partners.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import ENWIKI_MULTISTREAM, MRWIKI_MULTISTREAM


@dataclass
class Partners:
    acme: str
    beta: str
    gone: str
    admin: str


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The two samples ingested once; tests get their own copy."""
    from wikipact.run.ingest import IngestOptions, ingest
    from wikipact.store import open_store

    path = tmp_path_factory.mktemp("api") / "sample.db"
    store = open_store(f"sqlite:///{path}")
    try:
        ingest([ENWIKI_MULTISTREAM, MRWIKI_MULTISTREAM], store, IngestOptions(workers=1))
        store.checkpoint_wal()  # type: ignore[attr-defined]
    finally:
        store.close()
    return path


@pytest.fixture(scope="session")
def sample_postgres(postgres_server) -> str:  # type: ignore[no-untyped-def]
    """The two samples ingested once into PostgreSQL; tests get their own copy (a template)."""
    from wikipact.run.ingest import IngestOptions, ingest
    from wikipact.store import open_store

    url = postgres_server.database()
    store = open_store(url)
    try:
        ingest([ENWIKI_MULTISTREAM, MRWIKI_MULTISTREAM], store, IngestOptions(workers=1))
    finally:
        store.close()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, sample_db: Path, tmp_path: Path) -> Path | str:
    """A copy of the samples' store: a SQLite file, or a PostgreSQL database's URL."""
    if request.param == "postgresql":
        template = request.getfixturevalue("sample_postgres")
        return request.getfixturevalue("postgres_server").database(template)  # type: ignore[no-any-return]
    copy = tmp_path / "w.db"
    shutil.copy(sample_db, copy)
    return copy


def sqlite_only(db: Path | str) -> Path:
    """``db`` when it is a SQLite file; skips the test on PostgreSQL (it reads the file)."""
    if isinstance(db, str):
        pytest.skip("reads the SQLite file itself")
    return db


def db_url(db: Path | str) -> str:
    return db if isinstance(db, str) else f"sqlite:///{db}"


def make_partners(access) -> Partners:  # type: ignore[no-untyped-def]
    from wikipact.access.models import Fees, Quota

    access.add_partner("acme", "Acme AI", actor="test")
    access.add_agreement(
        "acme",
        name="everything on enwiki",
        projects=["enwiki"],
        channels=["on-demand", "snapshots", "realtime", "search", "datasets"],
        uses=["training", "retrieval", "grounding", "search"],
        quotas=[Quota(channel="on-demand", period="day", limit=1000)],
        rate_limit=1000,
        burst=1000,
        starts="2026-01-01",
        fees=Fees(flat_monthly="1000", per_1000_requests={"on-demand": "2.50"}, per_gb="0.10"),
        actor="test",
    )
    access.add_partner("beta", "Beta Labs", actor="test")
    access.add_agreement(
        "beta",
        name="Marathi",
        projects=["mrwiki"],
        channels=["on-demand", "realtime"],
        uses=["retrieval"],
        rate_limit=1000,
        burst=1000,
        starts="2026-01-01",
        actor="test",
    )
    access.add_partner("gone", "Gone Inc", actor="test")
    access.add_agreement(
        "gone",
        name="ended",
        projects=["*"],
        channels=["on-demand"],
        starts="2024-01-01",
        ends="2025-12-31",
        actor="test",
    )
    keys = [access.create_key(p, label="main", actor="test")[1] for p in ("acme", "beta", "gone")]
    admin = access.create_key(None, label="ops", actor="test")[1]
    return Partners(*keys, admin)


@pytest.fixture
def app(db: Path):  # type: ignore[no-untyped-def]
    from wikipact.api import create_app

    return create_app(db)


@pytest.fixture
def partners(app) -> Partners:  # type: ignore[no-untyped-def]
    return make_partners(app.state.services.access)


@pytest.fixture
def client(app) -> TestClient:  # type: ignore[no-untyped-def]
    with TestClient(app) as c:
        yield c


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
