"""``AccessRepository`` on PostgreSQL (psycopg 3 with a connection pool).

Several server processes, on one host or many, share one database: counters are exact because
each request's rate-limit bucket and quota row are locked (``SELECT ... FOR UPDATE``) by one
function call, ``wikipact_take`` (the ``access`` migration set, step 2), so a request's check is
one round trip; the audit log refuses ``UPDATE`` and ``DELETE`` by trigger, as on SQLite. The
tables are made by the ``access`` migration set; the installation secret is made once under an
advisory lock, so processes starting together agree on it.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import msgspec

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
from wikipact.access.schema import ACCESS
from wikipact.errors import ConfigError
from wikipact.store.migrations import migrate
from wikipact.store.urls import redact

SCHEMA_LOCK = 7_236_712_001  # pg_advisory_xact_lock key: making the installation secret once

VERSION = 1  # written into access_schema beside the secret (the ledger holds the version)


def _psycopg() -> Any:
    try:
        import psycopg
        import psycopg_pool
    except ImportError:  # pragma: no cover - declared dependencies
        raise ConfigError(
            "PostgreSQL needs psycopg and psycopg-pool: pip install 'psycopg[binary]' psycopg-pool"
        ) from None
    return psycopg, psycopg_pool


class PostgresAccessRepository:
    """The access tables of one PostgreSQL database."""

    remote = True

    def __init__(self, url: str, *, max_connections: int = 10) -> None:
        psycopg, psycopg_pool = _psycopg()
        self.url = url
        self._errors = psycopg.errors
        # autocommit: a read or a one-statement write is one round trip (no BEGIN, and no
        # ROLLBACK when the pool takes the connection back); several statements that belong
        # together run in ``conn.transaction()``
        self.pool = psycopg_pool.ConnectionPool(
            url,
            min_size=1,
            max_size=max_connections,
            kwargs={"autocommit": True},
            open=True,
            name="wikipact-access",
        )
        self.secret = self._ensure_schema()

    def _ensure_schema(self) -> bytes:
        with self.pool.connection() as conn, conn.transaction():
            migrate(conn, ACCESS, label=redact(self.url))
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            row = conn.execute("SELECT version, secret FROM access_schema").fetchone()
            if row is None:
                secret = secrets.token_bytes(32)
                conn.execute("INSERT INTO access_schema VALUES (%s, %s)", (VERSION, secret))
                return secret
            return bytes(row[1])

    @staticmethod
    def _audit(conn: Any, entry: AuditEntry) -> None:
        conn.execute(
            "INSERT INTO access_audit (at, actor, action, object, details) "
            "VALUES (%s,%s,%s,%s,%s)",
            (entry.at, entry.actor, entry.action, entry.object,
             json.dumps(entry.details, sort_keys=True)),
        )  # fmt: skip

    def close(self) -> None:
        self.pool.close()

    # -- accounts ---------------------------------------------------------------------------

    def insert_partner(self, partner: Partner, audit: AuditEntry) -> bool:
        with self.pool.connection() as conn, conn.transaction():
            inserted = conn.execute(
                "INSERT INTO access_partners VALUES (%s,%s,%s,%s) ON CONFLICT DO NOTHING",
                (partner.identifier, partner.name, partner.contact, partner.created_at),
            ).rowcount
            if not inserted:
                return False
            self._audit(conn, audit)
        return True

    def partners(self) -> list[Partner]:
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT identifier, name, contact, created_at FROM access_partners "
                'ORDER BY identifier COLLATE "C"'
            ).fetchall()
        return [Partner(identifier=r[0], name=r[1], contact=r[2], created_at=r[3]) for r in rows]

    def insert_agreement(self, draft: Agreement, audit: AuditEntry) -> Agreement:
        with self.pool.connection() as conn, conn.transaction():
            identifier = conn.execute(
                "INSERT INTO access_agreements (partner, record, created_at) VALUES (%s,%s,%s) "
                "RETURNING identifier",
                (draft.partner, b"{}", draft.created_at),
            ).fetchone()[0]
            agreement = msgspec.structs.replace(draft, identifier=int(identifier))
            conn.execute(
                "UPDATE access_agreements SET record=%s WHERE identifier=%s",
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
        with self.pool.connection() as conn, conn.transaction():
            conn.execute(
                "UPDATE access_agreements SET record=%s, ended_at=%s WHERE identifier=%s",
                (msgspec.json.encode(agreement), agreement.ended_at, agreement.identifier),
            )
            self._audit(conn, audit)

    def agreements(self, partner: str | None = None) -> list[Agreement]:
        with self.pool.connection() as conn:
            if partner is None:
                rows = conn.execute(
                    "SELECT record FROM access_agreements ORDER BY identifier"
                ).fetchall()
            else:
                rows = conn.execute(
                    "SELECT record FROM access_agreements WHERE partner=%s ORDER BY identifier",
                    (partner,),
                ).fetchall()
        return [msgspec.json.decode(bytes(r[0]), type=Agreement) for r in rows]

    # -- keys -------------------------------------------------------------------------------

    def insert_key(self, key: ApiKey, digest: bytes, audit: AuditEntry) -> None:
        with self.pool.connection() as conn, conn.transaction():
            self._insert_key(conn, key, digest)
            self._audit(conn, audit)

    @staticmethod
    def _insert_key(conn: Any, key: ApiKey, digest: bytes) -> None:
        conn.execute(
            "INSERT INTO access_keys (identifier, digest, partner, label, scopes, created_at, "
            "expires_at) VALUES (%s,%s,%s,%s,%s,%s,%s)",
            (key.identifier, digest, key.partner, key.label, json.dumps(list(key.scopes)),
             key.created_at, key.expires_at),
        )  # fmt: skip

    def keys(self, *, partner: str | None = None, admins: bool = False) -> list[ApiKey]:
        if admins:
            return self._key_rows("WHERE partner IS NULL", ())
        if partner is None:
            return self._key_rows("", ())
        return self._key_rows("WHERE partner=%s", (partner,))

    def key(self, identifier: str) -> ApiKey | None:
        found = self._key_rows("WHERE identifier=%s", (identifier,))
        return found[0] if found else None

    def _key_rows(self, where: str, params: tuple[Any, ...]) -> list[ApiKey]:
        with self.pool.connection() as conn:
            rows = conn.execute(
                f"SELECT {KEY_COLUMNS} FROM access_keys {where} "
                'ORDER BY created_at COLLATE "C", identifier COLLATE "C"',
                params,
            ).fetchall()
        return [key_from_row(r) for r in rows]

    def credentials(self, identifier: str) -> KeyCredentials | None:
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT digest, partner, scopes, expires_at, revoked_at, grace_until FROM "
                "access_keys WHERE identifier=%s",
                (identifier,),
            ).fetchone()
        if row is None:
            return None
        digest, partner, scopes, expires_at, revoked_at, grace_until = row
        return KeyCredentials(
            bytes(digest), partner, tuple(json.loads(scopes)), expires_at, revoked_at, grace_until
        )

    def keys_last_used(self, partner: str) -> dict[str, str]:
        with self.pool.connection() as conn:
            rows = conn.execute(  # stamps of one fixed width: byte order is time order
                'SELECT key, MAX(at COLLATE "C") FROM access_usage WHERE partner=%s GROUP BY key',
                (partner,),
            ).fetchall()
        return {r[0]: r[1] for r in rows}

    def revoke_key(self, identifier: str, at: str, audit: AuditEntry) -> None:
        with self.pool.connection() as conn, conn.transaction():
            conn.execute(
                "UPDATE access_keys SET revoked_at=%s WHERE identifier=%s AND revoked_at IS NULL",
                (at, identifier),
            )
            self._audit(conn, audit)

    def rotate_key(
        self, identifier: str, new: ApiKey, digest: bytes, grace_until: str, audit: AuditEntry
    ) -> None:
        with self.pool.connection() as conn, conn.transaction():
            self._insert_key(conn, new, digest)
            conn.execute(
                "UPDATE access_keys SET grace_until=%s, rotated_to=%s WHERE identifier=%s",
                (grace_until, new.identifier, identifier),
            )
            self._audit(conn, audit)

    # -- refresh tokens ---------------------------------------------------------------------

    def insert_refresh_token(self, token: RefreshToken, audit: AuditEntry) -> None:
        with self.pool.connection() as conn, conn.transaction():
            conn.execute(
                f"INSERT INTO access_refresh_tokens ({REFRESH_COLUMNS}) "
                "VALUES (%s,%s,%s,%s,%s,%s)",
                (token.digest, token.key, token.partner, token.created_at, token.expires_at,
                 token.revoked_at),
            )  # fmt: skip
            self._audit(conn, audit)

    def refresh_token(self, digest: bytes) -> RefreshToken | None:
        with self.pool.connection() as conn:
            row = conn.execute(
                f"SELECT {REFRESH_COLUMNS} FROM access_refresh_tokens WHERE digest=%s",
                (digest,),
            ).fetchone()
        return refresh_from_row(row) if row is not None else None

    def revoke_refresh_token(self, digest: bytes, at: str, audit: AuditEntry) -> bool:
        with self.pool.connection() as conn, conn.transaction():
            revoked = conn.execute(
                "UPDATE access_refresh_tokens SET revoked_at=%s WHERE digest=%s "
                "AND revoked_at IS NULL",
                (at, digest),
            ).rowcount
            if revoked:
                self._audit(conn, audit)
        return bool(revoked)

    def append_audit(self, entry: AuditEntry) -> None:
        with self.pool.connection() as conn:
            self._audit(conn, entry)

    def audit_log(self, limit: int) -> list[dict[str, Any]]:
        with self.pool.connection() as conn:
            rows = conn.execute(
                f"SELECT {AUDIT_COLUMNS} FROM access_audit ORDER BY seq DESC LIMIT %s",
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
        agreement, channel, period, limit = quota if quota is not None else (None, None, None, 0)
        with self.pool.connection() as conn:  # one statement: atomic in autocommit
            refused = conn.execute(
                "SELECT wikipact_take(%s, %s, %s, %s, %s, %s, %s, %s)",
                (key, moment, interval, tolerance, agreement, channel, period, limit),
            ).fetchone()[0]
        if refused == -1:
            raise QuotaRefused()
        if refused > 0:
            raise RateRefused(refused)

    def release(self, agreement: int, channel: str, period: str) -> None:
        with self.pool.connection() as conn:
            conn.execute(
                "UPDATE access_quota SET used=GREATEST(used-1, 0) WHERE agreement=%s AND "
                "channel=%s AND period=%s",
                (agreement, channel, period),
            )

    def quota_used(self, agreement: int, channel: str, period: str) -> int:
        with self.pool.connection() as conn:
            row = conn.execute(
                "SELECT used FROM access_quota WHERE agreement=%s AND channel=%s AND period=%s",
                (agreement, channel, period),
            ).fetchone()
        return int(row[0]) if row else 0

    # -- metering ---------------------------------------------------------------------------

    def record_usage(self, event: UsageEvent) -> None:
        with self.pool.connection() as conn:
            conn.execute(
                "INSERT INTO access_usage VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) "
                "ON CONFLICT DO NOTHING",
                (event.event, event.at, event.day, event.partner, event.agreement, event.key,
                 event.channel, event.project, event.articles, event.bytes, event.status,
                 event.snapshot),
            )  # fmt: skip

    def usage_by_day(
        self, partner: str, since: str, until: str
    ) -> list[tuple[str, str, str, int, int, int]]:
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT day, channel, project, COUNT(*), SUM(articles), SUM(bytes) "
                "FROM access_usage WHERE partner=%s AND status BETWEEN 200 AND 299 "
                "AND day >= %s AND day <= %s GROUP BY 1, 2, 3 "
                'ORDER BY day COLLATE "C", channel COLLATE "C", project COLLATE "C"',
                (partner, since, until),
            ).fetchall()
        return [(r[0], r[1], r[2], int(r[3]), int(r[4]), int(r[5])) for r in rows]

    def usage_by_channel(
        self, partner: str, agreement: int, first: str, last: str
    ) -> list[ChannelUsage]:
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT channel, COUNT(*), SUM(bytes), COUNT(snapshot) FROM access_usage "
                "WHERE partner=%s AND agreement=%s AND status BETWEEN 200 AND 299 "
                'AND day BETWEEN %s AND %s GROUP BY 1 ORDER BY channel COLLATE "C"',
                (partner, agreement, first, last),
            ).fetchall()
        return [ChannelUsage(r[0], int(r[1]), int(r[2] or 0), int(r[3] or 0)) for r in rows]
