"""A build SIGKILLed anywhere resumes to the very same bytes (goal G1) and reruns as a no-op (G2)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import DATA, ENWIKI_MULTISTREAM
from wikipact.datasets.verify import verify_dataset

DUMPS = [ENWIKI_MULTISTREAM, DATA / "dewiki-20130602-id1.xml", DATA / "dewiki-20200801-id1.xml"]
# Small shards and row groups: a kill lands mid-row-group, mid-shard or mid-rename as often as
# between steps.
RECIPE = """
output:
  formats: [parquet, jsonl]
  shard_bytes: 60000
  row_group_rows: 4
"""
KILLS = 20


def _command(out: Path, recipe: Path) -> list[str]:
    args = [sys.executable, "-m", "wikipact", "build", *map(str, DUMPS)]
    return [*args, "--out", str(out), "--recipe", str(recipe)]


def _env(signing_dir: Path) -> dict[str, str]:
    return {**os.environ, "WIKIPACT_SIGNING_DIR": str(signing_dir)}


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".wikipact-build" not in p.parts
    }


def _complete(out: Path, recipe: Path, signing_dir: Path) -> None:
    done = subprocess.run(
        _command(out, recipe), env=_env(signing_dir), capture_output=True, timeout=300
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")


@pytest.mark.timeout(900)
def test_a_build_killed_at_random_points_resumes_byte_identical(
    tmp_path: Path, signing_dir: Path
) -> None:
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(RECIPE)
    reference = tmp_path / "reference"
    started = time.monotonic()
    _complete(reference, recipe, signing_dir)
    duration = time.monotonic() - started
    expected = _files(reference)
    assert len([name for name in expected if name.startswith("data/")]) > 3

    rng = random.Random(20261128)
    interrupted = 0
    for trial in range(KILLS):
        out = tmp_path / f"trial-{trial}"
        proc = subprocess.Popen(
            _command(out, recipe),
            env=_env(signing_dir),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        time.sleep(rng.uniform(0.3, duration))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            interrupted += 1
        proc.wait()
        _complete(out, recipe, signing_dir)  # resume: cleans up, redoes only what is missing
        assert list(out.rglob("*.tmp")) == [], f"trial {trial}: temp files left"
        assert _files(out) == expected, f"trial {trial}: output differs from an uninterrupted run"
        assert verify_dataset(out).ok
    assert interrupted >= KILLS // 2  # most kills landed while the build was running


def test_a_second_run_does_no_work(tmp_path: Path, signing_dir: Path) -> None:
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(RECIPE)
    out = tmp_path / "ds"
    _complete(out, recipe, signing_dir)
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    rerun = subprocess.run(
        _command(out, recipe), env=_env(signing_dir), capture_output=True, timeout=300
    )
    assert rerun.returncode == 0
    assert b"up to date" in rerun.stderr
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before


def test_a_stage_written_for_other_tasks_is_redone(
    tmp_path: Path, signing_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build begun by a version that read plain dumps whole resumes with them in ranges.

    Its stage numbered the whole file's records as task 0; taken for the first range's, they
    would be written twice. The stage is redone instead, and the dataset is the clean build's.
    """
    from tests.conftest import ENWIKI_PLAIN
    from tests.datasets.conftest import run_build
    from wikipact.dumps import reader

    dumps = [ENWIKI_PLAIN, DATA / "dewiki-20200801-id1.xml"]
    reference = tmp_path / "reference"
    run_build(reference, signing_dir, dumps=dumps)
    expected = _files(reference)

    out = tmp_path / "resumed"
    monkeypatch.setattr(reader, "PLAIN_TASK_BYTES", 1 << 40)  # the whole-file task of old
    run_build(out, signing_dir, dumps=dumps, keep_work=True)
    work = out / ".wikipact-build"
    # What an older version left when killed while staging the second dump: no plan record.
    for name in ("complete", "dedup.msgpack", "written.pickle", "stage/tasks.json"):
        (work / name).unlink()
    (work / "stage" / "000001.zst").unlink()
    monkeypatch.setattr(reader, "PLAIN_TASK_BYTES", 200_000)  # now: ranges
    assert len(reader.open_dump(ENWIKI_PLAIN).tasks()) > 3
    run_build(out, signing_dir, dumps=dumps)
    assert _files(out) == expected
    assert verify_dataset(out).ok
