"""The article record wikipact delivers.

Field names follow Wikimedia Enterprise's data dictionary (Article / Structured Contents) wherever
one exists, so a partner can switch between the two; fields that Enterprise lacks carry names of
their own (``redirect_target``, ``provenance``). The schema is versioned by ``SCHEMA_VERSION``;
renaming or dropping a field bumps the major version.
"""

from __future__ import annotations

import msgspec

SCHEMA_VERSION = "1.0"

CC_BY_SA_4 = "CC-BY-SA-4.0"


class NamespaceRef(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    identifier: int
    name: str | None = None


class Language(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    identifier: str  # subdomain code: en, simple, zh-yue
    direction: str  # "ltr" or "rtl", always written


class Project(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    identifier: str  # database name: enwiki
    url: str  # https://en.wikipedia.org


class Editor(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    identifier: int | None = None
    name: str | None = None
    is_anonymous: bool = False


class Size(msgspec.Struct, frozen=True, kw_only=True):
    value: int
    unit_text: str = "B"


class Version(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The revision this record was built from."""

    identifier: int
    parent_identifier: int | None = None
    comment: str | None = None
    is_minor_edit: bool = False
    editor: Editor | None = None
    number_of_characters: int = 0
    size: Size | None = None
    content_model: str | None = None


class PageRef(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    url: str


class License(msgspec.Struct, frozen=True, kw_only=True):
    identifier: str
    name: str
    url: str


class ArticleBody(msgspec.Struct, frozen=True, kw_only=True):
    wikitext: str


class Provenance(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Where this record came from and how to credit it."""

    source: str  # dump file name or change-feed name
    revision_identifier: int
    content_sha256: str  # sha256 of the UTF-8 wikitext, hex
    attribution: str  # ready-to-print CC BY-SA attribution line
    stream_offset: int | None = None


class Article(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One page at one revision."""

    schema_version: str  # always written, so readers know which version they hold
    name: str
    identifier: int
    url: str
    date_modified: str
    namespace: NamespaceRef
    in_language: Language
    is_part_of: Project
    version: Version
    license: tuple[License, ...]
    article_body: ArticleBody
    provenance: Provenance
    redirect_target: PageRef | None = None

    @property
    def key(self) -> tuple[str, int]:
        """(project, page id): the identity of a page across revisions and snapshots."""
        return (self.is_part_of.identifier, self.identifier)


LICENSES: dict[str, License] = {
    CC_BY_SA_4: License(
        identifier=CC_BY_SA_4,
        name="Creative Commons Attribution Share-Alike 4.0",
        url="https://creativecommons.org/licenses/by-sa/4.0/",
    ),
}
