"""Where a build's articles come from: dump files (parsed on the way) or a wikipact store.

A source names its inputs (for the manifest and the build's fingerprint), splits the work into
tasks with stable keys, and runs them, in task order, through the per-page step on an
executor (``run/executor.py``: processes of this machine, or a Ray cluster). Dump tasks are the reader's own (groups of bz2 streams, byte ranges of a plain UTF-8
file, or a whole file); store tasks are runs of ``STORE_CHUNK`` pages of one project in page-id
order.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from wikipact import storage
from wikipact.datasets.stage import StageConfig, Staged, stage_article, stage_page
from wikipact.datasets.stats import InputInfo
from wikipact.dumps.reader import Dump, Task
from wikipact.errors import DumpError
from wikipact.run.executor import Executor, map_ordered
from wikipact.run.local import run_tasks, specs_for

STORE_CHUNK = 1000
_DUMP_DATE = re.compile(r"(?<!\d)(\d{8})(?!\d)")


@dataclass
class TaskOutput:
    """Staged pages of (part of) one task; ``finished`` on its last part."""

    key: str
    items: list[Staged]
    finished: bool
    bytes_done: int = 0
    errors: list[DumpError] = field(default_factory=list)
    fatal: DumpError | None = None


Checksum = Callable[[Path | str], str]  # of a path or an object's URL


class Source(Protocol):
    def inputs(self, checksum: Checksum = storage.sha256) -> list[InputInfo]: ...

    def task_keys(self) -> list[str]: ...

    def total(self) -> tuple[int, str]:
        """Work to do, and its unit ("bytes" or "pages"), for progress."""
        ...

    def run(
        self, config: StageConfig, skip: set[str], executor: Executor, on_error: str
    ) -> Iterator[TaskOutput]: ...


class DumpSource:
    """Pages of dump files, parsed in the workers."""

    def __init__(self, dumps: list[Dump]) -> None:
        self.dumps = dumps
        self._planned: dict[int, list[Task]] = {}

    def _tasks(self, dump: Dump) -> list[Task]:
        """The dump's tasks, planned on first use (a finished build never needs them)."""
        if id(dump) not in self._planned:
            self._planned[id(dump)] = dump.tasks()
        return self._planned[id(dump)]

    def inputs(self, checksum: Checksum = storage.sha256) -> list[InputInfo]:
        out = []
        for dump in self.dumps:
            name = storage.name_of(dump.path)
            date = _DUMP_DATE.search(name)
            out.append(
                InputInfo(
                    kind="dump",
                    name=name,
                    bytes=dump.size,
                    sha256=checksum(dump.path),
                    project=dump.site.dbname,
                    dump_date=date[1] if date else None,
                )
            )
        return out

    def task_keys(self) -> list[str]:
        return [t.key for d in self.dumps for t in self._tasks(d)]

    def total(self) -> tuple[int, str]:
        return sum(d.size for d in self.dumps), "bytes"

    def run(
        self, config: StageConfig, skip: set[str], executor: Executor, on_error: str
    ) -> Iterator[TaskOutput]:
        transform = functools.partial(stage_page, config=config)
        for dump in self.dumps:
            tasks = [t for t in self._tasks(dump) if t.key not in skip]
            specs = specs_for(dump, on_error=on_error, tasks=tasks)
            for batch in run_tasks(specs, transform, executor=executor):
                yield TaskOutput(
                    key=batch.task_key,
                    items=batch.items,
                    finished=batch.finished,
                    bytes_done=batch.bytes_done,
                    errors=batch.errors,
                    fatal=batch.fatal,
                )


class StoreSource:
    """Live articles of a store (already parsed at ingest), read by the workers.

    ``store`` is the store's URL (``sqlite:///path.db``, ``postgresql://...``) or a SQLite path.
    """

    def __init__(self, store_url: str | Path, projects: list[str] | None = None) -> None:
        from wikipact.store import open_store

        self.url = str(store_url) if "://" in str(store_url) else f"sqlite:///{store_url}"
        name = self.url.rstrip("/").rsplit("/", 1)[-1]
        store = open_store(self.url, readonly=True)
        try:
            chosen = projects or store.projects()
            self._chunks = [
                (project, first, last)
                for project in chosen
                for first, last in store.page_id_chunks(project, STORE_CHUNK)
            ]
            last = store.stats().last_cursor
            newest = list(store.changes(after=max(last - 1, 0), limit=1))
            # the settled view is taken as of the store's newest change, so that a build of
            # the same store state is the same whenever it runs
            self.as_of = newest[0].recorded_at if newest else None
            self._inputs = [
                InputInfo(
                    kind="store",
                    name=name,
                    project=project,
                    revisions=store.revision_range(project),
                    last_change_cursor=store.stats().last_cursor,
                )
                for project in chosen
            ]
        finally:
            store.close()

    def inputs(self, checksum: Checksum = storage.sha256) -> list[InputInfo]:
        return list(self._inputs)  # a store is identified by its revisions and cursor

    def task_keys(self) -> list[str]:
        return [_chunk_key(*c) for c in self._chunks]

    def total(self) -> tuple[int, str]:
        return len(self._chunks), "tasks"

    def run(
        self, config: StageConfig, skip: set[str], executor: Executor, on_error: str
    ) -> Iterator[TaskOutput]:
        jobs = [
            (self.url, c, config, self.as_of) for c in self._chunks if _chunk_key(*c) not in skip
        ]
        yield from map_ordered(executor, _stage_store_chunk, jobs)


def _chunk_key(project: str, first: int, last: int) -> str:
    return f"{project}:{first}-{last}"


_STORES: dict[str, Any] = {}  # a worker's open store, by URL


def _stage_store_chunk(
    job: tuple[str, tuple[str, int, int], StageConfig, str | None],
) -> TaskOutput:
    from wikipact.store import open_store

    url, (project, first, last), config, as_of = job
    store = _STORES.get(url)
    if store is None:
        store = _STORES[url] = open_store(url, readonly=True)
    articles = list(store.articles_between(project, first, last))
    minutes = config.recipe.settled_minutes
    if minutes is not None:
        from datetime import timedelta

        from wikipact.follow.settled import settled_article
        from wikipact.model.instants import parse_instant

        moment = parse_instant(as_of) if as_of else None
        chosen = [
            settled_article(store, a, timedelta(minutes=minutes), moment) if moment else a
            for a in articles
        ]
        articles = [a for a in chosen if a is not None]
    items = [stage_article(a, config) for a in articles]
    return TaskOutput(
        key=_chunk_key(project, first, last), items=items, finished=True, bytes_done=1
    )


def inputs_fingerprint(inputs: list[InputInfo]) -> str:
    data = json.dumps([asdict(i) for i in inputs], sort_keys=True).encode()
    return hashlib.sha256(data).hexdigest()
