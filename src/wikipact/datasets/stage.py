"""The per-page step of a build, run in worker processes: filter, parse, tokenise, fingerprint.

``stage_page`` (a dump page) and ``stage_article`` (an article from a store) return a ``Staged``:
the page's identity, the filter's verdict and, for kept pages, the encoded dataset record and
what deduplication needs (a normalised-text hash and a MinHash signature). Pages a filter can
drop without parsing (namespace, redirect, blocklist …) are never parsed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import msgspec

from wikipact.datasets import dedup
from wikipact.datasets.filters import Filter
from wikipact.datasets.recipe import Recipe
from wikipact.datasets.record import DatasetRecord, record_id, to_record
from wikipact.datasets.tokens import Tokenizer, load_tokenizer
from wikipact.model.article import Article
from wikipact.model.raw import RawPage, SiteInfo
from wikipact.wikitext.parse import parse_article


class Staged(msgspec.Struct, frozen=True, array_like=True):
    """One page after the per-page step."""

    id: str
    title: str
    reason: str | None  # why a filter dropped it, or None
    revision_id: int = 0
    date_modified: str = ""
    references: int = 0
    words: int = 0
    text_hash: bytes = b""
    signature: bytes | None = None
    record: bytes | None = None  # msgpack of the DatasetRecord, for kept pages


@dataclass(frozen=True)
class StageConfig:
    """What workers need: the recipe (they build filters and the tokenizer from it once)."""

    recipe: Recipe


_TOOLS: dict[str, tuple[Filter, Tokenizer, frozenset[str]]] = {}


def _tools(recipe: Recipe) -> tuple[Filter, Tokenizer, frozenset[str]]:
    """The recipe's filter, tokenizer and columns, built once per worker process."""
    key = recipe.sha256
    tools = _TOOLS.get(key)
    if tools is None:
        tools = (
            Filter(recipe.filters),
            load_tokenizer(recipe.tokenizer),
            frozenset(recipe.columns),
        )
        _TOOLS.clear()
        _TOOLS[key] = tools
    return tools


_record_encoder = msgspec.msgpack.Encoder()
_record_decoder = msgspec.msgpack.Decoder(DatasetRecord)


def decode_record(data: bytes) -> DatasetRecord:
    return _record_decoder.decode(data)


def stage_page(page: RawPage, site: SiteInfo, config: StageConfig) -> Staged:
    """Worker transform for a dump page."""
    rules, _, _ = _tools(config.recipe)
    reason = rules.early(
        project=site.dbname,
        language=site.language,
        page_id=page.identifier,
        title=page.title,
        namespace=page.namespace,
        is_redirect=page.redirect_title is not None,
    )
    if reason is not None:
        return Staged(record_id(site.dbname, page.identifier), page.title, reason)
    return stage_article(parse_article(page, site), config, early_checked=True)


def stage_article(article: Article, config: StageConfig, *, early_checked: bool = False) -> Staged:
    """Worker transform for a parsed article (from a dump page or a store)."""
    rules, tokenizer, columns = _tools(config.recipe)
    ident = record_id(article.is_part_of.identifier, article.identifier)
    if early_checked:
        reason = None if article.redirect_target is not None else rules.late(article)
    else:
        reason = rules.reason(article)
    if reason is not None:
        return Staged(ident, article.name, reason)
    text = article.text or ""
    tokens = tokenizer.count([text])[0]
    record = to_record(article, tokens, columns)
    words = dedup.normalise(text)
    rules_dedup = config.recipe.dedup
    return Staged(
        id=ident,
        title=article.name,
        reason=None,
        revision_id=article.version.identifier,
        date_modified=article.date_modified,
        references=len(article.references),
        words=record.signals.words,
        text_hash=dedup.text_hash(words),
        signature=(
            dedup.signature(words, rules_dedup.num_perm, rules_dedup.shingle_words)
            if rules_dedup.near
            else None
        ),
        record=_record_encoder.encode(record),
    )


# -- stage files -------------------------------------------------------------------------------
# A build's stage file (``.wikipact-build/stage/NNNNNN.zst``): a zstd stream of records, each its
# length (4 bytes, little-endian) then its msgpack ``Staged``.

_staged_decoder = msgspec.msgpack.Decoder(Staged)


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def read_exactly(fh: _Readable, size: int) -> bytes:
    """``size`` bytes, or fewer at the end (a stream may return less than asked)."""
    data = fh.read(size)
    while len(data) < size and (more := fh.read(size - len(data))):
        data += more
    return data


def read_stage(location: str | os.PathLike[str]) -> Iterator[Staged]:
    """The records of a stage file (a path or an object's URL), in order."""
    import zstandard

    from wikipact import storage

    with (
        storage.open_read(location) as fh,
        zstandard.ZstdDecompressor().stream_reader(fh) as reader,
    ):
        while header := read_exactly(reader, 4):
            yield _staged_decoder.decode(read_exactly(reader, int.from_bytes(header, "little")))
