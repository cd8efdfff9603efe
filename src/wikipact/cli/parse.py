"""``wikipact parse``: dumps straight to article JSON lines, without a store."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from wikipact.cli.common import (
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
from wikipact.run.parse import ParseSummary, fsync_replace, parse_to_jsonl


def parse_command(
    dumps: Annotated[
        list[str], typer.Argument(help="Dump files to read: paths or s3://bucket/key URLs.")
    ],
    output: Annotated[
        str, typer.Option("--output", "-o", help="JSON-lines file to write, or '-' for stdout.")
    ] = "-",
    workers: WorkersOption = None,
    executor: ExecutorOption = "local",
    ray_address: RayAddressOption = None,
    namespace: Annotated[
        list[int] | None,
        typer.Option("--namespace", "-n", help="Keep only these namespaces (repeatable)."),
    ] = None,
    on_error: OnErrorOption = "stop",
    project: ProjectOption = None,
    task_bytes: TaskBytesOption = None,
) -> None:
    """Write one article record (JSON) per page; every namespace unless --namespace is given."""
    opened = open_dumps(dumps, project)
    total = sum(d.size for d in opened)
    namespaces = set(namespace) if namespace else None
    policy = check_on_error(on_error)
    runner = open_executor(executor, workers, ray_address)
    if output == "-":
        with runner, progress_bar("parse", total) as update:
            summary = parse_to_jsonl(
                opened,
                sys.stdout.buffer,
                executor=runner,
                namespaces=namespaces,
                on_error=policy,
                progress=update,
                task_bytes=task_bytes,
            )
        sys.stdout.buffer.flush()
    else:
        target = Path(output)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        try:
            with (
                runner,
                os.fdopen(fd, "wb", buffering=1 << 20) as fh,
                progress_bar("parse", total) as update,
            ):
                summary = parse_to_jsonl(
                    opened,
                    fh,
                    executor=runner,
                    namespaces=namespaces,
                    on_error=policy,
                    progress=update,
                    task_bytes=task_bytes,
                    spill_dir=str(target.parent),
                )
            fsync_replace(tmp, str(target))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    _report(summary, output)
    if summary.status == "failed":
        raise typer.Exit(1)


def _report(summary: ParseSummary, output: str) -> None:
    console = Console(stderr=True)
    namespaces = ", ".join(f"{ns}: {n:,}" for ns, n in sorted(summary.by_namespace.items()))
    console.print(
        f"[bold]{summary.status}[/]: {summary.written:,} of {summary.pages:,} pages written to "
        f"{output} ({summary.redirects:,} redirects; by namespace {namespaces or 'none'})",
        highlight=False,
    )
    for error in summary.errors:
        stderr.print(f"[red]error[/] {error}", highlight=False, soft_wrap=True)
