"""Interrupted ingests resume without losing or duplicating a page (goals G1 and G2), on SQLite
and on PostgreSQL (where the stores are compared with the same SQLite reference)."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import MRWIKI_MULTISTREAM
from wikipact.crashpoints import KILL_ENV, TRACE_ENV
from wikipact.run.ingest import IngestOptions, ingest
from wikipact.store import open_store

TASK_BYTES = "60000"  # 15 tasks on the Marathi sample, so kills land between and inside tasks
# Where the kill runs crash (``wikipact.crashpoints``): before a batch's transaction, inside it
# (after one of its pages), after its commit.
POINTS = ("ingest.batch.received", "store.page.applied", "ingest.batch.committed")


def _run(
    url: str, log: Path, *extra: str, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "wikipact", "ingest", str(MRWIKI_MULTISTREAM)]
    args += ["--db", url, "--workers", "2", "--task-bytes", TASK_BYTES, *extra]
    environment = {k: v for k, v in os.environ.items() if k not in (KILL_ENV, TRACE_ENV)}
    with open(log, "ab") as out:
        return subprocess.Popen(
            args,
            stdout=subprocess.DEVNULL,
            stderr=out,
            start_new_session=True,
            env={**environment, **(env or {})},
        )


def _log(log: Path) -> str:
    return log.read_text(errors="replace") if log.exists() else ""


def _query(url: str, sql: str) -> list[tuple]:
    """Rows of a query, straight from the database of either backend (not through the store)."""
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///") :])
        if not path.exists():
            raise FileNotFoundError(path)
        conn = sqlite3.connect(path, timeout=1)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


def _scalar(url: str, sql: str) -> int:
    """A count, 0 where there is no database or no table yet."""
    try:
        return int(_query(url, sql)[0][0])
    except Exception:  # no file, sqlite3.Error, psycopg.Error: nothing stored yet
        return 0


def _content(url: str) -> tuple[list[tuple], list[tuple], int]:
    articles = _query(
        url, "SELECT project, page_id, revision_id, sha256, title FROM articles ORDER BY 1, 2"
    )
    events = _query(
        url, "SELECT project, page_id, kind, revision_id FROM changes ORDER BY project, page_id"
    )
    revisions = _query(url, "SELECT COUNT(*) FROM revisions")[0][0]
    return articles, events, revisions


def _url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'killed.db'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture(scope="module")
def reference(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[list[tuple], list[tuple], int, dict[str, int]]:
    """The store of an uninterrupted ingest, and how often it reached each crash point."""
    folder = tmp_path_factory.mktemp("reference")
    url = f"sqlite:///{folder / 'ref.db'}"
    trace = folder / "crashpoints.json"
    proc = _run(url, folder / "ref.log", env={TRACE_ENV: str(trace)})
    assert proc.wait(120) == 0, _log(folder / "ref.log")
    return (*_content(url), json.loads(trace.read_text()))


def _left(url: str, counts: dict[str, int]) -> dict[str, int]:
    """How often a resumed ingest will reach each point: the batches and pages not committed.

    Tasks are committed in order, each in one transaction with its checkpoint, and a resumed
    run reads the unfinished ones whole.
    """
    finished = _scalar(
        url,
        "SELECT COUNT(*) FROM ingest_tasks WHERE finished "
        "AND run_id = (SELECT MAX(id) FROM ingest_runs)",
    )
    stored = _scalar(url, "SELECT COUNT(*) FROM articles")
    batches = counts["ingest.batch.received"] - finished
    return {
        "ingest.batch.received": batches,
        "store.page.applied": counts["store.page.applied"] - stored,
        "ingest.batch.committed": batches,
    }


@pytest.mark.slow
@pytest.mark.parametrize(
    ("backend", "seed"), [("sqlite", 1), ("sqlite", 2), ("sqlite", 3), ("postgresql", 2)]
)
def test_sigkill_at_chosen_points_then_resume_is_exact(
    tmp_path: Path, reference: tuple, backend: str, seed: int, request: pytest.FixtureRequest
) -> None:
    """Four crashes, each in the run that resumes the one before, then a run that finishes.

    The first three crash at a point and at a fraction (under a half) of what their run has
    left to do, drawn from the seed; the last at the last occurrence of a point (seed 1: the
    last batch received, 2: the last page of the last transaction, 3: the last commit, before
    the run is marked finished). On PostgreSQL, seed 2: killed clients inside their
    transactions, which the server rolls back.
    """
    rng = random.Random(seed)
    plan = [(rng.choice(POINTS), rng.uniform(0, 0.5)) for _ in range(3)]
    plan.append((POINTS[seed - 1], 1.0))
    url = _url(backend, tmp_path, request)
    log = tmp_path / "killed.log"
    for point, fraction in plan:
        left = _left(url, reference[3])[point]
        assert left > 0, f"{plan}: {point} is not reached again"
        crash = f"{point}:{min(left, 1 + int(fraction * left))}"
        print(f"crash at {crash} of {left}")
        proc = _run(url, log, "--resume", env={KILL_ENV: crash})
        code = proc.wait(120)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # the workers die with the parent
        assert code == -signal.SIGKILL, f"{plan}: not killed at {crash}\n{_log(log)}"
    proc = _run(url, log, "--resume")
    assert proc.wait(120) == 0, _log(log)
    articles, events, revisions = _content(url)
    ref_articles, ref_events, ref_revisions, _ = reference
    assert articles == ref_articles
    assert revisions == ref_revisions
    assert sorted(events) == sorted(
        ref_events
    )  # exactly one create per page: none lost or repeated


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_ctrl_c_stops_cleanly_and_resume_finishes(
    tmp_path: Path, reference: tuple, backend: str, request: pytest.FixtureRequest
) -> None:
    url = _url(backend, tmp_path, request)
    log = tmp_path / "interrupted.log"
    # Ctrl-C (SIGINT to the process group: the ingest and its workers, which ignore it) in the
    # transaction of a batch half-way through
    middle = reference[3]["store.page.applied"] // 2
    proc = _run(url, log, env={KILL_ENV: f"store.page.applied:{middle}:SIGINT"})
    assert proc.wait(60) == 130, _log(log)
    assert "--resume" in _log(log)
    assert _query(url, "SELECT status FROM ingest_runs") == [("interrupted",)]
    assert 0 < _scalar(url, "SELECT COUNT(*) FROM articles") < middle
    proc = _run(url, log, "--resume")
    assert proc.wait(120) == 0, _log(log)
    articles, events, revisions = _content(url)
    assert (articles, sorted(events), revisions) == (
        reference[0],
        sorted(reference[1]),
        reference[2],
    )


def test_resume_after_a_complete_run_does_no_work(store) -> None:
    options = IngestOptions(task_bytes=60_000)
    ingest([MRWIKI_MULTISTREAM], store, options)
    before = store.stats()
    again = ingest([MRWIKI_MULTISTREAM], store, IngestOptions(task_bytes=60_000, resume=True))
    assert again.pages == 0
    assert again.resumed_tasks == len(
        __import__("wikipact").open_dump(MRWIKI_MULTISTREAM).tasks(60_000)
    )
    after = store.stats()
    assert (after.changes, after.revisions) == (before.changes, before.revisions)


def test_resume_of_a_sequential_file_skips_stored_pages(tmp_path: Path, store) -> None:
    """A dump without an index is checkpointed every batch; resume skips the stored pages."""
    import bz2

    from wikipact.run import local

    plain = tmp_path / "mrwiki-plain.xml.bz2"
    plain.write_bytes(
        bz2.compress(
            b"".join(__import__("wikipact").dumps.containers.open_file(MRWIKI_MULTISTREAM).chunks())
        )
    )
    original = local.SEQUENTIAL_BATCH
    local.SEQUENTIAL_BATCH = 200
    try:
        stop_after = 3

        def progress(pages: int, _bytes: int) -> None:
            nonlocal stop_after
            stop_after -= 1
            if stop_after == 0:
                raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            ingest([plain], store, progress=progress)
        stored = store.stats().articles_by_project["mrwiki"]
        assert stored == 600
        resumed = ingest([plain], store, IngestOptions(resume=True))
    finally:
        local.SEQUENTIAL_BATCH = original
    assert resumed.pages == 1820 - 600
    assert store.stats().articles_by_project["mrwiki"] == 1820
    assert store.stats().changes == 1820


PLAIN_TASK_BYTES = 1_000_000  # 13 ranges of the 12 MB plain Marathi sample


@pytest.fixture(scope="module")
def plain_mrwiki(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, tuple]:
    """The Marathi sample as plain XML (as if decompressed by hand), and a full ingest of it."""
    from wikipact.dumps.containers import open_file

    folder = tmp_path_factory.mktemp("plain")
    plain = folder / "mrwiki-20260101-pages-articles.xml"
    plain.write_bytes(b"".join(open_file(MRWIKI_MULTISTREAM).chunks()))
    url = f"sqlite:///{folder / 'reference.db'}"
    store = open_store(url)
    try:
        ingest([plain], store, IngestOptions(task_bytes=PLAIN_TASK_BYTES))
    finally:
        store.close()
    return plain, _content(url)


def _interrupted_after(batches: int) -> Callable[[int, int], None]:
    def progress(_pages: int, _bytes: int) -> None:
        nonlocal batches
        batches -= 1
        if batches == 0:
            raise KeyboardInterrupt

    return progress


def test_resume_of_a_plain_file_read_by_ranges_is_exact(
    store_url: str, plain_mrwiki: tuple[Path, tuple]
) -> None:
    """Each range is stored with its checkpoint: resume skips the stored ranges, rereads none."""
    plain, reference = plain_mrwiki
    store = open_store(store_url)
    options = IngestOptions(task_bytes=PLAIN_TASK_BYTES, workers=2)
    tasks = __import__("wikipact").open_dump(plain).tasks(PLAIN_TASK_BYTES)
    assert len(tasks) > 10 and all(task.spans for task in tasks)
    try:
        with pytest.raises(KeyboardInterrupt):
            ingest([plain], store, options, progress=_interrupted_after(4))
        stored = store.stats().articles_by_project["mrwiki"]
        assert 0 < stored < 1820
        resumed = ingest([plain], store, dataclasses.replace(options, resume=True))
    finally:
        store.close()
    assert resumed.resumed_tasks == 4
    assert resumed.pages == 1820 - stored
    assert (resumed.result.created, resumed.result.unchanged) == (1820 - stored, 0)
    articles, events, revisions = _content(store_url)
    assert (articles, sorted(events), revisions) == (
        reference[0],
        sorted(reference[1]),
        reference[2],
    )


def test_resume_of_a_plain_file_checkpointed_as_one_whole_file_task(
    store_url: str, plain_mrwiki: tuple[Path, tuple]
) -> None:
    """A store written by a version that read plain files whole (task key: the file name).

    Its checkpoint names no range, so the resumed run reads every range; the pages stored
    before are applied again and the store absorbs them: unchanged, no revision or change
    logged twice.
    """
    from wikipact.run import local

    plain, reference = plain_mrwiki
    store = open_store(store_url)
    original = local.SEQUENTIAL_BATCH
    local.SEQUENTIAL_BATCH = 200
    try:
        whole = IngestOptions(task_bytes=1 << 40)  # one range: the whole-file task of old
        assert [t.key for t in __import__("wikipact").open_dump(plain).tasks(1 << 40)] == [
            plain.name
        ]
        with pytest.raises(KeyboardInterrupt):
            ingest([plain], store, whole, progress=_interrupted_after(3))
        assert store.stats().articles_by_project["mrwiki"] == 600
        resumed = ingest(
            [plain], store, IngestOptions(task_bytes=PLAIN_TASK_BYTES, workers=2, resume=True)
        )
    finally:
        local.SEQUENTIAL_BATCH = original
        store.close()
    assert resumed.resumed_tasks == 0 and resumed.pages == 1820
    assert (resumed.result.created, resumed.result.unchanged) == (1220, 600)
    assert resumed.result.revisions_added == reference[2] - 600
    articles, events, revisions = _content(store_url)
    assert (articles, sorted(events), revisions) == (
        reference[0],
        sorted(reference[1]),
        reference[2],
    )
