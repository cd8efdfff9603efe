"""``parse_to_jsonl``: the same bytes whatever the number of workers and the size of the tasks."""

from __future__ import annotations

import io

import pytest

from tests.conftest import DATA, ENWIKI_PLAIN
from wikipact import open_dump
from wikipact.run.parse import parse_to_jsonl

SPLITS = [None, 200_000, 50_000, 1]  # whole file (1.6 MB < one range), then ranges down to a page


def _parse(name: str, workers: int, task_bytes: int | None) -> tuple[bytes, int]:
    out = io.BytesIO()
    done = []
    summary = parse_to_jsonl(
        [open_dump(DATA / name)],
        out,
        workers=workers,
        task_bytes=task_bytes,
        progress=lambda _pages, amount: done.append(amount),
    )
    assert summary.status == "completed"
    return out.getvalue(), sum(done)


@pytest.mark.parametrize("name", [ENWIKI_PLAIN.name, "pair-0.10.xml"])
def test_records_are_identical_for_any_split_and_any_number_of_workers(name: str) -> None:
    reference, _ = _parse(name, 1, None)
    assert reference.count(b"\n") == len(list(open_dump(DATA / name).pages()))
    for task_bytes in SPLITS[1:]:
        for workers in (1, 2):
            output, progress = _parse(name, workers, task_bytes)
            assert output == reference, (task_bytes, workers)
            assert progress == (DATA / name).stat().st_size
