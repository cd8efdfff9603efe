"""``wikipact snapshot`` as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def wikipact(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wikipact", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200", **env},
    )


def test_create_then_list(store_db: Path, tmp_path: Path) -> None:
    env = {"WIKIPACT_DB": f"sqlite:///{store_db}", "WIKIPACT_SNAPSHOTS": str(tmp_path / "s")}
    made = wikipact("snapshot", "create", "--project", "enwiki", env=env)
    assert made.returncode == 0, made.stderr
    assert "enwiki_namespace_0_20250126" in made.stdout and "records   55" in made.stdout
    assert (tmp_path / "s" / "enwiki_namespace_0_20250126.tar.gz").is_file()
    private = wikipact(
        "snapshot", "create", "--project", "mrwiki", "--namespace", "14", "--owner", "p1", env=env
    )
    assert private.returncode == 0, private.stderr
    listed = wikipact("snapshot", "list", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(r["identifier"], r["owner"], r["records"]) for r in rows] == [
        ("enwiki_namespace_0_20250126", None, 55),
        ("mrwiki_namespace_14_20230405", "p1", 463),
    ]
    table = wikipact("snapshot", "list", "--project", "enwiki", env=env)
    assert "enwiki_namespace_0_20250126" in table.stdout and "mrwiki" not in table.stdout


def test_refusals_exit_with_a_message(store_db: Path, tmp_path: Path) -> None:
    env = {"WIKIPACT_DB": f"sqlite:///{store_db}", "WIKIPACT_SNAPSHOTS": str(tmp_path / "s")}
    empty = wikipact("snapshot", "create", "--project", "enwiki", "--namespace", "4", env=env)
    assert empty.returncode == 1 and "no live article in namespace 4" in empty.stderr
    missing = wikipact("snapshot", "list", "--db", str(tmp_path / "none.db"), env=env)
    assert missing.returncode == 2 and "no store at" in missing.stderr
    not_a_dataset = wikipact("snapshot", "add-dataset", str(tmp_path), env=env)
    assert not_a_dataset.returncode == 2 and "no manifest.json" in not_a_dataset.stderr
