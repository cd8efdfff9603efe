"""``parse_to_jsonl``: the same bytes whatever the number of workers and the size of the tasks."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests.conftest import DATA, ENWIKI_PLAIN
from wikipact import open_dump
from wikipact.run.parse import append_file, parse_to_jsonl

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


def test_worker_records_reach_a_real_file_through_the_kernel_and_leave_no_spill(
    tmp_path: Path,
) -> None:
    reference, _ = _parse(ENWIKI_PLAIN.name, 1, None)
    spill = tmp_path / "spill"
    spill.mkdir()
    target = tmp_path / "out.jsonl"
    with target.open("wb") as fh:
        fh.write(b"head\n")  # the copies land after what the writer already holds
        summary = parse_to_jsonl(
            [open_dump(DATA / ENWIKI_PLAIN.name)],
            fh,
            workers=2,
            task_bytes=200_000,
            spill_dir=str(spill),
        )
        assert fh.tell() == len(reference) + 5
        fh.write(b"tail\n")
    assert target.read_bytes() == b"head\n" + reference + b"tail\n"
    assert summary.bytes_out == len(reference)
    assert list(spill.iterdir()) == []


def test_append_file_copies_into_streams_without_a_descriptor(tmp_path: Path) -> None:
    source = tmp_path / "part.jsonl"
    source.write_bytes(b"x" * 3_000_000)
    out = io.BytesIO(b"a")
    out.seek(0, io.SEEK_END)
    append_file(str(source), out)
    assert out.getvalue() == b"a" + b"x" * 3_000_000
