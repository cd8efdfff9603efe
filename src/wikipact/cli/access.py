"""``wikipact partners|agreements|keys|statement``: run the partner relationship from a shell.

Actions from the CLI are recorded in the audit log with the actor ``cli:<user>``.
"""

from __future__ import annotations

import getpass
import json
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import msgspec
import typer
from rich.console import Console
from rich.table import Table

from wikipact.cli.common import DbOption
from wikipact.errors import ConfigError

if TYPE_CHECKING:  # the access layer loads when an access command runs, not for every command
    from wikipact.access import Access
    from wikipact.access.models import Quota

console = Console(soft_wrap=True, highlight=False)
partners_app = typer.Typer(name="partners", help="Partners (accounts).", no_args_is_help=True)
agreements_app = typer.Typer(
    name="agreements", help="Agreements: what a partner may receive and pays.", no_args_is_help=True
)
keys_app = typer.Typer(
    name="keys", help="API keys (shown once, stored hashed).", no_args_is_help=True
)


def _access(db: str | None) -> Access:
    from wikipact.backends import open_backends

    return open_backends(db).access()


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _print_json(data: object) -> None:
    typer.echo(json.dumps(msgspec.to_builtins(data), indent=2, ensure_ascii=False))


# -- partners ---------------------------------------------------------------------------------


@partners_app.command("add")
def partners_add(
    identifier: Annotated[str, typer.Argument(help="Slug, e.g. acme-ai.")],
    name: Annotated[str, typer.Option("--name", help="Display name.")],
    contact: Annotated[str, typer.Option("--contact", help="Contact address.")] = "",
    db: DbOption = None,
) -> None:
    """Add a partner."""
    partner = _access(db).add_partner(identifier, name, contact, actor=_actor())
    console.print(f"[bold green]added[/] partner {partner.identifier} ({partner.name})")


@partners_app.command("list")
def partners_list(db: DbOption = None) -> None:
    """List partners with their active agreements and keys."""
    access = _access(db)
    table = Table(show_edge=False)
    for column in ("partner", "name", "agreements", "keys", "since"):
        table.add_column(column)
    for p in access.partners():
        table.add_row(
            p.identifier,
            p.name,
            str(len(access.agreements(p.identifier))),
            str(sum(1 for k in access.keys(p.identifier) if not k.revoked_at)),
            p.created_at[:10],
        )
    console.print(table)


@partners_app.command("show")
def partners_show(identifier: str, db: DbOption = None) -> None:
    """A partner, its agreements and keys, as JSON."""
    access = _access(db)
    _print_json(
        {
            "partner": access.partner(identifier),
            "agreements": access.agreements(identifier),
            "keys": access.keys(identifier),
        }
    )


# -- agreements -------------------------------------------------------------------------------


def _quota(text: str) -> Quota:
    from wikipact.access.models import Quota

    try:
        channel, period, limit = text.split(":")
        return Quota(channel=channel, period=period, limit=int(limit))
    except ValueError:
        raise ConfigError(f"--quota {text!r}: use CHANNEL:day|month:LIMIT") from None


def _price(text: str) -> tuple[str, str]:
    channel, sep, price = text.partition(":")
    if not sep:
        raise ConfigError(f"--per-1000 {text!r}: use CHANNEL:PRICE, e.g. on-demand:2.50")
    return channel, price


