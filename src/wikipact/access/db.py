"""The access tables, in the store's SQLite file (created on first use, versioned)."""

from __future__ import annotations

import secrets
import sqlite3
from pathlib import Path

from wikipact.store.sqlite import connect

VERSION = 1

_SCHEMA = """
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


def open_access_db(path: Path) -> tuple[sqlite3.Connection, bytes]:
    """A connection with the access tables in place, and the installation's key secret."""
    conn = connect(path)
    conn.execute("BEGIN IMMEDIATE")
    try:
        for statement in _SCHEMA.split(";\n"):
            if statement.strip():
                conn.execute(statement + (";" if "BEGIN" in statement else ""))
        row = conn.execute("SELECT version, secret FROM access_schema").fetchone()
        if row is None:
            secret = secrets.token_bytes(32)
            conn.execute("INSERT INTO access_schema VALUES (?, ?)", (VERSION, secret))
        else:
            secret = row[1]
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return conn, secret
