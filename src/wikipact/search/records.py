"""What grounding search hands back, whatever the backend: passages, index statistics and status.

``PassageSearch`` is the one protocol a server searches through; ``query.PassageIndex`` picks its
implementation (SQLite FTS5 or PostgreSQL full-text search) from the database it is given.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

MAX_LIMIT = 100


@dataclass(frozen=True, slots=True)
class PassageCitation:
    """A reference cited in the passage, as the article's record describes it."""

    identifier: str  # the reference's id in the article record (``cite_note-...``)
    type: str | None = None  # web | book | news | journal | generic | short | text | note
    title: str | None = None
    url: str | None = None
    doi: str | None = None
    isbn: str | None = None
    text: str | None = None  # the reference as rendered in the article


@dataclass(frozen=True, slots=True)
class Passage:
    """One search hit: a paragraph-level passage of an article at one revision."""

    project: str  # enwiki
    page_id: int
    title: str
    url: str
    revision_id: int
    language: str  # en
    section: str  # innermost section heading ("Abstract" for the lead)
    position: int  # 0-based order of the passage in the article
    text: str
    snippet: str  # part of the text with matches between « and »
    score: float  # higher is better (-bm25 on SQLite, ts_rank_cd on PostgreSQL); one query only
    citations: list[PassageCitation] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form; citation fields that are unknown are left out."""
        data = asdict(self)
        data["citations"] = [
            {k: v for k, v in c.items() if v is not None} for c in data["citations"]
        ]
        return data


@dataclass
class IndexStats:
    """What a build or an update did."""

    rebuilt: bool = False
    articles_indexed: int = 0  # articles whose passages were (re)written
    articles_removed: int = 0  # articles whose passages were dropped (deleted, redirect, ...)
    passages_added: int = 0
    passages_removed: int = 0
    passages_total: int = 0
    changes_read: int = 0  # change-log events followed (updates only)
    cursor: int = 0  # change-log cursor the index is now at
    projects: list[str] | None = None  # None: every project
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class IndexStatus:
    """The state recorded in ``search_schema``."""

    version: int
    cursor: int
    state: str
    projects: list[str] | None
    built_at: str
    updated_at: str


class PassageSearch(Protocol):
    """A passage index a server searches (safe to share between threads)."""

    def search(
        self, q: str, *, projects: Collection[str] | None = None, limit: int = 10
    ) -> list[Passage]: ...

    def close(self) -> None: ...
