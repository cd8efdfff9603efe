"""The article record wikipact delivers.

Field names follow Wikimedia Enterprise's data dictionary (Article / Structured Contents) wherever
one exists, so a partner can switch between the two; fields that Enterprise lacks carry names of
their own (``redirect_target``, ``provenance``). The schema is versioned by ``SCHEMA_VERSION``;
renaming or dropping a field bumps the major version.
"""

from __future__ import annotations

import msgspec

from wikipact.model.pickling import keep_defaults

SCHEMA_VERSION = "1.2"  # 1.2: version.verification

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


class Verification(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Verification signals of a revision, computed by wikipact from the page's stored history
    and the change event that brought it (records built from a dump alone carry none).

    ``editor_kind``: bot, anonymous, temporary or registered, as the event says.
    ``is_revert``: the revision's text is an earlier revision's (the same SHA-1), which
    ``reverts_to`` names: the revisions between them were reverted.
    ``seconds_since_previous_edit``: since the page's previous stored revision.
    ``edits_last_24h``: stored revisions of the page in the 24 hours up to this one, itself
    included (churn)."""

    editor_kind: str | None = None
    is_revert: bool = False
    reverts_to: int | None = None
    seconds_since_previous_edit: int | None = None
    edits_last_24h: int | None = None


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
    maintenance_tags: MaintenanceTags | None = None
    verification: Verification | None = None


class PageRef(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    url: str


class License(msgspec.Struct, frozen=True, kw_only=True):
    identifier: str
    name: str
    url: str


class ArticleBody(msgspec.Struct, frozen=True, kw_only=True):
    wikitext: str


class MaintenanceTags(msgspec.Struct, frozen=True, kw_only=True):
    """Enterprise ``version.maintenance_tags``: counts of maintenance templates in the wikitext."""

    citation_needed_count: int = 0
    pov_count: int = 0
    clarification_needed_count: int = 0
    update_count: int = 0


class Link(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A wikilink: the page it points to and the text a reader sees."""

    name: str  # target title, normalised (spaces, first letter as the wiki's case rule says)
    url: str
    text: str = ""


class ExternalLink(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    url: str
    text: str = ""


class Citation(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A pointer from a paragraph, list item or claim to a reference (Enterprise ``citations``)."""

    identifier: str
    group: str = ""


class Part(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A node of Enterprise's ``has_parts`` tree: section, paragraph, list, list_item, field."""

    type: str
    name: str | None = None
    value: str | None = None
    has_parts: tuple[Part, ...] = ()
    links: tuple[Link, ...] = ()
    citations: tuple[Citation, ...] = ()


class Infobox(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """An infobox template: its name and its fields as ``field`` parts (name, clean value, links)."""

    name: str
    type: str = "infobox"
    has_parts: tuple[Part, ...] = ()


class ReferenceText(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    value: str
    links: tuple[ExternalLink, ...] = ()


class Reference(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One reference (a ``<ref>``, a list-defined ref, or a short citation such as ``{{sfn}}``)."""

    identifier: str
    group: str = ""
    type: str = "text"  # web | book | news | journal | generic | short | text
    name: str | None = None  # the ref's name= attribute
    metadata: dict[str, str] = {}
    text: ReferenceText | None = None
    uses: int = 1  # how many times the article cites it


class Claim(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A sentence of ``text`` backed by references: its span and the references' identifiers."""

    text: str
    start: int  # character offsets in Article.text: text[start:end] == claim text
    end: int
    section: str
    citations: tuple[str, ...]


class Table(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    identifier: str
    caption: str | None = None
    headers: tuple[tuple[str, ...], ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    section: str | None = None


class Image(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The page's main image (the infobox image, else the first image in the text)."""

    name: str
    content_url: str
    caption: str | None = None
    alternative_text: str | None = None


class Entity(msgspec.Struct, frozen=True, kw_only=True):
    identifier: str
    url: str


class Signals(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Quality signals computed from this revision alone; ``version`` names the recipe."""

    version: str
    characters: int = 0
    words: int = 0
    sentences: int = 0
    references: int = 0
    references_per_1000_words: float = 0.0
    sentences_with_citation: int = 0
    sentences_without_citation: int = 0
    citation_needed_count: int = 0
    pov_count: int = 0
    clarification_needed_count: int = 0
    update_count: int = 0
    sections: int = 0
    infoboxes: int = 0
    tables: int = 0
    lists: int = 0
    images: int = 0
    is_stub: bool = False
    last_revision_age_days: int | None = None


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
    # -- parsed from the wikitext (schema 1.1) ------------------------------------------------
    abstract: str | None = None
    text: str | None = None
    sections: tuple[Part, ...] = ()
    infoboxes: tuple[Infobox, ...] = ()
    references: tuple[Reference, ...] = ()
    claims: tuple[Claim, ...] = ()
    tables: tuple[Table, ...] = ()
    categories: tuple[PageRef, ...] = ()
    templates: tuple[PageRef, ...] = ()
    links: tuple[Link, ...] = ()
    external_links: tuple[ExternalLink, ...] = ()
    image: Image | None = None
    main_entity: Entity | None = None
    is_disambiguation: bool = False
    signals: Signals | None = None
    parse_warnings: tuple[str, ...] = ()
    dropped_templates: dict[str, int] = {}

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


keep_defaults(list(globals().values()))  # pickled records encode as before (model/pickling.py)
