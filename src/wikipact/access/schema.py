"""The access tables (partners, agreements, keys, audit log, rate limits, quotas, usage,
refresh tokens) as one migration set, for SQLite and for PostgreSQL (``store.migrations``).

The audit log is append-only on both: triggers refuse ``UPDATE`` and ``DELETE`` (and, on
PostgreSQL, ``TRUNCATE``). ``access_schema`` holds the installation's key secret (its
``version`` column is the pre-ledger record of this set, kept for databases written then).
"""

from __future__ import annotations

from wikipact.store.migrations import MigrationSet, Step

_SQLITE_V1_SCRIPT = """
CREATE TABLE IF NOT EXISTS access_schema (version INTEGER NOT NULL, secret BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS access_partners (
    identifier TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    contact TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS access_agreements (
    identifier INTEGER PRIMARY KEY AUTOINCREMENT,
    partner TEXT NOT NULL REFERENCES access_partners(identifier),
    record BLOB NOT NULL,              -- JSON of the Agreement
    created_at TEXT NOT NULL,
    ended_at TEXT
);
CREATE INDEX IF NOT EXISTS access_agreements_by_partner ON access_agreements(partner);
CREATE TABLE IF NOT EXISTS access_keys (
    identifier TEXT PRIMARY KEY,       -- the key's public prefix
    digest BLOB NOT NULL,              -- HMAC-SHA256(secret, key): the key itself is never stored
    partner TEXT REFERENCES access_partners(identifier),
    label TEXT NOT NULL,
    scopes TEXT NOT NULL,              -- JSON list
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT,
    grace_until TEXT,
    rotated_to TEXT
);
CREATE INDEX IF NOT EXISTS access_keys_by_partner ON access_keys(partner);
CREATE TABLE IF NOT EXISTS access_audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object TEXT NOT NULL,
    details TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS access_audit_append_only_u BEFORE UPDATE ON access_audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS access_audit_append_only_d BEFORE DELETE ON access_audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TABLE IF NOT EXISTS access_rate (
    key TEXT PRIMARY KEY,              -- key identifier
    tat REAL NOT NULL                  -- GCRA theoretical arrival time (epoch seconds)
);
CREATE TABLE IF NOT EXISTS access_quota (
    agreement INTEGER NOT NULL,
    channel TEXT NOT NULL,
    period TEXT NOT NULL,              -- 2026-11-28 or 2026-11
    used INTEGER NOT NULL,
    PRIMARY KEY (agreement, channel, period)
);
CREATE TABLE IF NOT EXISTS access_usage (
    event TEXT PRIMARY KEY,            -- idempotent: one request is metered once
    at TEXT NOT NULL,
    day TEXT NOT NULL,
    partner TEXT NOT NULL,
    agreement INTEGER,
    key TEXT NOT NULL,
    channel TEXT NOT NULL,
    project TEXT NOT NULL,
    articles INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    status INTEGER NOT NULL,
    snapshot TEXT
);
CREATE INDEX IF NOT EXISTS access_usage_by_partner ON access_usage(partner, day);
"""

_SQLITE_V1 = tuple(
    statement.strip() + (";" if "BEGIN" in statement else "")
    for statement in _SQLITE_V1_SCRIPT.split(";\n")
    if statement.strip()
)

_POSTGRES_V1 = (
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
)

# v2: on PostgreSQL, a request's rate-limit and quota check is one function call, one round
# trip in autocommit (it was a transaction of five to eight statements). The bucket is only
# advanced when the quota admits the request too, so nothing needs rolling back. Returns 0
# (admitted), the seconds to wait (rate refused) or -1 (quota used up). SQLite's check is local
# and needs no function.
_POSTGRES_V2 = (
    """CREATE OR REPLACE FUNCTION wikipact_take(
        p_key TEXT, p_moment DOUBLE PRECISION, p_interval DOUBLE PRECISION,
        p_tolerance DOUBLE PRECISION, p_agreement BIGINT, p_channel TEXT, p_period TEXT,
        p_limit INTEGER) RETURNS DOUBLE PRECISION LANGUAGE plpgsql AS $$
    DECLARE
        tat DOUBLE PRECISION;
        used INTEGER;
    BEGIN
        -- the rows exist before they are locked, so two first requests cannot race
        INSERT INTO access_rate VALUES (p_key, p_moment) ON CONFLICT DO NOTHING;
        SELECT r.tat INTO tat FROM access_rate r WHERE r.key = p_key FOR UPDATE;
        tat := GREATEST(tat, p_moment);
        IF tat - p_moment > p_tolerance THEN
            RETURN tat - p_moment - p_tolerance;
        END IF;
        IF p_agreement IS NOT NULL THEN
            INSERT INTO access_quota VALUES (p_agreement, p_channel, p_period, 0)
                ON CONFLICT DO NOTHING;
            SELECT q.used INTO used FROM access_quota q WHERE q.agreement = p_agreement
                AND q.channel = p_channel AND q.period = p_period FOR UPDATE;
            IF used >= p_limit THEN
                RETURN -1;
            END IF;
            UPDATE access_quota q SET used = q.used + 1 WHERE q.agreement = p_agreement
                AND q.channel = p_channel AND q.period = p_period;
        END IF;
        UPDATE access_rate r SET tat = GREATEST(r.tat, p_moment) + p_interval
            WHERE r.key = p_key;
        RETURN 0;
    END $$""",
)

# v3: the refresh tokens of Enterprise-compatible logins (``access.tokens``), kept only as
# HMAC-SHA256 digests under the installation secret, like keys; the access tokens they give are
# stateless and stored nowhere.
_SQLITE_V3 = (
    """CREATE TABLE IF NOT EXISTS access_refresh_tokens (
        digest BLOB PRIMARY KEY,           -- HMAC-SHA256(secret, token): never the token itself
        key TEXT NOT NULL REFERENCES access_keys(identifier),
        partner TEXT NOT NULL REFERENCES access_partners(identifier),
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        revoked_at TEXT
    )""",
)

_POSTGRES_V3 = (
    """CREATE TABLE IF NOT EXISTS access_refresh_tokens (
        digest BYTEA PRIMARY KEY, key TEXT NOT NULL REFERENCES access_keys(identifier),
        partner TEXT NOT NULL REFERENCES access_partners(identifier),
        created_at TEXT NOT NULL, expires_at TEXT NOT NULL, revoked_at TEXT)""",
)

ACCESS = MigrationSet(
    "access",
    (
        Step(1, sqlite=_SQLITE_V1, postgres=_POSTGRES_V1),
        Step(2, sqlite=(), postgres=_POSTGRES_V2),
        Step(3, sqlite=_SQLITE_V3, postgres=_POSTGRES_V3),
    ),
    legacy=("access_schema",),
)
