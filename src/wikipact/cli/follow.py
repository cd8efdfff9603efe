"""``wikipact follow``: keep the store current from Wikimedia's change stream."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

from wikipact.cli.common import DbOption

console = Console(soft_wrap=True, highlight=False)

DEFAULT_STREAM = "https://stream.wikimedia.org/v2/stream"
DEFAULT_API = "https://{domain}/w/api.php"


def follow_command(
    db: DbOption = None,
    wiki: Annotated[
        list[str] | None,
        typer.Option(
            "--wiki",
            help="Wiki to follow (dbname, e.g. enwiki); repeat for several. "
            "Default: every wiki in the store.",
        ),
    ] = None,
    namespace: Annotated[
        list[int] | None,
        typer.Option("--namespace", help="Namespace to follow; repeat for several (default 0)."),
    ] = None,
    stream: Annotated[
        str, typer.Option("--stream", help="EventStreams base URL.")
    ] = DEFAULT_STREAM,
    stream_name: Annotated[
        str,
        typer.Option("--stream-name", help="mediawiki.page_change.v1 or mediawiki.recentchange."),
    ] = "mediawiki.page_change.v1",
    api: Annotated[
        str,
        typer.Option(
            "--api", help="Action API endpoint; {wiki}, {lang} and {domain} are replaced per wiki."
        ),
    ] = DEFAULT_API,
    user_agent: Annotated[
        str | None,
        typer.Option(
            "--user-agent",
            envvar="WIKIPACT_USER_AGENT",
            help="Name and contact for Wikimedia's User-Agent policy, e.g. "
            "'acme-wikipact/1.0 (ops@acme.example)'.",
        ),
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="Stop at the first change newer than the start.")
    ] = False,
    until_idle: Annotated[
        float | None,
        typer.Option(
            "--until-idle", min=0.1, help="Stop after the stream was quiet this many seconds."
        ),
    ] = None,
    batch_events: Annotated[int, typer.Option("--batch-events", min=1)] = 500,
    requests_per_second: Annotated[
        float, typer.Option("--requests-per-second", help="Cap on Action API requests.")
    ] = 10.0,
    status: Annotated[
        bool, typer.Option("--status", help="Show the follower's position, lag and counters.")
    ] = False,
) -> None:
    """Follow Wikimedia's change stream: fetch each changed revision, parse it and store it,
    with deletions and hidden revisions; resumes where it stopped."""
    from wikipact.backends import open_backends

    backends = open_backends(db)
    store = backends.store(readonly=status)
    try:
        if status:
            _status(store, stream_name)
            return
        _follow(store, wiki, namespace, stream, stream_name, api, user_agent, once, until_idle,
                batch_events, requests_per_second)  # fmt: skip
    finally:
        store.close()


def _follow(
    store: object,
    wiki: list[str] | None,
    namespace: list[int] | None,
    stream: str,
    stream_name: str,
    api: str,
    user_agent: str | None,
    once: bool,
    until_idle: float | None,
    batch_events: int,
    requests_per_second: float,
) -> None:
    from wikipact import __version__
    from wikipact.cli.progress import stderr
    from wikipact.errors import ConfigError
    from wikipact.follow.fetch import ActionApiSource
    from wikipact.follow.follower import FetchUnavailable, FollowOptions, FollowState, follow
    from wikipact.follow.stream import EventStream, default_stream_url

    known = set(store.projects())  # type: ignore[attr-defined]
    for name in wiki or ():
        if name not in known:
            raise ConfigError(
                f"{name} is not in the store: ingest a dump of it first (its siteinfo is needed "
                "to parse its pages)"
            )
    agent = user_agent or f"wikipact/{__version__} (change-stream follower; no contact given)"
    if user_agent is None:
        stderr.print("[yellow]note[/]: give --user-agent with a contact (Wikimedia's policy)")
    options = FollowOptions(
        name=stream_name,
        wikis=frozenset(wiki) if wiki else None,
        namespaces=frozenset(namespace) if namespace else frozenset({0}),
        batch_events=batch_events,
        once=once,
    )
    url = default_stream_url([stream_name], base=stream.rstrip("/"))
    source = ActionApiSource(api, user_agent=agent, max_requests_per_second=requests_per_second)

    def open_stream(position: str | None) -> EventStream:
        return EventStream(url, last_event_id=position, user_agent=agent,
                           idle_timeout=until_idle if until_idle else (5.0 if once else None))  # fmt: skip

    def on_batch(state: FollowState, size: int) -> None:
        stderr.print(
            f"  {state.events:,} events, {state.applied:,} changes applied, "
            f"last event {state.last_event_time or '-'}",
            highlight=False,
        )

    def on_retry(exc: FetchUnavailable, delay: float) -> None:
        stderr.print(f"[yellow]retrying in {delay:.0f} s[/]: {exc}")

    with store.exclusive(f"follow-{stream_name}"):  # type: ignore[attr-defined]
        try:
            state = follow(store, open_stream, source, options,  # type: ignore[arg-type]
                           on_batch=on_batch, on_retry=on_retry)  # fmt: skip
        finally:
            source.close()
    console.print(
        f"[bold green]followed[/] {state.events:,} events: {state.applied:,} changes applied; "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(state.counts.items()) if ":" not in k)
    )


def _status(store: object, stream_name: str) -> None:
    from wikipact.follow.follower import status_report

    report = status_report(store, stream_name)  # type: ignore[arg-type]
    if report is None:
        console.print(f"{stream_name}: never followed in this store")
        raise typer.Exit(1)
    console.print_json(json.dumps(report))


def takedown_command(
    wiki: Annotated[str, typer.Option("--wiki", help="The wiki (dbname), e.g. enwiki.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (kept in the audit log).")],
    actor: Annotated[str, typer.Option("--actor", help="Who asks (kept in the audit log).")],
    page_id: Annotated[int | None, typer.Option("--page-id")] = None,
    title: Annotated[str | None, typer.Option("--title")] = None,
    revision: Annotated[int | None, typer.Option("--revision")] = None,
    field: Annotated[
        list[str] | None,
        typer.Option(
            "--field",
            help="With --revision: text, editor or comment (repeat); default all three.",
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Take content down by hand (a legal request): a page from every later delivery, or
    fields of one revision; recorded in the audit log."""
    from wikipact.backends import open_backends
    from wikipact.run.takedown import take_down

    backends = open_backends(db)
    store = backends.store()
    try:
        done = take_down(
            store, backends.access(), project=wiki, reason=reason, actor=actor,
            page_id=page_id, title=title, revision_id=revision,
            fields=field or ("text", "editor", "comment"),
        )  # fmt: skip
    finally:
        store.close()
        backends.close()
    what = f"page {done.page_id}" if revision is None else f"revision {revision}"
    console.print(
        f"[bold green]taken down[/] {wiki} {what}: {', '.join(done.fields)} of "
        f"{len(done.revisions)} revision(s); {done.result.deleted} page(s) removed, "
        f"{done.result.hidden} revision(s) hidden; recorded in the audit log"
    )
