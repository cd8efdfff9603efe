"""``wikipact signing`` and ``wikipact verify``, run as a user runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.datasets.test_manifest import PARQUET, write_signed
from wikipact.datasets import signing


def wikipact(*args: str, keys: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, signing.ENV_VAR: str(keys), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "wikipact", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_signing_init_show_and_verify(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    init = wikipact("signing", "init", keys=keys)
    assert init.returncode == 0, init.stderr
    info = signing.show_key(keys)
    assert info.key_id in init.stdout and str(keys / "ed25519.pub") in init.stdout
    again = wikipact("signing", "init", keys=keys)
    assert again.returncode == 2 and "--force" in again.stderr
    show = wikipact("signing", "show", keys=keys)
    assert show.returncode == 0
    assert info.key_id in show.stdout and info.public_key in show.stdout

    root = tmp_path / "dataset"
    write_signed(root, signing.load_signing_key(keys))
    ok = wikipact("verify", str(root), "--public-key", str(keys / "ed25519.pub"), keys=keys)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "ok" in ok.stdout and "(pinned)" in ok.stdout and "warning" not in ok.stderr

    path = root / PARQUET
    data = bytearray(path.read_bytes())
    data[100] ^= 0xFF
    path.write_bytes(bytes(data))
    (root / "extra.txt").write_text("?")
    bad = wikipact("verify", str(root), keys=keys)
    assert bad.returncode == 1
    lines = bad.stdout.splitlines()
    assert any(line.startswith(f"checksum_mismatch {PARQUET}: ") for line in lines), bad.stdout
    assert any(line.startswith("unlisted_file extra.txt: ") for line in lines), bad.stdout
    assert "failed: 2 problems" in bad.stdout and "(local)" in bad.stdout


def test_verify_warns_about_an_unknown_signer_and_fails_a_wrong_pin(tmp_path: Path) -> None:
    publisher, partner = tmp_path / "publisher", tmp_path / "partner"
    signing.init_keys(publisher)
    signing.init_keys(partner)
    root = tmp_path / "dataset"
    write_signed(root, signing.load_signing_key(publisher))
    unpinned = wikipact("verify", str(root), keys=partner)
    assert unpinned.returncode == 0
    assert "warning" in unpinned.stderr and "(unpinned)" in unpinned.stdout
    wrong = wikipact(
        "verify", str(root), "--public-key", str(partner / "ed25519.pub"), keys=partner
    )
    assert wrong.returncode == 1
    assert wrong.stdout.startswith("key_mismatch manifest.json.sig: ")
    missing = wikipact("verify", str(tmp_path / "nowhere"), keys=partner)
    assert missing.returncode == 2 and "not a directory" in missing.stderr
