"""What every store backend writes the same way: zstd-compressed article records (msgspec JSON)
and revision wikitext, and the time stamps of the store (UTC, microseconds, ``Z``).

Both backends store the same bytes for the same article, so a record read back from either is
identical, and the times sort as text the way the instants do.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import msgspec
import zstandard

from wikipact.model.article import Article
from wikipact.model.raw import SiteInfo

_zstd = threading.local()  # zstandard (de)compressors must not be shared between threads


def compress(data: bytes) -> bytes:
    compressor = getattr(_zstd, "compressor", None)
    if compressor is None:
        compressor = _zstd.compressor = zstandard.ZstdCompressor(level=3)
    return compressor.compress(data)  # type: ignore[no-any-return]


def decompress(data: bytes) -> bytes:
    decompressor = getattr(_zstd, "decompressor", None)
    if decompressor is None:
        decompressor = _zstd.decompressor = zstandard.ZstdDecompressor()
    return decompressor.decompress(data)  # type: ignore[no-any-return]


article_encoder = msgspec.json.Encoder()
article_decoder = msgspec.json.Decoder(Article)
site_decoder = msgspec.json.Decoder(SiteInfo)


def encode_article(article: Article) -> bytes:
    """The stored form of an article record: zstd(JSON)."""
    return compress(article_encoder.encode(article))


def decode_article(stored: bytes) -> Article:
    return article_decoder.decode(decompress(stored))


def stamp(moment: datetime) -> str:
    """The store's form of an instant: ``2026-01-01T12:00:00.123456Z`` (sorts as it does)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def now() -> str:
    """The store's time stamp of the present instant."""
    return stamp(datetime.now(UTC))
