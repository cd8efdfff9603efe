"""``wikipact takedown``: a legal request removes content from every later delivery, for good,
and is recorded in the audit log — on SQLite and on PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.follow.scenario import SAMPLE, scenario, seed
from wikipact.backends import open_backends
from wikipact.store import open_store


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    url = (
        f"sqlite:///{tmp_path / 'w.db'}"
        if request.param == "sqlite"
        else str(request.getfixturevalue("postgres_url"))
    )
    store = open_store(url)
    seed(store)
    store.close()
    return url


def wikipact(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wikipact", *args], capture_output=True, text=True, timeout=300
    )


def test_a_page_taken_down_stays_down_and_is_audited(db: str) -> None:
    store = open_store(db, readonly=True)
    (article,) = store.find("Anarchism", "enwiki")
    revisions = [r[0] for r in store.revisions("enwiki", article.identifier)]
    store.close()
    done = wikipact("takedown", "--db", db, "--wiki", "enwiki", "--title", "Anarchism",
                    "--reason", "court order 2026-17", "--actor", "legal@wikipact.invalid")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "1 page(s) removed" in done.stdout
    again = wikipact("ingest", str(SAMPLE), "--db", db)  # the same dump, re-ingested
    assert again.returncode == 0, again.stderr
    store = open_store(db, readonly=True)
    try:
        assert store.get("enwiki", article.identifier) is None
        assert store.find_json("Anarchism") == []
        assert all(store.revision_text("enwiki", r) is None for r in revisions)
        assert [c.kind for c in store.changes() if c.page_id == article.identifier][-1] == "delete"
        assert store.find("Albedo", "enwiki")  # the rest of the dump went in
    finally:
        store.close()
    backends = open_backends(db)
    (entry,) = [e for e in backends.access().audit_log() if e["action"] == "content.takedown"]
    backends.close()
    assert entry["actor"] == "legal@wikipact.invalid"
    assert entry["object"] == f"enwiki:page:{article.identifier}"
    assert entry["details"]["reason"] == "court order 2026-17"
    assert entry["details"]["revisions"] == revisions


def test_fields_of_one_revision(db: str) -> None:
    first = scenario().pear[0]
    done = wikipact("takedown", "--db", db, "--wiki", "enwiki", "--revision", str(first),
                    "--field", "editor", "--reason", "privacy request", "--actor", "ops")  # fmt: skip
    assert done.returncode == 0, done.stderr
    store = open_store(db, readonly=True)
    try:
        (pear,) = store.find("Pear", "enwiki")
        assert pear.version.identifier == first and pear.version.editor is None
        assert store.revision_text("enwiki", first)  # the text stays
    finally:
        store.close()
    refused = wikipact("takedown", "--db", db, "--wiki", "enwiki", "--revision", str(first),
                       "--field", "title", "--reason", "x", "--actor", "ops")  # fmt: skip
    assert refused.returncode != 0 and "fields must be among" in refused.stderr
