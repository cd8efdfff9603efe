"""``index`` and ``search``: build or update the passage index, and query it from the shell."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from wikipact.backends import open_backends
from wikipact.cli.common import DbOption
from wikipact.cli.progress import stderr
from wikipact.errors import StoreError

if TYPE_CHECKING:  # the search index loads when a search command runs, not for every command
    from wikipact.search.index import IndexStats

console = Console(soft_wrap=True)


def index_command(
    db: DbOption = None,
    rebuild: Annotated[
        bool,
        typer.Option("--rebuild", help="Drop the index and build it again from every article."),
    ] = False,
    project: Annotated[
        list[str] | None,
        typer.Option(
            "--project", help="With --rebuild (or a first build): index only this wiki; repeatable."
        ),
    ] = None,
) -> None:
    """Build the passage index for `wikipact search`, or bring it up to date with the store."""
    from wikipact.search import build_index, index_status, update_index

    path = open_backends(db).database(missing=StoreError)
    status = index_status(path)
    if rebuild or status is None or project:
        with _progress() as update:
            stats = build_index(path, projects=project or None, progress=update)
    else:
        stats = update_index(path)
    _print_stats(stats)


def search_command(
    query: Annotated[str, typer.Argument(help="Words to look for (any text; no query syntax).")],
    db: DbOption = None,
    project: Annotated[
        list[str] | None,
        typer.Option("--project", help="Only passages of this wiki, e.g. enwiki; repeatable."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100, help="At most this many.")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Search the passage index; print passages with the citations that back them."""
    from wikipact.search import search

    path = open_backends(db).database(missing=StoreError)
    passages = search(path, query, projects=project or None, limit=limit)
    if as_json:
        for passage in passages:
            typer.echo(json.dumps(passage.to_dict(), ensure_ascii=False))
        return
    if not passages:
        console.print("no passages found", style="yellow")
        return
    for rank, p in enumerate(passages, 1):
        console.print(
            f"[bold]{rank}. {p.title}[/] · {p.section} · {p.project} rev {p.revision_id} "
            f"· score {p.score:.2f}",
            highlight=False,
        )
        console.print(p.url, style="dim", highlight=False)
        console.print(p.snippet, markup=False, highlight=False)
        for c in p.citations:
            label = c.title or c.text or c.identifier
            label = label if len(label) <= 160 else label[:159] + "…"
            where = f" <{c.url}>" if c.url else ""
            extra = "".join(f" {k}:{v}" for k, v in (("doi", c.doi), ("isbn", c.isbn)) if v)
            console.print(f"  [{c.type or '?'}] {label}{where}{extra}", markup=False)
        console.print()


@contextmanager
def _progress() -> Iterator[Callable[[int, int], None]]:
    """Yields ``update(done, total)`` for a bar of articles read; drawn only on a terminal."""
    progress = Progress(
        TextColumn("[bold]indexing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr,
        disable=not stderr.is_terminal,
    )
    with progress:
        task = progress.add_task("indexing", total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield update


def _print_stats(stats: IndexStats) -> None:
    scope = ", ".join(stats.projects) if stats.projects is not None else "every project"
    what = "built" if stats.rebuilt else "updated"
    console.print(
        f"index {what} ({scope}) in {stats.seconds:.1f} s: {stats.articles_indexed:,} articles "
        f"indexed, {stats.articles_removed:,} removed, {stats.passages_added:,} passages added, "
        f"{stats.passages_removed:,} removed, {stats.passages_total:,} in the index; "
        f"change-log cursor {stats.cursor}"
        + (f" ({stats.changes_read:,} events read)" if not stats.rebuilt else ""),
        highlight=False,
    )
