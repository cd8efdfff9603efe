"""Run dump tasks in this process or in a pool of worker processes, in a deterministic order.

Span tasks (groups of bzip2 streams of a multistream dump, or byte ranges of a plain UTF-8 dump)
go to worker processes: each reads (and decompresses) its own byte ranges, splits them into pages,
applies a transform (build the article, encode JSON ...) and sends back the results. Whole-file
tasks (other dumps without an index) are split into pages in this process, in batches, and the
pages are sent to the workers to transform. Results come back in task order whatever the number
of workers, so outputs are identical for 1 and N workers. At most ``2 × workers`` tasks are in
flight, which bounds memory. Tasks run on an executor (``run/executor.py``): worker processes
of this machine (``LocalExecutor``, kept from one dump to the next of a run) or a Ray cluster
(``RayExecutor``); the results, their order and so the outputs are the same on both.
"""

from __future__ import annotations

import gc
import multiprocessing
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.machinery import ModuleSpec
from typing import Any

from wikipact import crashpoints
from wikipact.dumps.containers import ReadPosition, open_file
from wikipact.dumps.reader import Dump, Task, name_last_good_page
from wikipact.errors import DumpError
from wikipact.model.raw import RawPage, SiteInfo
from wikipact.run.executor import Executor, Job, LocalExecutor

Transform = Callable[[RawPage, SiteInfo], Any]
Pack = Callable[["Batch"], "Batch"]
Submit = Callable[[Callable[[Any], Any], Any], Job]  # run fn(arg) as a task
SEQUENTIAL_BATCH = 500  # pages per batch when reading a whole file in this process


@dataclass(frozen=True)
class TaskSpec:
    """Everything a worker needs to run one task without re-reading the dump header."""

    dump_path: str
    index_path: str | None
    site: SiteInfo
    task: Task
    on_error: str = "stop"
    skip_pages: int = 0  # resume: pages of this task already stored


@dataclass
class Batch:
    """Results of (part of) one task."""

    task_key: str
    items: list[Any]
    errors: list[DumpError] = field(default_factory=list)
    pages_done: int = 0  # pages of this task read so far, including skipped ones
    finished: bool = False
    bytes_done: int = 0  # compressed bytes of the task covered by this batch
    fatal: DumpError | None = None  # under on_error="stop": raise after storing ``items``
    last_page: str | None = None  # label of the last page read so far, for later errors
    spill: str | None = None  # a file holding the items' payload (see ``run_tasks``'s ``pack``)


def specs_for(
    dump: Dump,
    *,
    on_error: str,
    done: dict[str, tuple[int, bool]] | None = None,
    tasks: list[Task] | None = None,
) -> list[TaskSpec]:
    """Task specs of a dump (its default tasks unless given), leaving out finished ones."""
    done = done or {}
    specs = []
    for task in tasks if tasks is not None else dump.tasks():
        pages, finished = done.get(task.key, (0, False))
        if finished:
            continue
        specs.append(
            TaskSpec(
                dump_path=str(dump.path),
                index_path=str(dump.index.path) if dump.index else None,
                site=dump.site,
                task=task,
                on_error=on_error,
                skip_pages=pages if task.spans is None else 0,
            )
        )
    return specs


def _reopen(spec: TaskSpec) -> Dump:
    # Workers get their byte ranges in the task: they never load the index (which has one line
    # per page of the wiki: tens of millions for the largest).
    return Dump(open_file(spec.dump_path), spec.site, None)


_DUMP_CACHE: dict[tuple[str, str | None], Dump] = {}


def _dump_for(spec: TaskSpec) -> Dump:
    key = (spec.dump_path, spec.index_path)
    dump = _DUMP_CACHE.get(key)
    if dump is None or dump.site != spec.site:
        dump = _reopen(spec)
        _DUMP_CACHE.clear()
        _DUMP_CACHE[key] = dump
    return dump


def run_span_task(spec: TaskSpec, transform: Transform) -> Batch:
    """Run one multistream task to the end (in a worker process or inline)."""
    crashpoints.task_started(spec.task.key)
    dump = _dump_for(spec)
    errors: list[DumpError] = []
    items: list[Any] = []
    pages = 0
    fatal = None
    last = None
    try:
        for page in dump.task_pages(spec.task, on_error=spec.on_error, errors=errors):
            items.append(transform(page, spec.site))
            pages += 1
            last = page.label
    except DumpError as exc:
        fatal = exc
    return Batch(
        task_key=spec.task.key,
        items=items,
        errors=errors,
        pages_done=pages,
        finished=fatal is None,
        bytes_done=spec.task.size,
        fatal=fatal,
        last_page=last,
    )


