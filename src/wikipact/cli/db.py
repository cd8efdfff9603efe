"""``wikipact db migrate``: bring a database's schemas up to this wikipact (or check them);
``wikipact db copy SOURCE DESTINATION``: move a running pilot to another database."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from wikipact.cli.common import DbOption
from wikipact.errors import ConfigError

app = typer.Typer(
    name="db",
    help="The database itself: its schema versions, migrating it, copying it elsewhere.",
    no_args_is_help=True,
)
console = Console(soft_wrap=True, highlight=False)


@app.command("copy")
def copy_command(
    source: Annotated[str, typer.Argument(help="Database URL to copy, e.g. sqlite:///pilot.db.")],
    destination: Annotated[
        str,
        typer.Argument(help="Empty database URL to copy into, e.g. postgresql://user@host/db."),
    ],
) -> None:
    """Copy articles, revisions, the change log (cursors kept), partners, agreements, keys
    (they keep working), usage, quotas, the audit log and the snapshots registry; verified by
    row counts and checksums. Rebuild the search index on the copy with `wikipact index`."""
    from wikipact.backends import open_backends
    from wikipact.cli.progress import stderr
    from wikipact.store.copy import copy_database

    origin = open_backends(source)
    if not origin.is_postgres and not origin.sqlite_path().exists():
        raise ConfigError(f"{origin.sqlite_path()}: no such database")
    target = open_backends(destination)
    target.prepare()  # the destination's schemas: store, access, registry
    target.close()
    last: dict[str, int] = {}

    def progress(table: str, rows: int) -> None:
        if rows - last.get(table, 0) >= 100_000:
            last[table] = rows
            stderr.print(f"  {table}: {rows:,} rows", highlight=False)

    report = copy_database(origin.url, target.url, progress=progress)
    for table in report.tables:
        console.print(f"{table.table:<20} {table.rows:>10,} rows  sha256 {table.sha256[:16]}")
    console.print(
        f"[bold green]copied[/] {report.rows:,} rows in {len(report.tables)} tables, "
        f"verified by counts and checksums, into {target.url}"
    )


@app.command("migrate")
def migrate_command(
    db: DbOption = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Change nothing: list the versions and exit 1 if any schema is behind.",
        ),
    ] = False,
) -> None:
    """Create or migrate the store, access and snapshot-registry tables to this wikipact's
    versions, and list every migration set. Run it once before rolling out a new version to
    several API processes (they would otherwise each migrate on start, one at a time)."""
    from wikipact.backends import open_backends

    backends = open_backends(db)
    if not check:
        backends.prepare()
        backends.close()
    behind = False
    for name, version, latest in backends.migrations():
        if version == 0 and name == "search":
            state = "not built (wikipact index makes it)"
        elif version > latest:
            behind = True
            state = f"[red]newer than this wikipact[/] ({latest}): upgrade wikipact"
        elif version < latest:
            behind = True
            state = f"[yellow]behind[/]: {latest} available"
        else:
            state = "[green]up to date[/]"
        console.print(f"{name:<10} version {version}  {state}")
    if check and behind:
        raise typer.Exit(1)
