"""Change-stream batches on both backends: newer wins, deletions, hidden fields, positions.

The page is real: the English Wikipedia's "Pear" at its four 2002 revisions (pywikibot's test
export, ``tests/data/article-pear.xml``), each applied as a change stream would bring it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import DATA
from wikipact import open_dump
from wikipact.errors import StoreError
from wikipact.model.raw import RawPage
from wikipact.store import open_store
from wikipact.store.base import (
    ArticleStore,
    PageDeletion,
    PageUpsert,
    RevisionHiding,
    StreamPosition,
)
from wikipact.wikitext.parse import parse_article

PEAR = DATA / "article-pear.xml"
PAGE = 24278
R1, R2, R3, R4 = 185185, 185241, 185408, 188924


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    url = (
        f"sqlite:///{tmp_path / 'w.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    opened = open_store(url)
    dump = open_dump(PEAR)
    opened.put_site(dump.site)
    yield opened
    opened.close()


def upsert(revision_id: int, *, revive: bool = False) -> PageUpsert:
    """The Pear page at one of its revisions, as a stream's fetch would give it."""
    dump = open_dump(PEAR)
    (page,) = list(dump.pages())
    (rev,) = [r for r in page.revisions if r.identifier == revision_id]
    raw = RawPage(title=page.title, namespace=page.namespace, identifier=page.identifier,
                  revisions=(rev,))  # fmt: skip
    return PageUpsert(raw, parse_article(raw, dump.site), revive=revive)


def log(store: ArticleStore) -> list[tuple[str, int | None, int | None]]:
    return [(c.kind, c.revision_id, c.previous_revision_id) for c in store.changes()]


def test_newer_wins_and_a_late_or_repeated_revision_changes_nothing(store: ArticleStore) -> None:
    first = store.apply_changes([upsert(R1), upsert(R3)], source="test")
    assert (first.created, first.updated, first.revisions_added) == (1, 1, 2)
    late = store.apply_changes([upsert(R2), upsert(R3)], source="test")
    assert (late.unchanged, late.revisions_added) == (2, 1)  # history grows, current stays
    article = store.get("enwiki", PAGE)
    assert article is not None and article.version.identifier == R3
    assert log(store) == [("create", R1, None), ("update", R3, R1)]
    assert [r[0] for r in store.revisions("enwiki", PAGE)] == [R1, R2, R3]


def test_a_deleted_page_comes_back_only_newer_or_undeleted(store: ArticleStore) -> None:
    store.apply_changes([upsert(R2), PageDeletion("enwiki", PAGE)], source="test")
    assert store.get("enwiki", PAGE) is None and store.find_json("Pear") == []
    assert store.page_state("enwiki", PAGE) == (R2, True)
    stale = store.apply_changes([upsert(R1), upsert(R2)], source="test")
    assert stale.unchanged == 2 and store.get("enwiki", PAGE) is None
    again = store.apply_changes([PageDeletion("enwiki", PAGE)], source="test")
    assert again.unchanged == 1  # deleting a deleted page logs nothing
    store.apply_changes([upsert(R2, revive=True)], source="test")  # an undeletion
    assert store.page_state("enwiki", PAGE) == (R2, False)
    store.apply_changes([PageDeletion("enwiki", PAGE), upsert(R4)], source="test")
    assert store.page_state("enwiki", PAGE) == (R4, False)  # a newer edit brings it back
    assert log(store) == [
        ("create", R2, None), ("delete", None, R2), ("create", R2, R2), ("delete", None, R2),
        ("create", R4, R2),
    ]  # fmt: skip


def test_hidden_fields_leave_the_revision_and_the_record_for_good(store: ArticleStore) -> None:
    store.apply_changes([upsert(R1), upsert(R2)], source="test")
    before = store.get("enwiki", PAGE)
    assert before is not None and before.version.editor is not None
    hidden = store.apply_changes(
        [RevisionHiding("enwiki", R2, frozenset({"editor", "comment"})),
         RevisionHiding("enwiki", R1, frozenset({"text"}))],
        source="test",
    )  # fmt: skip
    assert (hidden.hidden, hidden.updated) == (2, 1)
    after = store.get("enwiki", PAGE)
    assert after is not None and after.version.identifier == R2
    assert after.version.editor is None and after.version.comment is None
    assert after.article_body == before.article_body  # the text of R2 is still delivered
    assert store.revision_text("enwiki", R1) is None  # R1's text is gone from the store
    assert store.revision_text("enwiki", R2) is not None
    assert [(r[0], r[2]) for r in store.revisions("enwiki", PAGE)][1] == (R2, "")
    assert log(store)[-1] == ("update", R2, R2)
    # hiding the current revision's text (a takedown) takes the page out of every delivery
    store.apply_changes([RevisionHiding("enwiki", R2, frozenset({"text"}))], source="test")
    assert store.get("enwiki", PAGE) is None and log(store)[-1] == ("delete", None, R2)
    # and neither a replayed event nor a re-ingested dump brings the hidden text back
    replay = store.apply_changes([upsert(R2, revive=True)], source="test")
    store.apply([(upsert(R2).raw, upsert(R2).article)], source="dump")
    assert replay.unchanged == 1 and store.get("enwiki", PAGE) is None
    assert store.revision_text("enwiki", R2) is None
    nothing = store.apply_changes([RevisionHiding("enwiki", 1, frozenset({"text"}))], source="t")
    assert nothing.unchanged == 1  # a revision the store never had


def test_the_position_is_saved_with_the_batch_or_not_at_all(store: ArticleStore) -> None:
    assert store.stream_position("eventstreams") is None
    store.apply_changes(
        [upsert(R1)], source="test", position=StreamPosition("eventstreams", '[{"offset":1}]',
                                                              '{"events": 1}')
    )  # fmt: skip
    saved = store.stream_position("eventstreams")
    assert saved is not None and (saved.position, saved.state) == (
        '[{"offset":1}]',
        '{"events": 1}',
    )
    with pytest.raises(ValueError, match="cannot hide 'title'"):
        store.apply_changes(
            [upsert(R2), RevisionHiding("enwiki", R1, frozenset({"title"}))],
            source="test",
            position=StreamPosition("eventstreams", '[{"offset":2}]'),
        )
    saved = store.stream_position("eventstreams")
    assert saved is not None and saved.position == '[{"offset":1}]'  # rolled back together
    assert store.page_state("enwiki", PAGE) == (R1, False)


def test_one_holder_of_an_exclusive_name(store: ArticleStore) -> None:
    with store.exclusive("follow-x"):
        with pytest.raises(StoreError, match="follow-x"), store.exclusive("follow-x"):
            pass
        with store.exclusive("follow-y"):
            pass  # another name is another lock
    with store.exclusive("follow-x"):
        pass  # released
