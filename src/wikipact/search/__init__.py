"""Grounding search: a passage index over the store, and ranked queries on it.

The index lives in the store's own database: SQLite FTS5 in the SQLite file (``index``,
``query``), or PostgreSQL full-text search in the PostgreSQL database (``postgres_index``,
``postgres_query``, ``postgres_text``). ``build_index``/``update_index`` write it, ``search``
reads it (read-only connections work) and returns ``Passage`` objects with the citations that
back each passage; each takes a SQLite path or ``sqlite:///`` URL, or a ``postgresql://`` URL,
and picks the backend from it. ``PassageIndex`` is the same for a server. What both backends
share: the passages (``passages``), the query terms (``terms``) and the records (``records``).
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
from wikipact.search.query import Passage, PassageCitation, PassageIndex, search

__all__ = [
    "IndexStats",
    "IndexStatus",
    "Passage",
    "PassageCitation",
    "PassageIndex",
    "article_passages",
    "build_index",
    "index_status",
    "search",
    "update_index",
]
