"""Persistence: articles, revision history, change log and ingest progress."""

from __future__ import annotations

from pathlib import Path

from wikipact.errors import ConfigError
from wikipact.store.base import ApplyResult, ArticleStore, ChangeEvent, Checkpoint, StoreStats
from wikipact.store.sqlite import SQLiteStore

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


def sqlite_path(url: str) -> Path:
    """``sqlite:///rel.db`` -> ``rel.db``; ``sqlite:////abs.db`` -> ``/abs.db``; paths pass."""
    if url.startswith("sqlite:///"):
        return Path(url[len("sqlite:///") :])
    if "://" in url:
        raise ConfigError(f"not a SQLite URL: {url}")
    return Path(url)


def open_store(url: str | None = None, *, readonly: bool = False) -> ArticleStore:
    """Open the store at ``url``: ``sqlite:///path.db`` (or a plain path) or
    ``postgresql://user@host/db`` (``postgres://`` too); default per user."""
    url = url or default_db_url()
    if url.startswith(("postgresql://", "postgres://")):
        from wikipact.store.postgres import PostgresStore  # psycopg only when asked for

        return PostgresStore(url, readonly=readonly)
    if "://" in url and not url.startswith("sqlite://"):
        raise ConfigError(
            f"unsupported database URL {url!r}; use sqlite:///path.db or postgresql://user@host/db"
        )
    return SQLiteStore(sqlite_path(url), readonly=readonly)
