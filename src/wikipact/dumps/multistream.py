"""bzip2 multistream dumps: the index, stream spans, and random access to one page.

A ``*-pages-articles-multistream.xml.bz2`` file is a concatenation of independent bzip2 streams:
the first holds the ``<mediawiki>`` root and ``<siteinfo>``, each following one holds about 100
``<page>`` elements, and the last holds ``</mediawiki>``. Its companion
``*-multistream-index.txt.bz2`` lists ``offset:page_id:title`` for every page, where ``offset`` is
the byte offset of the stream holding the page. With it, work can be split by stream across
processes and one page can be fetched by decompressing ~100 pages instead of the whole file.

Both files may be objects in storage (``s3://...``): a span is then read by ranged GETs of its
own bytes (``span_bytes``), never the whole dump.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from wikipact import storage
from wikipact.dumps.containers import iter_decompressed, open_file
from wikipact.errors import ConfigError, DamagedDumpError, DumpLocation


@dataclass(frozen=True, slots=True)
class IndexEntry:
    offset: int
    page_id: int
    title: str


@dataclass(frozen=True, slots=True)
class StreamSpan:
    """Bytes ``[start, end)`` of the dump file: one or more whole bzip2 streams, or a range of a
    plain file.

    A ``plain`` span is read as it is, with no decompression and no index: a range of an
    uncompressed UTF-8 dump cut at ``<page>`` start tags (see ``dumps/plain.py``), so that a
    worker can read and split it into pages itself, as it does a group of bzip2 streams.
    """

    start: int
    end: int
    pages: int  # pages the index lists in these streams (0 for a plain range: nobody counted)
    plain: bool = False

    @property
    def size(self) -> int:
        return self.end - self.start


def index_path_for(dump: Path | str) -> Path | str | None:
    """The conventional index file next to a multistream dump (a file, or an object under the
    same prefix), if it exists."""
    name = storage.name_of(dump)
    for suffix in (".xml.bz2", ".bz2"):
        if name.endswith(suffix) and "multistream" in name:
            stem = name[: -len(suffix)]
            for candidate in (f"{stem}-index.txt.bz2", f"{stem}-index.txt"):
                path = storage.sibling(dump, candidate)
                if storage.exists(path):
                    return path
    return None


_LINE = re.compile(r"^(\d+):(\d+):(.*)$")


def read_index(path: Path | str) -> Iterator[IndexEntry]:
    """Entries of a multistream index (bzip2-compressed or plain), in file order."""
    opened = open_file(path)
    pending = b""
    line_no = 0
    for chunk in opened.chunks():
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for raw in lines:
            line_no += 1
            entry = _entry(raw, path, line_no)
            if entry:
                yield entry
    if pending:
        entry = _entry(pending, path, line_no + 1)
        if entry:
            yield entry


def _entry(raw: bytes, path: Path | str, line_no: int) -> IndexEntry | None:
    text = raw.decode("utf-8", "replace").rstrip("\r")
    if not text:
        return None
    match = _LINE.match(text)
    if not match:
        raise DamagedDumpError(
            "index_malformed",
            f"line {line_no} of the index is not 'offset:page_id:title': {text[:80]!r}",
            DumpLocation(file=storage.name_of(path)),
            hint="Download the index again, or read the dump without it (no parallel split).",
        )
    return IndexEntry(int(match.group(1)), int(match.group(2)), html.unescape(match.group(3)))


@dataclass
class MultistreamIndex:
    """The index of one dump, loaded once: stream offsets and a title/id lookup."""

    path: Path | str  # a local Path, or the URL of an object
    offsets: list[int]  # distinct stream offsets, ascending
    pages_per_stream: dict[int, int]
    by_id: dict[int, int]
    by_title: dict[str, int]

    @property
    def name(self) -> str:
        return storage.name_of(self.path)

    @classmethod
    def load(cls, path: Path | str) -> MultistreamIndex:
        offsets: list[int] = []
        pages: dict[int, int] = {}
        by_id: dict[int, int] = {}
        by_title: dict[str, int] = {}
        for entry in read_index(path):
            if not offsets or offsets[-1] != entry.offset:
                if offsets and entry.offset < offsets[-1]:
                    raise DamagedDumpError(
                        "index_malformed",
                        f"stream offsets go backwards at page id {entry.page_id}",
                        DumpLocation(file=storage.name_of(path)),
                    )
                offsets.append(entry.offset)
            pages[entry.offset] = pages.get(entry.offset, 0) + 1
            by_id[entry.page_id] = entry.offset
            by_title[entry.title] = entry.offset
        if not offsets:
            raise DamagedDumpError(
                "index_empty", "the index lists no page", DumpLocation(file=storage.name_of(path))
            )
        return cls(path, offsets, pages, by_id, by_title)

    def spans(self, file_size: int) -> list[StreamSpan]:
        """One span per page stream; the last one runs to the end of the file."""
        bounds = [*self.offsets, file_size]
        return [
            StreamSpan(start, end, self.pages_per_stream[start])
            for start, end in itertools.pairwise(bounds)
        ]

    def header_span(self) -> StreamSpan:
        return StreamSpan(0, self.offsets[0], 0)

    def offset_of(self, *, title: str | None = None, page_id: int | None = None) -> int | None:
        if page_id is not None:
            return self.by_id.get(page_id)
        if title is not None:
            return self.by_title.get(title) or self.by_title.get(title.replace("_", " "))
        raise ConfigError("give a title or a page id")


def group_spans(spans: list[StreamSpan], target_bytes: int) -> list[tuple[StreamSpan, ...]]:
    """Consecutive spans grouped into tasks of about ``target_bytes`` compressed bytes each."""
    groups: list[tuple[StreamSpan, ...]] = []
    current: list[StreamSpan] = []
    size = 0
    for span in spans:
        current.append(span)
        size += span.size
        if size >= target_bytes:
            groups.append(tuple(current))
            current, size = [], 0
    if current:
        groups.append(tuple(current))
    return groups


def span_bytes(path: Path | str, span: StreamSpan) -> bytes:
    """The decompressed XML of one span (checks that every stream in it is complete).

    Only the span's bytes are read: from an object in storage, by ranged GETs of exactly them.
    """
    name = storage.name_of(path)
    with storage.open_read(path, readahead=False) as fh:
        fh.seek(span.start)
        magic = fh.read(3)
        if magic != b"BZh":
            raise DamagedDumpError(
                "index_mismatch",
                f"no bzip2 stream starts at byte {span.start} (found {magic!r}); the index does "
                "not belong to this dump",
                DumpLocation(file=name, compressed_offset=span.start, stream=span.start),
                hint="Use the index published with this very dump file.",
            )
        try:
            return b"".join(iter_decompressed(fh, "bz2", name=name, start=span.start, end=span.end))
        except DamagedDumpError as exc:
            file_size = storage.size(path)
            if exc.kind != "bz2_truncated" or span.end >= file_size:
                raise
            raise DamagedDumpError(
                "index_mismatch",
                f"the bzip2 stream at byte {exc.location.stream} does not end at the next index "
                f"offset {span.end}; the index does not belong to this dump",
                DumpLocation(file=name, compressed_offset=span.end, stream=exc.location.stream),
                hint="Use the index published with this very dump file.",
            ) from None
