"""``wikipact build``: a signed, checksummed dataset from dumps or from the store."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from wikipact.cli.common import (
    DbOption,
    ExecutorOption,
    OnErrorOption,
    ProjectOption,
    RayAddressOption,
    WorkersOption,
    check_on_error,
    open_dumps,
    open_executor,
)
from wikipact.cli.progress import stderr
from wikipact.errors import ConfigError

if TYPE_CHECKING:
    from wikipact.datasets.build import BuildResult
    from wikipact.datasets.sources import Source


def build_command(
    dumps: Annotated[
        list[str] | None,
        typer.Argument(
            help="Dump files to build from, paths or s3://bucket/key URLs (default: the store "
            "given by --db)."
        ),
    ] = None,
    out: Annotated[
        str,
        typer.Option(
            "--out",
            "-o",
            help="Dataset directory to write, or an s3://bucket/prefix URL to publish it to.",
        ),
    ] = "dataset",
    work_dir: Annotated[
        Path | None,
        typer.Option(
            "--work-dir",
            help="With an s3:// --out: the local folder the dataset is built in before it is "
            "published (default: one per URL in the user's cache directory).",
            show_default=False,
        ),
    ] = None,
    recipe: Annotated[
        Path | None,
        typer.Option("--recipe", "-r", help="Recipe YAML (default: the built-in recipe)."),
    ] = None,
    db: DbOption = None,
    workers: WorkersOption = None,
    executor: ExecutorOption = "local",
    ray_address: RayAddressOption = None,
    on_error: OnErrorOption = "stop",
    project: ProjectOption = None,
    signing_dir: Annotated[
        Path | None,
        typer.Option("--signing-dir", help="Where the signing key is (see wikipact signing)."),
    ] = None,
    keep_work: Annotated[
        bool, typer.Option("--keep-work", help="Keep the staged records after the build.")
    ] = False,
) -> None:
    """Filter, deduplicate, tokenise and shard articles into a dataset with a card and manifest."""
    # the dataset stack (pyarrow, tiktoken, cryptography) loads only for this command
    from wikipact.datasets.build import build
    from wikipact.datasets.recipe import load_recipe
    from wikipact.datasets.signing import load_signing_key
    from wikipact.datasets.sources import DumpSource, StoreSource

    chosen = load_recipe(recipe)
    key = load_signing_key(signing_dir)  # before any work: a build must be signable
    policy = check_on_error(on_error)
    if work_dir is not None and "://" not in out:
        raise ConfigError("--work-dir is for an s3:// --out (a local --out is built in place)")
    source: Source
    if dumps:
        if db:
            raise ConfigError("give dump files or --db, not both")
        if chosen.settled_minutes is not None:
            raise ConfigError(
                "settled_minutes needs a store's revision history: build with --db, not dumps"
            )
        source = DumpSource(open_dumps(dumps, project))
    else:
        from wikipact.backends import open_backends

        backends = open_backends(db)
        if not backends.is_postgres and not backends.sqlite_path().exists():
            raise ConfigError(
                f"no store at {backends.sqlite_path()}: ingest dumps first, or give dump files"
            )
        source = StoreSource(backends.url, [project] if project else None)
    with open_executor(executor, workers, ray_address) as runner:
        result = build(
            source,
            out,
            chosen,
            signing_key=key,
            executor=runner,
            on_error=policy,
            keep_work=keep_work,
            progress=_step_progress,
            work_dir=work_dir,
        )
    _report(result)


@contextmanager
def _step_progress(step: str, total: int | None, unit: str) -> Iterator[Callable[[int, int], None]]:
    """One bar per step: records, and the share of the input done when the size is known."""
    progress = Progress(
        TextColumn(f"[bold]{step:<8}"),
        BarColumn(),
        TaskProgressColumn(),
        MofNCompleteColumn() if unit != "bytes" else TextColumn(""),
        TextColumn("{task.fields[records]:,} records · {task.fields[rate]:,.0f}/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=stderr,
        disable=not stderr.is_terminal,
    )
    started = time.monotonic()
    with progress:
        task = progress.add_task(step, total=total, records=0, rate=0.0)
        records = 0

        def update(items: int, amount: int) -> None:
            nonlocal records
            records += items
            rate = records / max(time.monotonic() - started, 1e-6)
            progress.update(task, advance=amount, records=records, rate=rate)

        yield update
        if total is None:
            progress.update(task, total=1, completed=1)


def _report(result: BuildResult) -> None:
    console = Console(stderr=True)
    if result.status == "up_to_date":
        console.print(
            f"[bold]up to date[/]: {result.out} was already built from these inputs with this "
            "recipe; nothing to do"
        )
        return
    stats = result.stats
    assert stats is not None
    table = Table(title=f"dataset {result.out}", show_edge=False)
    for column in ("split", "records", "tokens"):
        table.add_column(column, justify="right" if column != "split" else "left")
    for split, n in sorted(stats.by_split().items()):
        tokens = sum(t for (s, _), t in stats.tokens.items() if s == split)
        table.add_row(split, f"{n:,}", f"{tokens:,}")
    console.print(table)
    dropped = ", ".join(f"{r}: {n:,}" for r, n in stats.dropped.most_common())
    console.print(
        f"[bold]built[/]: {stats.kept:,} of {stats.seen:,} pages kept; dropped: "
        f"{dropped or 'none'}; {len(stats.files)} files in the manifest"
    )
    for error in result.errors:
        console.print(f"[yellow]skipped[/]: {error}", highlight=False)
