"""``python -m wikipact ...`` in a process of its own, without starting an interpreter for it.

The kill-and-resume tests run the command dozens of times, and most of each run went into
starting Python and importing the same modules again (a ``wikipact build`` imports for ~2.7 s:
pandas through pyarrow, matplotlib, typer and rich ...; measured). ``Prewarmed`` starts one
helper interpreter that imports the modules it is given, then forks a child for each run. The
child is a separate process (its own pid; a crash point's SIGKILL kills it alone, and its parent
sees exit status -9) with the run's arguments, environment, working directory, stdin
(``/dev/null``), stdout and stderr, and it runs ``python -m wikipact`` as a fresh interpreter
does: ``runpy`` runs the package's ``__main__``, and the process ends with the interpreter's
normal exit (atexit handlers, buffers flushed), or, killed, without. Its ``wikipact.crashpoints``
is imported anew in it (``importlib.reload``), so that the run's ``WIKIPACT_TEST_KILL_AT`` and
``WIKIPACT_TEST_CRASH_TRACE`` count from zero.

A child's run differs from a fresh interpreter's in what it leaves out (the start-up and those
imports) and in what it shares with its helper's other children: the hash seed
(``PYTHONHASHSEED``), and what modules read from the environment when they are imported (the
helper's environment when it started: the test's, less the crash-point variables). A test that
compares runs' outputs should also compare them with a run in a fresh interpreter, or use two
helpers (each has its own seed). POSIX only (``os.fork``).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# the helper's start: the repository's root on the path only while this module is imported
BOOT = (
    "import sys; sys.path.insert(0, sys.argv[1]); import tests.prewarmed as p; "
    "del sys.path[0]; p.serve(sys.argv[2:])"
)
CLEARED = ("WIKIPACT_TEST_KILL_AT", "WIKIPACT_TEST_CRASH_TRACE")


class Prewarmed:
    """A helper interpreter with ``modules`` imported; ``run`` forks a run of the command."""

    def __init__(self, *modules: str, env: Mapping[str, str] | None = None) -> None:
        environment = {
            k: v for k, v in (os.environ if env is None else env).items() if k not in CLEARED
        }
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
        self._running: int | None = None  # the pid of the run under way
        self._helper = subprocess.Popen(
            [sys.executable, "-c", BOOT, str(ROOT), *modules],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=environment,
            bufsize=0,
        )

    def run(
        self,
        args: Iterable[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | Path | None = None,
        timeout: float = 300,
        text: bool = False,
    ) -> subprocess.CompletedProcess[Any]:
        """Like ``subprocess.run([python, "-m", "wikipact", *args], capture_output=True)``."""
        args = list(args)
        with tempfile.TemporaryDirectory() as captured:
            out, err = Path(captured) / "stdout", Path(captured) / "stderr"
            request = {
                "argv": ["wikipact", *args],
                "env": dict(os.environ if env is None else env),
                "cwd": str(cwd or os.getcwd()),
                "stdout": str(out),
                "stderr": str(err),
            }
            self._send(request)
            self._running = pid = self._receive(None)["pid"]
            answer = self._receive(timeout)
            if answer is None:  # too long: killed, reaped by the helper, reported as run does
                os.kill(pid, signal.SIGKILL)
                self._receive(None)
                raise subprocess.TimeoutExpired(["wikipact", *args], timeout)
            self._running = None
            stdout, stderr = out.read_bytes(), err.read_bytes()
        if text:
            return subprocess.CompletedProcess(
                args, answer["returncode"], stdout.decode(), stderr.decode()
            )
        return subprocess.CompletedProcess(args, answer["returncode"], stdout, stderr)

    def _send(self, request: dict[str, Any]) -> None:
        assert self._helper.stdin is not None
        self._helper.stdin.write(json.dumps(request).encode() + b"\n")

    def _receive(self, timeout: float | None) -> dict[str, Any] | None:
        assert self._helper.stdout is not None
        ready, _, _ = select.select([self._helper.stdout], [], [], timeout)
        if not ready:
            return None
        line = self._helper.stdout.readline()
        if not line:
            self._log.seek(0)
            log = self._log.read().decode(errors="replace")
            raise RuntimeError(f"the prewarmed helper ended ({self._helper.wait()}):\n{log}")
        return json.loads(line)  # type: ignore[no-any-return]

    def close(self) -> None:
        if self._running is not None:  # a run cut short (the test failed or timed out)
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._running, signal.SIGKILL)
        if self._helper.stdin is not None:
            self._helper.stdin.close()  # the helper's end of input: it exits
        try:
            self._helper.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self._helper.kill()
            self._helper.wait()
        if self._helper.stdout is not None:
            self._helper.stdout.close()
        self._log.close()

    def __enter__(self) -> Prewarmed:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- the helper --------------------------------------------------------------------------------


def serve(modules: list[str]) -> None:
    """The helper's main: imports ``modules``, then forks a run per request (returns in none)."""
    for name in modules:
        importlib.import_module(name)
    request = _fork_per_request()
    _run_in_child(request)


def _fork_per_request() -> dict[str, Any]:
    """Answers each request with the child's pid, then its exit status; returns in the child."""
    requests, answers = sys.stdin.buffer, sys.stdout.buffer
    while line := requests.readline():
        request = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            return request  # type: ignore[no-any-return]
        answers.write(json.dumps({"pid": pid}).encode() + b"\n")
        answers.flush()
        _, status = os.waitpid(pid, 0)
        answers.write(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}).encode())
        answers.write(b"\n")
        answers.flush()
    sys.exit(0)


def _run_in_child(request: dict[str, Any]) -> None:
    """``python -m wikipact`` with the request's arguments, as a fresh interpreter would run it."""
    import runpy

    stdin = os.open(os.devnull, os.O_RDONLY)
    stdout = os.open(request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    stderr = os.open(request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    for fd, target in ((stdin, 0), (stdout, 1), (stderr, 2)):
        os.dup2(fd, target)
        os.close(fd)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    sys.path[0] = os.getcwd()  # as `python -m` puts it
    sys.argv = list(request["argv"])
    import wikipact.crashpoints

    importlib.reload(wikipact.crashpoints)  # reads this run's crash-point variables
    runpy.run_module("wikipact", run_name="__main__", alter_sys=True)
    sys.exit(0)  # the command returned without exiting: as the interpreter would end
