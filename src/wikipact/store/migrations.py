"""One migrations mechanism for everything wikipact keeps in a database, on either backend.

Each concern owns a named **set** of numbered steps (``store``, ``access``, ``snapshots``,
``search``); each step carries its SQL for SQLite and for PostgreSQL. The steps applied are rows
of one ledger table, the same on both backends::

    wikipact_migrations (name, version, applied_at)   -- PRIMARY KEY (name, version)

``migrate(conn, set)`` applies the steps a database lacks, each set in one transaction taken
with a write lock (SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: a transaction-scoped advisory
lock), so processes starting together apply each step once. When nothing is missing it reads
the ledger and takes no lock. A database whose ledger records a version newer than this
wikipact knows is refused with an error that says to upgrade (``NewerSchemaError``);
``version_in_force`` is the same check for readers that never write.

Databases written before the ledger existed kept their versions in per-concern tables
(``_migrations``, ``store_migrations``, ``access_schema``, ``snapshots_schema``,
``search_schema``); the first ``migrate`` adopts the version found there, and drops the tables
that held nothing but a version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from wikipact.errors import StoreError

LEDGER = "wikipact_migrations"
ADVISORY_LOCK = 7_236_712_000  # pg_advisory_xact_lock key: any migration on PostgreSQL

_LEDGER_SQL = (
    f"CREATE TABLE IF NOT EXISTS {LEDGER} (name TEXT NOT NULL, version INTEGER NOT NULL, "
    "applied_at TEXT NOT NULL, PRIMARY KEY (name, version))"
)  # the same on both backends


class NewerSchemaError(StoreError):
    """The database was written by a newer wikipact than this one."""


@dataclass(frozen=True)
class Step:
    """One version of a set: the statements that bring the previous version to it."""

    version: int
    sqlite: tuple[str, ...]
    postgres: tuple[str, ...]

    def statements(self, dialect: str) -> tuple[str, ...]:
        return self.sqlite if dialect == "sqlite" else self.postgres


@dataclass(frozen=True)
class MigrationSet:
    """A concern's schema history. ``legacy`` names the tables whose ``version`` column recorded
    this set before the ledger; of those, ``retired`` held nothing else and are dropped once
    their version is adopted."""

    name: str
    steps: tuple[Step, ...]
    legacy: tuple[str, ...] = ()
    retired: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        versions = [step.version for step in self.steps]
        if versions != list(range(1, len(versions) + 1)):
            raise ValueError(f"{self.name}: steps must be numbered 1, 2, ... in order")

    @property
    def latest(self) -> int:
        return self.steps[-1].version

    def statements(self, dialect: str) -> list[str]:
        """Every step's statements in order: the set's tables at the latest version."""
        return [sql for step in self.steps for sql in step.statements(dialect)]


def split_script(script: str) -> tuple[str, ...]:
    """``;``-separated SQL (``--`` comments allowed) as single statements."""
    statements = []
    for chunk in script.split(";"):
        lines = [line.split("--")[0] for line in chunk.splitlines()]
        sql = "\n".join(lines).strip()
        if sql:
            statements.append(sql)
    return tuple(statements)


def dialect_of(conn: Any) -> str:
    """``sqlite`` for a ``sqlite3`` connection, ``postgres`` for a psycopg one."""
    return "sqlite" if type(conn).__module__ == "sqlite3" else "postgres"


def migrate(conn: Any, migrations: MigrationSet, *, label: str = "the database") -> int:
    """Apply the steps of ``migrations`` that ``conn``'s database lacks; the version now in force.

    ``conn`` is a ``sqlite3`` connection (autocommit mode, as ``store.sqlite.connect`` makes
    them; an open transaction of the caller's is joined) or a psycopg 3 connection.
    """
    dialect = dialect_of(conn)
    if dialect == "postgres":
        # one transaction (a psycopg connection outside autocommit would otherwise leave the
        # reads' implicit transaction open); the lock is taken only when something is missing
        with conn.transaction():
            done = _up_to_date(conn, dialect, migrations, label)
            if done is not None:
                return done
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK,))
            return _apply(conn, dialect, migrations, label)
    done = _up_to_date(conn, dialect, migrations, label)
    if done is not None:
        return done
    if conn.in_transaction:  # the caller's, joined
        return _apply(conn, dialect, migrations, label)
    conn.execute("BEGIN IMMEDIATE")
    try:
        done = _apply(conn, dialect, migrations, label)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return done


def version_in_force(conn: Any, migrations: MigrationSet, *, label: str = "the database") -> int:
    """The set's version in ``conn``'s database without changing it (0: never created), for
    readers; refuses a version newer than this wikipact knows."""
    dialect = dialect_of(conn)
    done = _done(conn, dialect, migrations.name) if _ledger_exists(conn, dialect) else 0
    if done == 0:
        done = _legacy_version(conn, dialect, migrations)
    _refuse_newer(migrations, done, label)
    return done


def versions(conn: Any, sets: tuple[MigrationSet, ...]) -> dict[str, int]:
    """Each set's version in ``conn``'s database (from the ledger, or from a pre-ledger table;
    0: never created), whatever this wikipact knows."""
    dialect = dialect_of(conn)
    ledger = _ledger_exists(conn, dialect)
    found = {}
    for migrations in sets:
        done = _done(conn, dialect, migrations.name) if ledger else 0
        found[migrations.name] = done or _legacy_version(conn, dialect, migrations)
    return found


# -- internals ---------------------------------------------------------------------------------


def _up_to_date(conn: Any, dialect: str, migrations: MigrationSet, label: str) -> int | None:
    """The version in force when no step is missing (read without a lock), else None."""
    if not _ledger_exists(conn, dialect):
        return None
    done = _done(conn, dialect, migrations.name)
    _refuse_newer(migrations, done, label)
    return done if done >= migrations.latest else None


def _apply(conn: Any, dialect: str, migrations: MigrationSet, label: str) -> int:
    """Inside the caller's locked transaction: adopt, refuse or apply, and record."""
    conn.execute(_LEDGER_SQL)
    done = _done(conn, dialect, migrations.name)
    if done == 0:
        done = _adopt(conn, dialect, migrations)
    _refuse_newer(migrations, done, label)
    for step in migrations.steps:
        if step.version <= done:
            continue
        for statement in step.statements(dialect):
            conn.execute(statement)
        _record(conn, dialect, migrations.name, step.version)
        done = step.version
    return done


def _table_exists(conn: Any, dialect: str, table: str) -> bool:
    if dialect == "postgres":
        return bool(conn.execute("SELECT to_regclass(%s) IS NOT NULL", (table,)).fetchone()[0])
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)
    ).fetchone()
    return found is not None


