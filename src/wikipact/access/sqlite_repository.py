"""``AccessRepository`` on the store's SQLite file (tables ``access_*``, see ``db.py``).

Writes are short ``BEGIN IMMEDIATE`` transactions. Threads of one process queue on a lock
instead of spinning on SQLite's; processes wait for each other's lock in 0.2 ms steps for up to
10 s. Readers use one connection per thread.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgspec

from wikipact.access.db import open_access_db
from wikipact.access.models import Agreement, ApiKey, Partner
from wikipact.access.repository import (
    AUDIT_COLUMNS,
    KEY_COLUMNS,
    REFRESH_COLUMNS,
    AuditEntry,
    ChannelUsage,
    KeyCredentials,
    QuotaRefused,
    RateRefused,
    RefreshToken,
    UsageEvent,
    audit_from_row,
    key_from_row,
    refresh_from_row,
)
from wikipact.store.sqlite import connect, write_transaction


class SQLiteAccessRepository:
    """The access tables of one SQLite file."""

    remote = False

    def __init__(self, path: str | Path, *, background_checkpoints: bool = False) -> None:
        self.path = Path(path)
        self.background_checkpoints = background_checkpoints
        conn, self.secret = open_access_db(self.path)
        conn.close()
        self._local = threading.local()
        self._write_lock = threading.Lock()

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = connect(self.path)
            # writers wait for each other in fine steps (below), not SQLite's 1-100 ms sleeps
            conn.execute("PRAGMA busy_timeout=0")
            if self.background_checkpoints:
                # a commit that triggers a checkpoint would write and fsync the WAL on the
                # request's thread (the event loop, in the API): the checkpointer thread does it
                conn.execute("PRAGMA wal_autocheckpoint=0")
        return conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with (
            self._write_lock,
            write_transaction(
                self._conn,
                seconds=10.0,
                step=0.0002,
                message=f"{self.path}: the database stayed locked for 10 s",
            ) as conn,
        ):
            yield conn

    @staticmethod
    def _audit(conn: sqlite3.Connection, entry: AuditEntry) -> None:
        conn.execute(
            "INSERT INTO access_audit (at, actor, action, object, details) VALUES (?,?,?,?,?)",
            (entry.at, entry.actor, entry.action, entry.object,
             json.dumps(entry.details, sort_keys=True)),
        )  # fmt: skip

    def start_checkpointer(self, every: float = 1.0) -> threading.Thread:
        """A daemon thread folding the WAL back into the database every ``every`` seconds."""

        def run() -> None:
            conn = connect(self.path)
            conn.execute("PRAGMA busy_timeout=1000")
            while True:
                time.sleep(every)
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error:  # busy or locked now: the next round catches up
                    continue

        thread = threading.Thread(target=run, name="wikipact-checkpointer", daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- accounts ---------------------------------------------------------------------------

    def insert_partner(self, partner: Partner, audit: AuditEntry) -> bool:
        with self._write() as conn:
            try:
                conn.execute(
                    "INSERT INTO access_partners VALUES (?,?,?,?)",
                    (partner.identifier, partner.name, partner.contact, partner.created_at),
                )
            except sqlite3.IntegrityError:
                return False
            self._audit(conn, audit)
        return True

    def partners(self) -> list[Partner]:
        rows = self._conn.execute(
            "SELECT identifier, name, contact, created_at FROM access_partners ORDER BY 1"
        ).fetchall()
        return [Partner(identifier=r[0], name=r[1], contact=r[2], created_at=r[3]) for r in rows]

    def insert_agreement(self, draft: Agreement, audit: AuditEntry) -> Agreement:
        with self._write() as conn:
            cursor = conn.execute(
                "INSERT INTO access_agreements (partner, record, created_at) VALUES (?,?,?)",
                (draft.partner, b"{}", draft.created_at),
            )
            agreement = msgspec.structs.replace(draft, identifier=int(cursor.lastrowid or 0))
            conn.execute(
                "UPDATE access_agreements SET record=? WHERE identifier=?",
                (msgspec.json.encode(agreement), agreement.identifier),
            )
            self._audit(
                conn,
                AuditEntry(
                    audit.at, audit.actor, audit.action, f"agreement:{agreement.identifier}",
                    msgspec.to_builtins(agreement),
                ),
            )  # fmt: skip
        return agreement

    def update_agreement(self, agreement: Agreement, audit: AuditEntry) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE access_agreements SET record=?, ended_at=? WHERE identifier=?",
                (msgspec.json.encode(agreement), agreement.ended_at, agreement.identifier),
            )
            self._audit(conn, audit)

    def agreements(self, partner: str | None = None) -> list[Agreement]:
        if partner is None:
            rows = self._conn.execute("SELECT record FROM access_agreements ORDER BY identifier")
        else:
            rows = self._conn.execute(
                "SELECT record FROM access_agreements WHERE partner=? ORDER BY identifier",
                (partner,),
            )
        return [msgspec.json.decode(r[0], type=Agreement) for r in rows]

    # -- keys -------------------------------------------------------------------------------

    def insert_key(self, key: ApiKey, digest: bytes, audit: AuditEntry) -> None:
        with self._write() as conn:
            self._insert_key(conn, key, digest)
            self._audit(conn, audit)

    @staticmethod
    def _insert_key(conn: sqlite3.Connection, key: ApiKey, digest: bytes) -> None:
        conn.execute(
            "INSERT INTO access_keys (identifier, digest, partner, label, scopes, created_at, "
            "expires_at) VALUES (?,?,?,?,?,?,?)",
            (key.identifier, digest, key.partner, key.label, json.dumps(list(key.scopes)),
             key.created_at, key.expires_at),
        )  # fmt: skip

    def keys(self, *, partner: str | None = None, admins: bool = False) -> list[ApiKey]:
        if admins:
            return self._key_rows("WHERE partner IS NULL", ())
        if partner is None:
            return self._key_rows("", ())
        return self._key_rows("WHERE partner=?", (partner,))

    def key(self, identifier: str) -> ApiKey | None:
        found = self._key_rows("WHERE identifier=?", (identifier,))
        return found[0] if found else None

    def _key_rows(self, where: str, params: tuple[Any, ...]) -> list[ApiKey]:
        rows = self._conn.execute(
            f"SELECT {KEY_COLUMNS} FROM access_keys {where} ORDER BY created_at, identifier",
            params,
        ).fetchall()
        return [key_from_row(r) for r in rows]

    def credentials(self, identifier: str) -> KeyCredentials | None:
        row = self._conn.execute(
            "SELECT digest, partner, scopes, expires_at, revoked_at, grace_until FROM "
            "access_keys WHERE identifier=?",
            (identifier,),
        ).fetchone()
        if row is None:
            return None
        digest, partner, scopes, expires_at, revoked_at, grace_until = row
        return KeyCredentials(
            digest, partner, tuple(json.loads(scopes)), expires_at, revoked_at, grace_until
        )

    def keys_last_used(self, partner: str) -> dict[str, str]:
        rows = self._conn.execute(
            "SELECT key, MAX(at) FROM access_usage WHERE partner=? GROUP BY key", (partner,)
        ).fetchall()
        return {r[0]: r[1] for r in rows}

    def revoke_key(self, identifier: str, at: str, audit: AuditEntry) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE access_keys SET revoked_at=? WHERE identifier=? AND revoked_at IS NULL",
                (at, identifier),
            )
            self._audit(conn, audit)

    def rotate_key(
        self, identifier: str, new: ApiKey, digest: bytes, grace_until: str, audit: AuditEntry
    ) -> None:
        with self._write() as conn:
            self._insert_key(conn, new, digest)
            conn.execute(
                "UPDATE access_keys SET grace_until=?, rotated_to=? WHERE identifier=?",
                (grace_until, new.identifier, identifier),
            )
            self._audit(conn, audit)

    # -- refresh tokens ---------------------------------------------------------------------

    def insert_refresh_token(self, token: RefreshToken, audit: AuditEntry) -> None:
        with self._write() as conn:
            conn.execute(
                f"INSERT INTO access_refresh_tokens ({REFRESH_COLUMNS}) VALUES (?,?,?,?,?,?)",
                (token.digest, token.key, token.partner, token.created_at, token.expires_at,
                 token.revoked_at),
            )  # fmt: skip
            self._audit(conn, audit)

    def refresh_token(self, digest: bytes) -> RefreshToken | None:
        row = self._conn.execute(
            f"SELECT {REFRESH_COLUMNS} FROM access_refresh_tokens WHERE digest=?", (digest,)
        ).fetchone()
        return refresh_from_row(row) if row is not None else None

    def revoke_refresh_token(self, digest: bytes, at: str, audit: AuditEntry) -> bool:
        with self._write() as conn:
            revoked = conn.execute(
                "UPDATE access_refresh_tokens SET revoked_at=? WHERE digest=? "
                "AND revoked_at IS NULL",
                (at, digest),
            ).rowcount
            if revoked:
                self._audit(conn, audit)
        return bool(revoked)

    def append_audit(self, entry: AuditEntry) -> None:
        with self._write() as conn:
            self._audit(conn, entry)

    def audit_log(self, limit: int) -> list[dict[str, Any]]:
        rows = self._conn.execute(
            f"SELECT {AUDIT_COLUMNS} FROM access_audit ORDER BY seq DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [audit_from_row(r) for r in rows]

    # -- limits -----------------------------------------------------------------------------

    def take(
        self,
        key: str,
        *,
        moment: float,
        interval: float,
        tolerance: float,
        quota: tuple[int, str, str, int] | None,
    ) -> None:
        with self._write() as conn:
            row = conn.execute("SELECT tat FROM access_rate WHERE key=?", (key,)).fetchone()
            tat = max(row[0] if row else moment, moment)
            if tat - moment > tolerance:
                raise RateRefused(tat - moment - tolerance)
            conn.execute(
                "INSERT INTO access_rate VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET tat=excluded.tat",
                (key, tat + interval),
            )
            if quota is None:
                return
            agreement, channel, period, limit = quota
            used = conn.execute(
                "SELECT used FROM access_quota WHERE agreement=? AND channel=? AND period=?",
                (agreement, channel, period),
            ).fetchone()
            if used is not None and used[0] >= limit:
                raise QuotaRefused()  # the rate limit's update is rolled back with it
            conn.execute(
                "INSERT INTO access_quota VALUES (?,?,?,1) ON CONFLICT(agreement, channel, period) "
                "DO UPDATE SET used=used+1",
                (agreement, channel, period),
            )

    def release(self, agreement: int, channel: str, period: str) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE access_quota SET used=MAX(used-1, 0) WHERE agreement=? AND channel=? AND "
                "period=?",
                (agreement, channel, period),
            )

    def quota_used(self, agreement: int, channel: str, period: str) -> int:
        row = self._conn.execute(
            "SELECT used FROM access_quota WHERE agreement=? AND channel=? AND period=?",
            (agreement, channel, period),
        ).fetchone()
        return int(row[0]) if row else 0

    # -- metering ---------------------------------------------------------------------------

    def record_usage(self, event: UsageEvent) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO access_usage VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (event.event, event.at, event.day, event.partner, event.agreement, event.key,
                 event.channel, event.project, event.articles, event.bytes, event.status,
                 event.snapshot),
            )  # fmt: skip

    def usage_by_day(
        self, partner: str, since: str, until: str
    ) -> list[tuple[str, str, str, int, int, int]]:
        rows = self._conn.execute(
            "SELECT day, channel, project, COUNT(*), SUM(articles), SUM(bytes) FROM access_usage "
            "WHERE partner=? AND status BETWEEN 200 AND 299 AND day >= ? AND day <= ? "
            "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
            (partner, since, until),
        ).fetchall()
        return [tuple(r) for r in rows]

    def usage_by_channel(
        self, partner: str, agreement: int, first: str, last: str
    ) -> list[ChannelUsage]:
        rows = self._conn.execute(
            "SELECT channel, COUNT(*), SUM(bytes), SUM(snapshot IS NOT NULL) FROM access_usage "
            "WHERE partner=? AND agreement=? AND status BETWEEN 200 AND 299 AND day BETWEEN ? "
            "AND ? GROUP BY 1 ORDER BY 1",
            (partner, agreement, first, last),
        ).fetchall()
        return [ChannelUsage(r[0], int(r[1]), int(r[2] or 0), int(r[3] or 0)) for r in rows]
