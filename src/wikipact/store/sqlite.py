"""The embedded default store: one SQLite file in WAL mode (one writer, many readers).

Settings come from measurements on this project's machines: WAL gave 0 "database is locked" errors
under concurrent readers where the rollback journal gave thousands; writers open their
transactions with ``BEGIN IMMEDIATE`` so a reader never has to upgrade a lock. Article records and
revision wikitext are stored zstd-compressed.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TypeVar

import msgspec

from wikipact import crashpoints
from wikipact.errors import DumpError, StoreError
from wikipact.model.article import Article
from wikipact.model.raw import RawPage, SiteInfo
from wikipact.store import records
from wikipact.store.base import (
    ApplyResult,
    ChangeEvent,
    Checkpoint,
    PageDeletion,
    PageFacts,
    PageUpsert,
    RevisionHiding,
    RunInfo,
    StoreStats,
    StreamChange,
    StreamPosition,
)
from wikipact.store.facts import read_page_facts
from wikipact.store.hiding import HIDDEN_BITS, hidden_bits, without_hidden
from wikipact.store.migrations import migrate, version_in_force
from wikipact.store.schema import STORE

T = TypeVar("T")

# The record format and time stamps are shared with the other backends (store/records.py).
_compress = records.compress
_decompress = records.decompress
_article_encoder = records.article_encoder
_article_decoder = records.article_decoder
_site_decoder = records.site_decoder
_now = records.now


def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """A connection with the project's pragmas; readers open the file read-only."""
    if readonly:
        if not path.exists():
            raise StoreError(f"{path}: no such database; run `wikipact ingest` first")
        conn = sqlite3.connect(
            f"file:{path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
        )
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    # Readers retry SQLITE_BUSY themselves at a fine grain (see SQLiteStore._rows).
    conn.execute("PRAGMA busy_timeout=0" if readonly else "PRAGMA busy_timeout=5000")
    if not readonly:
        # switching a new file to WAL takes its lock without SQLite's busy handler: processes
        # opening one new database together got "database is locked" here (CI, 1 run in 4)
        mode = retry_locked(
            lambda: conn.execute("PRAGMA journal_mode=WAL").fetchone()[0],
            seconds=5.0,
            step=0.002,
            message=f"{path}: the database stayed locked for 5 s while switching to WAL",
        )
        if mode.lower() != "wal":
            raise StoreError(
                f"{path}: cannot switch to WAL mode (got {mode}); is it on a network drive?"
            )
    # the first statement reads the database: a reader opening while another process recovers
    # the WAL index (the first connection after all others closed) is refused until it is done
    retry_locked(
        lambda: conn.execute("PRAGMA synchronous=NORMAL"),
        seconds=5.0,
        step=0.002,
        message=f"{path}: the database stayed locked for 5 s on opening",
    )
    conn.execute("PRAGMA foreign_keys=ON")
    return conn


def is_locked(exc: sqlite3.OperationalError) -> bool:
    """Whether SQLite refused because another connection holds a lock (worth retrying)."""
    message = str(exc)
    return "locked" in message or "busy" in message


def retry_locked(action: Callable[[], T], *, seconds: float, step: float, message: str) -> T:
    """``action()``, retried every ``step`` seconds while the database is locked.

    SQLite's own busy handler sleeps 1, 2, 5 ... 100 ms between tries; a WAL reader or a short
    writer that has to wait at all waits microseconds, so a fine retry keeps the tail latency
    low. After ``seconds`` a ``StoreError`` with ``message`` is raised.
    """
    deadline = None
    while True:
        try:
            return action()
        except sqlite3.OperationalError as exc:
            if not is_locked(exc):
                raise
            now = time.monotonic()
            deadline = deadline or now + seconds
            if now > deadline:
                raise StoreError(message) from None
            time.sleep(step)


