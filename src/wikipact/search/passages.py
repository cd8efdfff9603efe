"""Articles cut into passages, the unit grounding search indexes and returns (no database here).

Passages follow the article's parsed sections: one per paragraph or list. A passage is at most
``MAX_CHARS`` (1,500) characters: a longer paragraph is split at sentence boundaries (a longer
list between items), and each piece carries only the references its sentences cite (from the
article's claims, which match the paragraph citations exactly on the vendored samples). A
passage under ``MIN_CHARS`` (200) is merged with the next one of the same section when the two
fit; on the samples 40% of paragraphs are that short, and a one-line passage is poor context.

Both index backends (``index`` on SQLite FTS5, ``postgres_index`` on PostgreSQL full-text
search) store exactly these passages and citation records.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from wikipact.model.article import Article, Part, Reference
from wikipact.wikitext.sentences import split_sentences

MAX_CHARS = 1500
MIN_CHARS = 200


@dataclass(frozen=True, slots=True)
class PassageDraft:
    """A passage before it is stored: its section, text and the identifiers it cites."""

    section: str
    text: str
    citations: tuple[str, ...] = field(default=())


def is_indexable(article: Article) -> bool:
    """Namespace-0 pages that are not redirects are indexed; nothing else is."""
    return article.namespace.identifier == 0 and article.redirect_target is None


def article_passages(article: Article) -> list[PassageDraft]:
    """The passages of an article, in reading order (see the module docstring for the rules)."""
    builder = _PassageBuilder(article)
    for section in article.sections:
        builder.section(section)
    return builder.passages


class _PassageBuilder:
    def __init__(self, article: Article) -> None:
        self.article = article
        self.text = article.text or ""
        self.language = article.in_language.identifier
        self.cursor = 0  # where the next paragraph is looked for in article.text
        self.passages: list[PassageDraft] = []

    def section(self, part: Part, name: str = "") -> None:
        name = part.name or name
        pending: list[tuple[str, tuple[str, ...]]] = []
        for child in part.has_parts:
            if child.type == "section":
                self._flush(name, pending)
                pending = []
                self.section(child, name)
            elif child.type == "paragraph":
                pending.extend(self._paragraph(child))
            elif child.type == "list":
                pending.extend(self._list(child))
        self._flush(name, pending)

    def _flush(self, section: str, segments: list[tuple[str, tuple[str, ...]]]) -> None:
        """Merge short segments into the next one of the section, then keep them."""
        merged: list[tuple[str, tuple[str, ...]]] = []
        for text, cites in segments:
            if merged:
                last_text, last_cites = merged[-1]
                if len(last_text) < MIN_CHARS and len(last_text) + 1 + len(text) <= MAX_CHARS:
                    merged[-1] = (f"{last_text}\n{text}", _union(last_cites, cites))
                    continue
            merged.append((text, cites))
        self.passages.extend(PassageDraft(section, text, cites) for text, cites in merged)

    def _paragraph(self, part: Part) -> list[tuple[str, tuple[str, ...]]]:
        raw = part.value or ""
        value = raw.strip()
        start = self.text.find(raw, self.cursor) if raw else -1
        if start >= 0:
            self.cursor = start + len(raw)
            start += len(raw) - len(raw.lstrip())
        if not value:
            return []
        cites = _ids(part)
        if len(value) <= MAX_CHARS:
            return [(value, cites)]
        pieces: list[tuple[str, tuple[str, ...]]] = []
        for s, e in split_sentences(value, self.language):
            if start < 0:  # not found in article.text: each piece keeps the paragraph's list
                pieces.append((value[s:e], cites))
            else:
                pieces.append((value[s:e], self._claims_between(start + s, start + e, cites)))
        return _pack(pieces, " ")

    def _claims_between(self, start: int, end: int, allowed: tuple[str, ...]) -> tuple[str, ...]:
        found: tuple[str, ...] = ()
        for claim in self.article.claims:
            if claim.start < end and claim.end > start:
                found = _union(found, tuple(c for c in claim.citations if c in allowed))
        return found

    def _list(self, part: Part) -> list[tuple[str, tuple[str, ...]]]:
        items = list(_list_items(part))
        if not items:
            return []
        text = "\n".join(t for t, _ in items)
        if len(text) <= MAX_CHARS:
            cites: tuple[str, ...] = ()
            for _, c in items:
                cites = _union(cites, c)
            return [(text, cites)]
        pieces: list[tuple[str, tuple[str, ...]]] = []
        for item, cites in items:
            if len(item) <= MAX_CHARS:
                pieces.append((item, cites))
            else:
                spans = split_sentences(item, self.language)
                pieces.extend((item[s:e], cites) for s, e in spans)
        return _pack(pieces, "\n")


def _list_items(part: Part, depth: int = 0) -> Iterable[tuple[str, tuple[str, ...]]]:
    for child in part.has_parts:
        if child.type == "list_item":
            value = (child.value or "").strip()
            if value:
                yield ("  " * depth + value, _ids(child))
            for grandchild in child.has_parts:
                if grandchild.type == "list":
                    yield from _list_items(grandchild, depth + 1)
        elif child.type == "list":
            yield from _list_items(child, depth + 1)


def _ids(part: Part) -> tuple[str, ...]:
    return _union((), tuple(c.identifier for c in part.citations))


def _union(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    seen = list(first)
    for item in second:
        if item not in seen:
            seen.append(item)
    return tuple(seen)


def _pack(
    pieces: list[tuple[str, tuple[str, ...]]], joiner: str
) -> list[tuple[str, tuple[str, ...]]]:
    """Consecutive pieces joined into chunks of at most MAX_CHARS (an overlong piece is cut)."""
    chunks: list[tuple[str, tuple[str, ...]]] = []
    text, cites = "", ()  # type: tuple[str, tuple[str, ...]]
    for piece, piece_cites in pieces:
        for part in _hard_split(piece):
            if text and len(text) + len(joiner) + len(part) > MAX_CHARS:
                chunks.append((text, cites))
                text, cites = "", ()
            text = f"{text}{joiner}{part}" if text else part
            cites = _union(cites, piece_cites)
    if text:
        chunks.append((text, cites))
    return chunks


def _hard_split(text: str) -> list[str]:
    """A sentence longer than MAX_CHARS, cut at the last space before the limit (or at it)."""
    parts: list[str] = []
    while len(text) > MAX_CHARS:
        cut = text.rfind(" ", MAX_CHARS // 2, MAX_CHARS + 1)
        cut = cut if cut > 0 else MAX_CHARS
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        parts.append(text)
    return parts


def citation_record(identifier: str, reference: Reference | None) -> dict[str, str]:
    """The JSON form of one citation: what a partner needs to show and check the source."""
    record = {"identifier": identifier}
    if reference is None:
        return record
    record["type"] = reference.type
    meta = reference.metadata
    if meta.get("title"):
        record["title"] = meta["title"]
    url = meta.get("url") or (
        reference.text.links[0].url if reference.text and reference.text.links else ""
    )
    if url:
        record["url"] = url
    for key in ("doi", "isbn"):
        if meta.get(key):
            record[key] = meta[key]
    if reference.text and reference.text.value:
        record["text"] = reference.text.value
    return record


def passage_columns(article: Article) -> Iterator[tuple[PassageDraft, tuple[object, ...]]]:
    """Each passage of an indexable article with the columns every index stores for it:
    project, page id, title, URL, revision, language, section, position, text, citations
    (JSON). Each backend adds its own search columns after these."""
    if not is_indexable(article):
        return
    references = {r.identifier: r for r in article.references}
    for position, passage in enumerate(article_passages(article)):
        citations = [citation_record(i, references.get(i)) for i in passage.citations]
        yield (
            passage,
            (
                article.is_part_of.identifier,
                article.identifier,
                article.name,
                article.url,
                article.version.identifier,
                article.in_language.identifier,
                passage.section,
                position,
                passage.text,
                json.dumps(citations, ensure_ascii=False),
            ),
        )
