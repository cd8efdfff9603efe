"""Root of the ``wikipact`` command; every error becomes one readable line and an exit code."""

from __future__ import annotations

import gc
import sys

import typer

from wikipact.cli import (
    access,
    agents,
    build,
    db,
    follow,
    ingest,
    inspect,
    parse,
    signing,
    verify,
)
from wikipact.cli import search as search_cli
from wikipact.cli import snapshot as snapshot_cli
from wikipact.cli.progress import stderr
from wikipact.errors import ConfigError, WikipactError

app = typer.Typer(
    name="wikipact",
    help="Wikimedia content for AI developers: ingest dumps, inspect the store, emit articles.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("ingest")(ingest.ingest_command)
app.command("parse")(parse.parse_command)
app.command("show")(inspect.show_command)
app.command("stats")(inspect.stats_command)
app.command("changes")(inspect.changes_command)
app.command("fetch")(inspect.fetch_command)
app.command("schema")(inspect.schema_command)
app.command("build")(build.build_command)
app.command("verify")(verify.verify_command)
app.add_typer(signing.app, name="signing")
app.command("index")(search_cli.index_command)
app.command("search")(search_cli.search_command)
app.add_typer(snapshot_cli.app, name="snapshot")
app.command("serve")(access.serve_command)
app.command("mcp")(agents.mcp_command)
app.add_typer(access.partners_app, name="partners")
app.add_typer(access.agreements_app, name="agreements")
app.add_typer(access.keys_app, name="keys")
app.command("statement")(access.statement_command)
app.add_typer(db.app, name="db")
app.command("follow")(follow.follow_command)
app.command("takedown")(follow.takedown_command)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="Print the version and exit."),
) -> None:
    if version:
        from wikipact import __version__

        typer.echo(f"wikipact {__version__}")
        raise typer.Exit()


def _interrupted() -> None:
    stderr.print("[yellow]interrupted[/]: what was committed is kept; rerun with --resume to go on")
    sys.exit(130)


def _is_usage_error(exc: Exception) -> bool:
    """A click usage error (a missing argument, an unknown option, no command): click's own, or
    the copy of click that typer 0.29 and later carry (``typer._click``), which is not a
    subclass of click's."""
    import click

    if isinstance(exc, click.ClickException):
        return True
    kinds = {cls.__module__.split(".")[0] + "." + cls.__name__ for cls in type(exc).__mro__}
    return "typer.ClickException" in kinds and callable(getattr(exc, "show", None))


def main() -> None:
    """Console-script entry point."""
    # What is loaded by now (the modules, their tables and compiled patterns) lives as long as
    # the process: the garbage collector stops scanning it on every full collection (about 2 %
    # of a parse's CPU). Objects made later are collected as before.
    gc.freeze()
    try:
        code = app(standalone_mode=False)
    except WikipactError as exc:
        stderr.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2 if isinstance(exc, ConfigError) else 1)
    except KeyboardInterrupt:
        _interrupted()
    except typer.Exit as exc:  # typer turns Ctrl-C into Exit(130)
        if isinstance(exc.__cause__, KeyboardInterrupt):
            _interrupted()
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(1)
    except Exception as exc:  # click usage errors and the like
        if _is_usage_error(exc):
            exc.show()  # type: ignore[attr-defined]
            sys.exit(exc.exit_code)  # type: ignore[attr-defined]
        raise
    if code == 130:  # typer turned a Ctrl-C into this exit code
        _interrupted()
    sys.exit(code if isinstance(code, int) else 0)
