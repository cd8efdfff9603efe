"""The article store on PostgreSQL (psycopg 3 and a connection pool; hand-written SQL).

It gives what ``SQLiteStore`` gives for the same calls: the same articles (the same zstd(JSON)
record bytes, ``store/records.py``), the same revision history, the same change log with the
same cursors, the same statistics. What differs is that several writers, in several processes
or on several hosts, may apply pages at the same time. How that stays exact:

**Change-log cursors follow commit order.** Every transaction that may append to the change log
(``apply``, ``delete_missing``) takes one transaction-scoped advisory lock,
``pg_advisory_xact_lock(CHANGES_LOCK)``, and only then, in a *new statement* (so under READ
COMMITTED a new snapshot, which sees everything the previous holder committed), reads the last
cursor, the current state of its pages, and allocates its cursors as ``MAX(cursor) + 1 ...``.
The lock is released when the transaction commits, so the transaction that takes it next
allocates larger cursors and commits later: a reader polling ``cursor > last`` can never
miss a row that commits afterwards with a smaller cursor. A sequence would not do this (values
are handed out at insert time, in no particular commit order) and would leave gaps where a
transaction rolls back; MAX + 1 under the lock is gapless, as SQLite's AUTOINCREMENT is when a
transaction rolls back. The lock also makes a page's create/update/redirect decision exact
when two writers apply the same page at once: the state is read while no one else can change it.

What is done *before* the lock, so that concurrent writers overlap in it: compressing records
and wikitext, and inserting the revisions (``INSERT ... ON CONFLICT DO NOTHING`` in key order;
revisions log nothing, and an insert that races another waits for it and then skips).

**Change-log times grow with the cursor.** ``recorded_at`` is taken under the lock, from this
process's clock in ``sqlite.py``'s format (``2026-01-01T12:00:00.123456Z``), and never earlier
than the last one logged (a host whose clock is behind writes the last time again). So
``cursor_before(t)``, "the last cursor recorded before t", is one descent of an index.

**Batched writes.** A batch is one transaction of a few round trips, whatever its size: one
query for the revisions already held (their wikitext is then neither compressed nor sent), one
for the current state of the batch's pages (before the lock, to compress the records that will
be needed, and again under it, to decide), ``executemany`` in pipeline mode for revisions and
articles, ``COPY`` for the change rows. ``COPY`` of revisions and articles into temporary
tables, then ``INSERT ... SELECT ... ON CONFLICT``, measured no faster (3,613 corpus pages in
batches of 500: 1.56-1.66 s against 1.43-1.69 s), because most of a load is encoding and
compressing the records, which both backends do alike (``bench/store_ingest.py``).

**Ordering** of text follows SQLite's binary order: text keys are declared ``COLLATE "C"``
and queries order by ``... COLLATE "C"``, so ``find``, ``projects`` and ``stats`` list in the
same order on both backends.

**Schema**: the ``store`` migration set (``store.schema``), applied on first open by the one
migrations mechanism (``store.migrations``) under its advisory lock, so processes starting
together create it once. A database whose store is newer than this code is refused with a
``StoreError``; a read-only store never creates anything.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import msgspec

from wikipact import crashpoints
from wikipact.errors import ConfigError, DumpError, StoreError
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
from wikipact.store.pools import READ_ONLY, connection_pool
from wikipact.store.schema import STORE
from wikipact.store.urls import redact

CHANGES_LOCK = 7_236_712_102  # pg_advisory_xact_lock key: appending to the change log
EXCLUSIVE_LOCKS = 72_367_121  # first key of pg_advisory_lock(int4, int4): ``exclusive(name)``


_CHANGE_COLUMNS = (
    "cursor, project, page_id, title, namespace, kind, revision_id, previous_revision_id, "
    "redirect_target, recorded_at, source"
)
_UPSERT_ARTICLE = (
    "INSERT INTO articles (project, page_id, title, namespace, revision_id, date_modified, "
    "redirect_target, sha256, record, deleted, updated_at) "
    "VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,false,%s) "
    "ON CONFLICT (project, page_id) DO UPDATE SET title=excluded.title, "
    "namespace=excluded.namespace, revision_id=excluded.revision_id, "
    "date_modified=excluded.date_modified, redirect_target=excluded.redirect_target, "
    "sha256=excluded.sha256, record=excluded.record, deleted=false, "
    "updated_at=excluded.updated_at"
)
_INSERT_REVISION = (
    "INSERT INTO revisions (project, page_id, revision_id, parent_id, timestamp, sha1, editor, "
    "comment, minor, wikitext) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) "
    "ON CONFLICT (project, revision_id) DO NOTHING"
)


def _psycopg() -> tuple[Any, Any]:
    try:
        import psycopg
        import psycopg_pool
    except ImportError:  # pragma: no cover - declared dependencies
        raise ConfigError(
            "the PostgreSQL store needs psycopg and psycopg-pool: "
            "pip install 'psycopg[binary]' psycopg-pool"
        ) from None
    return psycopg, psycopg_pool


class PostgresStore:
    """``ArticleStore`` on one PostgreSQL database; safe to share between threads."""

    def __init__(
        self,
        url: str,
        *,
        readonly: bool = False,
        max_connections: int = 4,
        connect_timeout: float = 10.0,
    ) -> None:
        psycopg, _ = _psycopg()  # also checks psycopg_pool is installed
        self._psycopg = psycopg
        self.url = url
        self.readonly = readonly
        self._label = redact(url)
        try:
            with psycopg.connect(url, autocommit=True, connect_timeout=connect_timeout) as conn:
                if readonly:
                    self._check_schema(conn)
                else:
                    self._migrate(conn)
        except psycopg.OperationalError as exc:
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ConfigError(
                f"cannot open the PostgreSQL store at {self._label}: {message}"
            ) from None
        except psycopg.Error as exc:
            raise StoreError(f"{self._label}: not a usable wikipact store ({exc})") from None

        self.pool = connection_pool(
            url,
            name="wikipact-store",
            max_connections=max_connections,
            read_only=READ_ONLY if readonly else None,
            connect_timeout=connect_timeout,
        )

    # -- schema ------------------------------------------------------------------------------

    def _migrate(self, conn: Any) -> None:
        migrate(conn, STORE, label=self._label)

    def _check_schema(self, conn: Any) -> None:
        if version_in_force(conn, STORE, label=self._label) == 0:
            raise StoreError(
                f"{self._label}: no wikipact store in this database; run `wikipact ingest` first"
            )

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
        self._check_writable()
        with self._transaction() as conn:
            self._apply_batch(conn, batch, source, result, revive=True)
            if checkpoint is not None:
                conn.execute(
                    "INSERT INTO ingest_tasks (run_id, task_key, pages_done, finished) "
                    "VALUES (%s,%s,%s,%s) ON CONFLICT (run_id, task_key) DO UPDATE SET "
                    "pages_done=excluded.pages_done, finished=excluded.finished",
                    (checkpoint.run_id, checkpoint.task_key, checkpoint.pages_done,
                     checkpoint.finished),
                )  # fmt: skip
        return result

    def _apply_batch(
        self,
        conn: Any,
        batch: Sequence[tuple[RawPage, Article]],
        source: str,
        result: ApplyResult,
        *,
        revive: bool,
    ) -> None:
        """The pages of ``batch`` inside the caller's transaction (``apply``'s rule; ``revive``
        as ``PageUpsert.revive``)."""
        keys = [(article.is_part_of.identifier, raw.identifier) for raw, article in batch]
        by_project: dict[str, list[int]] = {}
        for project, page_id in keys:
            by_project.setdefault(project, []).append(page_id)
        encoded: dict[int, bytes] = {}  # batch index -> stored record
        revisions = self._new_revisions(conn, batch)
        # Records of the pages that look changed are compressed before the lock; the state
        # read under it decides (and any record still missing is compressed then).
        for index, state in enumerate(self._state(conn, by_project, keys)):
            if _changes(state, batch[index][1], revive):
                encoded[index] = records.encode_article(batch[index][1])
        if revisions:
            cur = conn.cursor()
            cur.executemany(_INSERT_REVISION, revisions)
            result.revisions_added += max(cur.rowcount, 0)
        hidden = self._hidden(conn, batch, {(r[0], r[2]) for r in revisions})
        last_cursor, now = self._lock_changes(conn)
        state_of = dict(zip(keys, self._state(conn, by_project, keys), strict=True))
        articles: dict[tuple[str, int], tuple[Any, ...]] = {}
        changes: list[tuple[Any, ...]] = []
        for index, (_raw, article) in enumerate(batch):
            key = keys[index]
            state = state_of[key]
            kind = _changes(state, article, revive)
            bits = hidden.get((key[0], article.version.identifier), 0)
            if kind is None or bits & HIDDEN_BITS["text"]:
                # same or older revision: history grows, current stays; or its text was
                # taken down and never comes back
                result.unchanged += 1
                crashpoints.reached("store.page.applied")
                continue
            if bits:
                article = without_hidden(article, bits)
                encoded.pop(index, None)
            setattr(result, _COUNTER[kind], getattr(result, _COUNTER[kind]) + 1)
            new_rev = article.version.identifier
            target = article.redirect_target.name if article.redirect_target else None
            record = encoded.get(index) or records.encode_article(article)
            articles[key] = (
                key[0], key[1], article.name, article.namespace.identifier, new_rev,
                article.date_modified, target, article.provenance.content_sha256, record, now,
            )  # fmt: skip
            changes.append(
                (
                    last_cursor + len(changes) + 1, key[0], key[1], article.name,
                    article.namespace.identifier, kind, new_rev,
                    state[0] if state is not None else None, target, now, source,
                )
            )  # fmt: skip
            state_of[key] = (new_rev, target, False)
            crashpoints.reached("store.page.applied")
        if articles:
            conn.cursor().executemany(_UPSERT_ARTICLE, list(articles.values()))
        self._append_changes(conn, changes)

    def _new_revisions(
        self, conn: Any, batch: Sequence[tuple[RawPage, Article]]
    ) -> list[tuple[Any, ...]]:
        """Rows of the batch's revisions the store lacks, in key order (the first of a
        repeated revision, as ``INSERT OR IGNORE`` keeps it)."""
        wanted: dict[tuple[str, int], tuple[RawPage, Any]] = {}
        for raw, article in batch:
            project = article.is_part_of.identifier
            for rev in raw.revisions:
                wanted.setdefault((project, rev.identifier), (raw, rev))
        by_project: dict[str, list[int]] = {}
        for project, revision_id in wanted:
            by_project.setdefault(project, []).append(revision_id)
        for project, ids in by_project.items():
            for (held,) in conn.execute(
                "SELECT revision_id FROM revisions WHERE project=%s AND "
                "revision_id = ANY(%s::bigint[])",
                (project, ids),
            ):
                wanted.pop((project, held), None)
        rows = []
        for (project, revision_id), (raw, rev) in sorted(wanted.items()):
            contributor = rev.contributor
            rows.append(
                (
                    project, raw.identifier, revision_id, rev.parent_identifier, rev.timestamp,
                    rev.sha1, (contributor.name or contributor.ip) if contributor else None,
                    rev.comment, bool(rev.minor), records.compress(rev.text.encode("utf-8")),
                )
            )  # fmt: skip
        return rows

    @staticmethod
    def _hidden(
        conn: Any, batch: Sequence[tuple[RawPage, Article]], new: set[tuple[str, int]]
    ) -> dict[tuple[str, int], int]:
        """Hidden-field bits of the batch's current revisions that have any (revisions ``new``
        to the store, just inserted, have none: they are not asked for)."""
        by_project: dict[str, list[int]] = {}
        for _raw, article in batch:
            key = (article.is_part_of.identifier, article.version.identifier)
            if key not in new:
                by_project.setdefault(key[0], []).append(key[1])
        found: dict[tuple[str, int], int] = {}
        for project, ids in by_project.items():
            for revision_id, bits in conn.execute(
                "SELECT revision_id, hidden FROM revisions WHERE project=%s AND "
                "revision_id = ANY(%s::bigint[]) AND hidden <> 0",
                (project, ids),
            ):
                found[(project, revision_id)] = bits
        return found

    @staticmethod
    def _state(
        conn: Any, by_project: dict[str, list[int]], keys: list[tuple[str, int]]
    ) -> list[tuple[int, str | None, bool] | None]:
        """(revision id, redirect target, deleted) of each key's stored page, or None."""
        found: dict[tuple[str, int], tuple[int, str | None, bool]] = {}
        for project, ids in by_project.items():
            for page_id, revision_id, target, deleted in conn.execute(
                "SELECT page_id, revision_id, redirect_target, deleted FROM articles "
                "WHERE project=%s AND page_id = ANY(%s::bigint[])",
                (project, ids),
            ):
                found[(project, page_id)] = (revision_id, target, deleted)
        return [found.get(key) for key in keys]

    @staticmethod
    def _lock_changes(conn: Any) -> tuple[int, str]:
        """Take the change-log lock; the last cursor and the time of this transaction's changes.

        The read is a statement of its own, after the lock is granted: under READ COMMITTED
        its snapshot includes every transaction that held the lock before.
        """
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (CHANGES_LOCK,))
        row = conn.execute(
            "SELECT cursor, recorded_at FROM changes ORDER BY cursor DESC LIMIT 1"
        ).fetchone()
        now = records.now()
        if row is None:
            return 0, now
        return int(row[0]), max(now, row[1])

    @staticmethod
    def _append_changes(conn: Any, changes: list[tuple[Any, ...]]) -> None:
        if not changes:
            return
        with conn.cursor().copy(f"COPY changes ({_CHANGE_COLUMNS}) FROM STDIN") as copy:
            for row in changes:
                copy.write_row(row)

    def apply_changes(
        self,
        changes: Sequence[StreamChange],
        *,
        source: str,
        position: StreamPosition | None = None,
    ) -> ApplyResult:
        """A change stream's upserts, deletions and hidings, in order, in one transaction with
        the stream's position (runs of upserts go through ``apply``'s batched path)."""
        result = ApplyResult()
        self._check_writable()
        with self._transaction() as conn:
            run: list[PageUpsert] = []

            def flush() -> None:
                for revive in (False, True):  # a run shares one revive flag (see below)
                    part = [(u.raw, u.article) for u in run if u.revive is revive]
                    if part:
                        self._apply_batch(conn, part, source, result, revive=revive)
                run.clear()

            for change in changes:
                if isinstance(change, PageUpsert):
                    if run and run[-1].revive is not change.revive:
                        flush()  # keep the order of upserts with different flags
                    run.append(change)
                    continue
                flush()
                if isinstance(change, PageDeletion):
                    self._delete_one(conn, change.project, change.page_id, source, result)
                else:
                    self._hide_one(conn, change, source, result)
                crashpoints.reached("store.page.applied")
            flush()
            if position is not None:
                conn.execute(
                    "INSERT INTO stream_positions (name, position, state, updated_at) "
                    "VALUES (%s,%s,%s,%s) ON CONFLICT (name) DO UPDATE SET "
                    "position=excluded.position, state=excluded.state, "
                    "updated_at=excluded.updated_at",
                    (position.name, position.position, position.state, records.now()),
                )
        return result

    @contextmanager
    def exclusive(self, name: str) -> Iterator[None]:
        """A session advisory lock on a connection of its own (the server drops it when the
        connection ends, however the process dies)."""
        psycopg, _ = _psycopg()
        with psycopg.connect(self.url, autocommit=True) as conn:
            got = conn.execute(
                "SELECT pg_try_advisory_lock(%s, hashtext(%s))", (EXCLUSIVE_LOCKS, name)
            ).fetchone()[0]
            if not got:
                raise StoreError(
                    f"{self._label}: another process holds `{name}`; one per store at a time"
                )
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", (EXCLUSIVE_LOCKS, name))

    def stream_position(self, name: str) -> StreamPosition | None:
        row = self._one(
            "SELECT name, position, state, updated_at FROM stream_positions WHERE name=%s",
            (name,),
        )
        return StreamPosition(row[0], row[1], row[2], row[3]) if row else None

    def page_state(self, project: str, page_id: int) -> tuple[int, bool] | None:
        row = self._one(
            "SELECT revision_id, deleted FROM articles WHERE project=%s AND page_id=%s",
            (project, page_id),
        )
        return (int(row[0]), bool(row[1])) if row else None

    def _delete_one(
        self, conn: Any, project: str, page_id: int, source: str, result: ApplyResult
    ) -> None:
        row = conn.execute(
            "SELECT title, namespace, revision_id FROM articles "
            "WHERE project=%s AND page_id=%s AND NOT deleted",
            (project, page_id),
        ).fetchone()
        if row is None:
            result.unchanged += 1  # unknown or deleted already
            return
        last_cursor, now = self._lock_changes(conn)
        conn.execute(
            "UPDATE articles SET deleted=true, updated_at=%s WHERE project=%s AND page_id=%s",
            (now, project, page_id),
        )
        self._append_changes(
            conn,
            [(last_cursor + 1, project, page_id, row[0], row[1], "delete", None, row[2], None,
              now, source)],
        )  # fmt: skip
        result.deleted += 1

    def _hide_one(
        self, conn: Any, change: RevisionHiding, source: str, result: ApplyResult
    ) -> None:
        row = conn.execute(
            "SELECT page_id, hidden FROM revisions WHERE project=%s AND revision_id=%s",
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
            "UPDATE revisions SET hidden=%(bits)s, "
            "wikitext=CASE WHEN %(bits)s & 1 <> 0 THEN %(empty)s ELSE wikitext END, "
            "editor=CASE WHEN %(bits)s & 2 <> 0 THEN NULL ELSE editor END, "
            "comment=CASE WHEN %(bits)s & 4 <> 0 THEN NULL ELSE comment END "
            "WHERE project=%(project)s AND revision_id=%(revision)s",
            {"bits": bits, "empty": records.compress(b""), "project": change.project,
             "revision": change.revision_id},
        )  # fmt: skip
        result.hidden += 1
        current = conn.execute(
            "SELECT title, namespace, revision_id, redirect_target, record FROM articles "
            "WHERE project=%s AND page_id=%s AND NOT deleted",
            (change.project, page_id),
        ).fetchone()
        if current is None or current[2] != change.revision_id:
            return  # an older revision: only its stored copy changes
        title, namespace, revision_id, target, record = current
        if bits & HIDDEN_BITS["text"]:
            self._delete_one(conn, change.project, page_id, source, result)
            return
        article = without_hidden(records.article_decoder.decode(records.decompress(record)), bits)
        last_cursor, now = self._lock_changes(conn)
        conn.execute(
            "UPDATE articles SET record=%s, updated_at=%s WHERE project=%s AND page_id=%s",
            (records.encode_article(article), now, change.project, page_id),
        )
        self._append_changes(
            conn,
            [(last_cursor + 1, change.project, page_id, title, namespace, "update", revision_id,
              revision_id, target, now, source)],
        )  # fmt: skip
        result.updated += 1

    def delete_missing(self, project: str, seen_page_ids: set[int], *, source: str) -> int:
        """Mark deleted every live page of ``project`` not in ``seen_page_ids`` (full dumps)."""
        self._check_writable()
        with self._transaction() as conn:
            last_cursor, now = self._lock_changes(conn)
            gone = conn.execute(
                "SELECT page_id, title, namespace, revision_id FROM articles a "
                "WHERE project=%s AND NOT deleted AND NOT EXISTS "
                "(SELECT 1 FROM unnest(%s::bigint[]) AS seen(id) WHERE seen.id = a.page_id) "
                "ORDER BY page_id",
                (project, sorted(seen_page_ids)),
            ).fetchall()
            if gone:
                conn.execute(
                    "UPDATE articles SET deleted=true, updated_at=%s "
                    "WHERE project=%s AND page_id = ANY(%s::bigint[])",
                    (now, project, [row[0] for row in gone]),
                )
            self._append_changes(
                conn,
                [
                    (last_cursor + n, project, page_id, title, namespace, "delete", None,
                     revision_id, None, now, source)
                    for n, (page_id, title, namespace, revision_id) in enumerate(gone, 1)
                ],
            )  # fmt: skip
        return len(gone)

    def put_site(self, site: SiteInfo) -> None:
        self._check_writable()
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO sites (project, siteinfo, updated_at) VALUES (%s,%s,%s) "
                "ON CONFLICT (project) DO UPDATE SET siteinfo=excluded.siteinfo, "
                "updated_at=excluded.updated_at",
                (site.dbname, msgspec.json.encode(site), records.now()),
            )

    # -- reading -----------------------------------------------------------------------------

    def site(self, project: str) -> SiteInfo | None:
        row = self._one("SELECT siteinfo FROM sites WHERE project=%s", (project,))
        return records.site_decoder.decode(row[0]) if row else None

    def projects(self) -> list[str]:
        return [
            r[0]
            for r in self._rows(
                "SELECT project FROM sites WHERE EXISTS (SELECT 1 FROM articles a WHERE "
                'a.project = sites.project) ORDER BY project COLLATE "C"'
            )
        ]

    def get(self, project: str, page_id: int) -> Article | None:
        row = self._one(
            "SELECT record FROM articles WHERE project=%s AND page_id=%s AND NOT deleted",
            (project, page_id),
        )
        return records.decode_article(row[0]) if row else None

    def find(self, title: str, project: str | None = None) -> list[Article]:
        """Live pages with this exact title (underscores read as spaces), in every project."""
        title = title.replace("_", " ").strip()
        if "\x00" in title:
            return []  # no title holds NUL (and PostgreSQL text cannot)
        if project:
            rows = self._rows(
                "SELECT record FROM articles WHERE project=%s AND title=%s AND NOT deleted "
                "ORDER BY page_id",
                (project, title),
            )
        else:
            rows = self._rows(
                "SELECT record FROM articles WHERE title=%s AND NOT deleted "
                'ORDER BY project COLLATE "C", page_id',
                (title,),
            )
        return [records.decode_article(r[0]) for r in rows]

    def find_json(self, title: str) -> list[tuple[str, int, bytes]]:
        """(project, namespace, the stored record's JSON) of live pages with this exact title,
        by project."""
        title = title.replace("_", " ").strip()
        if "\x00" in title:
            return []  # no title holds NUL (and PostgreSQL text cannot)
        rows = self._rows(
            "SELECT project, namespace, record FROM articles WHERE title=%s AND NOT deleted "
            'ORDER BY project COLLATE "C", page_id',
            (title,),
        )
        return [
            (project, namespace, records.decompress(record)) for project, namespace, record in rows
        ]

    def page_id_chunks(self, project: str, size: int) -> Iterator[tuple[int, int]]:
        """(first, last) page ids of consecutive chunks of ``size`` live pages, in id order.

        One query per chunk (the server counts the chunk off the primary key), so no
        connection is held between chunks and no list of every page id is built.
        """
        after = -(2**63)
        while True:
            row = self._one(
                "SELECT MIN(page_id), MAX(page_id) FROM (SELECT page_id FROM articles "
                "WHERE project=%s AND NOT deleted AND page_id > %s "
                "ORDER BY page_id LIMIT %s) AS chunk",
                (project, after, size),
            )
            if row is None or row[0] is None:
                return
            yield int(row[0]), int(row[1])
            after = int(row[1])

    def articles_between(self, project: str, first: int, last: int) -> Iterator[Article]:
        """Live articles of ``project`` with page ids in [first, last], in id order."""
        rows = self._rows(
            "SELECT record FROM articles WHERE project=%s AND page_id BETWEEN %s AND %s AND "
            "NOT deleted ORDER BY page_id",
            (project, first, last),
        )
        for (record,) in rows:
            yield records.decode_article(record)

    def revision_range(self, project: str) -> tuple[int, int] | None:
        """Lowest and highest current revision id of the project's live pages."""
        row = self._one(
            "SELECT MIN(revision_id), MAX(revision_id) FROM articles "
            "WHERE project=%s AND NOT deleted",
            (project,),
        )
        return (int(row[0]), int(row[1])) if row and row[0] is not None else None

    def revisions(self, project: str, page_id: int) -> list[tuple[int, str, str]]:
        """(revision id, timestamp, editor) of every stored revision, oldest first."""
        return [
            (r[0], r[1], r[2] or "")
            for r in self._rows(
                "SELECT revision_id, timestamp, editor FROM revisions WHERE project=%s AND "
                "page_id=%s ORDER BY revision_id",
                (project, page_id),
            )
        ]

    def revision_history(
        self, project: str, page_id: int
    ) -> list[tuple[int, str, str | None, int]]:
        return [
            (int(r[0]), r[1], r[2], int(r[3]))
            for r in self._rows(
                "SELECT revision_id, timestamp, sha1, hidden FROM revisions WHERE project=%s AND "
                "page_id=%s ORDER BY revision_id",
                (project, page_id),
            )
        ]

    def page_facts(
        self, project: str, page_id: int, title: str, revision_id: int, parent_id: int | None
    ) -> PageFacts:
        return read_page_facts(
            self._one,
            self._rows,
            records.decompress,
            placeholder="%s",
            live="NOT deleted",
            page=(project, page_id, title, revision_id, parent_id),
        )

    def revision_text(self, project: str, revision_id: int) -> str | None:
        row = self._one(
            "SELECT wikitext, hidden FROM revisions WHERE project=%s AND revision_id=%s",
            (project, revision_id),
        )
        if row is None or row[1] & HIDDEN_BITS["text"]:
            return None
        return records.decompress(row[0]).decode("utf-8")

    def changes(self, after: int = 0, limit: int = 1000) -> Iterator[ChangeEvent]:
        """Change-log events with a cursor greater than ``after``, in cursor order."""
        rows = self._rows(
            f"SELECT {_CHANGE_COLUMNS} FROM changes WHERE cursor > %s ORDER BY cursor LIMIT %s",
            (after, limit),
        )
        for row in rows:
            yield ChangeEvent(*row)

    def cursor_before(self, recorded_at: str) -> int:
        """The last change-log cursor recorded before ``recorded_at`` (ISO time); 0 if none.

        Times never decrease as cursors grow (see the module's notes), so the last row before
        the time in (time, cursor) order has the greatest cursor of all rows before it.
        """
        row = self._one(
            "SELECT cursor FROM changes WHERE recorded_at < %s "
            "ORDER BY recorded_at DESC, cursor DESC LIMIT 1",
            (recorded_at,),
        )
        return int(row[0]) if row else 0

    def stats(self) -> StoreStats:
        by_project: dict[str, int] = {}
        by_ns: dict[str, dict[int, int]] = {}
        redirects: dict[str, int] = {}
        with self._connection() as conn, conn.transaction():
            # one snapshot for every figure
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            for project, namespace, is_redirect, count in conn.execute(
                "SELECT project, namespace, redirect_target IS NOT NULL, COUNT(*) FROM articles "
                'WHERE NOT deleted GROUP BY 1, 2, 3 ORDER BY project COLLATE "C", 2, 3'
            ):
                by_project[project] = by_project.get(project, 0) + count
                ns = by_ns.setdefault(project, {})
                ns[namespace] = ns.get(namespace, 0) + count
                if is_redirect:
                    redirects[project] = redirects.get(project, 0) + count
            revisions, changes, last_cursor, runs = conn.execute(
                "SELECT (SELECT COUNT(*) FROM revisions), (SELECT COUNT(*) FROM changes), "
                "(SELECT COALESCE(MAX(cursor), 0) FROM changes), "
                "(SELECT COUNT(*) FROM ingest_runs)"
            ).fetchone()
        return StoreStats(
            articles_by_project=by_project,
            pages_by_namespace=by_ns,
            redirects_by_project=redirects,
            revisions=int(revisions),
            changes=int(changes),
            last_cursor=int(last_cursor),
            runs=int(runs),
        )

    # -- ingest runs -------------------------------------------------------------------------

    def start_run(self, inputs: list[str], options: dict[str, object]) -> RunInfo:
        self._check_writable()
        with self._transaction() as conn:
            run_id = conn.execute(
                "INSERT INTO ingest_runs (started_at, status, inputs, options) "
                "VALUES (%s,%s,%s,%s) RETURNING id",
                (records.now(), "running", json.dumps(inputs), json.dumps(options, default=str)),
            ).fetchone()[0]
        return RunInfo(run_id=int(run_id), status="running", inputs=inputs)

    def resumable_run(self, inputs: list[str]) -> RunInfo | None:
        """The latest run over exactly these inputs, with its task progress (finished or not)."""
        key = json.dumps(inputs)
        with self._connection() as conn:
            row = conn.execute(
                "SELECT id, status FROM ingest_runs WHERE md5(inputs)=md5(%s) AND inputs=%s "
                "ORDER BY id DESC LIMIT 1",
                (key, key),
            ).fetchone()
            if row is None:
                return None
            tasks = {
                task_key: (int(pages), bool(done))
                for task_key, pages, done in conn.execute(
                    "SELECT task_key, pages_done, finished FROM ingest_tasks WHERE run_id=%s",
                    (row[0],),
                )
            }
        return RunInfo(run_id=int(row[0]), status=row[1], inputs=inputs, tasks=tasks)

    def finish_run(self, run_id: int, status: str, summary: dict[str, object]) -> None:
        self._check_writable()
        with self._transaction() as conn:
            conn.execute(
                "UPDATE ingest_runs SET status=%s, finished_at=%s, summary=%s WHERE id=%s",
                (status, records.now(), json.dumps(summary, default=str), run_id),
            )

    def record_errors(self, run_id: int, errors: Sequence[DumpError]) -> None:
        """Keep every reading error of a run, so nothing is lost silently."""
        if not errors:
            return
        self._check_writable()
        now = records.now()
        with self._transaction() as conn:
            conn.cursor().executemany(
                "INSERT INTO ingest_errors (run_id, kind, file, stream, compressed_offset, "
                "last_good_page, message, recorded_at) VALUES (%s,%s,%s,%s,%s,%s,%s,%s)",
                [
                    (run_id, e.kind, e.location.file, e.location.stream,
                     e.location.compressed_offset, e.location.last_good_page, str(e), now)
                    for e in errors
                ],
            )  # fmt: skip

    def errors_of_run(self, run_id: int) -> list[tuple[str, str]]:
        return [
            (r[0], r[1])
            for r in self._rows(
                "SELECT kind, message FROM ingest_errors WHERE run_id=%s ORDER BY id", (run_id,)
            )
        ]

    def checkpoint_wal(self) -> None:
        """Nothing to do: PostgreSQL checkpoints its write-ahead log itself."""

    def close(self) -> None:
        self.pool.close()

    # -- helpers -----------------------------------------------------------------------------

    def _check_writable(self) -> None:
        if self.readonly:
            raise StoreError(f"{self._label} is open read-only")

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        """A pooled connection (autocommit: each read is a statement of its own, as on SQLite);
        a database error becomes a ``StoreError`` that names the store."""
        psycopg = self._psycopg
        try:
            with self.pool.connection() as conn:
                yield conn
        except psycopg.Error as exc:
            raise StoreError(f"PostgreSQL store {self._label}: {exc}") from exc

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        """A connection in a transaction, committed at the end or rolled back on any exception
        (an interrupted one commits nothing; the pool gets the connection back clean)."""
        with self._connection() as conn, conn.transaction():
            yield conn

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._connection() as conn:
            return conn.execute(sql, params, binary=True).fetchall()  # type: ignore[no-any-return]

    def _one(self, sql: str, params: tuple[Any, ...] = ()) -> tuple[Any, ...] | None:
        rows = self._rows(sql, params)
        return rows[0] if rows else None


_COUNTER = {
    "create": "created",
    "update": "updated",
    "redirect": "redirect_changes",
}


def _changes(
    state: tuple[int, str | None, bool] | None, article: Article, revive: bool = True
) -> str | None:
    """The change-log kind of applying ``article`` over the stored ``state``; None: unchanged
    (the same or an older revision of a live page, or of a deleted one unless ``revive``).
    The rule of ``SQLiteStore._apply_one``."""
    if state is not None and state[2] and not revive and article.version.identifier <= state[0]:
        return None
    if state is None or state[2]:
        return "create"  # new, or a deleted page came back
    if article.version.identifier <= state[0]:
        return None
    target = article.redirect_target.name if article.redirect_target else None
    return "redirect" if state[1] != target else "update"
