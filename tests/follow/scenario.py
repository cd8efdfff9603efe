"""A day of changes on two real wikis, for the follower's tests and benchmark.

The store starts as a pilot would have it: a dozen English articles of the vendored sample (not
"Albedo", which the stream creates), the German "Alan Smithee" as of the 2013 dump, and "Pear"
at its first 2002 revision. The stream then brings what real wikis see, in this order: Pear's
three later revisions, a broken message, Alan Smithee's 2020 revision, Albedo's creation, a late
and a repeated revision, a deletion, a move, a revision's editor and comment hidden, an old
revision's text hidden, an edit of a wiki the store does not hold, an edit whose revision the
wiki no longer has, a talk-page edit, and an event whose page the wiki's answer contradicts.
Every text served is a real revision of a real page (``tests/data/ATTRIBUTION.md``); a move's
null revision repeats its page's real text, and the redirect it leaves at the old title is the
one line MediaWiki writes there.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tests.conftest import DATA
from tests.follow.corpus_events import (
    delete_event,
    edit_event,
    move_event,
    moved_revision,
    revisions_from_dump,
    visibility_event,
)
from tests.follow.wikiserver import Faults, Revision, sha1_hex
from wikipact import open_dump
from wikipact.model.raw import RawPage
from wikipact.store.base import ArticleStore, PageUpsert
from wikipact.wikitext.parse import parse_article

STREAM = "mediawiki.page_change.v1"
SAMPLE = DATA / "sample-enwiki-pages-articles.xml"
PEAR = DATA / "article-pear.xml"
DEWIKI_2013 = DATA / "dewiki-20130602-id1.xml"
DEWIKI_2020 = DATA / "dewiki-20200801-id1.xml"
SEEDED = 12  # sample pages in the starting store
CREATED = "Albedo"  # a sample page the stream creates
DELETED = "Anarchism"
MOVED = ("ASCII", "ASCII (character encoding)")
MALFORMED_AT = 3  # index of the event whose data is sent broken
REDIRECT_PAGE_ID = 900_100  # the page the move leaves at the old title


@dataclass
class Scenario:
    revisions: list[Revision]
    events: list[tuple[str, dict[str, Any]]]
    faults: Faults
    pear: list[int]  # Pear's four revision ids, oldest first
    smithee: tuple[int, int]  # Alan Smithee's 2013 and 2020 revision ids
    moved_page_id: int
    deleted_page_id: int
    created_page_id: int


def _raw(revision_page: RawPage, index: int) -> RawPage:
    rev = revision_page.revisions[index]
    return RawPage(title=revision_page.title, namespace=revision_page.namespace,
                   identifier=revision_page.identifier, revisions=(rev,),
                   redirect_title=revision_page.redirect_title)  # fmt: skip


def seed(store: ArticleStore) -> None:
    """The starting store (see the module docstring)."""
    changes = []
    sample = open_dump(SAMPLE)
    store.put_site(sample.site)
    pages = [p for p in sample.pages() if p.title != CREATED][:SEEDED]
    changes += [PageUpsert(p, parse_article(p, sample.site)) for p in pages]
    pear = open_dump(PEAR)
    (page,) = list(pear.pages())
    changes.append(PageUpsert(_raw(page, 0), parse_article(_raw(page, 0), pear.site)))
    dewiki = open_dump(DEWIKI_2013)
    store.put_site(dewiki.site)
    (smithee,) = list(dewiki.pages())
    changes.append(PageUpsert(smithee, parse_article(smithee, dewiki.site)))
    store.apply_changes(changes, source="seed")


def scenario() -> Scenario:
    sample = {r.title: r for r in revisions_from_dump(SAMPLE)}
    pear = revisions_from_dump(PEAR)
    smithee_old, smithee_new = (
        revisions_from_dump(DEWIKI_2013)[-1],
        revisions_from_dump(DEWIKI_2020)[-1],
    )
    old_title, new_title = MOVED
    before_move = sample[old_title]
    moved = moved_revision(
        before_move, new_title=new_title, null_revision_id=before_move.revision_id + 1,
        dt="2012-01-05T10:00:00Z", performer="Graham87", performer_id=194203,
    )  # fmt: skip
    left = f"#REDIRECT [[{new_title}]]"  # what MediaWiki saves at a moved page's old title
    redirect = replace(
        before_move, page_id=REDIRECT_PAGE_ID, revision_id=moved.revision_id + 1, parent_id=None,
        text=left, sha1=sha1_hex(left), comment=moved.comment, editor=moved.editor,
        editor_id=moved.editor_id, timestamp=moved.timestamp, redirect_target=new_title,
    )  # fmt: skip
    created = sample[CREATED]
    gone = sample[DELETED]
    other_wiki = replace(pear[0], wiki="frwiki")
    vanished = replace(pear[-1], revision_id=pear[-1].revision_id + 10_000_000)
    talk = replace(pear[1], namespace=1, title="Talk:Pear", page_id=900_001)
    # an event whose page the wiki's answer contradicts: the revision is another page's
    contradicted = replace(sample["Alabama"], page_id=900_002, title="Alabama (elsewhere)")
    events = [
        edit_event(pear[1], parent=pear[0]),
        edit_event(pear[2], parent=pear[1]),
        edit_event(smithee_new, parent=smithee_old),
        edit_event(pear[2], parent=pear[1]),  # sent broken (MALFORMED_AT)
        edit_event(created, kind="create"),
        edit_event(pear[3], parent=pear[2]),
        edit_event(pear[1], parent=pear[0]),  # late: older than what the store has
        edit_event(pear[3], parent=pear[2]),  # repeated
        delete_event(gone),
        move_event(moved, before_move, redirect_page_id=REDIRECT_PAGE_ID),
        visibility_event(pear[3], {"editor", "comment"}),
        visibility_event(pear[0], {"text"}),
        edit_event(other_wiki),
        edit_event(vanished, parent=pear[3]),
        edit_event(talk),
        edit_event(contradicted),
    ]
    served = [*sample.values(), *pear, smithee_old, smithee_new, moved, redirect]
    return Scenario(
        revisions=served,
        events=[(STREAM, e) for e in events],
        faults=Faults(malformed_at={MALFORMED_AT: '{"$schema": "/mediawiki/page/change/1.1.0", '}),
        pear=[r.revision_id for r in pear],
        smithee=(smithee_old.revision_id, smithee_new.revision_id),
        moved_page_id=before_move.page_id,
        deleted_page_id=gone.page_id,
        created_page_id=created.page_id,
    )


def url_of(path: Path) -> str:
    return f"sqlite:///{path}"
