"""Grounding search: a passage index (SQLite FTS5) over the store, and BM25 queries on it.

``build_index``/``update_index`` write the index into the store's database file;
``search`` reads it (read-only connections work) and returns ``Passage`` objects with the
citations that back each passage.
"""

from __future__ import annotations

from wikipact.search.index import (
    IndexStats,
    IndexStatus,
    article_passages,
    build_index,
    index_status,
    update_index,
)
from wikipact.search.query import Passage, PassageCitation, search

__all__ = [
    "IndexStats",
    "IndexStatus",
    "Passage",
    "PassageCitation",
    "article_passages",
    "build_index",
    "index_status",
    "search",
    "update_index",
]
