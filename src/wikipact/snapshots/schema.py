"""The snapshot registry's table as one migration set, for SQLite and for PostgreSQL
(``store.migrations``). PostgreSQL's text columns are ``COLLATE "C"`` so that listings come in
SQLite's byte order."""

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

SNAPSHOTS = MigrationSet(
    "snapshots",
    (Step(1, sqlite=_SQLITE_V1, postgres=_POSTGRES_V1),),
    legacy=("snapshots_schema",),
    retired=("snapshots_schema",),
)
