"""``wikipact partners|agreements|keys|statement`` as an operator runs them."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path


def wikipact(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wikipact", *args], capture_output=True, text=True, timeout=120
    )


def test_an_operator_sets_up_a_partner_and_prices_its_month(tmp_path: Path) -> None:
    db = ["--db", f"sqlite:///{tmp_path / 'w.db'}"]
    assert wikipact("partners", "add", "acme-ai", "--name", "Acme AI", *db).returncode == 0
    added = wikipact(
        "agreements", "add", "acme-ai", "--name", "2026", "--project", "enwiki",
        "--channel", "on-demand", "--use", "retrieval", "--quota", "on-demand:month:1000",
        "--flat-monthly", "250", "--per-1000", "on-demand:3", "--starts", "2026-01-01", *db,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    created = wikipact("keys", "create", "acme-ai", "--label", "prod", *db)
    secret = next(w for w in created.stdout.split() if w.startswith("wpk_") and w.count("_") >= 2)
    identifier = secret[:16]
    listing = wikipact("keys", "list", *db)
    assert identifier in listing.stdout and secret not in listing.stdout
    shown = json.loads(wikipact("partners", "show", "acme-ai", *db).stdout)
    assert shown["agreements"][0]["quotas"] == [
        {"channel": "on-demand", "period": "month", "limit": 1000}
    ]
    rotated = wikipact("keys", "rotate", identifier, "--grace", "60", *db)
    assert rotated.returncode == 0 and "rotated" in rotated.stdout
    assert wikipact("keys", "revoke", identifier, *db).returncode == 0
    assert "revoked" in wikipact("keys", "list", *db).stdout
    period = datetime.now(UTC).strftime("%Y-%m")
    statement = wikipact(
        "statement", "--partner", "acme-ai", "--period", period, "-o", str(tmp_path), *db
    )
    assert statement.returncode == 0, statement.stderr
    rows = list(csv.DictReader((tmp_path / f"statement-acme-ai-{period}.csv").open()))
    assert rows[0]["item"] == "flat_monthly" and rows[-1]["amount"] == "250.00"
    data = json.loads((tmp_path / f"statement-acme-ai-{period}.json").read_text())
    assert data["total"] == "250.00"
    ended = wikipact("agreements", "end", "1", "--on", "2026-12-31", *db)
    assert ended.returncode == 0 and "2026-12-31" in ended.stdout


def test_operator_mistakes_are_clear(tmp_path: Path) -> None:
    db = ["--db", f"sqlite:///{tmp_path / 'w.db'}"]
    bad = wikipact("partners", "add", "Acme AI", "--name", "x", *db)
    assert bad.returncode == 2 and "lowercase" in bad.stderr
    wikipact("partners", "add", "acme", "--name", "Acme", *db)
    channel = wikipact("agreements", "add", "acme", "--name", "x", "--project", "enwiki",
                       "--channel", "telepathy", *db)  # fmt: skip
    assert channel.returncode == 2 and "channels" in channel.stderr
    missing = wikipact("keys", "create", "nobody", *db)
    assert missing.returncode == 1 and "no partner" in missing.stderr
