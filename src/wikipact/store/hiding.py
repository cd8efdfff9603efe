"""Hidden revision fields (revision deletion, suppression, takedowns), the same on every backend.

A revision's ``hidden`` column is a bit set: 1 its text, 2 its editor, 4 its comment (the order
of MediaWiki's own ``rev_deleted`` bits for text and comment differs; this set is wikipact's).
Once hidden, a field stays hidden whatever arrives later: a re-ingested dump or a replayed
event never brings it back.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from wikipact.model.article import Article

HIDDEN_BITS = {"text": 1, "editor": 2, "comment": 4}


def hidden_bits(fields: Iterable[str]) -> int:
    """The bit set of ``fields`` (a subset of ``text``, ``editor``, ``comment``)."""
    bits = 0
    for name in fields:
        if name not in HIDDEN_BITS:
            raise ValueError(f"cannot hide {name!r}: use text, editor or comment")
        bits |= HIDDEN_BITS[name]
    return bits


def without_hidden(article: Article, bits: int) -> Article:
    """The record without the editor and comment ``bits`` hides (text is the caller's)."""
    version = article.version
    if bits & HIDDEN_BITS["editor"] and version.editor is not None:
        version = msgspec.structs.replace(version, editor=None)
    if bits & HIDDEN_BITS["comment"] and version.comment is not None:
        version = msgspec.structs.replace(version, comment=None)
    if version is article.version:
        return article
    return msgspec.structs.replace(article, version=version)
