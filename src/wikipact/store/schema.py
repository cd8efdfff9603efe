"""The store's tables (``articles``, ``revisions``, ``changes``, ``sites``, ingest runs) as one
migration set, for SQLite and for PostgreSQL (``store.migrations``).

The two layouts hold the same columns; PostgreSQL's text columns that are ordered or compared
use ``COLLATE "C"`` so that orders are SQLite's byte order, and its identity columns continue
after copied numbers (``wikipact db copy``).
"""

from __future__ import annotations

from wikipact.store.migrations import MigrationSet, Step, split_script

_SQLITE_V1 = split_script(
    """
        CREATE TABLE sites (
            project TEXT PRIMARY KEY,
            siteinfo BLOB NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE articles (
            project TEXT NOT NULL,
            page_id INTEGER NOT NULL,
            title TEXT NOT NULL,
            namespace INTEGER NOT NULL,
            revision_id INTEGER NOT NULL,
            date_modified TEXT NOT NULL,
            redirect_target TEXT,
            sha256 TEXT NOT NULL,
            record BLOB NOT NULL,              -- zstd(JSON of the Article record)
            deleted INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (project, page_id)
        ) WITHOUT ROWID;
        CREATE INDEX articles_by_title ON articles(title, project);
        CREATE TABLE revisions (
            project TEXT NOT NULL,
            page_id INTEGER NOT NULL,
            revision_id INTEGER NOT NULL,
            parent_id INTEGER,
            timestamp TEXT NOT NULL,
            sha1 TEXT,
            editor TEXT,
            comment TEXT,
            minor INTEGER NOT NULL DEFAULT 0,
            wikitext BLOB NOT NULL,            -- zstd(UTF-8 wikitext)
            PRIMARY KEY (project, revision_id)
        );
        CREATE INDEX revisions_by_page ON revisions(project, page_id);
        CREATE TABLE changes (
            cursor INTEGER PRIMARY KEY AUTOINCREMENT,
            project TEXT NOT NULL,
            page_id INTEGER NOT NULL,
            title TEXT NOT NULL,
            namespace INTEGER NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('create', 'update', 'redirect', 'delete')),
            revision_id INTEGER,
            previous_revision_id INTEGER,
            redirect_target TEXT,
            recorded_at TEXT NOT NULL,
            source TEXT NOT NULL
        );
        CREATE TABLE ingest_runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,
            inputs TEXT NOT NULL,
            options TEXT NOT NULL,
            summary TEXT
        );
        CREATE TABLE ingest_tasks (
            run_id INTEGER NOT NULL REFERENCES ingest_runs(id),
            task_key TEXT NOT NULL,
            pages_done INTEGER NOT NULL,
            finished INTEGER NOT NULL,
            PRIMARY KEY (run_id, task_key)
        );
        CREATE TABLE ingest_errors (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id INTEGER NOT NULL REFERENCES ingest_runs(id),
            kind TEXT NOT NULL,
            file TEXT NOT NULL,
            stream INTEGER,
            compressed_offset INTEGER,
            last_good_page TEXT,
            message TEXT NOT NULL,
            recorded_at TEXT NOT NULL
        );
        """
)

