"""``wikipact signing init|show``: the Ed25519 key that signs dataset manifests."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from wikipact.datasets.signing import ENV_VAR, KeyInfo, init_keys, show_key

app = typer.Typer(
    name="signing",
    help="Make and show the Ed25519 key that signs dataset manifests.",
    no_args_is_help=True,
)
console = Console(soft_wrap=True, highlight=False)

DirOption = Annotated[
    Path | None,
    typer.Option(
        "--dir",
        help=f"Key directory (default: ${ENV_VAR}, else 'signing' in the per-user config "
        "directory).",
        show_default=False,
    ),
]


@app.command("init")
def init_command(
    directory: DirOption = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Replace an existing key (datasets signed with it then no longer verify "
            "against the new public key).",
        ),
    ] = False,
) -> None:
    """Make a new key pair; give partners the public key file it prints."""
    info = init_keys(directory, force=force)
    console.print(f"[bold green]created[/] signing key [bold]{info.key_id}[/]")
    _print_paths(info)
    console.print(
        "Give partners the public key file; they check datasets with "
        f"`wikipact verify DIR --public-key {escape(info.public_key_path.name)}`."
    )


@app.command("show")
def show_command(directory: DirOption = None) -> None:
    """Print the key id and the public key (base64 of its raw 32 bytes)."""
    info = show_key(directory)
    console.print(f"key id      [bold]{info.key_id}[/]")
    console.print(f"public key  {info.public_key}")
    _print_paths(info)


def _print_paths(info: KeyInfo) -> None:
    console.print(f"public key file   {escape(str(info.public_key_path))}")
    console.print(f"private key file  {escape(str(info.private_key_path))} (keep it secret)")
