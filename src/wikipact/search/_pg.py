"""PostgreSQL plumbing of the search index: psycopg on demand, connections, clear errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from wikipact.errors import ConfigError, StoreError
from wikipact.search._target import postgres_url
from wikipact.store.urls import redact

NO_INDEX = "the database has no search index; run `wikipact index` on it first"
# Searches are short statements whose estimated cost can still pass jit_above_cost (a LATERAL
# per text search configuration): compiling them took ~10 ms of a ~1 ms search (measured in
# bench/search_backends.py), so the connections search opens have JIT off.
SESSION = "SET jit = off"
READ_ONLY_SESSION = "SET jit = off; SET default_transaction_read_only = on"


def psycopg() -> Any:
    try:
        import psycopg
    except ImportError:  # pragma: no cover - a declared dependency
        raise ConfigError(
            "search on PostgreSQL needs psycopg: pip install 'psycopg[binary]' psycopg-pool"
        ) from None
    return psycopg


def url_of(db: object) -> str:
    """The ``postgresql://`` URL of ``db`` (a URL, or an object with one, e.g. a store)."""
    url = postgres_url(db)
    if url is None:
        raise ConfigError(f"not a PostgreSQL database URL: {db!r}")
    return url


@contextmanager
def connect(url: str, *, readonly: bool = False) -> Iterator[Any]:
    """An autocommit connection for one call, closed afterwards; an unreachable server is a
    ``ConfigError``, any other database error a ``StoreError``, both naming the database."""
    pg = psycopg()
    try:
        conn = pg.connect(url, autocommit=True, connect_timeout=10)
    except pg.OperationalError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"cannot connect to PostgreSQL at {redact(url)}: {first}") from None
    try:
        conn.execute(READ_ONLY_SESSION if readonly else SESSION)
        yield conn
    except pg.Error as exc:
        raise StoreError(f"PostgreSQL search index at {redact(url)}: {exc}") from None
    finally:
        conn.close()


def table_exists(conn: Any, name: str) -> bool:
    """Whether ``name`` is a table here (asked without an error that would abort a transaction)."""
    return conn.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone()[0] is True
