"""tests/prewarmed.py runs ``python -m wikipact`` as a fresh interpreter would, only sooner."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import DATA
from tests.prewarmed import Prewarmed
from wikipact.crashpoints import KILL_ENV, TRACE_ENV

PYRUS = DATA / "article-pyrus.xml"


def _fresh(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    command = [sys.executable, "-m", "wikipact", *args]
    return subprocess.run(command, env=env, cwd=cwd, capture_output=True, timeout=120)


def test_a_run_is_a_fresh_interpreters_run(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in (KILL_ENV, TRACE_ENV)}
    with Prewarmed("wikipact.cli.main", "wikipact.run.ingest") as helper:
        # the same output, exit status, working directory and environment
        assert (
            helper.run(["schema"], cwd=tmp_path).stdout == _fresh(["schema"], env, tmp_path).stdout
        )
        usage = helper.run(["ingest"], cwd=tmp_path)
        assert usage.returncode == _fresh(["ingest"], env, tmp_path).returncode != 0
        db = "sqlite:///store.db"  # relative: the run's working directory
        # killed at a crash point: SIGKILL, as the parent sees it
        crash = {**env, KILL_ENV: "ingest.batch.received:1"}
        killed = helper.run(["ingest", str(PYRUS), "--db", db], env=crash, cwd=tmp_path)
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        # counted anew in each run, and written at the interpreter's normal exit (atexit)
        for n in (1, 2):
            trace = tmp_path / f"trace-{n}.json"
            done = helper.run(
                ["ingest", str(PYRUS), "--db", db, "--resume"],
                env={**env, TRACE_ENV: str(trace)},
                cwd=tmp_path,
            )
            assert done.returncode == 0, done.stderr
            counts = json.loads(trace.read_text())
            assert counts.get("ingest.batch.received", 0) == (1 if n == 1 else 0)
        assert (tmp_path / "store.db").exists()
        # the run's environment, not the helper's: the store named by WIKIPACT_DB
        named = {**env, "WIKIPACT_DB": f"sqlite:///{tmp_path / 'store.db'}"}
        shown = helper.run(["stats"], env=named, cwd=tmp_path)
        assert shown.returncode == 0, shown.stderr
        assert shown.stdout == _fresh(["stats"], named, tmp_path).stdout
        assert b"enwiki" in shown.stdout
