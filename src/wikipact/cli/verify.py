"""``wikipact verify``: check a dataset directory against its signed manifest."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from wikipact.cli.progress import stderr

if TYPE_CHECKING:  # the dataset stack loads when `verify` runs, not for every command
    from wikipact.datasets.verify import VerifyReport

console = Console(soft_wrap=True, highlight=False)


def verify_command(
    directory: Annotated[
        str, typer.Argument(help="The dataset's root folder, or its s3://bucket/prefix URL.")
    ],
    public_key: Annotated[
        str | None,
        typer.Option(
            "--public-key",
            help="The publisher's public key: its ed25519.pub file, or the base64 key "
            "`wikipact signing show` prints. A signature by any other key fails.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Check the manifest's signature and every file's size, sha256 and record count.

    Exit code 0 when everything matches, 1 when anything does not.
    """
    from wikipact.datasets.verify import verify_dataset

    report = verify_dataset(directory, public_key=public_key)
    for problem in report.problems:
        console.print(f"[red]{problem.kind}[/] {escape(problem.file)}: {escape(problem.message)}")
    _summary(report)
    if not report.ok:
        raise typer.Exit(1)


def _summary(report: VerifyReport) -> None:
    if report.key_trust == "unpinned":
        stderr.print(
            f"[yellow]warning:[/] signed by key {report.key_id}, which is neither pinned with "
            "--public-key nor the local signing key: the files match the manifest, but who "
            "signed it is not checked",
            highlight=False,
            soft_wrap=True,
        )
    if report.key_trust:
        signer = f"signed by key {report.key_id} ({report.key_trust})"
    elif report.key_id:
        signer = f"no valid signature (the signature file names key {report.key_id})"
    else:
        signer = "no valid signature"
    files = f"{report.files_checked:,} listed files"
    if report.ok:
        console.print(f"[bold green]ok[/]: {files} match the manifest, {signer}")
    else:
        n = len(report.problems)
        console.print(
            f"[bold red]failed[/]: {n:,} problem{'s' if n != 1 else ''} ({files} checked, {signer})"
        )