@contextmanager
def write_transaction(
    conn: sqlite3.Connection, *, seconds: float = 5.0, step: float = 0.0005, message: str
) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` (retried while another writer holds the lock) ... ``COMMIT``, or
    ``ROLLBACK`` on any exception.

    A transaction left open by an interruption (Ctrl-C between its BEGIN and its end) committed
    nothing; it is rolled back before the next one begins.
    """
    if conn.in_transaction:
        conn.execute("ROLLBACK")
    retry_locked(lambda: conn.execute("BEGIN IMMEDIATE"), seconds=seconds, step=step,
                 message=message)  # fmt: skip
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class SQLiteStore:
    """``ArticleStore`` on one SQLite file."""

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        try:
            self.conn = connect(self.path, readonly=readonly)
            if readonly:
                version_in_force(self.conn, STORE, label=str(self.path))
            else:
                migrate(self.conn, STORE, label=str(self.path))
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: not a usable wikipact database ({exc})") from None

    # -- writing -----------------------------------------------------------------------------

    def apply(
        self,
        batch: Sequence[tuple[RawPage, Article]],
        *,
        source: str,
        checkpoint: Checkpoint | None = None,
    ) -> ApplyResult:
        """Upsert a batch of pages in one transaction (with the task checkpoint, if given)."""
        result = ApplyResult()
        now = _now()
        with self._write():
            for raw, article in batch:
                self._apply_one(raw, article, source, now, result)
                crashpoints.reached("store.page.applied")
            if checkpoint is not None:
                self.conn.execute(
                    "INSERT INTO ingest_tasks(run_id, task_key, pages_done, finished) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT(run_id, task_key) DO UPDATE SET "
                    "pages_done=excluded.pages_done, finished=excluded.finished",
                    (
                        checkpoint.run_id,
                        checkpoint.task_key,
                        checkpoint.pages_done,
                        int(checkpoint.finished),
                    ),
                )
        return result

    def apply_changes(
        self,
        changes: Sequence[StreamChange],
        *,
        source: str,
        position: StreamPosition | None = None,
    ) -> ApplyResult:
        """A change stream's upserts, deletions and hidings, in order, in one transaction with
        the stream's position."""
        result = ApplyResult()
        now = _now()
        with self._write():
            for change in changes:
                if isinstance(change, PageUpsert):
                    self._apply_one(
                        change.raw, change.article, source, now, result, revive=change.revive
                    )
                elif isinstance(change, PageDeletion):
                    self._delete_one(change.project, change.page_id, source, now, result)
                else:
                    self._hide_one(change, source, now, result)
                crashpoints.reached("store.page.applied")
            if position is not None:
                self.conn.execute(
                    "INSERT INTO stream_positions(name, position, state, updated_at) "
                    "VALUES (?,?,?,?) ON CONFLICT(name) DO UPDATE SET position=excluded.position, "
                    "state=excluded.state, updated_at=excluded.updated_at",
                    (position.name, position.position, position.state, now),
                )
        return result

    @contextmanager
    def exclusive(self, name: str) -> Iterator[None]:
        """An ``flock`` on ``<database>.<name>.lock`` (the kernel drops it when the process
        dies, however it dies)."""
        import fcntl
        import os

        lock_path = self.path.with_name(f"{self.path.name}.{name}.lock")
        with open(lock_path, "a+", encoding="utf-8") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read().strip() or "another process"
                raise StoreError(
                    f"{lock_path}: held by {holder}; one `{name}` per store at a time"
                ) from None
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()}")
            handle.flush()
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def stream_position(self, name: str) -> StreamPosition | None:
        row = self._one(
            "SELECT name, position, state, updated_at FROM stream_positions WHERE name=?", (name,)
        )
        return StreamPosition(row[0], row[1], row[2], row[3]) if row else None

    def page_state(self, project: str, page_id: int) -> tuple[int, bool] | None:
        row = self._one(
            "SELECT revision_id, deleted FROM articles WHERE project=? AND page_id=?",
            (project, page_id),
        )
        return (int(row[0]), bool(row[1])) if row else None

    def _delete_one(
        self, project: str, page_id: int, source: str, now: str, result: ApplyResult
    ) -> None:
        row = self.conn.execute(
            "SELECT title, namespace, revision_id FROM articles "
            "WHERE project=? AND page_id=? AND deleted=0",
            (project, page_id),
        ).fetchone()
        if row is None:
            result.unchanged += 1  # unknown or deleted already
            return
        self.conn.execute(
            "UPDATE articles SET deleted=1, updated_at=? WHERE project=? AND page_id=?",
            (now, project, page_id),
        )
        self._log_change(project, page_id, row[0], row[1], "delete", None, row[2], None, now,
                         source)  # fmt: skip
        result.deleted += 1

    def _hide_one(self, change: RevisionHiding, source: str, now: str, result: ApplyResult) -> None:
        conn = self.conn
        row = conn.execute(
            "SELECT page_id, hidden FROM revisions WHERE project=? AND revision_id=?",
            (change.project, change.revision_id),
        ).fetchone()
        if row is None:
            result.unchanged += 1  # a revision this store never had
            return
        page_id, was = row[0], int(row[1])
        bits = was | hidden_bits(change.fields)
        if bits == was:
            result.unchanged += 1
            return
        conn.execute(
            "UPDATE revisions SET hidden=?, "
            "wikitext=CASE WHEN ?&1 THEN ? ELSE wikitext END, "
            "editor=CASE WHEN ?&2 THEN NULL ELSE editor END, "
            "comment=CASE WHEN ?&4 THEN NULL ELSE comment END "
            "WHERE project=? AND revision_id=?",
            (bits, bits, _compress(b""), bits, bits, change.project, change.revision_id),
        )
        result.hidden += 1
        current = conn.execute(
            "SELECT title, namespace, revision_id, redirect_target, record FROM articles "
            "WHERE project=? AND page_id=? AND deleted=0",
            (change.project, page_id),
        ).fetchone()
        if current is None or current[2] != change.revision_id:
            return  # an older revision: only its stored copy changes
        title, namespace, revision_id, target, record = current
        if bits & HIDDEN_BITS["text"]:
            self._delete_one(change.project, page_id, source, now, result)
            return
        article = without_hidden(_article_decoder.decode(_decompress(record)), bits)
        conn.execute(
            "UPDATE articles SET record=?, updated_at=? WHERE project=? AND page_id=?",
            (_compress(_article_encoder.encode(article)), now, change.project, page_id),
        )
        self._log_change(change.project, page_id, title, namespace, "update", revision_id,
                         revision_id, target, now, source)  # fmt: skip
        result.updated += 1

    def _log_change(
        self,
        project: str,
        page_id: int,
        title: str,
        namespace: int,
        kind: str,
        revision_id: int | None,
        previous_revision_id: int | None,
        redirect_target: str | None,
        now: str,
        source: str,
    ) -> None:
        self.conn.execute(
            "INSERT INTO changes(project, page_id, title, namespace, kind, revision_id, "
            "previous_revision_id, redirect_target, recorded_at, source) "
            "VALUES (?,?,?,?,?,?,?,?,?,?)",
            (project, page_id, title, namespace, kind, revision_id, previous_revision_id,
             redirect_target, now, source),
        )  # fmt: skip

    def _apply_one(
        self,
        raw: RawPage,
        article: Article,
        source: str,
        now: str,
        result: ApplyResult,
        *,
        revive: bool = True,
    ) -> None:
        project = article.is_part_of.identifier
        conn = self.conn
        inserted = set()  # revisions new to the store: nothing of them was hidden
        for rev in raw.revisions:
            cur = conn.execute(
                "INSERT OR IGNORE INTO revisions(project, page_id, revision_id, parent_id, "
                "timestamp, sha1, editor, comment, minor, wikitext) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    project,
                    raw.identifier,
                    rev.identifier,
                    rev.parent_identifier,
                    rev.timestamp,
                    rev.sha1,
                    (rev.contributor.name or rev.contributor.ip) if rev.contributor else None,
                    rev.comment,
                    int(rev.minor),
                    _compress(rev.text.encode("utf-8")),
                ),
            )
            result.revisions_added += cur.rowcount
            if cur.rowcount:
                inserted.add(rev.identifier)
        row = conn.execute(
            "SELECT revision_id, redirect_target, deleted FROM articles "
            "WHERE project=? AND page_id=?",
            (project, raw.identifier),
        ).fetchone()
        new_rev = article.version.identifier
        target = article.redirect_target.name if article.redirect_target else None
        if row is not None and new_rev <= row[0] and (not row[2] or not revive):
            result.unchanged += 1  # same or older revision: history grows, current stays
            return
        hidden = None
        if new_rev not in inserted:
            hidden = conn.execute(
                "SELECT hidden FROM revisions WHERE project=? AND revision_id=?",
                (project, new_rev),
            ).fetchone()
        if hidden is not None and hidden[0]:
            if hidden[0] & HIDDEN_BITS["text"]:
                result.unchanged += 1  # its text was taken down: it never comes back
                return
            article = without_hidden(article, hidden[0])
        if row is None:
            kind = "create"
            result.created += 1
        elif row[2]:
            kind = "create"  # a deleted page came back
            result.created += 1
        elif row[1] != target:
            kind = "redirect"
            result.redirect_changes += 1
        else:
            kind = "update"
            result.updated += 1
        conn.execute(
            "INSERT INTO articles(project, page_id, title, namespace, revision_id, date_modified, "
            "redirect_target, sha256, record, deleted, updated_at) VALUES (?,?,?,?,?,?,?,?,?,0,?) "
            "ON CONFLICT(project, page_id) DO UPDATE SET title=excluded.title, "
            "namespace=excluded.namespace, revision_id=excluded.revision_id, "
            "date_modified=excluded.date_modified, redirect_target=excluded.redirect_target, "
            "sha256=excluded.sha256, record=excluded.record, deleted=0, "
            "updated_at=excluded.updated_at",
            (
                project,
                raw.identifier,
                article.name,
                article.namespace.identifier,
                new_rev,
                article.date_modified,
                target,
                article.provenance.content_sha256,
                _compress(_article_encoder.encode(article)),
                now,
            ),
        )
        conn.execute(
            "INSERT INTO changes(project, page_id, title, namespace, kind, revision_id, "
            "previous_revision_id, redirect_target, recorded_at, source) "
            "VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                project,
                raw.identifier,
                article.name,
                article.namespace.identifier,
                kind,
                new_rev,
                row[0] if row is not None else None,
                target,
                now,
                source,
            ),
        )

    def delete_missing(self, project: str, seen_page_ids: set[int], *, source: str) -> int:
        """Mark deleted every live page of ``project`` not in ``seen_page_ids`` (full dumps)."""
        now = _now()
        with self._write():
            self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS seen(page_id INTEGER PRIMARY KEY)")
            self.conn.execute("DELETE FROM seen")
            self.conn.executemany(
                "INSERT OR IGNORE INTO seen VALUES (?)", ((i,) for i in seen_page_ids)
            )
            gone = self.conn.execute(
                "SELECT page_id, title, namespace, revision_id FROM articles WHERE project=? AND "
                "deleted=0 AND page_id NOT IN (SELECT page_id FROM seen)",
                (project,),
            ).fetchall()
            for page_id, title, namespace, revision_id in gone:
                self.conn.execute(
                    "UPDATE articles SET deleted=1, updated_at=? WHERE project=? AND page_id=?",
                    (now, project, page_id),
                )
                self.conn.execute(
                    "INSERT INTO changes(project, page_id, title, namespace, kind, revision_id, "
                    "previous_revision_id, redirect_target, recorded_at, source) "
                    "VALUES (?,?,?,?,'delete',NULL,?,NULL,?,?)",
                    (project, page_id, title, namespace, revision_id, now, source),
                )
            self.conn.execute("DELETE FROM seen")
        return len(gone)

    def put_site(self, site: SiteInfo) -> None:
        with self._write():
            self.conn.execute(
                "INSERT INTO sites(project, siteinfo, updated_at) VALUES (?,?,?) "
                "ON CONFLICT(project) DO UPDATE SET siteinfo=excluded.siteinfo, "
                "updated_at=excluded.updated_at",
                (site.dbname, msgspec.json.encode(site), _now()),
            )

    # -- reading -----------------------------------------------------------------------------

    def site(self, project: str) -> SiteInfo | None:
        row = self._one("SELECT siteinfo FROM sites WHERE project=?", (project,))
        return _site_decoder.decode(row[0]) if row else None

    def projects(self) -> list[str]:
        # one row per wiki in `sites`, rather than a scan of every article's key
        return [
            r[0]
            for r in self._rows(
                "SELECT project FROM sites WHERE EXISTS (SELECT 1 FROM articles a WHERE "
                "a.project = sites.project) ORDER BY project"
            )
        ]

    def get(self, project: str, page_id: int) -> Article | None:
        row = self._one(
            "SELECT record FROM articles WHERE project=? AND page_id=? AND deleted=0",
            (project, page_id),
        )
        return _article_decoder.decode(_decompress(row[0])) if row else None

    def find(self, title: str, project: str | None = None) -> list[Article]:
        """Live pages with this exact title (underscores read as spaces), in every project."""
        title = title.replace("_", " ").strip()
        if project:
            rows = self._rows(
                # without statistics SQLite's planner takes the primary key's (project=?) and
                # scans the project: ~2 ms a lookup on 1,800 pages, 3.5 us by title
                "SELECT record FROM articles INDEXED BY articles_by_title "
                "WHERE project=? AND title=? AND deleted=0",
                (project, title),
            )
        else:
            rows = self._rows(
                "SELECT record FROM articles WHERE title=? AND deleted=0 ORDER BY project",
                (title,),
            )
        return [_article_decoder.decode(_decompress(r[0])) for r in rows]

    def page_id_chunks(self, project: str, size: int) -> Iterator[tuple[int, int]]:
        """(first, last) page ids of consecutive chunks of ``size`` live pages, in id order."""
        cursor = self.conn.execute(
            "SELECT page_id FROM articles WHERE project=? AND deleted=0 ORDER BY page_id",
            (project,),
        )
        first = last = None
        count = 0
        for (page_id,) in cursor:
            if first is None:
                first = page_id
            last = page_id
            count += 1
            if count == size:
                yield first, last
                first, count = None, 0
        if first is not None and last is not None:
            yield first, last

    def articles_between(self, project: str, first: int, last: int) -> Iterator[Article]:
        """Live articles of ``project`` with page ids in [first, last], in id order."""
        rows = self._rows(
            "SELECT record FROM articles WHERE project=? AND page_id BETWEEN ? AND ? AND "
            "deleted=0 ORDER BY page_id",
            (project, first, last),
        )
        for (record,) in rows:
            yield _article_decoder.decode(_decompress(record))

    def revision_range(self, project: str) -> tuple[int, int] | None:
        """Lowest and highest current revision id of the project's live pages."""
        row = self._one(
            "SELECT MIN(revision_id), MAX(revision_id) FROM articles WHERE project=? AND deleted=0",
            (project,),
        )
        return (row[0], row[1]) if row and row[0] is not None else None

    def find_json(self, title: str) -> list[tuple[str, int, bytes]]:
        """(project, namespace, the stored record's JSON) of live pages with this exact title,
        by project.

        The records are stored as JSON already: serving them as they are spares a decode and an
        encode per article.
        """
        title = title.replace("_", " ").strip()
        rows = self._rows(
            "SELECT project, namespace, record FROM articles WHERE title=? AND deleted=0 "
            "ORDER BY project",
            (title,),
        )
        return [(project, namespace, _decompress(record)) for project, namespace, record in rows]

    def revisions(self, project: str, page_id: int) -> list[tuple[int, str, str]]:
        """(revision id, timestamp, editor) of every stored revision, oldest first."""
        return [
            (r[0], r[1], r[2] or "")
            for r in self._rows(
                "SELECT revision_id, timestamp, editor FROM revisions INDEXED BY "
                "revisions_by_page WHERE project=? AND page_id=? ORDER BY revision_id",
                (project, page_id),
            )
        ]

    def revision_history(
        self, project: str, page_id: int
    ) -> list[tuple[int, str, str | None, int]]:
        return [
            (int(r[0]), r[1], r[2], int(r[3]))
            for r in self._rows(
                "SELECT revision_id, timestamp, sha1, hidden FROM revisions INDEXED BY revisions_by_page "
                "WHERE project=? AND page_id=? ORDER BY revision_id",
                (project, page_id),
            )
        ]

    def page_facts(
        self, project: str, page_id: int, title: str, revision_id: int, parent_id: int | None
    ) -> PageFacts:
        return read_page_facts(
            self._one,
            self._rows,
            _decompress,
            placeholder="?",
            live="deleted=0",
            page=(project, page_id, title, revision_id, parent_id),
        )

    def revision_text(self, project: str, revision_id: int) -> str | None:
        row = self._one(
            "SELECT wikitext, hidden FROM revisions WHERE project=? AND revision_id=?",
            (project, revision_id),
        )
        if row is None or row[1] & HIDDEN_BITS["text"]:
            return None
        return _decompress(row[0]).decode("utf-8")

    def changes(self, after: int = 0, limit: int = 1000) -> Iterator[ChangeEvent]:
        """Change-log events with a cursor greater than ``after``, in cursor order."""
        rows = self._rows(
            "SELECT cursor, project, page_id, title, namespace, kind, revision_id, "
            "previous_revision_id, redirect_target, recorded_at, source FROM changes "
            "WHERE cursor > ? ORDER BY cursor LIMIT ?",
            (after, limit),
        )
        for row in rows:
            yield ChangeEvent(*row)

    def cursor_before(self, recorded_at: str) -> int:
        """The last change-log cursor recorded before ``recorded_at`` (ISO time); 0 if none."""
        row = self._one("SELECT MAX(cursor) FROM changes WHERE recorded_at < ?", (recorded_at,))
        return int(row[0]) if row and row[0] is not None else 0

    def stats(self) -> StoreStats:
        by_project: dict[str, int] = {}
        by_ns: dict[str, dict[int, int]] = {}
        redirects: dict[str, int] = {}
        for project, namespace, is_redirect, count in self._rows(
            "SELECT project, namespace, redirect_target IS NOT NULL, COUNT(*) FROM articles "
            "WHERE deleted=0 GROUP BY 1, 2, 3"
        ):
            by_project[project] = by_project.get(project, 0) + count
            ns = by_ns.setdefault(project, {})
            ns[namespace] = ns.get(namespace, 0) + count
            if is_redirect:
                redirects[project] = redirects.get(project, 0) + count
        return StoreStats(
            articles_by_project=by_project,
            pages_by_namespace=by_ns,
            redirects_by_project=redirects,
            revisions=self._one("SELECT COUNT(*) FROM revisions")[0],
            changes=self._one("SELECT COUNT(*) FROM changes")[0],
            last_cursor=self._one("SELECT COALESCE(MAX(cursor), 0) FROM changes")[0],
            runs=self._one("SELECT COUNT(*) FROM ingest_runs")[0],
        )

    def _rows(self, sql: str, params: tuple = ()) -> list[tuple]:  # type: ignore[type-arg]
        """Run a read query; a momentary SQLITE_BUSY is retried every 0.5 ms for up to 5 s.

        A reader that has to wait at all (for a read mark, during a checkpoint) waits
        microseconds (see ``retry_locked``).
        """
        return retry_locked(
            lambda: self.conn.execute(sql, params).fetchall(),
            seconds=5.0,
            step=0.0005,
            message=f"{self.path}: the database stayed locked for 5 s",
        )

    def _one(self, sql: str, params: tuple = ()) -> tuple | None:  # type: ignore[type-arg]
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    # -- ingest runs -------------------------------------------------------------------------

    def start_run(self, inputs: list[str], options: dict[str, object]) -> RunInfo:
        with self._write():
            cur = self.conn.execute(
                "INSERT INTO ingest_runs(started_at, status, inputs, options) VALUES (?,?,?,?)",
                (_now(), "running", json.dumps(inputs), json.dumps(options, default=str)),
            )
        return RunInfo(run_id=int(cur.lastrowid or 0), status="running", inputs=inputs)

    def resumable_run(self, inputs: list[str]) -> RunInfo | None:
        """The latest run over exactly these inputs, with its task progress (finished or not)."""
        row = self.conn.execute(
            "SELECT id, status FROM ingest_runs WHERE inputs=? ORDER BY id DESC LIMIT 1",
            (json.dumps(inputs),),
        ).fetchone()
        if row is None:
            return None
        tasks = {
            key: (pages, bool(done))
            for key, pages, done in self.conn.execute(
                "SELECT task_key, pages_done, finished FROM ingest_tasks WHERE run_id=?", (row[0],)
            )
        }
        return RunInfo(run_id=row[0], status=row[1], inputs=inputs, tasks=tasks)

    def finish_run(self, run_id: int, status: str, summary: dict[str, object]) -> None:
        with self._write():
            self.conn.execute(
                "UPDATE ingest_runs SET status=?, finished_at=?, summary=? WHERE id=?",
                (status, _now(), json.dumps(summary, default=str), run_id),
            )

    def record_errors(self, run_id: int, errors: Sequence[DumpError]) -> None:
        """Keep every reading error of a run, so nothing is lost silently."""
        if not errors:
            return
        now = _now()
        with self._write():
            self.conn.executemany(
                "INSERT INTO ingest_errors(run_id, kind, file, stream, compressed_offset, "
                "last_good_page, message, recorded_at) VALUES (?,?,?,?,?,?,?,?)",
                [
                    (
                        run_id,
                        e.kind,
                        e.location.file,
                        e.location.stream,
                        e.location.compressed_offset,
                        e.location.last_good_page,
                        str(e),
                        now,
                    )
                    for e in errors
                ],
            )

    def errors_of_run(self, run_id: int) -> list[tuple[str, str]]:
        return list(
            self.conn.execute(
                "SELECT kind, message FROM ingest_errors WHERE run_id=? ORDER BY id", (run_id,)
            )
        )

    def checkpoint_wal(self) -> None:
        """Fold the WAL back into the database after a bulk load."""
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        self.conn.close()

    # -- helpers -----------------------------------------------------------------------------

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        if self.readonly:
            raise StoreError(f"{self.path} is open read-only")
        return write_transaction(
            self.conn, step=0.1, message=f"{self.path}: cannot start a write transaction"
        )
