"""Persistence: articles, revision history, change log and ingest progress."""

from __future__ import annotations

from wikipact.errors import ConfigError
from wikipact.store.base import ApplyResult, ArticleStore, ChangeEvent, Checkpoint, StoreStats
from wikipact.store.migrations import MigrationSet
from wikipact.store.sqlite import SQLiteStore
from wikipact.store.urls import is_postgres_url, redact, sqlite_path

__all__ = [
    "ApplyResult",
    "ArticleStore",
    "ChangeEvent",
    "Checkpoint",
    "SQLiteStore",
    "StoreStats",
    "default_db_url",
    "open_store",
]


def default_db_url() -> str:
    """The settings' database: ``$WIKIPACT_DB``, else a SQLite file in the per-user data
    directory (``wikipact.settings``)."""
    from wikipact.settings import load_settings

    return load_settings().db_url


def open_store(url: str | None = None, *, readonly: bool = False) -> ArticleStore:
    """Open the store at ``url``: ``sqlite:///path.db`` (or a plain path) or
    ``postgresql://user@host/db`` (``postgres://`` too); default per user."""
    url = url or default_db_url()
    if is_postgres_url(url):
        from wikipact.store.postgres import PostgresStore  # psycopg only when asked for

        return PostgresStore(url, readonly=readonly)
    if "://" in url and not url.startswith("sqlite://"):
        raise ConfigError(
            f"unsupported database URL {url!r}; use sqlite:///path.db or postgresql://user@host/db"
        )
    return SQLiteStore(sqlite_path(url), readonly=readonly)


def schema_versions(url: str, sets: tuple[MigrationSet, ...]) -> dict[str, int]:
    """The version of each migration set in the database at ``url`` (read only; 0 for a set
    never created there)."""
    from wikipact.store.migrations import versions

    if is_postgres_url(url):
        from wikipact.store.postgres import _psycopg

        psycopg, _ = _psycopg()
        try:
            with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
                return versions(conn, sets)
        except psycopg.OperationalError as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise ConfigError(f"cannot connect to PostgreSQL at {redact(url)}: {first}") from None
    path = sqlite_path(url)
    if not path.exists():
        return dict.fromkeys((s.name for s in sets), 0)
    from wikipact.store.sqlite import connect

    conn = connect(path, readonly=True)
    try:
        return versions(conn, sets)
    finally:
        conn.close()
