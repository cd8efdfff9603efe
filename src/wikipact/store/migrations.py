"""Ordered schema migrations for the SQLite store, recorded in ``_migrations``."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    """Run ``;``-separated statements inside the caller's transaction (executescript commits)."""
    for statement in script.split(";"):
        lines = [line.split("--")[0] for line in statement.splitlines()]
        sql = "\n".join(lines).strip()
        if sql:
            conn.execute(sql)


def _v1(conn: sqlite3.Connection) -> None:
    _run_script(
        conn,
        """
        CREATE TABLE sites (
            project TEXT PRIMARY KEY,
            siteinfo BLOB NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE articles (
            project TEXT NOT NULL,
            page_id INTEGER NOT NULL,
            title TEXT NOT NULL,
            namespace INTEGER NOT NULL,
            revision_id INTEGER NOT NULL,
            date_modified TEXT NOT NULL,
            redirect_target TEXT,
            sha256 TEXT NOT NULL,
            record BLOB NOT NULL,              -- zstd(JSON of the Article record)
            deleted INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (project, page_id)
        ) WITHOUT ROWID;
        CREATE INDEX articles_by_title ON articles(title, project);
        CREATE TABLE revisions (
            project TEXT NOT NULL,
            page_id INTEGER NOT NULL,
            revision_id INTEGER NOT NULL,
            parent_id INTEGER,
            timestamp TEXT NOT NULL,
            sha1 TEXT,
            editor TEXT,
            comment TEXT,
            minor INTEGER NOT NULL DEFAULT 0,
            wikitext BLOB NOT NULL,            -- zstd(UTF-8 wikitext)
            PRIMARY KEY (project, revision_id)
        );
        CREATE INDEX revisions_by_page ON revisions(project, page_id);
        CREATE TABLE changes (
            cursor INTEGER PRIMARY KEY AUTOINCREMENT,
            project TEXT NOT NULL,
            page_id INTEGER NOT NULL,
            title TEXT NOT NULL,
            namespace INTEGER NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('create', 'update', 'redirect', 'delete')),
            revision_id INTEGER,
            previous_revision_id INTEGER,
            redirect_target TEXT,
            recorded_at TEXT NOT NULL,
            source TEXT NOT NULL
        );
        CREATE TABLE ingest_runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,
            inputs TEXT NOT NULL,
            options TEXT NOT NULL,
            summary TEXT
        );
        CREATE TABLE ingest_tasks (
            run_id INTEGER NOT NULL REFERENCES ingest_runs(id),
            task_key TEXT NOT NULL,
            pages_done INTEGER NOT NULL,
            finished INTEGER NOT NULL,
            PRIMARY KEY (run_id, task_key)
        );
        CREATE TABLE ingest_errors (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id INTEGER NOT NULL REFERENCES ingest_runs(id),
            kind TEXT NOT NULL,
            file TEXT NOT NULL,
            stream INTEGER,
            compressed_offset INTEGER,
            last_good_page TEXT,
            message TEXT NOT NULL,
            recorded_at TEXT NOT NULL
        );
        """,
    )


MIGRATIONS: list[tuple[int, Callable[[sqlite3.Connection], None]]] = [(1, _v1)]


def migrate(conn: sqlite3.Connection) -> int:
    """Apply every migration not yet recorded; returns the schema version now in force."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (version INTEGER PRIMARY KEY, applied_at TEXT)"
    )
    done = {row[0] for row in conn.execute("SELECT version FROM _migrations")}
    for version, step in MIGRATIONS:
        if version in done:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            if conn.execute("SELECT 1 FROM _migrations WHERE version=?", (version,)).fetchone():
                conn.execute("ROLLBACK")  # another process got there first
                continue
            step(conn)
            conn.execute(
                "INSERT INTO _migrations VALUES (?, ?)",
                (version, datetime.now(UTC).isoformat()),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return max(v for v, _ in MIGRATIONS)