@agreements_app.command("add")
def agreements_add(
    partner: Annotated[str, typer.Argument(help="Partner id.")],
    name: Annotated[str, typer.Option("--name")],
    project: Annotated[list[str], typer.Option("--project", help="Project, or '*' (repeat).")],
    channel: Annotated[
        list[str],
        typer.Option(
            "--channel", help="on-demand, snapshots, realtime, search, datasets, mcp (repeat)."
        ),
    ],
    use: Annotated[
        list[str] | None, typer.Option("--use", help="training, retrieval, grounding, search.")
    ] = None,
    language: Annotated[
        list[str] | None,
        typer.Option("--language", help="Content language code, e.g. de (repeat; default all)."),
    ] = None,
    namespace: Annotated[
        list[int] | None,
        typer.Option("--namespace", help="Namespace number, e.g. 0 (repeat; default all)."),
    ] = None,
    quota: Annotated[
        list[str] | None, typer.Option("--quota", help="CHANNEL:day|month:LIMIT (repeat).")
    ] = None,
    rate_limit: Annotated[float, typer.Option("--rate-limit", help="Requests/s per key.")] = 10.0,
    burst: Annotated[int, typer.Option("--burst")] = 20,
    starts: Annotated[
        str | None, typer.Option("--starts", help="YYYY-MM-DD (default today).")
    ] = None,
    ends: Annotated[str | None, typer.Option("--ends", help="YYYY-MM-DD (default open).")] = None,
    currency: Annotated[str, typer.Option("--currency")] = "USD",
    flat_monthly: Annotated[str, typer.Option("--flat-monthly")] = "0",
    per_1000: Annotated[
        list[str] | None, typer.Option("--per-1000", help="CHANNEL:PRICE per 1,000 requests.")
    ] = None,
    per_gb: Annotated[str, typer.Option("--per-gb")] = "0",
    per_snapshot: Annotated[str, typer.Option("--per-snapshot")] = "0",
    db: DbOption = None,
) -> None:
    """Add an agreement: entitled projects (and their languages and namespaces), channels,
    uses, dates, quotas, rate limit and fees."""
    from wikipact.access.models import Fees

    for amount in (flat_monthly, per_gb, per_snapshot):
        _decimal(amount)
    fees = Fees(
        currency=currency,
        flat_monthly=flat_monthly,
        per_1000_requests=dict(_price(p) for p in per_1000 or ()),
        per_gb=per_gb,
        per_snapshot=per_snapshot,
    )
    agreement = _access(db).add_agreement(
        partner,
        name=name,
        projects=project,
        channels=channel,
        uses=use or (),
        languages=language or (),
        namespaces=namespace or (),
        quotas=[_quota(q) for q in quota or ()],
        rate_limit=rate_limit,
        burst=burst,
        starts=starts,
        ends=ends,
        fees=fees,
        actor=_actor(),
    )
    console.print(f"[bold green]added[/] agreement {agreement.identifier} for {partner}")


def _decimal(text: str) -> None:
    try:
        Decimal(text)
    except ArithmeticError:
        raise ConfigError(f"{text!r} is not an amount; write it like 12.50") from None


@agreements_app.command("list")
def agreements_list(
    partner: Annotated[str | None, typer.Argument()] = None, db: DbOption = None
) -> None:
    """List agreements (of one partner, or all)."""
    table = Table(show_edge=False)
    for column in ("id", "partner", "name", "projects", "languages", "namespaces", "channels",
                   "uses", "from", "to"):  # fmt: skip
        table.add_column(column)
    for a in _access(db).agreements(partner):
        table.add_row(str(a.identifier), a.partner, a.name, ",".join(a.projects),
                      ",".join(a.languages) or "all", ",".join(map(str, a.namespaces)) or "all",
                      ",".join(a.channels), ",".join(a.uses), a.starts, a.ends or "")  # fmt: skip
    console.print(table)


@agreements_app.command("end")
def agreements_end(
    identifier: int,
    on: Annotated[
        str | None, typer.Option("--on", help="Last day, YYYY-MM-DD (default today).")
    ] = None,
    db: DbOption = None,
) -> None:
    """End an agreement (its last day is --on)."""
    agreement = _access(db).end_agreement(identifier, on, actor=_actor())
    console.print(f"[bold]ended[/] agreement {identifier}: last day {agreement.ends}")


# -- keys -------------------------------------------------------------------------------------


def _show_secret(secret: str) -> None:
    console.print(f"key: [bold]{secret}[/]")
    console.print("[yellow]Store it now: it is shown this once and only its hash is kept.[/]")