def _run_span_task_packed(args: tuple[TaskSpec, Transform, Pack | None]) -> Batch:
    _freeze_once()
    spec, transform, pack = args
    batch = run_span_task(spec, transform)
    return batch if pack is None else pack(batch)


def _transform_pages(args: tuple[list[RawPage], SiteInfo, Transform]) -> list[Any]:
    _freeze_once()
    pages, site, transform = args
    return [transform(page, site) for page in pages]


PARALLEL_CHUNK_BYTES = 2 << 20  # wikitext per chunk sent to a worker when reading a whole file


def run_sequential_task(
    spec: TaskSpec, transform: Transform, submit: Submit | None = None, workers: int = 1
) -> Iterator[Batch]:
    """Read a whole file in this process, in batches, skipping pages a previous run stored.

    With ``submit``, this process only splits the XML into pages; the transform (parsing the
    wikitext, building the record) runs in the workers on chunks of pages, in order.
    """
    dump = _dump_for(spec)
    errors: list[DumpError] = []
    position = ReadPosition()
    pages = 0
    reported = 0
    in_flight: deque[tuple[Any, int, int, list[DumpError]]] = deque()

    def batch(
        items: list[Any],
        pages_done: int,
        at: int,
        errs: list[DumpError],
        finished: bool,
        fatal: DumpError | None = None,
        last_page: str | None = None,
    ) -> Batch:
        nonlocal reported
        done_bytes = spec.task.size if finished else min(at, spec.task.size)
        out = Batch(
            task_key=spec.task.key,
            items=items,
            errors=errs,
            pages_done=pages_done,
            finished=finished,
            bytes_done=max(done_bytes - reported, 0),
            fatal=fatal,
            last_page=last_page,
        )
        reported = max(reported, done_bytes)
        return out

    def drain(limit: int) -> Iterator[Batch]:
        while len(in_flight) > limit:
            job, pages_done, at, errs = in_flight.popleft()
            yield batch(job.get(), pages_done, at, errs, False)

    chunk: list[RawPage] = []
    chunk_bytes = 0
    items: list[Any] = []
    last = None
    try:
        for page in dump.task_pages(
            spec.task, on_error=spec.on_error, errors=errors, position=position
        ):
            pages += 1
            last = page.label
            if pages <= spec.skip_pages:
                continue
            if submit is None:
                items.append(transform(page, spec.site))
                if len(items) >= SEQUENTIAL_BATCH:
                    yield batch(items, pages, position.compressed_offset, _take(errors), False)
                    items = []
                continue
            chunk.append(page)
            chunk_bytes += len(page.latest.text)
            if chunk_bytes >= PARALLEL_CHUNK_BYTES or len(chunk) >= SEQUENTIAL_BATCH:
                job = submit(_transform_pages, (chunk, spec.site, transform))
                in_flight.append((job, pages, position.compressed_offset, _take(errors)))
                chunk, chunk_bytes = [], 0
                yield from drain(workers * 2)
    except DumpError as exc:
        yield from drain(0)
        done = [transform(p, spec.site) for p in chunk] if chunk else items
        yield batch(done, pages, position.compressed_offset, _take(errors), False, exc, last)
        return
    yield from drain(0)
    done = [transform(p, spec.site) for p in chunk] if chunk else items
    yield batch(done, pages, position.compressed_offset, _take(errors), True, last_page=last)


def _take(errors: list[DumpError]) -> list[DumpError]:
    taken = list(errors)
    errors.clear()
    return taken


