"""Which database a caller handed to search: a SQLite file (path, ``sqlite:///`` URL or
connection) or PostgreSQL (``postgresql://`` URL, psycopg connection, or an object with such a
``url``, e.g. a ``PostgresStore``). Nothing here imports a driver."""

from __future__ import annotations

import os
from pathlib import Path

from wikipact.store.urls import POSTGRES_PREFIXES


def postgres_url(db: object) -> str | None:
    """The PostgreSQL URL ``db`` names, or None (a psycopg connection has no usable URL)."""
    if isinstance(db, str):
        return db if db.startswith(POSTGRES_PREFIXES) else None
    url = getattr(db, "url", None)
    return url if isinstance(url, str) and url.startswith(POSTGRES_PREFIXES) else None


def is_postgres(db: object) -> bool:
    """Whether ``db`` is a PostgreSQL URL, connection or backend object."""
    return postgres_url(db) is not None or type(db).__module__.split(".")[0] == "psycopg"


def sqlite_file(db: str | os.PathLike[str]) -> Path:
    """The SQLite file of a path or a ``sqlite:///`` URL."""
    if isinstance(db, str) and db.startswith("sqlite:///"):
        from wikipact.store import sqlite_path

        return sqlite_path(db)
    return Path(db)
