"""A progress bar for long jobs: pages, pages/s, MB/s of input and an ETA when the size is known."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

stderr = Console(stderr=True)


class RatesColumn(ProgressColumn):
    """``1,234 pages · 850 pages/s · 12.3 MB/s`` from the task's own counters."""

    def render(self, task: Task) -> Text:
        pages = int(task.fields.get("pages", 0))
        elapsed = max(time.monotonic() - float(task.fields.get("started", time.monotonic())), 1e-6)
        mb = task.completed / 1e6
        return Text(
            f"{pages:,} pages · {pages / elapsed:,.0f} pages/s · {mb / elapsed:,.1f} MB/s",
            style="progress.data.speed",
        )


@contextmanager
def progress_bar(description: str, total_bytes: int | None) -> Iterator[Callable[[int, int], None]]:
    """Yields ``update(pages, bytes)``; the bar is drawn only on a terminal."""
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        RatesColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=stderr,
        transient=False,
        disable=not stderr.is_terminal,
    )
    with progress:
        task_id = progress.add_task(
            description, total=total_bytes or None, pages=0, started=time.monotonic()
        )
        pages = 0

        def update(new_pages: int, new_bytes: int) -> None:
            nonlocal pages
            pages += new_pages
            progress.update(task_id, advance=new_bytes, pages=pages)

        yield update
