"""The snapshot registry's table as one migration set, for SQLite and for PostgreSQL
(``store.migrations``). PostgreSQL's text columns are ``COLLATE "C"`` so that listings come in
SQLite's byte order.

Step 1: the table. Step 2: chunks and Structured Contents snapshots: a ``parent`` column (a
chunk's snapshot) with an index, and the kinds ``chunk`` and ``structured`` in the ``kind``
check. SQLite cannot change a CHECK constraint, so step 2 rebuilds the table there (create the
new one, copy the rows, drop, rename, recreate the indexes; inside the step's transaction);
PostgreSQL drops the kind check (whatever it was named) and adds it again, named
``snapshots_kind_check``. The new column is last on both, so ``db copy`` sees the same columns.
"""

from __future__ import annotations

from wikipact.store.migrations import MigrationSet, Step

_SQLITE_V1 = (
    "CREATE TABLE IF NOT EXISTS snapshots ("
    " identifier TEXT PRIMARY KEY,"
    " kind TEXT NOT NULL CHECK (kind IN ('snapshot', 'dataset')),"
    " name TEXT NOT NULL,"  # enwiki_namespace_0, or the dataset's manifest name
    " project TEXT,"  # the one project, NULL for a dataset of several
    " projects TEXT NOT NULL,"  # JSON array, sorted
    " namespace INTEGER,"
    " in_language TEXT,"
    " path TEXT NOT NULL,"  # relative to the snapshots root
    " size INTEGER NOT NULL,"
    " sha256 TEXT NOT NULL,"
    " records INTEGER NOT NULL,"
    " date_modified TEXT,"
    " created_at TEXT NOT NULL,"
    " change_cursor INTEGER,"
    " owner TEXT)",
    "CREATE INDEX IF NOT EXISTS snapshots_by_name ON snapshots(name, created_at)",
)

_POSTGRES_V1 = (
    """CREATE TABLE IF NOT EXISTS snapshots (
        identifier TEXT COLLATE "C" PRIMARY KEY,
        kind TEXT COLLATE "C" NOT NULL CHECK (kind IN ('snapshot', 'dataset')),
        name TEXT COLLATE "C" NOT NULL,
        project TEXT COLLATE "C",
        projects TEXT COLLATE "C" NOT NULL,
        namespace INTEGER,
        in_language TEXT COLLATE "C",
        path TEXT COLLATE "C" NOT NULL,
        size BIGINT NOT NULL,
        sha256 TEXT COLLATE "C" NOT NULL,
        records BIGINT NOT NULL,
        date_modified TEXT COLLATE "C",
        created_at TEXT COLLATE "C" NOT NULL,
        change_cursor BIGINT,
        owner TEXT COLLATE "C")""",
    "CREATE INDEX IF NOT EXISTS snapshots_by_name ON snapshots (name, created_at)",
)

_KINDS = "('snapshot', 'dataset', 'chunk', 'structured')"
_V1_COLUMNS = (
    "identifier, kind, name, project, projects, namespace, in_language, path, size, sha256, "
    "records, date_modified, created_at, change_cursor, owner"
)

_SQLITE_V2 = (
    "CREATE TABLE snapshots_v2 ("
    " identifier TEXT PRIMARY KEY,"
    f" kind TEXT NOT NULL CHECK (kind IN {_KINDS}),"
    " name TEXT NOT NULL,"
    " project TEXT,"
    " projects TEXT NOT NULL,"
    " namespace INTEGER,"
    " in_language TEXT,"
    " path TEXT NOT NULL,"
    " size INTEGER NOT NULL,"
    " sha256 TEXT NOT NULL,"
    " records INTEGER NOT NULL,"
    " date_modified TEXT,"
    " created_at TEXT NOT NULL,"
    " change_cursor INTEGER,"
    " owner TEXT,"
    " parent TEXT)",  # a chunk's snapshot; NULL for anything else
    f"INSERT INTO snapshots_v2 ({_V1_COLUMNS}) SELECT {_V1_COLUMNS} FROM snapshots",
    "DROP TABLE snapshots",
    "ALTER TABLE snapshots_v2 RENAME TO snapshots",
    "CREATE INDEX snapshots_by_name ON snapshots(name, created_at)",
    "CREATE INDEX snapshots_by_parent ON snapshots(parent)",
)

# the v1 check was declared inline, unnamed (PostgreSQL called it snapshots_kind_check, but a
# database may have been made otherwise): drop every check on the table that mentions kind
_POSTGRES_DROP_KIND_CHECK = """DO $$
DECLARE found text;
BEGIN
    FOR found IN
        SELECT conname FROM pg_constraint
        WHERE conrelid = 'snapshots'::regclass AND contype = 'c'
          AND position('kind' in pg_get_constraintdef(oid)) > 0
    LOOP
        EXECUTE format('ALTER TABLE snapshots DROP CONSTRAINT %I', found);
    END LOOP;
END $$"""

_POSTGRES_V2 = (
    _POSTGRES_DROP_KIND_CHECK,
    f"ALTER TABLE snapshots ADD CONSTRAINT snapshots_kind_check CHECK (kind IN {_KINDS})",
    'ALTER TABLE snapshots ADD COLUMN parent TEXT COLLATE "C"',
    "CREATE INDEX IF NOT EXISTS snapshots_by_parent ON snapshots (parent)",
)

SNAPSHOTS = MigrationSet(
    "snapshots",
    (
        Step(1, sqlite=_SQLITE_V1, postgres=_POSTGRES_V1),
        Step(2, sqlite=_SQLITE_V2, postgres=_POSTGRES_V2),
    ),
    legacy=("snapshots_schema",),
    retired=("snapshots_schema",),
)
