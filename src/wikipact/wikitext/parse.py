"""``parse_article(raw, site) -> Article``: one page of a dump as the record wikipact delivers.

This module fills identity, revision, timestamps, project, language, namespace, URL, redirect
target, licence, provenance and the raw wikitext. The parsed structure (clean text, sections,
references, claims ...) is added by the wikitext modules as they land; parsing never raises on bad
markup.
"""

from __future__ import annotations

import hashlib

from wikipact.model.article import (
    CC_BY_SA_4,
    LICENSES,
    SCHEMA_VERSION,
    Article,
    ArticleBody,
    Editor,
    Language,
    NamespaceRef,
    PageRef,
    Project,
    Provenance,
    Size,
    Version,
)
from wikipact.model.project import direction_of
from wikipact.model.raw import RawPage, RawRevision, SiteInfo


def content_sha256(wikitext: str) -> str:
    return hashlib.sha256(wikitext.encode("utf-8")).hexdigest()


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


def parse_article(raw: RawPage, site: SiteInfo, revision: RawRevision | None = None) -> Article:
    """The article record of ``raw`` at ``revision`` (default: its newest revision)."""
    rev = revision or raw.latest
    url = site.url_of(raw.title)
    contributor = rev.contributor
    editor = None
    if contributor is not None and not contributor.deleted:
        editor = Editor(
            identifier=contributor.identifier,
            name=contributor.name or contributor.ip,
            is_anonymous=contributor.ip is not None and contributor.name is None,
        )
    redirect = (
        PageRef(name=raw.redirect_title, url=site.url_of(raw.redirect_title))
        if raw.redirect_title
        else None
    )
    source = raw.source
    size, sha256 = _size_and_sha256(rev.text)
    return Article(
        schema_version=SCHEMA_VERSION,
        name=raw.title,
        identifier=raw.identifier,
        url=url,
        date_modified=rev.timestamp,
        namespace=NamespaceRef(
            identifier=raw.namespace, name=site.namespace_name(raw.namespace) or None
        ),
        in_language=Language(identifier=site.language, direction=direction_of(site.language)),
        is_part_of=Project(identifier=site.dbname, url=site.server),
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
