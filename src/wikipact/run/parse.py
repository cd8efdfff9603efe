"""``parse``: dumps straight to article JSON lines, no store (the streaming path for pipelines)."""

from __future__ import annotations

import functools
import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from wikipact.dumps.reader import Dump
from wikipact.errors import DumpError
from wikipact.model.codec import to_json
from wikipact.model.raw import RawPage, SiteInfo
from wikipact.run.local import run_tasks, specs_for
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
) -> ParseSummary:
    """Write one article record per page of every dump to ``out``; returns counts and errors.

    ``task_bytes`` sizes the parallel tasks (``Dump.tasks``); the records do not depend on
    it (only which pages survive damaged XML under ``on_error="skip"`` does).
    """
    summary = ParseSummary()
    transform = functools.partial(
        to_json_line, namespaces=frozenset(namespaces) if namespaces else None
    )
    for dump in dumps:
        specs = specs_for(dump, on_error=on_error, tasks=dump.tasks(task_bytes))
        for batch in run_tasks(specs, transform, workers=workers):
            for namespace, is_redirect, line in batch.items:
                summary.pages += 1
                summary.by_namespace[namespace] += 1
                summary.redirects += is_redirect
                if line is not None:
                    out.write(line)
                    summary.written += 1
                    summary.bytes_out += len(line)
            summary.errors.extend(batch.errors)
            if progress:
                progress(len(batch.items), batch.bytes_done)
            if batch.fatal is not None:
                summary.errors.append(batch.fatal)
                summary.status = "failed"
                return summary
    if summary.errors:
        summary.status = "completed_with_errors"
    return summary


def fsync_replace(tmp: str, final: str) -> None:
    """Atomically move a finished temp file into place (file and directory fsynced)."""
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, final)
    dir_fd = os.open(os.path.dirname(os.path.abspath(final)) or ".", os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
