"""What one page's parse collects on the way: references, links, infoboxes, counts, warnings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from wikipact.model.article import ExternalLink, Infobox
from wikipact.model.raw import SiteInfo
from wikipact.wikitext import langdata, sites
from wikipact.wikitext.tags import Protected, RawRef

MAX_DEPTH = 24  # template/link nesting deeper than this is dropped (and reported)


# server, language, first letter upper case, file, category and template prefixes, then the
# wiki's own image options, alt= prefixes, disambiguation switches, other switches, functions
SiteTuple = tuple[
    str,
    str,
    bool,
    frozenset[str],
    frozenset[str],
    frozenset[str],
    frozenset[str],
    re.Pattern[str],
    tuple[str, ...],
    tuple[str, ...],
    re.Pattern[str] | None,
    dict[str, str],
]


@lru_cache(maxsize=64)
def _site_tables(site: SiteInfo) -> SiteTuple:
    """What a wiki's site info means for parsing, worked out once per wiki, not per page.

    Namespace names: the dump's own ``<siteinfo>`` names, the wiki's names and aliases from
    MediaWiki's data (:mod:`wikipact.wikitext.sites`) and the langdata tables. Image options,
    behaviour switches and parser function names are the wiki's (:mod:`sites`)."""
    names = {ns.key: ns.name.casefold() for ns in site.namespaces if ns.name}
    tables = sites.tables_for(site.dbname, site.language)
    first_letter = (
        site.case == "first-letter" if site.namespaces else tables.case != "case-sensitive"
    )
    return (
        site.server,
        site.language.split("-")[0],
        first_letter,
        langdata.FILE_NAMESPACE_ALIASES
        | tables.names(6, -2)
        | {names[k] for k in (6, -2) if k in names},
        langdata.CATEGORY_NAMESPACE_ALIASES
        | tables.names(14)
        | ({names[14]} if 14 in names else set()),
        langdata.TEMPLATE_NAMESPACE_ALIASES
        | tables.names(10)
        | ({names[10]} if 10 in names else set()),
        tables.image_words,
        tables.image_option,
        tables.alt_prefixes,
        tuple(dict.fromkeys((langdata.DISAMBIGUATION_MAGIC_WORD, *tables.disambiguation))),
        tables.extra_switches,
        tables.function_names,
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
    # full citations by CITEREF anchor (templates.anchor_key), for short citations ({{sfn}})
    sources: dict[str, dict[str, str]] = field(default_factory=dict)
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
    # the wiki's own names (wikitext.sites): image options, alt= prefixes, the disambiguation
    # switch, switches that the generic __WORD__ pattern misses, parser functions (local → own)
    image_words: frozenset[str] = frozenset()
    image_option: re.Pattern[str] | None = None
    alt_prefixes: tuple[str, ...] = ()
    disambiguation_switches: tuple[str, ...] = ()
    extra_switches: re.Pattern[str] | None = None
    function_names: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        (
            self.server,
            self.language,
            self.first_letter,
            self.file_prefixes,
            self.category_prefixes,
            self.template_prefixes,
            self.image_words,
            self.image_option,
            self.alt_prefixes,
            self.disambiguation_switches,
            self.extra_switches,
            self.function_names,
        ) = _site_tables(self.site)

    def warn(self, kind: str, count: int = 1) -> None:
        self.warnings[kind] = self.warnings.get(kind, 0) + count
