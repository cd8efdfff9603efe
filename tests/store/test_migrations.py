"""One migrations mechanism for every table set, the same on SQLite and on PostgreSQL.

Each test runs on a real SQLite file and on a real PostgreSQL database: the four named sets
(store, access, snapshots, search) land in one ledger; a later step is applied once and keeps
the rows; a failing step changes nothing; a newer database is refused by every reader and
writer; processes starting together apply each step once; and a database written before the
ledger existed is adopted with its data and its partners' keys intact.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from wikipact.backends import open_backends
from wikipact.errors import StoreError
from wikipact.snapshots.schema import SNAPSHOTS
from wikipact.store.migrations import (
    MigrationSet,
    NewerSchemaError,
    Step,
    migrate,
    version_in_force,
)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'w.db'}"
    return str(request.getfixturevalue("postgres_url"))


def is_pg(url: str) -> bool:
    return url.startswith("postgresql://")


@contextmanager
def connection(url: str) -> Iterator[Any]:
    """A plain connection in autocommit mode, as the backends use."""
    if is_pg(url):
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            yield conn
        return
    conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()


def rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    with connection(url) as conn:
        return [tuple(r) for r in conn.execute(sql).fetchall()]


def tables(url: str) -> set[str]:
    if is_pg(url):
        sql = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type='table'"
    return {r[0] for r in rows(url, sql)}


def wikipact(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wikipact", *args], capture_output=True, text=True, timeout=300
    )


def prepare_everything(url: str) -> None:
    """What a deployment makes: store, access and registry, and a (here empty) search index."""
    from wikipact.search.index import build_index

    backends = open_backends(url)
    backends.prepare()
    backends.close()
    build_index(url if is_pg(url) else Path(url.removeprefix("sqlite:///")))


LEDGER = "SELECT name, version FROM wikipact_migrations ORDER BY name"

TRIAL_V1 = Step(
    1,
    sqlite=("CREATE TABLE trial (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",),
    postgres=("CREATE TABLE trial (id BIGINT PRIMARY KEY, name TEXT NOT NULL)",),
)
TRIAL_V2 = Step(
    2,
    sqlite=("ALTER TABLE trial ADD COLUMN note TEXT NOT NULL DEFAULT 'kept'",),
    postgres=("ALTER TABLE trial ADD COLUMN note TEXT NOT NULL DEFAULT 'kept'",),
)


def test_every_set_lands_in_one_ledger_on_both_backends(url: str) -> None:
    prepare_everything(url)
    assert rows(url, LEDGER) == [
        ("access", 1), ("access", 2), ("access", 3), ("search", 1), ("snapshots", 1),
        ("snapshots", 2), ("store", 1), ("store", 2), ("store", 3)
    ]  # fmt: skip
    assert not tables(url) & {"_migrations", "store_migrations", "snapshots_schema"}
    assert [(n, v) for n, v, _ in open_backends(url).migrations()] == [
        ("store", 3), ("access", 3), ("snapshots", 2), ("search", 1)
    ]  # fmt: skip
    checked = wikipact("db", "migrate", "--check", "--db", url)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.count("up to date") == 4
    prepare_everything(url)  # again: nothing to do, nothing recorded twice
    assert len(rows(url, LEDGER)) == 9


def test_a_later_step_is_applied_once_and_keeps_the_rows(url: str) -> None:
    with connection(url) as conn:
        assert migrate(conn, MigrationSet("trial", (TRIAL_V1,))) == 1
        conn.execute("INSERT INTO trial (id, name) VALUES (1, 'Anarchism')")
        later = MigrationSet("trial", (TRIAL_V1, TRIAL_V2))
        assert version_in_force(conn, later) == 1
        assert migrate(conn, later) == 2
        assert migrate(conn, later) == 2  # nothing left to do
        assert [tuple(r) for r in conn.execute("SELECT id, name, note FROM trial")] == [
            (1, "Anarchism", "kept")
        ]
    assert rows(url, LEDGER) == [("trial", 1), ("trial", 2)]


def test_a_failing_step_changes_nothing(url: str) -> None:
    broken = Step(
        2,
        sqlite=(TRIAL_V2.sqlite[0], "ALTER TABLE no_such_table ADD COLUMN x TEXT"),
        postgres=(TRIAL_V2.postgres[0], "ALTER TABLE no_such_table ADD COLUMN x TEXT"),
    )
    with connection(url) as conn:
        migrate(conn, MigrationSet("trial", (TRIAL_V1,)))
        with pytest.raises(Exception, match=r"no_such_table|no such table"):
            migrate(conn, MigrationSet("trial", (TRIAL_V1, broken)))
        if not is_pg(url):
            assert not conn.in_transaction
        columns = (
            [r[0] for r in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name='trial' "
                "ORDER BY ordinal_position")]
            if is_pg(url)
            else [r[1] for r in conn.execute("PRAGMA table_info(trial)")]
        )  # fmt: skip
    assert columns == ["id", "name"]  # the first statement of the step was rolled back too
    assert rows(url, LEDGER) == [("trial", 1)]


def test_a_database_newer_than_this_wikipact_is_refused_everywhere(url: str) -> None:
    from wikipact.search.index import build_index
    from wikipact.snapshots.registry import list_snapshots
    from wikipact.store import open_store

    prepare_everything(url)
    db: Any = url if is_pg(url) else Path(url.removeprefix("sqlite:///"))

    def newer(name: str) -> None:
        with connection(url) as conn:
            mark = "%s" if is_pg(url) else "?"
            conn.execute(f"INSERT INTO wikipact_migrations VALUES ({mark}, 9, 'later')", (name,))

    newer("search")
    with pytest.raises(StoreError, match="search tables are at version 9"):
        build_index(db)
    for name in ("store", "access", "snapshots"):
        newer(name)
    for readonly in (False, True):
        with pytest.raises(NewerSchemaError, match="store tables are at version 9"):
            open_store(url, readonly=readonly)
    with pytest.raises(StoreError, match=r"access tables are at version 9.*upgrade wikipact"):
        open_backends(url).access()
    with pytest.raises(StoreError, match="snapshots tables are at version 9"):
        list_snapshots(db)
    checked = wikipact("db", "migrate", "--check", "--db", url)
    assert checked.returncode == 1 and checked.stdout.count("newer than this wikipact") == 4
    migrated = wikipact("db", "migrate", "--db", url)
    assert migrated.returncode != 0 and "upgrade wikipact" in migrated.stderr


def test_processes_starting_together_apply_each_step_once(url: str) -> None:
    start = threading.Barrier(4)

    def prepare() -> None:
        start.wait()
        backends = open_backends(url)
        backends.prepare()
        backends.close()

    with ThreadPoolExecutor(4) as pool:
        for job in [pool.submit(prepare) for _ in range(4)]:
            job.result()
    assert rows(url, LEDGER) == [
        ("access", 1), ("access", 2), ("access", 3), ("snapshots", 1), ("snapshots", 2),
        ("store", 1), ("store", 2), ("store", 3)
    ]  # fmt: skip
    assert len(rows(url, "SELECT secret FROM access_schema")) == 1  # one installation secret


def test_a_database_from_before_the_ledger_is_adopted_with_its_keys(url: str) -> None:
    backends = open_backends(url)
    backends.prepare()
    access = backends.access()
    access.add_partner("acme", "Acme AI", actor="test")
    _, key = access.create_key("acme", label="training", actor="test")
    backends.close()
    # lay the database out as wikipact did before the ledger: versions in per-concern tables
    with connection(url) as conn:
        conn.execute("DROP TABLE wikipact_migrations")
        conn.execute("DROP TABLE stream_positions")  # what later steps added, taken back
        conn.execute("ALTER TABLE revisions DROP COLUMN hidden")
        conn.execute("DROP INDEX articles_by_redirect_target")
        conn.execute("DROP TABLE access_refresh_tokens")
        conn.execute("DROP TABLE snapshots")  # back to the first layout of the registry
        for statement in SNAPSHOTS.steps[0].statements("postgres" if is_pg(url) else "sqlite"):
            conn.execute(statement)
        if is_pg(url):
            conn.execute("DROP FUNCTION wikipact_take")
        ledger = "store_migrations" if is_pg(url) else "_migrations"
        conn.execute(f"CREATE TABLE {ledger} (version INTEGER PRIMARY KEY, applied_at TEXT)")
        conn.execute(f"INSERT INTO {ledger} VALUES (1, '2026-11-28T00:00:00+00:00')")
        conn.execute("CREATE TABLE snapshots_schema (id INTEGER PRIMARY KEY, version INTEGER)")
        conn.execute("INSERT INTO snapshots_schema VALUES (1, 1)")
    assert [(n, v) for n, v, _ in open_backends(url).migrations()][:3] == [
        ("store", 1),
        ("access", 1),
        ("snapshots", 1),
    ]  # fmt: skip  (the pre-ledger layout knew access version 1; step 2 is applied next)
    backends = open_backends(url)
    backends.prepare()
    assert rows(url, LEDGER) == [
        ("access", 1), ("access", 2), ("access", 3), ("snapshots", 1), ("snapshots", 2),
        ("store", 1), ("store", 2), ("store", 3)
    ]  # fmt: skip
    assert not tables(url) & {"_migrations", "store_migrations", "snapshots_schema"}
    principal = backends.access().authenticate(key)
    assert principal.partner == "acme"  # the same secret digests the same key
    backends.close()


def test_steps_are_numbered_from_one_in_order() -> None:
    with pytest.raises(ValueError, match="numbered 1, 2"):
        MigrationSet("trial", (TRIAL_V2,))
    with pytest.raises(ValueError, match="numbered 1, 2"):
        MigrationSet("trial", (TRIAL_V1, TRIAL_V1))
