"""Verification signals of a revision, from its page's history, and the *settled* revision.

A page's history here is its stored revisions as (revision id, timestamp, SHA-1), oldest first;
the SHA-1 is of the text, as MediaWiki computes it (base 36; ``None`` when a dump did not export
it). An **identity revert** is a revision whose text is the text of a revision before its
parent and not its parent's (MediaWiki's own definition of a revert by content); the revisions
between the two were **reverted**. A revision with its parent's text (a null edit, such as the
one a page move saves) reverts nothing.

**Settled**: the newest revision at least ``min_age`` old that was not reverted. Partners who
train prefer it to the live edge: vandalism is typically reverted within minutes, and a
settled view never serves a revision that was.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from wikipact.model.article import Verification
from wikipact.model.instants import parse_instant
from wikipact.store.hiding import HIDDEN_BITS

# (revision id, timestamp, sha1, hidden bits), oldest first: ArticleStore.revision_history
History = Sequence[tuple[int, str, str | None, int]]
DAY = timedelta(hours=24)


def signals_for(
    history: History,
    revision_id: int,
    timestamp: str,
    sha1: str | None,
    editor_kind: str | None,
) -> Verification:
    """The signals of ``revision_id`` given the revisions stored before it (``history`` may
    hold later ones too; only earlier ids count)."""
    earlier = sorted((h for h in history if h[0] < revision_id), key=lambda h: h[0])
    moment = parse_instant(timestamp, what="revision timestamp")
    since = None
    if earlier:
        since = int((moment - parse_instant(earlier[-1][1], what="timestamp")).total_seconds())
    reverts_to = None
    if sha1 and earlier and earlier[-1][2] != sha1:  # its parent's text: a null edit
        for rev, _, digest, _ in reversed(earlier[:-1]):
            if digest == sha1:
                reverts_to = rev
                break
    recent = 1 + sum(
        1 for _, at, _, _ in earlier if moment - parse_instant(at, what="timestamp") < DAY
    )
    return Verification(
        editor_kind=editor_kind,
        is_revert=reverts_to is not None,
        reverts_to=reverts_to,
        seconds_since_previous_edit=since,
        edits_last_24h=recent,
    )


def reverted(history: History) -> set[int]:
    """Ids of the revisions an identity revert undid."""
    ordered = sorted(history, key=lambda h: h[0])
    undone: set[int] = set()
    for index, (_, _, sha1, _) in enumerate(ordered):
        if not sha1 or index == 0 or ordered[index - 1][2] == sha1:
            continue  # no text known, or its parent's text: a null edit reverts nothing
        for back in range(index - 2, -1, -1):
            if ordered[back][2] == sha1:
                undone.update(rev for rev, _, _, _ in ordered[back + 1 : index])
                break
    return undone


def settled_revision(history: History, min_age: timedelta, now: datetime) -> int | None:
    """The newest revision at least ``min_age`` old at ``now`` that was not reverted and whose
    text is not hidden."""
    undone = reverted(history)
    cutoff = now - min_age
    for rev, at, _, hidden in sorted(history, key=lambda h: h[0], reverse=True):
        if hidden & HIDDEN_BITS["text"]:
            continue
        if rev not in undone and parse_instant(at, what="timestamp") <= cutoff:
            return rev
    return None
