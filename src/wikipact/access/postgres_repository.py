"""``AccessRepository`` on PostgreSQL (psycopg 3 with a connection pool).

Several server processes, on one host or many, share one database: counters are exact because
each request's rate-limit bucket and quota row are locked (``SELECT ... FOR UPDATE``) inside its
transaction; the audit log refuses ``UPDATE`` and ``DELETE`` by trigger, as on SQLite. The
tables are created on first use under an advisory lock, so processes starting together agree
on one installation secret.
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
    AuditEntry,
    ChannelUsage,
    KeyCredentials,
    QuotaRefused,
    RateRefused,
    UsageEvent,
    audit_from_row,
    key_from_row,
)
from wikipact.errors import ConfigError

SCHEMA_LOCK = 7_236_712_001  # pg_advisory_xact_lock key of the access tables' creation

_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS access_schema (version INTEGER NOT NULL, secret BYTEA NOT NULL)",
    """CREATE TABLE IF NOT EXISTS access_partners (
        identifier TEXT PRIMARY KEY, name TEXT NOT NULL, contact TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS access_agreements (
        identifier BIGSERIAL PRIMARY KEY,
        partner TEXT NOT NULL REFERENCES access_partners(identifier),
        record BYTEA NOT NULL, created_at TEXT NOT NULL, ended_at TEXT)""",
    "CREATE INDEX IF NOT EXISTS access_agreements_by_partner ON access_agreements(partner)",
    """CREATE TABLE IF NOT EXISTS access_keys (
        identifier TEXT PRIMARY KEY, digest BYTEA NOT NULL,
        partner TEXT REFERENCES access_partners(identifier), label TEXT NOT NULL,
        scopes TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT, revoked_at TEXT,
        grace_until TEXT, rotated_to TEXT)""",
    "CREATE INDEX IF NOT EXISTS access_keys_by_partner ON access_keys(partner)",
    """CREATE TABLE IF NOT EXISTS access_audit (
        seq BIGSERIAL PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
        object TEXT NOT NULL, details TEXT NOT NULL)""",
    """CREATE OR REPLACE FUNCTION access_audit_append_only() RETURNS trigger AS $$
        BEGIN RAISE EXCEPTION 'the audit log is append-only'; END; $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS access_audit_append_only ON access_audit",
    """CREATE TRIGGER access_audit_append_only BEFORE UPDATE OR DELETE OR TRUNCATE
        ON access_audit FOR EACH STATEMENT EXECUTE FUNCTION access_audit_append_only()""",
    """CREATE TABLE IF NOT EXISTS access_rate (
        key TEXT PRIMARY KEY, tat DOUBLE PRECISION NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS access_quota (
        agreement BIGINT NOT NULL, channel TEXT NOT NULL, period TEXT NOT NULL,
        used INTEGER NOT NULL, PRIMARY KEY (agreement, channel, period))""",
    """CREATE TABLE IF NOT EXISTS access_usage (
        event TEXT PRIMARY KEY, at TEXT NOT NULL, day TEXT NOT NULL, partner TEXT NOT NULL,
        agreement BIGINT, key TEXT NOT NULL, channel TEXT NOT NULL, project TEXT NOT NULL,
        articles BIGINT NOT NULL, bytes BIGINT NOT NULL, status INTEGER NOT NULL,
        snapshot TEXT)""",
    "CREATE INDEX IF NOT EXISTS access_usage_by_partner ON access_usage(partner, day)",
]
VERSION = 1


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

    def __init__(self, url: str, *, max_connections: int = 10) -> None:
        psycopg, psycopg_pool = _psycopg()
        self.url = url
        self._errors = psycopg.errors
        self.pool = psycopg_pool.ConnectionPool(
            url, min_size=1, max_size=max_connections, open=True, name="wikipact-access"
        )
        self.secret = self._ensure_schema()

    def _ensure_schema(self) -> bytes:
        with self.pool.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            for statement in _SCHEMA:
                conn.execute(statement)
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
        with self.pool.connection() as conn, conn.transaction():
            # the bucket's row exists before it is locked, so two first requests cannot race
            conn.execute(
                "INSERT INTO access_rate VALUES (%s, %s) ON CONFLICT DO NOTHING", (key, moment)
            )
            tat = conn.execute(
                "SELECT tat FROM access_rate WHERE key=%s FOR UPDATE", (key,)
            ).fetchone()[0]
            tat = max(tat, moment)
            if tat - moment > tolerance:
                raise RateRefused(tat - moment - tolerance)
            conn.execute("UPDATE access_rate SET tat=%s WHERE key=%s", (tat + interval, key))
            if quota is None:
                return
            agreement, channel, period, limit = quota
            conn.execute(
                "INSERT INTO access_quota VALUES (%s,%s,%s,0) ON CONFLICT DO NOTHING",
                (agreement, channel, period),
            )
            used = conn.execute(
                "SELECT used FROM access_quota WHERE agreement=%s AND channel=%s AND period=%s "
                "FOR UPDATE",
                (agreement, channel, period),
            ).fetchone()[0]
            if used >= limit:
                raise QuotaRefused()  # the bucket's update is rolled back with it
            conn.execute(
                "UPDATE access_quota SET used=used+1 WHERE agreement=%s AND channel=%s AND "
                "period=%s",
                (agreement, channel, period),
            )

    def release(self, agreement: int, channel: str, period: str) -> None:
        with self.pool.connection() as conn, conn.transaction():
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
        with self.pool.connection() as conn, conn.transaction():
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
