"""``wikipact ingest``: dumps into the store, with progress, a summary and resume."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from wikipact.backends import open_backends
from wikipact.cli.common import (
    DbOption,
    ExecutorOption,
    OnErrorOption,
    ProjectOption,
    RayAddressOption,
    TaskBytesOption,
    WorkersOption,
    check_on_error,
    open_dumps,
    open_executor,
)
from wikipact.cli.progress import progress_bar, stderr
from wikipact.run.ingest import IngestOptions, IngestSummary, ingest


def ingest_command(
    dumps: Annotated[
        list[str],
        typer.Argument(
            help="Dump files (.xml, .bz2, .gz, .xz, .zst, .7z): paths or s3://bucket/key URLs."
        ),
    ],
    db: DbOption = None,
    workers: WorkersOption = None,
    executor: ExecutorOption = "local",
    ray_address: RayAddressOption = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue the last interrupted run over these files.")
    ] = False,
    on_error: OnErrorOption = "stop",
    project: ProjectOption = None,
    prune: Annotated[
        bool,
        typer.Option(
            "--prune", help="The dumps are complete: mark pages missing from them deleted."
        ),
    ] = False,
    task_bytes: TaskBytesOption = None,
) -> None:
    """Ingest dumps into the article store; rerunning a dump changes nothing."""
    options = IngestOptions(
        workers=workers or 1,
        on_error=check_on_error(on_error),
        resume=resume,
        project=project,
        prune=prune,
        task_bytes=task_bytes,
    )
    backends = open_backends(db)
    url = backends.url
    store = backends.store()
    opened = open_dumps(dumps, project)
    total = sum(d.size for d in opened)
    try:
        with (
            open_executor(executor, workers, ray_address) as runner,
            progress_bar("ingest", total) as update,
        ):
            summary = ingest(dumps, store, options, progress=update, dumps=opened, executor=runner)
    finally:
        store.close()
    _print_summary(summary, url)
    if summary.status == "failed":
        raise typer.Exit(1)


def _print_summary(summary: IngestSummary, url: str) -> None:
    out = Console(soft_wrap=True)
    mb = summary.bytes_total / 1e6
    seconds = max(summary.seconds, 1e-6)
    out.print(
        f"[bold]{summary.status}[/]: {summary.pages:,} pages from {summary.files} file(s) "
        f"in {summary.seconds:.1f} s ({summary.pages / seconds:,.0f} pages/s, "
        f"{mb / seconds:,.1f} MB/s) into {url}"
    )
    if summary.resumed_tasks:
        out.print(f"resumed: {summary.resumed_tasks} task(s) finished earlier were skipped")
    table = Table("project", "namespace", "pages", title="Pages read, by namespace")
    for (project, namespace), count in sorted(summary.pages_by_namespace.items()):
        table.add_row(project, str(namespace), f"{count:,}")
    if summary.pages_by_namespace:
        out.print(table)
    r = summary.result
    out.print(
        f"redirects {summary.redirects:,} · created {r.created:,} · updated {r.updated:,} · "
        f"redirect changes {r.redirect_changes:,} · deleted {r.deleted:,} · unchanged "
        f"{r.unchanged:,} · revisions added {r.revisions_added:,} · errors {len(summary.errors)}"
    )
    for error in summary.errors:
        stderr.print(f"[red]error[/] {error}", highlight=False, soft_wrap=True)
