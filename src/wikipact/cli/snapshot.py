"""``wikipact snapshot create|list|add-dataset``: bulk-download files for partners.

A snapshot is also written as chunks (``--chunk-records`` records each, as Wikimedia Enterprise
serves them); ``--structured`` writes the Structured Contents snapshot of the namespace instead.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from wikipact.cli.common import (
    DbOption,
    ExecutorOption,
    RayAddressOption,
    open_executor,
)
from wikipact.cli.progress import stderr
from wikipact.snapshots.chunks import CHUNK_RECORDS
from wikipact.snapshots.registry import ENV_VAR, Snapshot, default_root

app = typer.Typer(
    name="snapshot",
    help="Make, list and add bulk-download files (snapshots of a namespace, dataset builds).",
    no_args_is_help=True,
)
console = Console(soft_wrap=True, highlight=False)

RootOption = Annotated[
    str | None,
    typer.Option(
        "--root",
        help=f"Folder of the snapshot files, or an object storage URL (s3://bucket/prefix) "
        f"(default: ${ENV_VAR}, else 'snapshots' in the per-user data directory).",
        show_default=False,
    ),
]
OwnerOption = Annotated[
    str | None,
    typer.Option(
        "--owner",
        help="Partner id for a private file (default: any partner entitled to the project).",
        show_default=False,
    ),
]


def _db_path(db: str | None) -> Path | str:
    """The store's SQLite file, or its PostgreSQL URL."""
    from wikipact.backends import open_backends

    return open_backends(db).database()


@app.command("create")
def create_command(
    project: Annotated[str, typer.Option("--project", help="Wiki database name, e.g. enwiki.")],
    namespace: Annotated[int, typer.Option("--namespace", help="Namespace number.")] = 0,
    db: DbOption = None,
    root: RootOption = None,
    owner: OwnerOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="Rewrite even when the store has not changed.")
    ] = False,
    chunk_records: Annotated[
        int,
        typer.Option(
            "--chunk-records",
            help="Records per chunk: the snapshot is also written as chunks of this many "
            "consecutive records (<identifier>_chunk_<k>.tar.gz), as Enterprise serves them.",
        ),
    ] = CHUNK_RECORDS,
    structured: Annotated[
        bool,
        typer.Option(
            "--structured",
            help="Write the Structured Contents snapshot (Enterprise's Structured Contents "
            "shape: no wikitext, table cells as {value}) instead of the article records.",
        ),
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            "-w",
            min=1,
            help="Chunks written at once, by tasks reading the store (default 1: the chunks are "
            "cut from the snapshot's file; with --executor ray, the cluster's CPUs).",
            show_default=False,
        ),
    ] = None,
    executor: ExecutorOption = "local",
    ray_address: RayAddressOption = None,
) -> None:
    """Write the live articles of a project's namespace as a .tar.gz of NDJSON and register it,
    with its chunks."""
    from wikipact.snapshots.create import create_snapshot
    from wikipact.snapshots.registry import chunks_of

    path = _db_path(db)
    # with several workers (or on Ray) the chunks are written by tasks reading the store
    with open_executor(executor, workers, ray_address) as runner, _bar() as update:
        snapshot = create_snapshot(
            path,
            root or default_root(),
            project,
            namespace,
            owner=owner,
            force=force,
            progress=update,
            chunk_records=chunk_records,
            structured=structured,
            executor=runner,
        )
    _print_one(snapshot, root or default_root(), chunks=len(chunks_of(path, snapshot.identifier)))


@app.command("add-dataset")
def add_dataset_command(
    directory: Annotated[
        str,
        typer.Argument(
            help="Dataset directory `wikipact build` wrote, or the URL its --out published to."
        ),
    ],
    db: DbOption = None,
    root: RootOption = None,
    owner: OwnerOption = None,
) -> None:
    """Package a dataset build as a .tar.gz (its manifest's files only) and register it."""
    from wikipact.snapshots.create import register_dataset

    path = _db_path(db)
    with _bar() as update:
        snapshot = register_dataset(
            path, directory, root=root or default_root(), owner=owner, progress=update
        )
    _print_one(snapshot, root or default_root())


@app.command("list")
def list_command(
    db: DbOption = None,
    project: Annotated[
        list[str] | None, typer.Option("--project", help="Only files of these projects.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """List every registered snapshot, Structured Contents snapshot and dataset (public and
    private), with the number of chunks of each snapshot."""
    from wikipact.snapshots.registry import list_snapshots

    path = _db_path(db)
    found = list_snapshots(path, projects=project or None, all_owners=True)
    counted = Counter(c.parent for c in list_snapshots(path, all_owners=True, kind="chunk"))
    chunks = {s.identifier: counted[s.identifier] for s in found if s.kind != "dataset"}
    if as_json:
        for snapshot in found:
            row = snapshot.as_dict()
            if snapshot.identifier in chunks:
                row["chunks"] = chunks[snapshot.identifier]
            typer.echo(json.dumps(row, ensure_ascii=False))
        return
    if not found:
        console.print("no snapshots yet; make one with `wikipact snapshot create --project P`")
        return
    table = Table(show_edge=False)
    for column in ("identifier", "kind", "records", "size", "chunks", "date modified", "owner"):
        table.add_column(
            column,
            justify="right" if column in ("records", "size", "chunks") else "left",
            overflow="fold",
        )
    for s in found:
        table.add_row(
            escape(s.identifier),
            s.kind,
            f"{s.records:,}",
            _human(s.size),
            str(chunks[s.identifier]) if s.identifier in chunks else "",
            s.date_modified or "",
            escape(s.owner or "(public)"),
        )
    # on a terminal, fitted to it; into a pipe or a file, one line per file (up to 240 columns)
    wide = console if console.is_terminal else Console(soft_wrap=True, highlight=False, width=240)
    wide.print(table)


def _print_one(snapshot: Snapshot, root: Path | str, *, chunks: int | None = None) -> None:
    from wikipact.storage import join

    console.print(f"[bold green]{snapshot.kind}[/] [bold]{escape(snapshot.identifier)}[/]")
    console.print(f"file      {escape(join(root, snapshot.path))}")
    console.print(f"records   {snapshot.records:,}")
    console.print(f"size      {snapshot.size:,} bytes ({_human(snapshot.size)})")
    console.print(f"sha256    {snapshot.sha256}")
    if chunks is not None:
        console.print(f"chunks    {chunks} ({escape(snapshot.identifier)}_chunk_0 ...)")
    console.print(f"modified  {snapshot.date_modified or '-'}")
    console.print(f"owner     {escape(snapshot.owner or '(public)')}")


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1000
    return f"{size} B"  # not reached


class _bar:
    """A progress bar on stderr (drawn only on a terminal) fed by ``progress(phase, done, total)``."""

    def __enter__(self) -> Callable[[str, int, int], None]:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.progress = Progress(
            TextColumn("[bold]{task.description:<8}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=stderr,
            disable=not stderr.is_terminal,
        )
        self.progress.__enter__()
        tasks: dict[str, object] = {}

        def update(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = self.progress.add_task(phase, total=total or None)
            self.progress.update(tasks[phase], completed=done, total=total or None)  # type: ignore[arg-type]

        return update

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)
