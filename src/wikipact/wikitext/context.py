"""What one page's parse collects on the way: references, links, infoboxes, counts, warnings."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from wikipact.model.article import ExternalLink, Infobox
from wikipact.model.raw import SiteInfo
from wikipact.wikitext import langdata
from wikipact.wikitext.tags import Protected, RawRef

MAX_DEPTH = 24  # template/link nesting deeper than this is dropped (and reported)


@lru_cache(maxsize=64)
def _site_tables(
    site: SiteInfo,
) -> tuple[str, str, bool, frozenset[str], frozenset[str], frozenset[str]]:
    """What a wiki's site info means for parsing, worked out once per wiki, not per page."""
    names = {ns.key: ns.name.casefold() for ns in site.namespaces if ns.name}
    return (
        site.server,
        site.language.split("-")[0],
        site.case == "first-letter",
        langdata.FILE_NAMESPACE_ALIASES | {names[k] for k in (6, -2) if k in names},
        langdata.CATEGORY_NAMESPACE_ALIASES | ({names[14]} if 14 in names else set()),
        langdata.TEMPLATE_NAMESPACE_ALIASES | ({names[10]} if 10 in names else set()),
    )


@dataclass
class Context:
    site: SiteInfo
    title: str
    protected: Protected = field(default_factory=Protected)
    refs: list[RawRef] = field(default_factory=list)
    warnings: dict[str, int] = field(default_factory=dict)
    templates: dict[str, int] = field(default_factory=dict)  # display name -> uses
    dropped: dict[str, int] = field(default_factory=dict)
    maintenance: dict[str, int] = field(default_factory=dict)
    infoboxes: list[Infobox] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)  # (target, text) as met
    link_targets: dict[str, tuple[str, str]] = field(default_factory=dict)  # target: name, url
    external_links: list[ExternalLink] = field(default_factory=list)
    categories: dict[str, None] = field(default_factory=dict)
    images: list[tuple[str, str | None, str | None]] = field(default_factory=list)
    infobox_image: str | None = None
    wikidata: str | None = None
    disambiguation: bool = False
    stub: bool = False
    collect_links: bool = True  # off while cleaning reference and infobox text
    file_prefixes: frozenset[str] = frozenset()
    category_prefixes: frozenset[str] = frozenset()
    template_prefixes: frozenset[str] = frozenset()
    server: str = ""
    first_letter: bool = True
    language: str = ""

    def __post_init__(self) -> None:
        (
            self.server,
            self.language,
            self.first_letter,
            self.file_prefixes,
            self.category_prefixes,
            self.template_prefixes,
        ) = _site_tables(self.site)

    def warn(self, kind: str, count: int = 1) -> None:
        self.warnings[kind] = self.warnings.get(kind, 0) + count
