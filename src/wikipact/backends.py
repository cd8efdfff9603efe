"""The backends a command or the API runs on, chosen once from the settings and passed in.

``Backends`` holds what wikipact stores things in: the article store, the access repository
(partners, agreements, keys, limits, usage), the snapshots folder (or object storage URL),
and the database the search
index and the snapshots registry live in. Code above these layers asks a ``Backends`` for them
and never opens a database, a connection or a path of its own.

=================  ===========================================  ==================================
backend            ``sqlite:///path.db``                        ``postgresql://user@host/db``
=================  ===========================================  ==================================
article store      ``store.sqlite.SQLiteStore``                 ``store.postgres.PostgresStore``
access             ``access.sqlite_repository``                 ``access.postgres_repository``
search index       FTS5 in the same file                        tsvector/GIN in the same database
snapshots registry tables in the same file                      tables in the same database
=================  ===========================================  ==================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from wikipact.errors import ConfigError, WikipactError
from wikipact.settings import Settings, load_settings
from wikipact.store.urls import is_postgres_url

if TYPE_CHECKING:
    from wikipact.access import Access
    from wikipact.search.query import PassageIndex
    from wikipact.snapshots.registry import Registry
    from wikipact.store.base import ArticleStore


@dataclass
class Backends:
    settings: Settings
    _access: Access | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return self.settings.db_url

    @property
    def is_postgres(self) -> bool:
        return is_postgres_url(self.url)

    @property
    def snapshots_root(self) -> Path | str:
        """The snapshots folder, or their object storage URL (``s3://bucket/snapshots``)."""
        return self.settings.snapshots_root

    def store(self, *, readonly: bool = False) -> ArticleStore:
        """A new connection to the article store (the caller closes it)."""
        from wikipact.store import open_store

        return open_store(self.url, readonly=readonly)

    def access(self, **options: Any) -> Access:
        """The access layer (one per ``Backends``: it holds connections and caches)."""
        if self._access is None:
            from wikipact.access import Access

            if self.is_postgres:
                from wikipact.access.postgres_repository import PostgresAccessRepository

                self._access = Access(repository=PostgresAccessRepository(self.url))
            else:
                self._access = Access(self.sqlite_path("the access layer"), **options)
        return self._access

    def passages(self) -> PassageIndex:
        """The grounding-search index (FTS5 in the SQLite file, or PostgreSQL full-text search
        in the PostgreSQL database)."""
        from wikipact.search.query import PassageIndex

        if self.is_postgres:
            return PassageIndex(self.url)
        return PassageIndex(self.sqlite_path("grounding search"))

    def registry(self) -> Registry:
        """The registry of snapshots and dataset builds (tables in the store's database)."""
        from wikipact.snapshots.registry import Registry

        if self.is_postgres:
            return Registry(self.url)
        return Registry(self.sqlite_path("the snapshots registry"))

    def database(self, missing: type[WikipactError] = ConfigError) -> Path | str:
        """What the search and snapshot functions take: the SQLite file (which must exist:
        else ``missing`` is raised) or the PostgreSQL URL."""
        if self.is_postgres:
            return self.url
        path = self.sqlite_path()
        if not path.exists():
            raise missing(f"no store at {path}: run `wikipact ingest` first, or pass --db")
        return path

    def sqlite_path(self, what: str = "this command") -> Path:
        """The SQLite file of a ``sqlite://`` URL (``ConfigError`` for PostgreSQL)."""
        if self.is_postgres:
            raise ConfigError(f"{what} needs a SQLite database (--db sqlite:///path.db)")
        from wikipact.store import sqlite_path

        return sqlite_path(self.url)

    def migrations(self) -> list[tuple[str, int, int]]:
        """Each migration set as (name, version in this database, newest version this wikipact
        knows); 0 means not created yet (the search set is made by `wikipact index`)."""
        from wikipact.access.schema import ACCESS
        from wikipact.search.schema import SEARCH
        from wikipact.snapshots.schema import SNAPSHOTS
        from wikipact.store import schema_versions
        from wikipact.store.schema import STORE

        sets = (STORE, ACCESS, SNAPSHOTS, SEARCH)
        found = schema_versions(self.url, sets)
        return [(s.name, found[s.name], s.latest) for s in sets]

    def prepare(self) -> None:
        """Create or migrate every schema wikipact keeps in this database (store, access,
        registry; the search index is made and rebuilt by `wikipact index`)."""
        store = self.store()
        store.close()
        self.access()
        from wikipact.snapshots.registry import ensure_schema

        ensure_schema(self.url if self.is_postgres else self.sqlite_path())

    def close(self) -> None:
        if self._access is not None:
            self._access.close()
            self._access = None


def open_backends(
    db: str | None = None,
    *,
    snapshots: Path | str | None = None,
    snapshots_redirect: int | None = None,
) -> Backends:
    """Backends from the settings, with a command's ``--db``, ``--snapshots`` and
    ``--snapshots-redirect`` on top."""
    return Backends(
        load_settings(db=db, snapshots=snapshots, snapshots_redirect=snapshots_redirect)
    )
