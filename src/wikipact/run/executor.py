"""Executors: where tasks run. ``LocalExecutor`` (processes of this machine) or ``RayExecutor``.

Code that runs tasks (ingest, parse, build, snapshot create) is handed an executor and talks
to this interface only:

- ``submit(fn, *args)`` starts one task and returns a job whose ``get()`` waits for its result
  (or raises its error);
- ``map(fn, items)`` runs ``fn`` on every item, results in the items' order, with at most
  ``2 × workers`` tasks in flight (which bounds memory on both sides);
- ``workers``: how many tasks run at once; ``runs_tasks_here``: whether this process may run
  a share of the tasks itself (only on this machine, where that saves a process);
- ``close()`` stops what the executor started (also as a context manager).

Tasks are plain functions at module level and picklable arguments; outputs, resume and order
are the caller's, so a run gives the same bytes on every executor. ``LocalExecutor`` keeps its
worker processes for all the dumps of a run; ``RayExecutor`` is in ``run/ray_executor.py``
(``pip install 'wikipact[ray]'``). ``open_executor`` makes either from the command line's
``--executor``, ``--ray-address`` and ``--workers``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from wikipact.errors import ConfigError

EXECUTORS = ("local", "ray")


class Job(Protocol):
    def get(self) -> Any: ...


class Executor(Protocol):
    name: str
    workers: int
    runs_tasks_here: bool

    def submit(self, fn: Callable[..., Any], *args: Any) -> Job: ...

    def close(self) -> None: ...

    def __enter__(self) -> Executor: ...

    def __exit__(self, *exc: object) -> None: ...


class _Done:
    """A job run inline (one worker: no process to send it to)."""

    def __init__(self, value: Any) -> None:
        self._value = value

    def get(self) -> Any:
        return self._value


def map_ordered(
    executor: Executor | None,
    fn: Callable[[Any], Any],
    items: Iterable[Any],
    *,
    in_flight: int | None = None,
) -> Iterator[Any]:
    """``fn(item)`` for every item, in order; inline without an executor or with one worker."""
    if executor is None or (executor.workers <= 1 and executor.runs_tasks_here):
        for item in items:
            yield fn(item)
        return
    limit = in_flight or 2 * executor.workers
    pending: deque[Job] = deque()
    for item in items:
        pending.append(executor.submit(fn, item))
        if len(pending) >= limit:
            yield pending.popleft().get()
    while pending:
        yield pending.popleft().get()


class LocalExecutor:
    """Worker processes of this machine (spawned, so each starts clean), started when first
    needed and kept until ``close``: a run over many dumps starts them once.

    Pools are kept per size: a run whose tasks are all byte ranges has this process run a
    share of them and one process fewer in the pool (``run/local.py``).
    """

    name = "local"
    runs_tasks_here = True

    def __init__(self, workers: int = 1) -> None:
        if workers < 1:
            raise ConfigError(f"workers must be 1 or more, not {workers}")
        self.workers = workers
        self._pools: dict[int, Any] = {}

    def pool(self, processes: int, transform: Callable[..., Any] | None = None) -> Any:
        """A ``multiprocessing`` pool of ``processes`` workers (``apply_async``)."""
        pool = self._pools.get(processes)
        if pool is None:
            from wikipact.run.local import start_pool

            pool = self._pools[processes] = start_pool(processes, transform)
        return pool

    def submit(self, fn: Callable[..., Any], *args: Any) -> Job:
        if self.workers <= 1:
            return _Done(fn(*args))
        return self.pool(self.workers, fn).apply_async(fn, args)  # type: ignore[no-any-return]

    def close(self) -> None:
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.terminate()

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_executor(
    name: str = "local", *, workers: int | None = None, address: str | None = None
) -> Executor:
    """The executor the command line asked for (``--executor``, ``--workers``, ``--ray-address``)."""
    name = name.lower()
    if name == "local":
        if address:
            raise ConfigError("--ray-address is for --executor ray")
        return LocalExecutor(workers or 1)
    if name == "ray":
        from wikipact.run.ray_executor import RayExecutor

        return RayExecutor(address=address, workers=workers)
    raise ConfigError(f"--executor must be one of {', '.join(EXECUTORS)}, not {name!r}")


@contextmanager
def executor_for(executor: Executor | None, workers: int = 1) -> Iterator[Executor]:
    """``executor`` as given (its owner closes it), or ``workers`` local processes for the
    duration of the block."""
    if executor is not None:
        yield executor
        return
    with LocalExecutor(workers) as own:
        yield own