_POSTGRES_V1 = (
    """CREATE TABLE sites (
        project TEXT COLLATE "C" PRIMARY KEY,
        siteinfo BYTEA NOT NULL,
        updated_at TEXT COLLATE "C" NOT NULL)""",
    """CREATE TABLE articles (
        project TEXT COLLATE "C" NOT NULL,
        page_id BIGINT NOT NULL,
        title TEXT COLLATE "C" NOT NULL,
        namespace INTEGER NOT NULL,
        revision_id BIGINT NOT NULL,
        date_modified TEXT COLLATE "C" NOT NULL,
        redirect_target TEXT COLLATE "C",
        sha256 TEXT NOT NULL,
        record BYTEA NOT NULL,
        deleted BOOLEAN NOT NULL DEFAULT FALSE,
        updated_at TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (project, page_id))""",
    # records and wikitext are zstd already: PostgreSQL need not try to compress them again
    "ALTER TABLE articles ALTER COLUMN record SET STORAGE EXTERNAL",
    "CREATE INDEX articles_by_title ON articles (title, project)",
    """CREATE TABLE revisions (
        project TEXT COLLATE "C" NOT NULL,
        page_id BIGINT NOT NULL,
        revision_id BIGINT NOT NULL,
        parent_id BIGINT,
        timestamp TEXT COLLATE "C" NOT NULL,
        sha1 TEXT,
        editor TEXT COLLATE "C",
        comment TEXT,
        minor BOOLEAN NOT NULL DEFAULT FALSE,
        wikitext BYTEA NOT NULL,
        PRIMARY KEY (project, revision_id))""",
    "ALTER TABLE revisions ALTER COLUMN wikitext SET STORAGE EXTERNAL",
    "CREATE INDEX revisions_by_page ON revisions (project, page_id)",
    """CREATE TABLE changes (
        cursor BIGINT PRIMARY KEY,
        project TEXT COLLATE "C" NOT NULL,
        page_id BIGINT NOT NULL,
        title TEXT COLLATE "C" NOT NULL,
        namespace INTEGER NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('create', 'update', 'redirect', 'delete')),
        revision_id BIGINT,
        previous_revision_id BIGINT,
        redirect_target TEXT COLLATE "C",
        recorded_at TEXT COLLATE "C" NOT NULL,
        source TEXT NOT NULL)""",
    "CREATE INDEX changes_by_time ON changes (recorded_at, cursor)",
    """CREATE TABLE ingest_runs (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        started_at TEXT COLLATE "C" NOT NULL,
        finished_at TEXT COLLATE "C",
        status TEXT NOT NULL,
        inputs TEXT NOT NULL,
        options TEXT NOT NULL,
        summary TEXT)""",
    "CREATE INDEX ingest_runs_by_inputs ON ingest_runs (md5(inputs), id)",
    """CREATE TABLE ingest_tasks (
        run_id BIGINT NOT NULL REFERENCES ingest_runs(id),
        task_key TEXT NOT NULL,
        pages_done BIGINT NOT NULL,
        finished BOOLEAN NOT NULL,
        PRIMARY KEY (run_id, task_key))""",
    """CREATE TABLE ingest_errors (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        run_id BIGINT NOT NULL REFERENCES ingest_runs(id),
        kind TEXT NOT NULL,
        file TEXT NOT NULL,
        stream BIGINT,
        compressed_offset BIGINT,
        last_good_page TEXT,
        message TEXT NOT NULL,
        recorded_at TEXT COLLATE "C" NOT NULL)""",
    "CREATE INDEX ingest_errors_by_run ON ingest_errors (run_id, id)",
)

# v2: following change streams. A follower's position is saved with what it applied; a
# revision's hidden fields (1 text, 2 editor, 4 comment) are remembered so that they stay hidden.
_SQLITE_V2 = (
    "CREATE TABLE stream_positions (name TEXT PRIMARY KEY, position TEXT, state TEXT NOT NULL, "
    "updated_at TEXT NOT NULL)",
    "ALTER TABLE revisions ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0",
)
_POSTGRES_V2 = (
    'CREATE TABLE stream_positions (name TEXT COLLATE "C" PRIMARY KEY, position TEXT, '
    'state TEXT NOT NULL, updated_at TEXT COLLATE "C" NOT NULL)',
    "ALTER TABLE revisions ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0",
)

# v3: the pages that redirect to a title, asked for with each article (Enterprise's `redirects`).
_SQLITE_V3 = (
    "CREATE INDEX articles_by_redirect_target ON articles (project, redirect_target) "
    "WHERE redirect_target IS NOT NULL",
)
_POSTGRES_V3 = _SQLITE_V3

STORE = MigrationSet(
    "store",
    (
        Step(1, sqlite=_SQLITE_V1, postgres=_POSTGRES_V1),
        Step(2, sqlite=_SQLITE_V2, postgres=_POSTGRES_V2),
        Step(3, sqlite=_SQLITE_V3, postgres=_POSTGRES_V3),
    ),
    legacy=("_migrations", "store_migrations"),
    retired=("_migrations", "store_migrations"),
)
