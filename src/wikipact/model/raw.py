"""What a MediaWiki XML dump says, unchanged: site information, pages and their revisions."""

from __future__ import annotations

import msgspec

from wikipact.model.pickling import keep_defaults
from wikipact.model.project import article_url, language_of, server_from_base, server_of

__all__ = ["Contributor", "Namespace", "RawPage", "RawRevision", "SiteInfo", "SourceRef"]


class Namespace(msgspec.Struct, frozen=True, kw_only=True):
    """One namespace as declared by <siteinfo>: its number and its local name."""

    key: int
    name: str
    case: str | None = None


class SiteInfo(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The <siteinfo> block of a dump (or what is known of the wiki when a dump has none)."""

    dbname: str
    language: str
    sitename: str | None = None
    base: str | None = None
    generator: str | None = None
    case: str = "first-letter"
    namespaces: tuple[Namespace, ...] = ()
    export_version: str | None = None  # "0.10", "0.11" ... from the root element

    @property
    def server(self) -> str:
        """``https://en.wikipedia.org``: from <base> when present, else from the dbname."""
        server = server_from_base(self.base) if self.base else None
        return server or server_of(self.dbname) or f"https://{self.dbname}.invalid"

    def namespace_name(self, key: int) -> str | None:
        for namespace in self.namespaces:
            if namespace.key == key:
                return namespace.name
        return None

    def url_of(self, title: str) -> str:
        return article_url(self.server, title)

    def namespace_of_title(self, title: str) -> int:
        """Namespace number of a prefixed title (``Talk:Foo`` -> 1); 0 when no prefix matches."""
        prefix, sep, _ = title.partition(":")
        if not sep:
            return 0
        wanted = prefix.strip().replace("_", " ").casefold()
        for namespace in self.namespaces:
            if namespace.key != 0 and namespace.name.casefold() == wanted:
                return namespace.key
        return 0

    @classmethod
    def for_dbname(cls, dbname: str, language: str | None = None) -> SiteInfo:
        """A minimal SiteInfo for a dump that carries none (bare <page> fragments)."""
        return cls(dbname=dbname, language=language or language_of(dbname) or "und")


class Contributor(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Who saved a revision: a registered user (id + name), an IP, or hidden (deleted)."""

    identifier: int | None = None
    name: str | None = None
    ip: str | None = None
    deleted: bool = False


class RawRevision(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One <revision> exactly as exported."""

    identifier: int
    timestamp: str  # ISO 8601 UTC, as in the dump: 2023-05-01T12:00:00Z
    text: str
    parent_identifier: int | None = None
    contributor: Contributor | None = None
    comment: str | None = None
    minor: bool = False
    model: str | None = None
    format: str | None = None
    sha1: str | None = None  # MediaWiki's base-36 SHA-1 of the text, when exported
    text_deleted: bool = False  # <text deleted="deleted"/>: hidden by an admin


class SourceRef(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Where a page was read from: the dump file and, for multistream dumps, its stream."""

    file: str  # file name (no directory)
    stream_offset: int | None = None


class RawPage(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One <page> with its revisions in dump order (current dumps hold exactly one)."""

    title: str
    namespace: int
    identifier: int
    revisions: tuple[RawRevision, ...]
    redirect_title: str | None = None
    source: SourceRef | None = None

    @property
    def latest(self) -> RawRevision:
        """The newest revision (the highest revision id; dumps list them oldest first)."""
        return max(self.revisions, key=lambda revision: revision.identifier)

    @property
    def label(self) -> str:
        return f"{self.title!r} (id {self.identifier})"


keep_defaults(list(globals().values()))  # pickled records encode as before (model/pickling.py)
