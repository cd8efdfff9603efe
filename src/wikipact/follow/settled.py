"""The settled view of an article: its newest revision at least N minutes old that was not
reverted (``follow.signals``), as a record.

When that revision is the current one the stored record is it; otherwise the record is built
from the stored wikitext of the settled revision (hidden text is never used: such a revision
is passed over), with the site's siteinfo, as ingest would have built it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from wikipact.follow.signals import settled_revision
from wikipact.model.article import Article
from wikipact.model.raw import Contributor, RawPage, RawRevision
from wikipact.store.base import ArticleStore
from wikipact.wikitext.parse import parse_article


def settled_article(
    store: ArticleStore, article: Article, min_age: timedelta, now: datetime
) -> Article | None:
    """``article`` (a current record) as of its settled revision; None when no revision of
    the page is old enough and unreverted."""
    project = article.is_part_of.identifier
    history = store.revision_history(project, article.identifier)
    chosen = settled_revision(history, min_age, now)
    if chosen is None:
        return None
    if chosen == article.version.identifier:
        return article
    site = store.site(project)
    text = store.revision_text(project, chosen)
    if site is None or text is None:
        return None
    (timestamp,) = [h[1] for h in history if h[0] == chosen]
    editors = {rev: editor for rev, _, editor in store.revisions(project, article.identifier)}
    name = editors.get(chosen) or None
    revision = RawRevision(
        identifier=chosen,
        timestamp=timestamp,
        text=text,
        contributor=Contributor(name=name) if name else None,
    )
    raw = RawPage(
        title=article.name,
        namespace=article.namespace.identifier,
        identifier=article.identifier,
        revisions=(revision,),
    )
    return parse_article(raw, site)
