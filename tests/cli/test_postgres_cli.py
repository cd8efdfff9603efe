"""The commands a user runs, with ``--db postgresql://...``: the same as on SQLite."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ENWIKI_MULTISTREAM


def wikipact(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wikipact", *args], capture_output=True, text=True, timeout=300
    )


def test_ingest_index_search_snapshot_and_partners_on_postgresql(
    tmp_path: Path, postgres_url: str
) -> None:
    db = ("--db", postgres_url)
    ingested = wikipact("ingest", str(ENWIKI_MULTISTREAM), *db, "--workers", "2")
    assert ingested.returncode == 0, ingested.stderr
    assert "created 56" in ingested.stdout
    again = wikipact("ingest", str(ENWIKI_MULTISTREAM), *db)
    assert "created 0" in again.stdout and "unchanged 56" in again.stdout
    show = json.loads(wikipact("show", "Ambrosiaster", *db, "--json").stdout)
    assert show["identifier"] == 1718
    changes = wikipact("changes", *db, "--after", "50")
    assert changes.returncode == 0 and changes.stdout.count('"cursor"') == 6

    assert wikipact("index", *db).returncode == 0
    found = wikipact("search", "stateless societies", *db, "--json")
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout.splitlines()[0])["title"] == "Anarchism"

    root = tmp_path / "snapshots"
    made = wikipact("snapshot", "create", "--project", "enwiki", *db, "--root", str(root))
    assert made.returncode == 0, made.stderr
    listed = wikipact("snapshot", "list", *db)
    assert listed.returncode == 0 and "(public)" in listed.stdout and "0_20250126" in listed.stdout

    assert wikipact("partners", "add", "acme", "--name", "Acme", *db).returncode == 0
    added = wikipact("agreements", "add", "acme", "--name", "a", "--project", "enwiki",
                     "--channel", "on-demand", *db)  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert "acme" in wikipact("agreements", "list", *db).stdout
