"""Options shared by several commands."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from wikipact.dumps.reader import Dump
    from wikipact.run.executor import Executor

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL, e.g. sqlite:///wikipact.db (default: $WIKIPACT_DB or a file in the "
        "per-user data directory).",
        show_default=False,
    ),
]
WorkersOption = Annotated[
    int | None,
    typer.Option(
        "--workers",
        "-w",
        min=1,
        help="Tasks run at once: worker processes with --executor local (default 1; "
        "multistream dumps and plain UTF-8 XML are read by the workers themselves, other files "
        "are split into pages by the main process), Ray tasks with --executor ray (default: "
        "the cluster's CPUs).",
        show_default=False,
    ),
]
ExecutorOption = Annotated[
    str,
    typer.Option(
        "--executor",
        help="Where tasks run: 'local' (processes of this machine) or 'ray' (a Ray cluster; "
        "pip install 'wikipact\\[ray]'; see docs/deploy.md).",
        case_sensitive=False,
    ),
]
RayAddressOption = Annotated[
    str | None,
    typer.Option(
        "--ray-address",
        help="With --executor ray: 'auto' joins the cluster this machine is part of (ray start), "
        "'ray://HOST:10001' a remote one; without it a Ray instance runs on this machine for "
        "the command.",
        show_default=False,
    ),
]
TaskBytesOption = Annotated[
    int | None,
    typer.Option(
        "--task-bytes",
        min=1,
        help="Bytes of the dump file per parallel task: bzip2 streams of a multistream dump "
        "(default 1 MB) or plain UTF-8 XML (default 4 MB).",
        show_default=False,
    ),
]
OnErrorOption = Annotated[
    str,
    typer.Option(
        "--on-error",
        help="'stop' at the first damaged stream or page (pages before it are kept), or 'skip' "
        "it, report it and go on.",
        case_sensitive=False,
    ),
]
ProjectOption = Annotated[
    str | None,
    typer.Option(
        "--project",
        help="Wiki database name (enwiki, dewiktionary ...) when the dump's own <siteinfo> is "
        "missing or wrong.",
    ),
]


def check_on_error(value: str) -> str:
    value = value.lower()
    if value not in ("stop", "skip"):
        from wikipact.errors import ConfigError

        raise ConfigError(f"--on-error must be 'stop' or 'skip', not {value!r}")
    return value


def open_executor(name: str, workers: int | None, address: str | None) -> Executor:
    """The executor of ``--executor``, ``--workers`` and ``--ray-address`` (the caller closes
    it: ``with open_executor(...) as executor``)."""
    from wikipact.run.executor import open_executor as make

    return make(name, workers=workers, address=address)


def open_dumps(paths: list[str], project: str | None) -> list[Dump]:
    """Open dump files, telling the user what the reader decided about them (a <siteinfo>
    that names the wrong wiki, for one)."""
    from wikipact.cli.progress import stderr
    from wikipact.dumps.reader import open_dump

    opened = [open_dump(path, project=project) for path in paths]
    for dump in opened:
        for note in dump.notes:
            stderr.print(f"note: {note}", markup=False, highlight=False, soft_wrap=True)
    return opened
