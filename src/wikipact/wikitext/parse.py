"""``parse_article(raw, site) -> Article``: one page of a dump as the record wikipact delivers.

This module fills identity, revision, timestamps, project, language, namespace, URL, redirect
target, licence, provenance and the raw wikitext. The parsed structure (clean text, sections,
references, claims ...) is added by the wikitext modules as they land; parsing never raises on bad
markup.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from functools import lru_cache

import msgspec

from wikipact.model.article import (
    CC_BY_SA_4,
    LICENSES,
    SCHEMA_VERSION,
    Article,
    ArticleBody,
    Editor,
    Language,
    MaintenanceTags,
    NamespaceRef,
    PageRef,
    Project,
    Provenance,
    Size,
    Version,
)
from wikipact.model.project import article_url, direction_of
from wikipact.model.raw import RawPage, RawRevision, SiteInfo
from wikipact.wikitext.budget import DEFAULT_BUDGET, ParseTimeout, cpu_budget, plain_fallback
from wikipact.wikitext.document import ParsedPage, parse_wikitext
from wikipact.wikitext.signals import compute as compute_signals


def _size_and_sha256(wikitext: str) -> tuple[int, str]:
    data = wikitext.encode("utf-8")
    return len(data), hashlib.sha256(data).hexdigest()


def attribution_line(name: str, url: str, site: SiteInfo) -> str:
    """A ready-to-print CC BY-SA 4.0 credit for one page."""
    sitename = site.sitename or "Wikipedia"
    return (
        f'"{name}", {sitename} ({site.dbname}), {url}, by its contributors '
        f"(see the page history), licensed CC BY-SA 4.0"
    )


PARSED_NAMESPACES = frozenset({0})
_DUMP_DATE = re.compile(r"(?<!\d)(20\d{2})(\d{2})(\d{2})(?!\d)")


def dump_date(file_name: str) -> datetime | None:
    """The date in a dump's file name (``enwiki-20260101-pages-articles.xml.bz2``), if any."""
    match = _DUMP_DATE.search(file_name)
    if not match:
        return None
    try:
        return datetime(int(match[1]), int(match[2]), int(match[3]), tzinfo=UTC)
    except ValueError:
        return None


