"""``show``, ``stats``, ``changes``, ``fetch`` and ``schema``: look at the store and the model."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from wikipact.backends import open_backends
from wikipact.cli.common import DbOption, ProjectOption
from wikipact.dumps.reader import open_dump
from wikipact.errors import ConfigError, NotFoundError
from wikipact.model.codec import article_json_schema, to_builtins
from wikipact.wikitext.parse import parse_article

console = Console(soft_wrap=True)


def show_command(
    title: Annotated[str, typer.Argument(help="Page title (spaces or underscores).")],
    project: Annotated[
        str | None, typer.Option("--project", help="Only this wiki, e.g. enwiki.")
    ] = None,
    db: DbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full record as JSON.")] = False,
) -> None:
    """Show the current record of a page, and its revision history."""
    store = open_backends(db).store(readonly=True)
    try:
        found = store.find(title, project)
        if not found:
            where = f" in {project}" if project else ""
            raise NotFoundError(f"no page titled {title!r}{where}; try `wikipact stats`")
        for article in found:
            if as_json:
                typer.echo(json.dumps(to_builtins(article), ensure_ascii=False, indent=2))
                continue
            history = store.revisions(article.is_part_of.identifier, article.identifier)
            _print_article(article, history)
    finally:
        store.close()


def _print_article(article, history: list[tuple[int, str, str]]) -> None:  # type: ignore[no-untyped-def]
    table = Table(show_header=False, title=f"{article.name} ({article.is_part_of.identifier})")
    table.add_row("page id", str(article.identifier))
    table.add_row("url", article.url)
    table.add_row("namespace", str(article.namespace.identifier))
    table.add_row("language", f"{article.in_language.identifier} ({article.in_language.direction})")
    table.add_row("revision", f"{article.version.identifier} at {article.date_modified}")
    if article.version.editor:
        table.add_row("editor", article.version.editor.name or "")
    if article.redirect_target:
        table.add_row("redirect to", article.redirect_target.name)
    table.add_row("size", f"{article.version.size.value if article.version.size else 0:,} bytes")
    table.add_row("sha256", article.provenance.content_sha256)
    table.add_row("source", article.provenance.source)
    table.add_row("licence", ", ".join(lic.identifier for lic in article.license))
    table.add_row("attribution", article.provenance.attribution)
    table.add_row("revisions stored", str(len(history)))
    if article.signals is not None:
        s = article.signals
        table.add_row(
            "structure",
            f"{s.words:,} words · {s.sections} sections · {len(article.references)} references · "
            f"{len(article.claims)} cited sentences · {s.infoboxes} infoboxes · {s.tables} tables",
        )
    console.print(table)
    text = article.abstract or article.text or article.article_body.wikitext
    console.print(text[:800] + (" …" if len(text) > 800 else ""), markup=False, highlight=False)


def stats_command(db: DbOption = None) -> None:
    """Pages per project and namespace, revisions and change-log size."""
    store = open_backends(db).store(readonly=True)
    try:
        stats = store.stats()
    finally:
        store.close()
    table = Table("project", "pages", "redirects", "by namespace", title="Store")
    for project, count in sorted(stats.articles_by_project.items()):
        namespaces = ", ".join(
            f"{ns}: {n:,}" for ns, n in sorted(stats.pages_by_namespace[project].items())
        )
        table.add_row(
            project, f"{count:,}", f"{stats.redirects_by_project.get(project, 0):,}", namespaces
        )
    console.print(table)
    console.print(
        f"revisions {stats.revisions:,} · change-log events {stats.changes:,} "
        f"(last cursor {stats.last_cursor}) · ingest runs {stats.runs}"
    )


def changes_command(
    after: Annotated[int, typer.Option("--after", help="Show events after this cursor.")] = 0,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many events.")] = 50,
    db: DbOption = None,
) -> None:
    """Print change-log events as JSON lines, oldest first."""
    store = open_backends(db).store(readonly=True)
    try:
        for event in store.changes(after=after, limit=limit):
            typer.echo(json.dumps(dataclasses.asdict(event), ensure_ascii=False))
    finally:
        store.close()


def fetch_command(
    dump: Annotated[Path, typer.Argument(help="A dump file (fast with a multistream index).")],
    title: Annotated[str | None, typer.Option("--title", help="Page title.")] = None,
    page_id: Annotated[int | None, typer.Option("--id", help="Page id.")] = None,
    project: ProjectOption = None,
) -> None:
    """Print one page of a dump as an article record, reading only its stream when indexed."""
    if (title is None) == (page_id is None):
        raise ConfigError("give exactly one of --title or --id")
    opened = open_dump(dump, project=project)
    page = opened.fetch(title=title, page_id=page_id)
    typer.echo(
        json.dumps(to_builtins(parse_article(page, opened.site)), ensure_ascii=False, indent=2)
    )


def schema_command() -> None:
    """Print the JSON Schema of the article record."""
    typer.echo(json.dumps(article_json_schema(), indent=2))