@keys_app.command("create")
def keys_create(
    partner: Annotated[
        str | None, typer.Argument(help="Partner id; omit with --admin for an admin key.")
    ] = None,
    label: Annotated[str, typer.Option("--label")] = "default",
    scope: Annotated[list[str] | None, typer.Option("--scope", help="Channel or 'usage'.")] = None,
    expires: Annotated[
        str | None,
        typer.Option(
            "--expires",
            help="ISO 8601 time with Z or an offset (2027-01-01T00:00:00Z, "
            "2027-01-01T09:00:00+02:00), or a day (00:00 UTC).",
        ),
    ] = None,
    admin: Annotated[
        bool, typer.Option("--admin", help="An admin key (manages accounts).")
    ] = False,
    db: DbOption = None,
) -> None:
    """Create an API key and print it once."""
    if admin == (partner is not None):
        raise ConfigError("give a partner id, or --admin for an admin key")
    key, secret = _access(db).create_key(
        partner, label=label, scopes=scope or (), expires_at=expires, actor=_actor()
    )
    console.print(f"[bold green]created[/] key {key.identifier} for {partner or 'admin'}")
    _show_secret(secret)


@keys_app.command("list")
def keys_list(partner: Annotated[str | None, typer.Argument()] = None, db: DbOption = None) -> None:
    """List keys (never the keys themselves)."""
    table = Table(show_edge=False)
    for column in ("key", "partner", "label", "scopes", "created", "state"):
        table.add_column(column)
    for k in _access(db).keys(partner):
        state = (
            "revoked"
            if k.revoked_at
            else (f"rotated, valid until {k.grace_until}" if k.rotated_to else "active")
        )
        table.add_row(k.identifier, k.partner or "(admin)", k.label, ",".join(k.scopes),
                      k.created_at[:10], state)  # fmt: skip
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(identifier: str, db: DbOption = None) -> None:
    """Revoke a key at once."""
    _access(db).revoke_key(identifier, actor=_actor())
    console.print(f"[bold]revoked[/] key {identifier}")


@keys_app.command("rotate")
def keys_rotate(
    identifier: str,
    grace: Annotated[int, typer.Option("--grace", help="Seconds the old key stays valid.")] = 86400,
    db: DbOption = None,
) -> None:
    """Replace a key; both work during the grace period."""
    key, secret = _access(db).rotate_key(identifier, grace_seconds=grace, actor=_actor())
    console.print(
        f"[bold green]rotated[/] {identifier} → {key.identifier} (old key valid {grace} s)"
    )
    _show_secret(secret)


# -- statements -------------------------------------------------------------------------------


def statement_command(
    partner: Annotated[str, typer.Option("--partner")],
    period: Annotated[str, typer.Option("--period", help="YYYY-MM")],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Folder for the CSV and JSON (default: .).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Price a partner's metered usage for a month by its fee schedules; write CSV and JSON."""
    from wikipact.access.pricing import to_csv

    statement = _access(db).statement(partner, period)
    folder = out or Path(".")
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"statement-{partner}-{period}"
    stem.with_suffix(".csv").write_text(to_csv(statement), encoding="utf-8")
    stem.with_suffix(".json").write_bytes(
        msgspec.json.format(msgspec.json.encode(statement)) + b"\n"
    )
    console.print(
        f"{partner} {period}: {statement.requests:,} requests, {statement.bytes:,} bytes, "
        f"total [bold]{statement.total} {statement.currency}[/] → {stem}.csv, {stem}.json"
    )


def serve_command(
    db: DbOption = None,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
    workers: Annotated[int, typer.Option("--workers", "-w", min=1, help="Server processes.")] = 2,
    snapshots: Annotated[
        str | None,
        typer.Option(
            "--snapshots",
            help="Snapshots folder or object storage URL (s3://bucket/prefix; default per user).",
        ),
    ] = None,
    snapshots_redirect: Annotated[
        int | None,
        typer.Option(
            "--snapshots-redirect",
            min=0,
            max=604800,
            help="With snapshots in object storage: answer downloads with a redirect to a "
            "presigned URL lasting this many seconds (default $WIKIPACT_SNAPSHOTS_REDIRECT, "
            "else 0: stream them through the API).",
            show_default=False,
        ),
    ] = None,
    access_log: Annotated[
        bool, typer.Option("--access-log/--no-access-log", help="Log one line per request.")
    ] = True,
) -> None:
    """Run the partner API (uvicorn); the OpenAPI document is at /openapi.json."""
    from wikipact.api.serve import run
    from wikipact.backends import open_backends

    backends = open_backends(db, snapshots=snapshots, snapshots_redirect=snapshots_redirect)
    backends.prepare()  # create or migrate the tables once, before the workers start
    backends.close()
    run(backends.settings, host=host, port=port, workers=workers, access_log=access_log)
