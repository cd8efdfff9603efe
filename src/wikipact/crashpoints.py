"""Crash points: named steps at which a test can make this process kill itself (SIGKILL).

The resume tests (``tests/datasets/test_build_resume.py``, ``tests/run/test_resume.py``) crash
a build or an ingest at steps they choose, instead of killing it after a random delay (which
lands nowhere in particular, and on a busy machine not at all). Code marks its dangerous steps
with ``reached("<point>")``; two environment variables, read once when this module is
imported, make those calls do something:

- ``WIKIPACT_TEST_KILL_AT=<point>:<n>``: the n-th time (counting from 1) this process reaches
  ``<point>``, it sends itself SIGKILL and dies as the OOM killer would leave it: no
  ``finally``, no ``atexit``, no flush of Python's buffers (its exit status is -9).
  ``<point>:<n>:SIGINT`` sends SIGINT instead, as Ctrl-C does: to the whole process group
  when the process leads it (workers included; they ignore it), else to the process;
- ``WIKIPACT_TEST_CRASH_TRACE=<file>``: at a normal exit the process writes to ``<file>`` how
  many times it reached each point (a JSON object), so a test learns the range of ``n``.

Points are counted, and the signal sent, in the process that was started only, never in its
``multiprocessing`` workers (a worker that killed itself would hang its pool rather than crash
the run). Unset, ``reached`` returns
at its first test (a module global that is ``None``). ``POINTS`` names the points and the
state a crash at each leaves behind.
"""

from __future__ import annotations

import atexit
import json
import multiprocessing
import os
import signal
from collections import Counter

KILL_ENV = "WIKIPACT_TEST_KILL_AT"
TRACE_ENV = "WIKIPACT_TEST_CRASH_TRACE"

POINTS = {
    "replace.before": "a finished temp file is fsynced but not yet renamed into place (in a "
    "build, every file: build.json, checksums, task plan, stage files, dedup verdict, shards, "
    "exclusions, clusters, written stats, plots, card, manifest, signature, completion mark)",
    "replace.after": "a file has just been renamed into place; its directory is not yet fsynced",
    "build.stage.record": "a page's staged result is written to its task's temp stage file",
    "build.write.record": "a staged page has gone to the shard writers or the exclusions",
    "sinks.row_group": "a row group (Parquet) or block of lines (JSON lines) is written to a "
    "shard's temp file; the shard is not finished",
    "manifest.unsigned": "manifest.json is in place, its signature is not yet written",
    "ingest.batch.received": "a task's parsed pages are in the main process, not yet stored",
    "store.page.applied": "a page is written inside its batch's transaction, not yet committed",
    "ingest.batch.committed": "a batch and its task checkpoint are committed",
    "follow.event.read": "the follower has read one event of its batch; nothing of the batch is "
    "fetched or stored yet",
    "follow.batch.committed": "a follower's batch and its stream position are committed",
}


def _kill_target(value: str | None) -> tuple[str, int, signal.Signals] | None:
    if not value:
        return None
    point, n, *name = value.split(":")
    if (
        point not in POINTS
        or not n.isdigit()
        or int(n) < 1
        or name not in ([], ["SIGKILL"], ["SIGINT"])
    ):
        raise ValueError(
            f"{KILL_ENV}={value!r}: expected <point>:<n>[:SIGINT] with n >= 1 and a point of "
            f"{sorted(POINTS)}"
        )
    return point, int(n), signal.Signals[name[0]] if name else signal.SIGKILL


_target = _kill_target(os.environ.get(KILL_ENV))
_trace = os.environ.get(TRACE_ENV) or None
# None: nothing to do (the variables are unset). Otherwise the hits of this process, per point.
_counts: Counter[str] | None = Counter() if _target or _trace else None
# Known at the first hit: a spawned worker imports this module before multiprocessing has
# recorded that it is one.
_main_process: bool | None = None


def reached(point: str) -> None:
    """Mark ``point`` (one of ``POINTS``) as reached; no-op unless a test asked for crashes."""
    if _counts is None:
        return
    _hit(point)


def _hit(point: str) -> None:
    global _main_process
    assert _counts is not None and point in POINTS, point
    if _main_process is None:
        _main_process = multiprocessing.parent_process() is None
    if not _main_process:
        return
    _counts[point] += 1
    if _target is not None and _target[:2] == (point, _counts[point]):
        if _target[2] == signal.SIGINT and os.getpgrp() == os.getpid():
            os.killpg(0, signal.SIGINT)
        else:
            os.kill(os.getpid(), _target[2])


def _write_trace(path: str) -> None:
    if _counts is None or multiprocessing.parent_process() is not None:
        return  # a worker's exit: the trace is the main process's
    with open(path, "w") as fh:
        json.dump(dict(sorted(_counts.items())), fh, indent=1)


if _trace:
    atexit.register(_write_trace, _trace)


# -- a task's worker killed (a cluster's worker lost) ------------------------------------------

TASK_KILL_ENV = "WIKIPACT_TEST_KILL_TASKS"
_task_kill_dir = os.environ.get(TASK_KILL_ENV) or None


def task_started(key: str) -> None:
    """A task named ``key`` starts in this worker; no-op unless a test armed a kill for it.

    ``WIKIPACT_TEST_KILL_TASKS=<folder>``: a file of the folder named as the task (``/`` and
    other separators as ``_``) is the test's order to kill the first worker that starts that
    task. The worker that removes the file (one only: removal succeeds once) sends itself
    SIGKILL, as a lost node or the OOM killer would leave it; the task's next attempt finds no
    file and runs. Only for executors that retry a task whose worker died (Ray): a local pool's
    worker that died would hang its pool.
    """
    if _task_kill_dir is None:
        return
    try:
        os.unlink(os.path.join(_task_kill_dir, task_file_name(key)))
    except FileNotFoundError:
        return
    os.kill(os.getpid(), signal.SIGKILL)


def task_file_name(key: str) -> str:
    return "".join(c if c.isalnum() or c in "-.@" else "_" for c in key)
