"""Shared fixtures: the vendored real samples (tests/data) and the larger shared corpus."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent / "data"
CORPUS = Path(
    os.environ.get("WIKIPACT_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus")
)
# the clients partners use (Enterprise's SDK), beside the shared corpus: ../shared/clients
CLIENTS = Path(os.environ.get("WIKIPACT_CLIENTS", CORPUS.parent / "clients"))
SDK = CLIENTS / "wme-sdk-python"

ENWIKI_MULTISTREAM = DATA / "sample-enwiki-pages-articles-multistream.xml.bz2"
ENWIKI_PLAIN = DATA / "sample-enwiki-pages-articles.xml"
MRWIKI_MULTISTREAM = DATA / "sample-mrwiki-pages-articles-multistream.xml.bz2"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "upstream: exercises a package wikipact uses; run again on the newest versions "
        "(tests/upstream.py, scripts/test-newest.sh)",
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    from tests.upstream import selected

    for item in items:
        if selected(item.nodeid):
            item.add_marker(pytest.mark.upstream)


def pytest_report_header() -> str:
    import wikipact.wikitext

    kind = "compiled (mypyc)" if wikipact.wikitext.COMPILED else "pure Python"
    return f"wikipact wikitext modules: {kind}"


def corpus_available() -> bool:
    return (CORPUS / "inventory.jsonl").exists()


requires_corpus = pytest.mark.skipif(
    not corpus_available(),
    reason=f"the shared corpus is not at {CORPUS} (set WIKIPACT_CORPUS); CI has it",
)


@pytest.fixture
def data() -> Path:
    return DATA


@pytest.fixture
def corpus() -> Path:
    if not corpus_available():
        pytest.skip(f"the shared corpus is not at {CORPUS} (set WIKIPACT_CORPUS); CI has it")
    return CORPUS


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'wikipact.db'}"


@pytest.fixture(scope="session")
def postgres_server():  # type: ignore[no-untyped-def]
    """A throwaway PostgreSQL server (tests/postgres.py); skipped, saying why, without one."""
    from tests import postgres

    reason = postgres.unavailable()
    if reason:
        pytest.skip(reason)
    with postgres.server() as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server) -> str:  # type: ignore[no-untyped-def]
    """A new, empty PostgreSQL database."""
    return postgres_server.database()


@pytest.fixture(scope="session")
def s3_server():  # type: ignore[no-untyped-def]
    """An S3-compatible server (moto, tests/s3.py) with the AWS_* variables pointing at it for
    the session; skipped, saying why, without moto or s3fs."""
    from tests import s3

    reason = s3.unavailable()
    if reason:
        pytest.skip(reason)
    with s3.server() as server:
        yield server


@pytest.fixture
def s3_bucket(s3_server) -> str:  # type: ignore[no-untyped-def]
    """A new, empty bucket: its URL, ``s3://wikipact-test-<random>``."""
    return s3_server.bucket()


@pytest.fixture(scope="session")
def ray_cluster(tmp_path_factory, s3_server):  # type: ignore[no-untyped-def]
    """A local Ray instance (``ray.init(num_cpus=2)``, tests/ray_cluster.py) for the session,
    its workers pointed at the S3 test server; skipped, saying why, without Ray."""
    from tests import ray_cluster

    reason = ray_cluster.unavailable()
    if reason:
        pytest.skip(reason)
    with ray_cluster.cluster(tmp_path_factory.mktemp("ray-kill")) as cluster:
        yield cluster
