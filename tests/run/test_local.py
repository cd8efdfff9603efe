"""Running tasks: ranges of a plain UTF-8 dump are read by the workers, results come in order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DATA, ENWIKI_PLAIN, MRWIKI_MULTISTREAM
from tests.dumps.test_damaged_input import MISSING, Layout
from wikipact import open_dump
from wikipact.dumps.reader import Dump, Task
from wikipact.errors import PageError
from wikipact.run.executor import LocalExecutor
from wikipact.run.local import Batch, run_tasks, specs_for
from wikipact.run.parse import to_json_line

RANGE = 50_000  # 14 ranges of the 1.6 MB enwiki sample
BGWIKI = DATA / "bgwiki-latest-pages-articles-shortened.xml.bz2"  # a whole file: no index


def _batches(dump: Dump, tasks: list[Task], workers: int, on_error: str = "stop") -> list[Batch]:
    """Batches up to the first that ends in a fatal error, where every consumer stops."""
    batches = []
    for batch in run_tasks(
        specs_for(dump, on_error=on_error, tasks=tasks), to_json_line, workers=workers
    ):
        batches.append(batch)
        if batch.fatal is not None:
            break
    return batches


@pytest.mark.parametrize("workers", [1, 2])
def test_ranges_read_by_workers_give_the_records_of_a_whole_file_read(workers: int) -> None:
    dump = open_dump(ENWIKI_PLAIN)
    tasks = dump.tasks(RANGE)
    assert len(tasks) > 10 and all(task.spans for task in tasks)
    whole = _batches(dump, [Task(str(dump.path), dump.name, dump.size)], workers=1)
    batches = _batches(dump, tasks, workers)
    assert [batch.task_key for batch in batches] == [task.key for task in tasks]
    assert all(batch.finished and batch.fatal is None and not batch.errors for batch in batches)
    assert sum(batch.bytes_done for batch in batches) == dump.size  # progress reaches 100 %
    items = [item for batch in batches for item in batch.items]
    assert items == [item for batch in whole for item in batch.items]
    assert len(items) == 56


@pytest.mark.parametrize("on_error", ["skip", "stop"])
def test_an_error_before_the_first_page_of_a_range_names_the_page_before(
    tmp_path: Path, on_error: str
) -> None:
    """The worker never saw that page (another worker read it); the errors still name it."""
    document = ENWIKI_PLAIN.read_bytes()
    tasks = open_dump(ENWIKI_PLAIN).tasks(RANGE)
    start = tasks[len(tasks) // 2].spans[0].start  # type: ignore[index]
    page = document[:start].count(b"<page>")
    pattern, closing = MISSING["page_missing_text"]
    at = document.index(pattern, start, Layout.of(document).page_span(page)[1])
    target = tmp_path / "damaged-enwiki-pages-articles.xml"
    target.write_bytes(document[:at] + document[document.index(closing, at) + len(closing) :])
    dump = open_dump(target)
    batches = _batches(dump, dump.tasks(RANGE), workers=2, on_error=on_error)
    errors = [e for b in batches for e in [*b.errors, *([b.fatal] if b.fatal else [])]]
    [error] = errors
    assert isinstance(error, PageError) and error.kind == "page_missing_text"
    previous = list(open_dump(ENWIKI_PLAIN).pages())[page - 1]
    assert error.location.last_good_page == previous.label
    assert previous.title in str(error)
    pages = sum(len(batch.items) for batch in batches)
    assert pages == (55 if on_error == "skip" else page)


def test_pools_kept_across_dumps_give_each_dump_its_own_records(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A run over several dumps starts its workers once (one ``LocalExecutor``), not once per
    dump, and each dump's batches are those of a run of its own."""
    dumps = [open_dump(p) for p in (ENWIKI_PLAIN, MRWIKI_MULTISTREAM, BGWIKI, ENWIKI_PLAIN)]
    tasks = [d.tasks(RANGE) if d.path == ENWIKI_PLAIN else d.tasks() for d in dumps]
    alone = [_batches(d, t, workers=2) for d, t in zip(dumps, tasks, strict=True)]
    started = []
    real_pool = LocalExecutor.pool

    def pool(self: LocalExecutor, processes: int, transform: Any = None) -> Any:
        if processes not in self._pools:
            started.append(processes)
        return real_pool(self, processes, transform)

    monkeypatch.setattr(LocalExecutor, "pool", pool)
    with LocalExecutor(2) as executor:
        shared = [
            list(run_tasks(specs_for(d, on_error="stop", tasks=t), to_json_line,
                           executor=executor))
            for d, t in zip(dumps, tasks, strict=True)
        ]  # fmt: skip
    assert started == [1, 2]  # ranges only: this process and one worker; whole files: two
    for own, kept in zip(alone, shared, strict=True):
        assert [(b.task_key, b.items, b.finished) for b in kept] == [
            (b.task_key, b.items, b.finished) for b in own
        ]
