"""What the admin's operations page reports from a store (SQLite or PostgreSQL): its latest
ingest runs with their tasks and reading errors, the change streams it follows, the grounding
search index's state and the newest change-log cursor.

Read only, with each store's own read helper, in SQL that is the same text on both backends; a
table that a store never made (a store that never followed a stream) reads as "not recorded"
(None). ``DATABASE_ERRORS`` is what a backend may raise when asked: callers above the store
catch it without naming a driver.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from typing import Any

import psycopg

from wikipact.errors import WikipactError

log = logging.getLogger("wikipact.store")
DATABASE_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, psycopg.Error, WikipactError)


def _read(store: Any, sql: str) -> list[tuple[Any, ...]] | None:
    """Rows of ``sql`` (no parameters: the same text on SQLite and PostgreSQL) read with the
    store's own read helper; None when the table does not exist (a store that never did this).

    Read only."""
    try:
        return list(store._rows(sql))
    except DATABASE_ERRORS as exc:
        log.info("operations report: %s", exc)
        return None


def _json(text: str | None) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def ingest_runs(store: Any, recent: int = 20) -> dict[str, Any]:
    """The latest ingest runs: inputs, status, summary counts, tasks and reading errors."""
    runs = _read(
        store,
        "SELECT id, started_at, finished_at, status, inputs, summary FROM ingest_runs "
        f"ORDER BY id DESC LIMIT {int(recent)}",
    )
    if runs is None:
        return {"runs": [], "recorded": False}
    first = min((r[0] for r in runs), default=0)
    tasks = {
        r[0]: (int(r[1]), int(r[2] or 0), int(r[3] or 0))
        for r in _read(
            store,
            "SELECT run_id, COUNT(*), SUM(CASE WHEN finished THEN 1 ELSE 0 END), "
            f"SUM(pages_done) FROM ingest_tasks WHERE run_id >= {int(first)} GROUP BY run_id",
        )
        or []
    }
    errors = {
        r[0]: int(r[1])
        for r in _read(
            store,
            f"SELECT run_id, COUNT(*) FROM ingest_errors WHERE run_id >= {int(first)} "
            "GROUP BY run_id",
        )
        or []
    }
    latest_errors = _read(
        store,
        "SELECT run_id, kind, file, message, recorded_at FROM ingest_errors "
        "ORDER BY id DESC LIMIT 10",
    )
    found = []
    for run_id, started, finished, status, inputs, summary in runs:
        counts = _json(summary) or {}
        found.append({
            "id": run_id, "started_at": started, "finished_at": finished, "status": status,
            "inputs": _json(inputs) or [], "summary": counts,
            "tasks": tasks.get(run_id, (0, 0, 0)), "errors": errors.get(run_id, 0),
        })  # fmt: skip
    return {"runs": found, "recorded": True, "latest_errors": latest_errors or []}


def search_index(store: Any) -> dict[str, Any] | None:
    """The passage index's recorded state (``search_schema``), None when never built."""
    rows = _read(
        store,
        "SELECT version, cursor, state, projects, built_at, updated_at FROM search_schema "
        "WHERE id=1",
    )
    if not rows:
        return None
    version, cursor, state, projects, built_at, updated_at = rows[0]
    return {"version": version, "cursor": int(cursor), "state": state,
            "projects": _json(projects), "built_at": built_at, "updated_at": updated_at}  # fmt: skip


def stream_names(store: Any) -> list[str] | None:
    """The names of the change streams whose position the store saved (None: never any)."""
    rows = _read(store, "SELECT name FROM stream_positions ORDER BY name")
    return None if rows is None else [str(name) for (name,) in rows]


def latest_cursor(store: Any) -> int | None:
    """The change log's newest cursor (0 when empty)."""
    rows = _read(store, "SELECT COALESCE(MAX(cursor), 0) FROM changes")
    return int(rows[0][0]) if rows else None
