"""The store protocol every backend implements (SQLite now, PostgreSQL at scale).

Articles are keyed by (project, page id) and carry their current revision; every revision ever
ingested is kept; every change to the current state appends one event to the change log, whose
cursor grows monotonically. Applying the same page twice changes nothing and logs nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol

from wikipact.errors import DumpError
from wikipact.model.article import Article
from wikipact.model.raw import RawPage, SiteInfo


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    """One entry of the change log."""

    cursor: int
    project: str
    page_id: int
    title: str
    namespace: int
    kind: str  # create | update | redirect | delete
    revision_id: int | None
    previous_revision_id: int | None
    redirect_target: str | None
    recorded_at: str
    source: str


@dataclass(frozen=True)
class PageFacts:
    """What the store knows of a page beyond its record: when it was created, the revision
    before the current one, and the titles that redirect to it (Enterprise's ``date_created``,
    ``previous_version``, ``date_previously_modified`` and ``redirects``)."""

    date_created: str | None = None  # the first revision's time, when it is stored
    previous_identifier: int | None = None
    previous_timestamp: str | None = None  # None when the previous revision is not stored
    previous_characters: int | None = None  # None when not stored or its text is hidden
    redirects: tuple[str, ...] = ()
    hidden: int = 0  # the current revision's hidden fields (1 text, 2 editor, 4 comment)


@dataclass
class ApplyResult:
    """What one batch did to the store."""

    created: int = 0
    updated: int = 0
    redirect_changes: int = 0
    deleted: int = 0
    unchanged: int = 0
    revisions_added: int = 0
    hidden: int = 0  # revisions whose fields were hidden

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.redirect_changes + self.deleted

    def add(self, other: ApplyResult) -> None:
        for name in (
            "created",
            "updated",
            "redirect_changes",
            "deleted",
            "unchanged",
            "revisions_added",
            "hidden",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(frozen=True, slots=True)
class PageUpsert:
    """A page at a revision (from a change stream): stored like a dump's page, newer wins.

    ``revive`` (an undeletion) lets a deleted page come back at a revision it already had;
    without it a deleted page returns only with a newer revision, so an edit event that arrives
    after the page's deletion never brings it back."""

    raw: RawPage
    article: Article
    revive: bool = False


@dataclass(frozen=True, slots=True)
class PageDeletion:
    """A page deleted on the wiki: gone from every later delivery; a ``delete`` change."""

    project: str
    page_id: int


HIDEABLE = frozenset({"text", "editor", "comment"})


@dataclass(frozen=True, slots=True)
class RevisionHiding:
    """Fields of one revision hidden on the wiki (revision deletion, suppression, a takedown).

    The stored revision loses them for good. When it is the page's current revision, its editor
    or comment leave the article record (an ``update`` change at the same revision), and hidden
    text takes the page out of every later delivery (a ``delete`` change) until a newer
    revision arrives: MediaWiki never hides the text of a current revision, so this only
    happens by hand (``wikipact takedown``)."""

    project: str
    revision_id: int
    fields: frozenset[str]


StreamChange = PageUpsert | PageDeletion | RevisionHiding


@dataclass(frozen=True, slots=True)
class StreamPosition:
    """Where a follower is in its stream, saved in the transaction of what it applied:
    ``position`` is the stream's own (EventStreams' ``Last-Event-ID``), ``state`` a JSON
    object of the follower's counters."""

    name: str
    position: str | None
    state: str = "{}"
    updated_at: str | None = None


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """Progress of one ingest task, committed in the same transaction as its pages."""

    run_id: int
    task_key: str
    pages_done: int
    finished: bool


@dataclass
class RunInfo:
    run_id: int
    status: str
    inputs: list[str]
    tasks: dict[str, tuple[int, bool]] = field(default_factory=dict)  # key -> (pages, finished)


@dataclass
class StoreStats:
    articles_by_project: dict[str, int]
    pages_by_namespace: dict[str, dict[int, int]]
    redirects_by_project: dict[str, int]
    revisions: int
    changes: int
    last_cursor: int
    runs: int


class ArticleStore(Protocol):
    """Persistence for articles, revisions, the change log and ingest progress."""

    def apply(
        self,
        batch: Sequence[tuple[RawPage, Article]],
        *,
        source: str,
        checkpoint: Checkpoint | None = None,
    ) -> ApplyResult: ...

    def delete_missing(self, project: str, seen_page_ids: set[int], *, source: str) -> int: ...

    def apply_changes(
        self,
        changes: Sequence[StreamChange],
        *,
        source: str,
        position: StreamPosition | None = None,
    ) -> ApplyResult:
        """Apply a change stream's upserts, deletions and hidings in order, in one transaction
        with the stream's position (so a follower resumes with nothing lost or applied twice)."""
        ...

    def stream_position(self, name: str) -> StreamPosition | None:
        """The position last saved under ``name`` (None: never)."""
        ...

    def page_state(self, project: str, page_id: int) -> tuple[int, bool] | None:
        """(current revision id, deleted) of a stored page, or None."""
        ...

    def exclusive(self, name: str) -> AbstractContextManager[None]:
        """Held by one process at a time per store and ``name`` (one follower per store);
        ``StoreError`` at once when another process holds it. Released when the process dies."""
        ...

    def put_site(self, site: SiteInfo) -> None: ...

    def site(self, project: str) -> SiteInfo | None: ...

    def projects(self) -> list[str]: ...

    def get(self, project: str, page_id: int) -> Article | None: ...

    def find(self, title: str, project: str | None = None) -> list[Article]: ...

    def revisions(self, project: str, page_id: int) -> list[tuple[int, str, str]]: ...

    def page_id_chunks(self, project: str, size: int) -> Iterator[tuple[int, int]]: ...

    def articles_between(self, project: str, first: int, last: int) -> Iterator[Article]: ...

    def revision_range(self, project: str) -> tuple[int, int] | None: ...

    def changes(self, after: int = 0, limit: int = 1000) -> Iterator[ChangeEvent]: ...

    def cursor_before(self, recorded_at: str) -> int:
        """The last change-log cursor recorded before ``recorded_at``; 0 if none."""
        ...

    def find_json(self, title: str) -> list[tuple[str, int, bytes]]:
        """(project, namespace, record JSON) of live pages with this exact title (the
        on-demand fast path: the stored JSON as it is)."""
        ...

    def revision_text(self, project: str, revision_id: int) -> str | None: ...

    def revision_history(
        self, project: str, page_id: int
    ) -> list[tuple[int, str, str | None, int]]:
        """(revision id, timestamp, SHA-1 of the text, hidden bits) of every stored revision,
        oldest first (the verification signals and the settled view are computed from it)."""
        ...

    def page_facts(
        self, project: str, page_id: int, title: str, revision_id: int, parent_id: int | None
    ) -> PageFacts:
        """Creation time, the current revision's hidden fields, the previous revision
        (``parent_id``) and the live redirects to ``title``, from the stored revisions and
        pages."""
        ...

    def errors_of_run(self, run_id: int) -> list[tuple[str, str]]: ...

    def checkpoint_wal(self) -> None:
        """Fold a write-ahead log back into the database, where the backend keeps one."""
        ...

    def stats(self) -> StoreStats: ...

    def start_run(self, inputs: list[str], options: dict[str, object]) -> RunInfo: ...

    def resumable_run(self, inputs: list[str]) -> RunInfo | None: ...

    def finish_run(self, run_id: int, status: str, summary: dict[str, object]) -> None: ...

    def record_errors(self, run_id: int, errors: Sequence[DumpError]) -> None: ...

    def close(self) -> None: ...
