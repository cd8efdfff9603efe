"""A build SIGKILLed anywhere resumes to the very same bytes (goal G1) and reruns as a no-op (G2).

The reference build runs as ``python -m wikipact build`` in a fresh interpreter; the kill runs
and the resumes (44) run as separate processes forked from two helper interpreters that have
imported what a build imports (``tests/prewarmed.py``), instead of fresh interpreters that spent
~2.7 s of each run on start-up and imports (measured). A trial's runs take the helpers in turn,
so a killed run and the run that resumes it have hash seeds of their own (and the reference a
third), as fresh interpreters would.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import DATA, ENWIKI_MULTISTREAM
from tests.prewarmed import Prewarmed
from wikipact.crashpoints import KILL_ENV, TRACE_ENV
from wikipact.datasets.verify import verify_dataset

DUMPS = [ENWIKI_MULTISTREAM, DATA / "dewiki-20130602-id1.xml", DATA / "dewiki-20200801-id1.xml"]
# Small shards and row groups: many shards, row groups and renames to crash in the middle of.
RECIPE = """
output:
  formats: [parquet, jsonl]
  shard_bytes: 60000
  row_group_rows: 4
"""
# Where the kill runs crash (``wikipact.crashpoints``): point -> how many runs crash there. The
# runs of a point crash at occurrences spread evenly over the uninterrupted build's (which the
# reference build counts): the first, the last, and one drawn (seeded) in each bin between.
KILLS = {
    "build.stage.record": 4,  # a page staged, its task's stage file not yet in place
    "build.write.record": 3,  # records buffered in the shard writers, mid row group
    "sinks.row_group": 3,  # mid-shard: row groups in a shard's temp file
    "manifest.unsigned": 1,  # manifest.json written, its signature not
    "replace.before": 5,  # every atomic file, before its rename (the last: the "complete" mark)
    "replace.after": 4,  # ... and after it
}
# After a crash at the first occurrence chosen for these points, the resume crashes too, at
# the n-th occurrence of a point that every unfinished build reaches again.
RESUME_KILLS = {
    "build.stage.record": ("replace.before", 1),  # the cut task's stage file
    "build.write.record": ("manifest.unsigned", 1),
    "sinks.row_group": ("replace.after", 1),  # the first shard, rewritten
}
SEED = 20261128
# what a build imports (the CLI; the dataset stack, pandas through pyarrow's tables, the plots'
# matplotlib): imported once by each helper, not by each run
PRELOAD = (
    "wikipact.cli.main",
    "wikipact.datasets.build",
    "wikipact.datasets.card",
    "wikipact.datasets.plots",
    "wikipact.datasets.verify",
    "pyarrow.parquet",
    "pandas",
    "matplotlib.figure",
    "matplotlib.backends.backend_agg",
)


def _arguments(out: Path, recipe: Path) -> list[str]:
    return ["build", *map(str, DUMPS), "--out", str(out), "--recipe", str(recipe)]


def _command(out: Path, recipe: Path) -> list[str]:
    return [sys.executable, "-m", "wikipact", *_arguments(out, recipe)]


def _env(signing_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in (KILL_ENV, TRACE_ENV)}
    return {**env, "WIKIPACT_SIGNING_DIR": str(signing_dir), **extra}


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".wikipact-build" not in p.parts
    }


def _complete(
    out: Path, recipe: Path, signing_dir: Path, helper: Prewarmed | None = None, **extra: str
) -> str:
    """Run the build to its end (in a fresh interpreter without ``helper``): its stderr."""
    env = _env(signing_dir, **extra)
    if helper is None:
        done = subprocess.run(_command(out, recipe), env=env, capture_output=True, timeout=300)
    else:
        done = helper.run(_arguments(out, recipe), env=env, timeout=300)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stderr.decode(errors="replace")


def _crash(
    out: Path, recipe: Path, signing_dir: Path, point: str, n: int, helper: Prewarmed
) -> None:
    """Run the build until it SIGKILLs itself at the n-th ``point``; fail if it does not."""
    done = helper.run(
        _arguments(out, recipe),
        env=_env(signing_dir, **{KILL_ENV: f"{point}:{n}"}),
        timeout=300,
    )
    assert done.returncode == -signal.SIGKILL, (
        f"{point}:{n}: the build was not killed there (exit status {done.returncode})\n"
        + done.stderr.decode(errors="replace")
    )


def _rerun(out: Path, recipe: Path, signing_dir: Path) -> str:
    """Run the build again, in this process (no interpreter to start): its status."""
    from wikipact.datasets.build import build
    from wikipact.datasets.recipe import load_recipe
    from wikipact.datasets.signing import load_signing_key
    from wikipact.datasets.sources import DumpSource
    from wikipact.dumps.reader import open_dump

    source = DumpSource([open_dump(p) for p in DUMPS])
    key = load_signing_key(signing_dir)
    return build(source, out, load_recipe(recipe), signing_key=key).status


def _occurrences(total: int, kills: int, rng: random.Random) -> list[int]:
    """``kills`` distinct occurrences of 1..total: the first, the last, one per bin between."""
    assert total >= kills, f"only {total} occurrences for {kills} kills"
    if kills == 1:
        return [rng.randint(1, total)]
    picks = [rng.randint(1 + i * total // kills, (i + 1) * total // kills) for i in range(kills)]
    picks[0], picks[-1] = 1, total
    return picks


def _plan(counts: dict[str, int]) -> list[list[tuple[str, int]]]:
    """The kill runs: for each, the crashes of the build and of its resumes, in order."""
    rng = random.Random(SEED)
    plan = []
    for point, kills in KILLS.items():
        for i, n in enumerate(_occurrences(counts.get(point, 0), kills, rng)):
            again = RESUME_KILLS.get(point) if i == 0 else None
            plan.append([(point, n), *([again] if again else [])])
    return plan


@dataclass
class Reference:
    recipe: Path
    out: Path
    files: dict[str, bytes]  # what the uninterrupted build wrote, read right after it
    counts: dict[str, int]  # crash point -> times the build reached it


@pytest.fixture(scope="module")
def helpers() -> Iterator[tuple[Prewarmed, Prewarmed]]:
    """Two helpers, used in turn (each has its own hash seed)."""
    with Prewarmed(*PRELOAD) as first, Prewarmed(*PRELOAD) as second:
        yield first, second


@pytest.fixture(scope="module")
def reference(
    tmp_path_factory: pytest.TempPathFactory,
    signing_dir: Path,
    helpers: tuple[Prewarmed, Prewarmed],  # started first: they import while this one builds
) -> Reference:
    """The uninterrupted build, as ``python -m wikipact build`` in a fresh interpreter."""
    root = tmp_path_factory.mktemp("reference")
    recipe = root / "recipe.yaml"
    recipe.write_text(RECIPE)
    out = root / "reference"
    trace = root / "crashpoints.json"
    _complete(out, recipe, signing_dir, **{TRACE_ENV: str(trace)})
    return Reference(recipe, out, _files(out), json.loads(trace.read_text()))


@pytest.mark.timeout(900)
def test_a_build_killed_at_chosen_points_resumes_byte_identical(
    tmp_path: Path, signing_dir: Path, reference: Reference, helpers: tuple[Prewarmed, Prewarmed]
) -> None:
    recipe, expected, counts = reference.recipe, reference.files, reference.counts
    assert len([name for name in expected if name.startswith("data/")]) > 3
    plan = _plan(counts)
    print(f"crash points reached by a build: {counts}; kill runs: {plan}")
    assert len(plan) == sum(KILLS.values()) == 20

    for trial, crashes in enumerate(plan):
        out = tmp_path / f"trial-{trial}"
        for run, (point, n) in enumerate(crashes):  # the build, then each resume, killed
            _crash(out, recipe, signing_dir, point, n, helpers[run % 2])  # where the plan says
        # resume: cleans up, redoes only what is missing
        _complete(out, recipe, signing_dir, helpers[len(crashes) % 2])
        assert list(out.rglob("*.tmp")) == [], f"{crashes}: temp files left"
        assert _files(out) == expected, f"{crashes}: output differs from an uninterrupted run"
        assert verify_dataset(out).ok
        before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
        assert _rerun(out, recipe, signing_dir) == "up_to_date", f"{crashes}: rerun did work"
        assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before


def test_a_second_run_does_no_work(
    signing_dir: Path, reference: Reference, helpers: tuple[Prewarmed, Prewarmed]
) -> None:
    """The reference build's directory, run again through the CLI: no file is touched."""
    out = reference.out
    assert _files(out) == reference.files
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    rerun = helpers[0].run(_arguments(out, reference.recipe), env=_env(signing_dir), timeout=300)
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
