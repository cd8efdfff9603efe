"""The follower: Wikimedia's change stream in, the store kept current.

A reader thread takes messages off the stream (``stream.EventStream``) into a queue; the
follower takes whatever has arrived (up to ``batch_events``) as one batch: it parses the events,
drops those of other wikis and namespaces and those the store already has, fetches the content
of the rest in batches (``fetch.ContentSource``), parses it into records and applies the whole
batch in **one transaction with the stream position of its last message**
(``ArticleStore.apply_changes``). A crash or a kill at any point therefore leaves the store at
the end of some batch, and a restart asks the stream for what came after it: nothing is lost
and nothing applied twice (and applying twice would change nothing: revisions are keyed by id
and a page only moves forward).

Per event (Wikimedia Enterprise's realtime semantics):

- create, edit: the revision is fetched and stored; an older revision arriving late, or one the
  store has, changes nothing (counted ``stale``);
- undelete: the page comes back at the revision the event names;
- move: the page is fetched under its new title (its history stays, keyed by page id); the
  redirect left behind, when the event names it, is fetched as a page of its own; a move out of
  the followed namespaces removes the page, a move into them adds it;
- delete: the page leaves every later delivery and the change log gets a ``delete``;
- visibility: the fields hidden (text, editor, comment) leave the stored revision for good, and
  the record when it is the current one; fields shown again are not brought back (the next edit
  brings the page's newest state).

Everything that cannot be applied is counted by reason, never fatal: malformed events,
unknown wikis, revisions the wiki no longer has or whose text is hidden, and fetches that return
another revision than the one asked for. A fetch the wiki could not answer (network, 5xx after
retries) stops the batch without saving its position, so it is retried, not skipped.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec

from wikipact import crashpoints
from wikipact.errors import ConfigError, WikipactError
from wikipact.follow.events import MalformedEvent, PageEvent, parse_event
from wikipact.follow.fetch import ContentSource, FetchedRevision
from wikipact.follow.pages import raw_page
from wikipact.follow.signals import signals_for
from wikipact.model.article import Article
from wikipact.model.instants import format_instant, parse_instant
from wikipact.model.raw import RawPage, SiteInfo
from wikipact.store.base import (
    ArticleStore,
    PageDeletion,
    PageUpsert,
    RevisionHiding,
    StreamChange,
    StreamPosition,
)
from wikipact.wikitext.parse import parse_article

LAGS_KEPT = 1000  # the newest lags (event time to commit) kept for --status percentiles
RECENT_KEPT = 100  # the newest batches' commit times and sizes, for events per second


def unanswered(reason: str) -> bool:
    """Whether a missing revision's reason is a failure to get an answer (retries used up:
    the batch is retried later) rather than the wiki's answer (no such revision, hidden text:
    skipped and counted)."""
    return " after " in reason


class FetchUnavailable(WikipactError):
    """The wiki did not answer for some revisions; the batch is retried later."""


@dataclass
class FollowOptions:
    name: str = "eventstreams"  # the stream position's name in the store
    wikis: frozenset[str] | None = None  # None: every wiki in the store
    namespaces: frozenset[int] = frozenset({0})
    batch_events: int = 500
    source: str = "follow"  # the change log's source
    once: bool = False  # stop at the first event newer than the start


@dataclass
class FollowState:
    """The follower's counters, saved with its position (``wikipact follow --status``)."""

    events: int = 0
    applied: int = 0  # events whose change reached the store
    counts: Counter[str] = field(default_factory=Counter)  # by outcome and reason
    last_event_time: str | None = None
    last_committed_at: str | None = None
    lags: list[float] = field(default_factory=list)  # seconds, event time -> commit
    batches: int = 0
    recent: list[tuple[float, int]] = field(default_factory=list)  # (commit epoch s, events)

    def to_json(self) -> str:
        return json.dumps(
            {
                "events": self.events,
                "applied": self.applied,
                "counts": dict(sorted(self.counts.items())),
                "last_event_time": self.last_event_time,
                "last_committed_at": self.last_committed_at,
                "lags": [round(x, 3) for x in self.lags[-LAGS_KEPT:]],
                "batches": self.batches,
                "recent": [[round(t, 3), n] for t, n in self.recent[-RECENT_KEPT:]],
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str | None) -> FollowState:
        data: dict[str, Any] = json.loads(text) if text else {}
        return cls(
            events=int(data.get("events", 0)),
            applied=int(data.get("applied", 0)),
            counts=Counter(data.get("counts", {})),
            last_event_time=data.get("last_event_time"),
            last_committed_at=data.get("last_committed_at"),
            lags=list(data.get("lags", [])),
            batches=int(data.get("batches", 0)),
            recent=[(float(t), int(n)) for t, n in data.get("recent", [])],
        )


@dataclass
class _Message:
    id: str | None
    data: str


_END = object()


class Follower:
    """Applies a change stream to ``store``; ``run`` returns when the stream ends or idles."""

    def __init__(
        self,
        store: ArticleStore,
        source: ContentSource,
        options: FollowOptions | None = None,
        *,
        on_batch: Callable[[FollowState, int], None] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.source = source
        self.options = options or FollowOptions()
        self.on_batch = on_batch
        self.clock = clock
        saved = store.stream_position(self.options.name)
        self.position = saved.position if saved else None
        self.state = FollowState.from_json(saved.state if saved else None)
        self.sites: dict[str, SiteInfo | None] = {}
        self.started = clock()
        self._planned: dict[tuple[str, int], tuple[int, bool]] = {}

    # -- the loop ----------------------------------------------------------------------------

    def run(self, messages: Iterable[Any]) -> FollowState:
        """Apply ``messages`` (``StreamMessage``s: ``.id`` and ``.data``) until they end."""
        inbox: queue.Queue[object] = queue.Queue(maxsize=self.options.batch_events * 4)
        failure: list[BaseException] = []
        stop = threading.Event()

        def read() -> None:
            try:
                for message in messages:
                    if stop.is_set():
                        break
                    inbox.put(_Message(message.id, message.data))
            except BaseException as exc:  # StreamIdle ends the run; others are reported
                failure.append(exc)
            finally:
                inbox.put(_END)

        reader = threading.Thread(target=read, name="wikipact-follow-reader", daemon=True)
        reader.start()
        try:
            for batch in self._batches(inbox):
                if not self.apply(batch):
                    break
        finally:
            stop.set()
            close = getattr(messages, "close", None)
            if close is not None:
                close()
        if failure and not _is_idle(failure[0]):
            raise failure[0]
        return self.state

    def _batches(self, inbox: queue.Queue[object]) -> Iterator[list[_Message]]:
        while True:
            first = inbox.get()
            if first is _END:
                return
            batch = [first]
            ended = False
            while len(batch) < self.options.batch_events:
                try:
                    item = inbox.get_nowait()
                except queue.Empty:
                    break
                if item is _END:
                    ended = True
                    break
                batch.append(item)
            yield batch  # type: ignore[misc]
            if ended:
                return

    # -- one batch ---------------------------------------------------------------------------

    def apply(self, batch: list[_Message]) -> bool:
        """Apply one batch of messages with its position; False when ``once`` saw the present."""
        state = self.state
        events: list[PageEvent] = []
        position = self.position
        carry_on = True
        for message in batch:
            event = self._event(message.data)
            if (
                event is not None
                and self.options.once
                and event.event_time > format_instant(self.started)
            ):
                carry_on = False
                break
            state.events += 1
            if message.id is not None:
                position = message.id
            if event is not None:
                state.last_event_time = max(state.last_event_time or "", event.event_time)
                events.append(event)
            crashpoints.reached("follow.event.read")
        changes = self._changes(events)
        committed = self.clock()
        state.applied += sum(1 for _ in changes)
        state.batches += 1
        state.last_committed_at = format_instant(committed)
        state.lags.extend(_lag(e.event_time, committed) for e in events)
        del state.lags[:-LAGS_KEPT]
        state.recent.append((committed.timestamp(), len(batch)))
        del state.recent[:-RECENT_KEPT]
        self.store.apply_changes(
            changes,
            source=self.options.source,
            position=StreamPosition(self.options.name, position, state.to_json()),
        )
        self.position = position
        crashpoints.reached("follow.batch.committed")
        if self.on_batch is not None:
            self.on_batch(state, len(batch))
        return carry_on

    def _event(self, data: str) -> PageEvent | None:
        counts = self.state.counts
        try:
            event = parse_event(data)
        except MalformedEvent as exc:
            counts["malformed"] += 1
            counts[f"malformed: {exc.reason[:80]}"] += 1
            return None
        if event is None:
            counts["ignored"] += 1
            return None
        if self.options.wikis is not None and event.wiki not in self.options.wikis:
            counts["other wiki"] += 1
            return None
        if self._site(event.wiki) is None:
            counts["unknown wiki"] += 1
            return None
        return event

    def _site(self, wiki: str) -> SiteInfo | None:
        if wiki not in self.sites:
            self.sites[wiki] = self.store.site(wiki)
        return self.sites[wiki]

    def _changes(self, events: list[PageEvent]) -> list[StreamChange]:
        """The store changes of ``events``, in their order, with the content they need."""
        counts = self.state.counts
        namespaces = self.options.namespaces
        plans: list[tuple[str, PageEvent, int | None]] = []  # (what, event, revision to fetch)
        self._planned = {}  # this batch's page states, as its plans leave them
        self._histories: dict[tuple[str, int], list[tuple[int, str, str | None, int]]] = {}
        for event in events:
            inside = event.namespace in namespaces
            if event.kind == "delete":
                plans.append(("delete", event, None) if inside else ("skip", event, None))
                if event.page_id is not None:
                    held = self._held(event.wiki, event.page_id)
                    if held is not None:
                        self._planned[(event.wiki, event.page_id)] = (held[0], True)
            elif event.kind == "visibility":
                if event.revision_id is None or not event.hidden:
                    counts["visibility without hidden fields"] += 1
                    continue
                plans.append(("hide", event, None))
            elif event.kind == "move" and not inside:
                moved_out = (
                    event.prior_namespace is not None and event.prior_namespace in namespaces
                )
                plans.append(("delete", event, None) if moved_out else ("skip", event, None))
            elif not inside:
                plans.append(("skip", event, None))
            elif event.revision_id is None:
                counts["no revision id"] += 1
            elif self._stale(event):
                counts["stale"] += 1
            else:
                plans.append(("upsert", event, event.revision_id))
                if event.page_id is not None:
                    self._planned[(event.wiki, event.page_id)] = (event.revision_id, False)
                if event.kind == "move" and event.redirect_page_id is not None:
                    plans.append(("redirect", event, None))  # its latest revision, by page id
        fetched = self._fetch([(e.wiki, rev) for _, e, rev in plans if rev is not None])
        redirects = self._fetch_pages(
            [(e.wiki, e.redirect_page_id) for what, e, _ in plans if what == "redirect"]
        )
        changes: list[StreamChange] = []
        for what, event, revision_id in plans:
            if what == "skip":
                counts["other namespace"] += 1
            elif what == "delete":
                changes.extend(self._deletions(event))
            elif what == "hide":
                assert event.revision_id is not None
                changes.append(RevisionHiding(event.wiki, event.revision_id, event.hidden))
                counts["hidden"] += 1
            elif what == "redirect":
                assert event.redirect_page_id is not None
                page = redirects.get((event.wiki, event.redirect_page_id))
                upsert = self._upsert(event, page, page.revision_id if page else 0, redirect=True)
                if upsert is not None:
                    changes.append(upsert)
            else:
                assert revision_id is not None
                found = fetched.get((event.wiki, revision_id))
                upsert = self._upsert(event, found, revision_id, redirect=False)
                if upsert is not None:
                    changes.append(upsert)
        return changes

    def _stale(self, event: PageEvent) -> bool:
        """The store has this revision of the page or a newer one (a duplicate or a late event);
        for an undeletion, only when the page is live."""
        if event.page_id is None or event.revision_id is None:
            return False
        held = self._held(event.wiki, event.page_id)
        if held is None:
            return False
        revision, deleted = held
        if event.kind == "undelete":
            return not deleted and revision >= event.revision_id
        return revision >= event.revision_id

    def _with_signals(
        self, event: PageEvent, raw: RawPage, article: Article, *, redirect: bool
    ) -> Article:
        """The record with its revision's verification signals (``follow.signals``), from the
        page's stored history and the revisions this batch brings before it."""
        key = (event.wiki, raw.identifier)
        history = self._histories.get(key)
        if history is None:
            history = self.store.revision_history(*key)
            self._histories[key] = history
        revision = raw.revisions[0]
        signals = signals_for(
            history,
            revision.identifier,
            revision.timestamp,
            revision.sha1,
            None if redirect else event.editor_kind,
        )
        if all(h[0] != revision.identifier for h in history):
            history.append((revision.identifier, revision.timestamp, revision.sha1, 0))
        version = msgspec.structs.replace(article.version, verification=signals)
        return msgspec.structs.replace(article, version=version)

    def _held(self, wiki: str, page_id: int) -> tuple[int, bool] | None:
        """(revision, deleted) of a page as this batch leaves it so far, else as stored."""
        planned = self._planned.get((wiki, page_id))
        return planned if planned is not None else self.store.page_state(wiki, page_id)

    def _deletions(self, event: PageEvent) -> list[StreamChange]:
        if event.page_id is not None:
            self.state.counts["deleted"] += 1
            return [PageDeletion(event.wiki, event.page_id)]
        # recentchange log events carry no page id: the live page of that title
        title = event.prior_title if event.kind == "move" and event.prior_title else event.title
        found = [
            a for a in self.store.find(title, event.wiki) if a.is_part_of.identifier == event.wiki
        ]
        if not found:
            self.state.counts["delete of a page not stored"] += 1
        self.state.counts["deleted"] += len(found)
        return [PageDeletion(event.wiki, article.identifier) for article in found]

    def _fetch(self, wanted: list[tuple[str, int]]) -> dict[tuple[str, int], FetchedRevision | str]:
        """Fetched revisions by (wiki, revision id), or the reason one is missing."""
        by_wiki: dict[str, list[int]] = {}
        for wiki, revision_id in wanted:
            ids = by_wiki.setdefault(wiki, [])
            if revision_id not in ids:
                ids.append(revision_id)
        found: dict[tuple[str, int], FetchedRevision | str] = {}
        for wiki, ids in by_wiki.items():
            result = self.source.fetch(wiki, ids)
            unavailable = {rev: why for rev, why in result.missing.items() if unanswered(why)}
            if unavailable:
                rev, why = next(iter(unavailable.items()))
                raise FetchUnavailable(
                    f"{wiki}: {len(unavailable)} revision(s) could not be fetched (revision "
                    f"{rev}: {why}); the batch will be retried"
                )
            for rev, why in result.missing.items():
                found[(wiki, rev)] = why
            for rev, revision in result.found.items():
                found[(wiki, rev)] = revision
        return found

    def _fetch_pages(
        self, wanted: list[tuple[str, int | None]]
    ) -> dict[tuple[str, int], FetchedRevision]:
        """The latest revision of pages named without a revision (a move's redirect), when the
        source can fetch by page (``ActionApiSource.fetch_latest``)."""
        fetch_latest = getattr(self.source, "fetch_latest", None)
        found: dict[tuple[str, int], FetchedRevision] = {}
        by_wiki: dict[str, list[int]] = {}
        for wiki, page_id in wanted:
            if page_id is not None:
                by_wiki.setdefault(wiki, []).append(page_id)
        if fetch_latest is None:
            self.state.counts["redirect not fetched (source cannot)"] += len(wanted)
            return found
        for wiki, ids in by_wiki.items():
            for page_id, revision in fetch_latest(wiki, ids).items():
                found[(wiki, page_id)] = revision
        return found

    def _upsert(
        self,
        event: PageEvent,
        fetched: FetchedRevision | str | None,
        revision_id: int,
        *,
        redirect: bool,
    ) -> PageUpsert | None:
        counts = self.state.counts
        if fetched is None or isinstance(fetched, str):
            counts["fetch missing"] += 1
            counts[f"fetch missing: {(fetched or 'not returned').split(':')[0][:40]}"] += 1
            return None
        expected_page = event.redirect_page_id if redirect else event.page_id
        if (
            fetched.revision_id != revision_id
            or fetched.wiki != event.wiki
            or (expected_page is not None and fetched.page_id != expected_page)
        ):
            counts["fetched another revision"] += 1
            return None
        if fetched.text is None or fetched.text_hidden:
            counts["text hidden"] += 1
            return None
        if fetched.namespace not in self.options.namespaces:
            counts["other namespace"] += 1
            return None
        site = self._site(event.wiki)
        assert site is not None
        raw = raw_page(fetched)
        article = parse_article(raw, site)
        article = self._with_signals(event, raw, article, redirect=redirect)
        counts["redirect left by a move" if redirect else f"{event.kind}"] += 1
        return PageUpsert(raw, article, revive=event.kind == "undelete")


def _is_idle(exc: BaseException) -> bool:
    from wikipact.follow.stream import StreamIdle

    return isinstance(exc, StreamIdle)


def _lag(event_time: str, committed: datetime) -> float:
    try:
        happened = parse_instant(event_time, what="event time")
    except ConfigError:
        return 0.0
    return max(0.0, (committed - happened).total_seconds())


def percentile(values: list[float], fraction: float) -> float | None:
    """The ``fraction`` quantile of ``values`` (nearest rank), None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


def follow(
    store: ArticleStore,
    open_stream: Callable[[str | None], Iterable[Any]],
    source: ContentSource,
    options: FollowOptions | None = None,
    *,
    on_batch: Callable[[FollowState, int], None] | None = None,
    on_retry: Callable[[FetchUnavailable, float], None] | None = None,
    sleep: Callable[[float], None] | None = None,
    max_wait: float = 60.0,
) -> FollowState:
    """Follow until the stream ends or idles: ``open_stream(position)`` opens the stream after
    the saved position. A batch whose content the wiki could not serve is retried from its
    position after a growing wait (``on_retry`` hears of each)."""
    wait = sleep or time.sleep
    options = options or FollowOptions()
    delay = 1.0
    while True:
        follower = Follower(store, source, options, on_batch=on_batch)
        try:
            return follower.run(open_stream(follower.position))
        except FetchUnavailable as exc:
            if on_retry is not None:
                on_retry(exc, delay)
            wait(delay)
            delay = min(delay * 2, max_wait)


def status_report(
    store: ArticleStore, name: str, now: datetime | None = None
) -> dict[str, Any] | None:
    """What ``wikipact follow --status`` and the API's ``/v2/admin/follow`` show: position,
    freshness, lag, rate and counters of the follower saved as ``name`` (None: never run)."""
    saved = store.stream_position(name)
    if saved is None:
        return None
    state = FollowState.from_json(saved.state)
    moment = now or datetime.now(UTC)
    behind = None
    if state.last_event_time:
        behind = round((moment - parse_instant(state.last_event_time)).total_seconds(), 3)
    rate = None
    if len(state.recent) >= 2:
        span = state.recent[-1][0] - state.recent[0][0]
        rate = round(sum(n for _, n in state.recent[1:]) / span, 1) if span > 0 else None
    counts = dict(sorted(state.counts.items()))
    return {
        "stream": name,
        "position": saved.position,
        "updated_at": saved.updated_at,
        "last_event_time": state.last_event_time,
        "last_committed_at": state.last_committed_at,
        "seconds_behind": behind,  # now minus the newest event applied: the backlog's age
        "lag_seconds": {
            "p50": percentile(state.lags, 0.5),
            "p99": percentile(state.lags, 0.99),
            "of_last": len(state.lags),
        },
        "events_per_second": rate,  # over the last batches
        "events": state.events,
        "applied": state.applied,
        "batches": state.batches,
        "fetch_errors": sum(v for k, v in counts.items() if k == "fetch missing"),
        "malformed": counts.get("malformed", 0),
        "counts": counts,
    }
