"""What the store knows of a page beyond its record (``ArticleStore.page_facts``), read the same
way on both backends: each passes its own query functions and SQL dialect."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from wikipact.store.base import PageFacts
from wikipact.store.hiding import HIDDEN_BITS

Rows = Callable[[str, tuple[Any, ...]], Sequence[Sequence[Any]]]
One = Callable[[str, tuple[Any, ...]], Sequence[Any] | None]


def read_page_facts(
    one: One,
    rows: Rows,
    decompress: Callable[[bytes], bytes],
    *,
    placeholder: str,
    live: str,
    page: tuple[str, int, str, int, int | None],
) -> PageFacts:
    """``page`` is (project, page id, title, revision id, parent id); ``live`` the SQL that
    keeps live pages (``deleted=0``, ``NOT deleted``)."""
    project, page_id, title, revision_id, parent_id = page
    p = placeholder
    first = rows(
        f"SELECT timestamp, parent_id FROM revisions WHERE project={p} AND page_id={p} "
        "ORDER BY revision_id LIMIT 2",
        (project, page_id),
    )
    current = one(
        f"SELECT hidden FROM revisions WHERE project={p} AND revision_id={p}",
        (project, revision_id),
    )
    previous = None
    if parent_id:
        previous = one(
            f"SELECT timestamp, wikitext, hidden FROM revisions WHERE project={p} AND "
            f"revision_id={p}",
            (project, parent_id),
        )
    redirects = rows(
        f"SELECT title FROM articles WHERE project={p} AND redirect_target={p} AND {live} "
        "ORDER BY title",
        (project, title),
    )
    visible = previous is not None and not previous[2] & HIDDEN_BITS["text"]
    return PageFacts(
        date_created=creation_time(first),
        previous_identifier=parent_id or None,
        previous_timestamp=previous[0] if previous is not None else None,
        previous_characters=len(decompress(previous[1]).decode("utf-8")) if visible else None,
        redirects=tuple(r[0] for r in redirects),
        hidden=int(current[0]) if current is not None else 0,
    )


def creation_time(first_revisions: Sequence[Sequence[Any]]) -> str | None:
    """A page's creation time from its first two stored revisions' (timestamp, parent id): the
    first one's, when it has no parent and a later one is stored too (a single stored revision
    may be the newest of a current-only dump, whose parent ids older exports leave out)."""
    first = first_revisions
    return str(first[0][0]) if len(first) == 2 and not first[0][1] else None