def parse_article(
    raw: RawPage,
    site: SiteInfo,
    revision: RawRevision | None = None,
    *,
    namespaces: frozenset[int] = PARSED_NAMESPACES,
    budget: float = DEFAULT_BUDGET,
) -> Article:
    """The article record of ``raw`` at ``revision`` (default: its newest revision).

    Pages of ``namespaces`` (default: articles) whose content model is wikitext get the parsed
    structure; others (and redirects) carry identity, revision and wikitext only.
    """
    rev = revision or raw.latest
    server, category_prefix, template_prefix = _site_names(site)
    url = article_url(server, raw.title)
    contributor = rev.contributor
    editor = None
    if contributor is not None and not contributor.deleted:
        editor = Editor(
            identifier=contributor.identifier,
            name=contributor.name or contributor.ip,
            is_anonymous=contributor.ip is not None and contributor.name is None,
        )
    redirect = (
        PageRef(name=raw.redirect_title, url=article_url(server, raw.redirect_title))
        if raw.redirect_title
        else None
    )
    source = raw.source
    size, sha256 = _size_and_sha256(rev.text)
    parsed = None
    if (
        raw.namespace in namespaces
        and raw.redirect_title is None
        and (rev.model or "wikitext") == "wikitext"
    ):
        parsed = _parse_within_budget(rev.text, site, raw.title, budget)
    base = Article(
        schema_version=SCHEMA_VERSION,
        name=raw.title,
        identifier=raw.identifier,
        url=url,
        date_modified=rev.timestamp,
        namespace=NamespaceRef(
            identifier=raw.namespace, name=site.namespace_name(raw.namespace) or None
        ),
        in_language=Language(identifier=site.language, direction=direction_of(site.language)),
        is_part_of=Project(identifier=site.dbname, url=server),
        version=Version(
            identifier=rev.identifier,
            parent_identifier=rev.parent_identifier,
            comment=rev.comment,
            is_minor_edit=rev.minor,
            editor=editor,
            number_of_characters=len(rev.text),
            size=Size(value=size),
            content_model=rev.model,
        ),
        license=(LICENSES[CC_BY_SA_4],),
        article_body=ArticleBody(wikitext=rev.text),
        provenance=Provenance(
            source=source.file if source else "unknown",
            stream_offset=source.stream_offset if source else None,
            revision_identifier=rev.identifier,
            content_sha256=sha256,
            attribution=attribution_line(raw.title, url, site),
        ),
        redirect_target=redirect,
    )
    if parsed is None:
        return base
    as_of = dump_date(source.file) if source else None
    return msgspec.structs.replace(
        base,
        abstract=parsed.abstract,
        text=parsed.text,
        sections=parsed.sections,
        infoboxes=parsed.infoboxes,
        references=parsed.references,
        claims=parsed.claims,
        tables=parsed.tables,
        categories=tuple(_page_ref(server, category_prefix + name) for name in parsed.categories),
        templates=tuple(_page_ref(server, template_prefix + name) for name in parsed.templates),
        links=parsed.links,
        external_links=parsed.external_links,
        image=parsed.image,
        main_entity=parsed.main_entity,
        is_disambiguation=parsed.is_disambiguation,
        version=msgspec.structs.replace(
            base.version,
            maintenance_tags=MaintenanceTags(
                citation_needed_count=parsed.maintenance.get("citation_needed", 0),
                pov_count=parsed.maintenance.get("pov", 0),
                clarification_needed_count=parsed.maintenance.get("clarification_needed", 0),
                update_count=parsed.maintenance.get("update", 0),
            ),
        ),
        signals=compute_signals(
            text=parsed.text,
            sentences=parsed.sentences,
            cited_sentences=parsed.cited_sentences,
            references=len(parsed.references),
            maintenance=parsed.maintenance,
            sections=parsed.section_count,
            infoboxes=len(parsed.infoboxes),
            tables=len(parsed.tables),
            lists=parsed.lists,
            images=parsed.images,
            stub_template=parsed.stub_template,
            date_modified=rev.timestamp,
            as_of=as_of,
        ),
        parse_warnings=tuple(f"{kind}: {count}" for kind, count in sorted(parsed.warnings.items())),
        dropped_templates=parsed.dropped_templates,
    )


def _parse_within_budget(wikitext: str, site: SiteInfo, title: str, budget: float) -> ParsedPage:
    try:
        with cpu_budget(budget):
            return parse_wikitext(wikitext, site, title)
    except ParseTimeout:
        text = plain_fallback(wikitext)
        return ParsedPage(
            text=text,
            abstract=text.split("\n", 1)[0],
            sections=(),
            infoboxes=(),
            references=(),
            claims=(),
            tables=(),
            categories=(),
            templates=(),
            links=(),
            external_links=(),
            image=None,
            main_entity=None,
            is_disambiguation=False,
            maintenance={},
            stub_template=False,
            sentences=0,
            cited_sentences=0,
            section_count=0,
            lists=0,
            images=0,
            warnings={"parse_timeout": 1},
        )


@lru_cache(maxsize=64)
def _site_names(site: SiteInfo) -> tuple[str, str, str]:
    """A wiki's server and the prefixes of its category and template pages, once per wiki."""
    category = site.namespace_name(14) or "Category"
    template = site.namespace_name(10) or "Template"
    return site.server, f"{category}:", f"{template}:"


@lru_cache(maxsize=1 << 14)
def _page_ref(server: str, title: str) -> PageRef:
    """A category or template page: the same ones recur page after page, so each one's URL is
    percent-encoded once."""
    return PageRef(name=title, url=article_url(server, title))
