"""``wikipact build`` as a user runs it: from the store, and its refusals."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ENWIKI_MULTISTREAM


def wikipact(*args: str, signing: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wikipact", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "WIKIPACT_SIGNING_DIR": str(signing), "COLUMNS": "200"},
    )


def test_build_from_the_store_then_verify(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    db = f"sqlite:///{tmp_path / 'w.db'}"
    assert wikipact("signing", "init", signing=keys).returncode == 0
    ingest = wikipact("ingest", str(ENWIKI_MULTISTREAM), "--db", db, signing=keys)
    assert ingest.returncode == 0, ingest.stderr
    out = tmp_path / "ds"
    run = wikipact("build", "--db", db, "-o", str(out), "--workers", "2", signing=keys)
    assert run.returncode == 0, run.stderr
    assert "built: 51 of 56 pages kept" in run.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["inputs"][0]["kind"] == "store" and manifest["inputs"][0]["name"] == "w.db"
    assert manifest["counts"]["dropped"] == {"too_short": 2, "list_page": 2, "redirect": 1}
    check = wikipact("verify", str(out), "--public-key", str(keys / "ed25519.pub"), signing=keys)
    assert check.returncode == 0 and "pinned" in check.stdout
    again = wikipact("build", "--db", db, "-o", str(out), signing=keys)
    assert again.returncode == 0 and "up to date" in again.stderr


def test_build_refuses_without_a_signing_key(tmp_path: Path) -> None:
    run = wikipact(
        "build", str(ENWIKI_MULTISTREAM), "-o", str(tmp_path / "ds"), signing=tmp_path / "none"
    )
    assert run.returncode == 2
    assert "wikipact signing init" in run.stderr
    assert not (tmp_path / "ds").exists()  # refused before any work


def test_build_reports_a_bad_recipe_by_field(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    wikipact("signing", "init", signing=keys)
    recipe = tmp_path / "r.yaml"
    recipe.write_text("output:\n  splits: {train: 0.5, validation: 0.1, test: 0.1}\n")
    run = wikipact(
        "build", str(ENWIKI_MULTISTREAM), "-o", str(tmp_path / "ds"), "-r", str(recipe),
        signing=keys,
    )  # fmt: skip
    assert run.returncode == 2 and "output.splits" in run.stderr
    recipe.write_text("filter:\n  min_words: 10\n")
    run = wikipact(
        "build", str(ENWIKI_MULTISTREAM), "-o", str(tmp_path / "ds"), "-r", str(recipe),
        signing=keys,
    )  # fmt: skip
    assert run.returncode == 2 and "filter" in run.stderr


def test_build_refuses_a_missing_store_and_mixed_inputs(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    wikipact("signing", "init", signing=keys)
    missing = wikipact(
        "build", "--db", f"sqlite:///{tmp_path / 'no.db'}", "-o", str(tmp_path / "ds"),
        signing=keys,
    )  # fmt: skip
    assert missing.returncode == 2 and "ingest dumps first" in missing.stderr
    both = wikipact(
        "build", str(ENWIKI_MULTISTREAM), "--db", "sqlite:///x.db", "-o", str(tmp_path / "ds"),
        signing=keys,
    )  # fmt: skip
    assert both.returncode == 2 and "not both" in both.stderr