def _ignore_sigint() -> None:
    """Workers leave Ctrl-C to the parent, which stops the pool and records the interruption."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


_FROZEN = False


def _freeze_once() -> None:
    """In a worker, once its first task has loaded the transform's modules: what the worker
    holds then (modules, their tables and compiled patterns) lives as long as it does, so the
    garbage collector stops scanning it on every full collection (``gc.freeze``; about 2 % of a
    parse's CPU). The objects each page makes are collected as before."""
    global _FROZEN
    if not _FROZEN:
        _FROZEN = True
        gc.freeze()


@contextmanager
def _spawn_without_main(transform: Transform) -> Iterator[None]:
    """Start workers without importing the parent's ``__main__`` again.

    A spawned worker runs the parent's main script first; for the ``wikipact`` console script
    that is the whole command-line stack (typer, rich, every command: ~0.3 s of CPU per worker,
    more than a 2 MB task costs to parse). Workers need only the transform's own modules, which
    unpickling it imports; so when the transform does not live in ``__main__``, the main
    module is given a spec named ``__main__`` while the workers start, which spawn reads as
    "nothing to import".
    """
    main = sys.modules.get("__main__")
    function = getattr(transform, "func", transform)
    if (
        main is None
        or getattr(main, "__spec__", None) is not None
        or getattr(function, "__module__", "__main__") in ("__main__", "__mp_main__")
    ):
        yield
        return
    main.__spec__ = ModuleSpec("__main__", None)
    try:
        yield
    finally:
        main.__spec__ = None


def start_pool(processes: int, transform: Callable[..., Any] | None = None) -> Any:
    """A pool of ``processes`` spawned workers that leave Ctrl-C to this process.

    A spawned worker imports the transform's modules before its first task (~0.3 s of CPU, more
    than a small dump costs to parse): ``LocalExecutor`` keeps its pools for a whole run over
    several dumps (started once per dump, a run over the shared corpus's 97 files with two
    workers spent more time starting them than parsing: ingest 27 s, against 16 s for one
    process; measured).
    """
    context = multiprocessing.get_context("spawn")
    with _spawn_without_main(transform) if transform is not None else _nothing():
        return context.Pool(processes=processes, initializer=_ignore_sigint)


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def run_tasks(
    specs: list[TaskSpec],
    transform: Transform,
    *,
    workers: int = 1,
    pack: Pack | None = None,
    executor: Executor | None = None,
) -> Iterator[Batch]:
    """Batches of every task, in task order, the work spread over ``executor``'s workers.

    Span tasks (multistream streams, plain ranges) run whole in the workers; whole-file tasks
    are split into pages here and their pages are transformed in the workers.

    ``pack`` runs in a worker process on each span task's batch before it is sent back: it
    may move a bulky payload out of ``items`` into a file named by ``Batch.spill`` (a pipe
    costs the receiving process more CPU than a file it copies in the kernel). Batches this
    process runs itself are not packed, nor are those of an executor whose workers may be on
    other machines (their files would not be here): those come back whole.

    ``executor``: where tasks run; the caller keeps it across calls (a local one's processes
    serve every dump of a run; every call must then get the same ``transform``) and closes
    it. Without, ``workers`` local processes are started for this call and stopped when its
    last batch is out (or the caller stops early).
    """
    if executor is not None:
        yield from _name_pages_before(_batches(specs, transform, pack, executor))
        return
    with LocalExecutor(workers) as own:
        yield from _name_pages_before(_batches(specs, transform, pack, own))


def _name_pages_before(batches: Iterator[Batch]) -> Iterator[Batch]:
    """Errors met before a task's first page name the last page of the tasks before it.

    The worker that met them never saw that page; a front-to-back read of the file would have
    named it, and so does this (tasks of a resumed run that were skipped name nothing).
    """
    last = None
    for batch in batches:
        for error in [*batch.errors, *([batch.fatal] if batch.fatal else [])]:
            name_last_good_page(error, last)
        last = batch.last_page or last
        yield batch


def _batches(
    specs: list[TaskSpec], transform: Transform, pack: Pack | None, executor: Executor
) -> Iterator[Batch]:
    workers = executor.workers
    if not specs or (workers <= 1 and executor.runs_tasks_here):
        for spec in specs:
            if spec.task.spans is None:
                yield from run_sequential_task(spec, transform)
            else:
                yield run_span_task(spec, transform)
        return
    # When every task is a span, this process is one of the ``workers``: it runs every
    # ``workers``-th task itself (the first one among them) while the pool runs the others. That
    # saves starting one more interpreter and sending its results back through a pipe; with
    # tasks of equal size the work stays balanced. Whole-file tasks need this process to split
    # the XML, so the pool then has all ``workers`` processes.
    # On another executor (Ray), every task goes to it and nothing is packed.
    shares = executor.runs_tasks_here and all(spec.task.spans is not None for spec in specs)
    run_task = _task_submitter(executor, workers - 1 if shares else workers, transform)
    if not executor.runs_tasks_here:
        pack = None
    pending: deque[Any] = deque()  # jobs, and specs this process runs at their turn
    span_specs = enumerate([s for s in specs if s.task.spans is not None])

    def submit() -> None:
        index, spec = next(span_specs, (0, None))
        if spec is None:
            return
        if shares and index % workers == 0:
            pending.append(spec)
        else:
            pending.append(run_task(_run_span_task_packed, (spec, transform, pack)))

    for _ in range(workers * 2):
        submit()
    for spec in specs:
        if spec.task.spans is None:
            yield from run_sequential_task(spec, transform, run_task, workers)
            continue
        head = pending.popleft()
        submit()
        yield run_span_task(head, transform) if isinstance(head, TaskSpec) else head.get()


def _task_submitter(executor: Executor, processes: int, transform: Transform) -> Submit:
    """``submit(fn, arg)`` on the executor; on a local one, to a pool of ``processes`` (one
    fewer than the workers when this process runs a share of the tasks)."""
    if isinstance(executor, LocalExecutor):
        pool = executor.pool(processes, transform)
        return lambda fn, arg: pool.apply_async(fn, (arg,))  # type: ignore[no-any-return]
    return executor.submit
