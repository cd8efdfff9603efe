"""The access tables in the store's SQLite file: the ``access`` migration set applied on first
use, and the installation's key secret made once."""

from __future__ import annotations

import secrets
import sqlite3
from pathlib import Path

from wikipact.access.schema import ACCESS
from wikipact.store.migrations import migrate
from wikipact.store.sqlite import connect

VERSION = 1  # written into access_schema beside the secret (the ledger holds the version)


def open_access_db(path: Path) -> tuple[sqlite3.Connection, bytes]:
    """A connection with the access tables in place, and the installation's key secret."""
    conn = connect(path)
    conn.execute("BEGIN IMMEDIATE")
    try:
        migrate(conn, ACCESS, label=str(path))
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
