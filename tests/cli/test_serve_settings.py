"""``wikipact serve --workers N`` hands its workers the settings it resolved, not the environment:
with ``WIKIPACT_DB`` naming one database and ``--db`` another, every worker serves ``--db``'s."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.api.test_serve_postgres import serving


def test_workers_serve_the_database_the_command_was_given(tmp_path: Path) -> None:
    from wikipact.backends import open_backends

    given, other = tmp_path / "given.db", tmp_path / "other.db"
    for path in (given, other):
        open_backends(f"sqlite:///{path}").prepare()
    access = open_backends(f"sqlite:///{given}").access()
    access.add_partner("acme", "Acme AI", actor="test")
    access.add_agreement(
        "acme", name="t", projects=["enwiki"], channels=["on-demand"], starts="2026-01-01",
        actor="test",
    )  # fmt: skip
    key = access.create_key("acme", label="k", actor="test")[1]
    access.close()
    env = {**os.environ, "WIKIPACT_DB": f"sqlite:///{other}"}
    with serving(f"sqlite:///{given}", 1, workers=2, env=env) as (base,):
        answers = [
            httpx.get(
                f"{base}/v2/articles/Anarchism", headers={"Authorization": f"Bearer {key}"}
            ).status_code
            for _ in range(20)
        ]
    assert answers == [404] * 20  # known key, entitled; the empty store has no such article
    listed = subprocess.run(
        [sys.executable, "-m", "wikipact", "partners", "list"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert "acme" not in listed.stdout  # the environment's database was never written
