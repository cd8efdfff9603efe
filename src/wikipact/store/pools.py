"""The connection pool every PostgreSQL backend uses (store, search, snapshot registry)."""

from __future__ import annotations

from typing import Any

READ_ONLY = "SET default_transaction_read_only = on"


def connection_pool(
    url: str,
    *,
    name: str,
    max_connections: int,
    read_only: str | None = None,
    connect_timeout: int = 10,
) -> Any:
    """A psycopg pool of autocommit connections (a read is one round trip); ``read_only`` is
    the statement each new connection runs first (``READ_ONLY``, or a stricter session)."""
    import psycopg_pool

    def configure(conn: Any) -> None:
        if read_only:
            conn.execute(read_only)

    return psycopg_pool.ConnectionPool(
        url,
        min_size=1,
        max_size=max(1, max_connections),
        kwargs={"autocommit": True, "connect_timeout": connect_timeout},
        configure=configure,
        name=name,
        open=True,
    )