def _ledger_exists(conn: Any, dialect: str) -> bool:
    return _table_exists(conn, dialect, LEDGER)


def _done(conn: Any, dialect: str, name: str) -> int:
    mark = "%s" if dialect == "postgres" else "?"
    row = conn.execute(f"SELECT MAX(version) FROM {LEDGER} WHERE name={mark}", (name,)).fetchone()
    return int(row[0] or 0)


def _record(conn: Any, dialect: str, name: str, version: int) -> None:
    mark = "%s" if dialect == "postgres" else "?"
    conn.execute(
        f"INSERT INTO {LEDGER} (name, version, applied_at) VALUES ({mark}, {mark}, {mark})",
        (name, version, datetime.now(UTC).isoformat()),
    )


def _legacy_version(conn: Any, dialect: str, migrations: MigrationSet) -> int:
    found = 0
    for table in migrations.legacy:
        if _table_exists(conn, dialect, table):
            row = conn.execute(f"SELECT MAX(version) FROM {table}").fetchone()
            found = max(found, int(row[0] or 0))
    return found


def _adopt(conn: Any, dialect: str, migrations: MigrationSet) -> int:
    """Record the version a pre-ledger database kept in its own table, as steps applied."""
    found = _legacy_version(conn, dialect, migrations)
    for version in range(1, found + 1):
        _record(conn, dialect, migrations.name, version)
    for table in migrations.retired:
        if found:
            conn.execute(f"DROP TABLE IF EXISTS {table}")
    return found


def _refuse_newer(migrations: MigrationSet, done: int, label: str) -> None:
    if done > migrations.latest:
        raise NewerSchemaError(
            f"{label}: its {migrations.name} tables are at version {done}, newer than this "
            f"wikipact knows (version {migrations.latest}); upgrade wikipact to use it"
        )


def recreate(
    conn: Any, migrations: MigrationSet, *, drop: tuple[str, ...], label: str = "the database"
) -> None:
    """Inside the caller's write transaction: drop a derived set's tables (``drop``) and create
    them afresh at the latest version, recording it. The search index, which is rebuilt from the
    store rather than migrated row by row, is made this way."""
    dialect = dialect_of(conn)
    if dialect == "postgres":
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK,))
    conn.execute(_LEDGER_SQL)
    done = _done(conn, dialect, migrations.name) or _legacy_version(conn, dialect, migrations)
    _refuse_newer(migrations, done, label)
    for statement in (*drop, *migrations.statements(dialect)):
        conn.execute(statement)
    recorded = _done(conn, dialect, migrations.name)
    for version in range(recorded + 1, migrations.latest + 1):
        _record(conn, dialect, migrations.name, version)
