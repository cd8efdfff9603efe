"""``parse``: dumps straight to article JSON lines, no store (the streaming path for pipelines)."""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from wikipact import crashpoints
from wikipact.dumps.reader import Dump
from wikipact.errors import DumpError
from wikipact.model.codec import to_json
from wikipact.model.raw import RawPage, SiteInfo
from wikipact.run.executor import Executor, executor_for
from wikipact.run.local import Batch, run_tasks, specs_for
from wikipact.wikitext.parse import parse_article


@dataclass
class ParseSummary:
    pages: int = 0
    written: int = 0
    redirects: int = 0
    bytes_out: int = 0
    by_namespace: Counter[int] = field(default_factory=Counter)
    errors: list[DumpError] = field(default_factory=list)
    status: str = "completed"


def to_json_line(
    page: RawPage, site: SiteInfo, namespaces: frozenset[int] | None = None
) -> tuple[int, bool, bytes | None]:
    """Worker-side transform: (namespace, is redirect, JSON line or None when filtered out)."""
    if namespaces is not None and page.namespace not in namespaces:
        return page.namespace, page.redirect_title is not None, None
    return (
        page.namespace,
        page.redirect_title is not None,
        to_json(parse_article(page, site)) + b"\n",
    )


def parse_to_jsonl(
    dumps: list[Dump],
    out: BinaryIO,
    *,
    workers: int = 1,
    namespaces: set[int] | None = None,
    on_error: str = "stop",
    progress: Callable[[int, int], None] | None = None,
    task_bytes: int | None = None,
    spill_dir: str | None = None,
    executor: Executor | None = None,
) -> ParseSummary:
    """Write one article record per page of every dump to ``out``; returns counts and errors.

    ``task_bytes`` sizes the parallel tasks (``Dump.tasks``); the records do not depend on
    it (only which pages survive damaged XML under ``on_error="skip"`` does).

    With several workers, each worker writes its records to a file in a temporary folder of
    ``spill_dir`` (the system's temporary folder by default; best on the file system of
    ``out``), which is copied into ``out`` in task order and removed. ``executor``: where the
    tasks run (default: ``workers`` processes of this machine).
    """
    local = executor is None or executor.runs_tasks_here
    spill_folder = (
        tempfile.TemporaryDirectory(prefix=".wikipact-parse-", dir=spill_dir)
        if local and (executor.workers if executor else workers) > 1
        else contextlib.nullcontext(None)
    )
    # one executor (a local one's processes) for every dump
    with spill_folder as spill, executor_for(executor, workers) as runner:
        summary = ParseSummary()
        transform = functools.partial(
            to_json_line, namespaces=frozenset(namespaces) if namespaces else None
        )
        pack = functools.partial(spill_lines, directory=spill) if spill else None
        for dump in dumps:
            specs = specs_for(dump, on_error=on_error, tasks=dump.tasks(task_bytes))
            for batch in run_tasks(specs, transform, pack=pack, executor=runner):
                _write(batch, out, summary)
                if progress:
                    progress(len(batch.items), batch.bytes_done)
                if batch.fatal is not None:
                    summary.errors.append(batch.fatal)
                    summary.status = "failed"
                    return summary
        if summary.errors:
            summary.status = "completed_with_errors"
        return summary


def _write(batch: Batch, out: BinaryIO, summary: ParseSummary) -> None:
    """Write a batch's records to ``out`` (from its spill file when a worker wrote one), and
    count its pages and errors."""
    for namespace, is_redirect, line in batch.items:
        summary.pages += 1
        summary.by_namespace[namespace] += 1
        summary.redirects += is_redirect
        if line is None:
            continue
        summary.written += 1
        if batch.spill is None:
            out.write(line)
            summary.bytes_out += len(line)
        else:
            summary.bytes_out += line  # the length of a line its spill file holds
    if batch.spill is not None:
        append_file(batch.spill, out)
        os.unlink(batch.spill)
    summary.errors.extend(batch.errors)


def spill_lines(batch: Batch, directory: str) -> Batch:
    """Worker side: the batch's JSON lines go to a new file in ``directory``; each item keeps
    the length of its line in place of the line."""
    fd, path = tempfile.mkstemp(dir=directory, suffix=".jsonl")
    with os.fdopen(fd, "wb") as fh:
        fh.writelines(line for _, _, line in batch.items if line is not None)
    batch.items = [
        (namespace, is_redirect, None if line is None else len(line))
        for namespace, is_redirect, line in batch.items
    ]
    batch.spill = path
    return batch


def append_file(path: str, out: BinaryIO) -> None:
    """Append the file at ``path`` to ``out``, copied in the kernel (``sendfile``) where the
    system can, else through this process."""
    with open(path, "rb") as src:
        size = os.fstat(src.fileno()).st_size
        out.flush()
        try:
            target: int | None = out.fileno()
        except (AttributeError, OSError, ValueError):  # a BytesIO, a closed or wrapped stream
            target = None
        sent = 0
        if target is not None:
            try:
                while sent < size:
                    step = os.sendfile(target, src.fileno(), sent, size - sent)
                    if step == 0:
                        break
                    sent += step
            except OSError:
                if sent:
                    raise  # part of the file went out: the rest cannot be told apart
        if sent < size:
            src.seek(sent)
            shutil.copyfileobj(src, out, 1 << 20)
        elif target is not None and out.seekable():
            # the buffered writer caches its position: the kernel moved it
            out.seek(os.lseek(target, 0, os.SEEK_CUR))


def fsync_replace(tmp: str, final: str) -> None:
    """Atomically move a finished temp file into place (file and directory fsynced)."""
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    crashpoints.reached("replace.before")
    os.replace(tmp, final)
    crashpoints.reached("replace.after")
    dir_fd = os.open(os.path.dirname(os.path.abspath(final)) or ".", os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
