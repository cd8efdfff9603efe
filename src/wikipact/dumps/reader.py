"""Open a dump: recognise its container and encoding, read its site info, stream its pages.

dump = open_dump("enwiki-20240101-pages-articles-multistream.xml.bz2")
dump.site            # SiteInfo from <siteinfo> (or from the file name for bare pages)
dump.tasks()         # units of parallel work: groups of bzip2 streams, ranges of a plain
                     # UTF-8 file, or the whole file
for page in dump.pages(): ...
dump.fetch(title="Anarchism")   # one page through the multistream index

A dump may be an object in storage (``open_dump("s3://bucket/enwiki-...-multistream.xml.bz2")``,
its index found under the same prefix): it is read as a local file is, by ranged GETs, and a
parallel task fetches only its own byte ranges.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path

import msgspec

from wikipact import storage
from wikipact.dumps.containers import OpenedFile, ReadPosition, iter_decompressed, open_file
from wikipact.dumps.content_language import CHECKED_DBNAME, SAMPLE_PAGES, misdeclared_as
from wikipact.dumps.encoding import sniff_encoding, to_utf8
from wikipact.dumps.multistream import (
    MultistreamIndex,
    StreamSpan,
    group_spans,
    index_path_for,
    span_bytes,
)
from wikipact.dumps.plain import plain_ranges
from wikipact.dumps.xmlpages import PageStream
from wikipact.errors import ConfigError, DumpError, DumpLocation, NotFoundError, PageError
from wikipact.model.project import (
    dbname_from_filename,
    dbname_from_server,
    language_of,
    server_from_base,
)
from wikipact.model.raw import RawPage, SiteInfo, SourceRef

SITEINFO_SCAN_LIMIT = 8 << 20  # decompressed bytes read looking for <siteinfo>
DEFAULT_TASK_BYTES = 1 << 20  # compressed bytes of bzip2 streams per parallel task (~4 MB XML)
# Bytes of a plain UTF-8 dump per parallel task: as much XML as a multistream task holds, so
# both cost a worker about the same (~0.5 s of CPU). That makes a task's fixed costs (sending the
# spec and the results, a new parser, the search for the next <page>) noise, keeps tasks many
# enough to balance the workers (a dozen in 50 MB), and keeps the 2 x workers tasks in flight
# to a few tens of MB of memory.
PLAIN_TASK_BYTES = 4 << 20


@dataclass(frozen=True)
class Task:
    """One unit of work: multistream or plain spans (``spans``), or a whole file (``None``).

    Span tasks are read by workers on their own (``run_span_task``); a whole file is read front
    to back in the main process, which is what compressed files without an index, UTF-16 files,
    bare ``<page>`` fragments and files smaller than one task get.
    """

    path: str
    key: str
    size: int
    spans: tuple[StreamSpan, ...] | None = None


class Dump:
    """An opened dump file. Cheap to create; pages are read only when asked for."""

    def __init__(
        self,
        file: OpenedFile,
        site: SiteInfo,
        index: MultistreamIndex | None,
        *,
        rooted: bool = False,
    ) -> None:
        self.file = file
        self.site = site
        self.index = index
        self.rooted = rooted  # the XML has a <mediawiki> root (not bare <page> fragments)
        self.notes: list[str] = []  # what the reader decided that the user should know

    @property
    def path(self) -> Path | str:
        """The local file (a ``Path``), or the URL of the object (a string)."""
        return self.file.path

    @property
    def name(self) -> str:
        return self.file.name

    @property
    def size(self) -> int:
        return self.file.size

    @property
    def multistream(self) -> bool:
        return self.index is not None

    def tasks(self, target_bytes: int | None = None) -> list[Task]:
        """The units of parallel work, in file order; together they read every page once.

        ``target_bytes`` is the size of a task in bytes of the file: compressed bytes of bzip2
        streams for a multistream dump (default ``DEFAULT_TASK_BYTES``), bytes of XML for a
        plain UTF-8 one (default ``PLAIN_TASK_BYTES``). Any other dump is one whole-file task.
        """
        if self.index is not None:
            spans = self.index.spans(self.size)
            return [
                self._span_task(g) for g in group_spans(spans, target_bytes or DEFAULT_TASK_BYTES)
            ]
        if self._splittable():
            ranges = plain_ranges(self.path, self.size, target_bytes or PLAIN_TASK_BYTES)
            if len(ranges) > 1:
                return [self._span_task((span,)) for span in ranges]
        return [Task(str(self.path), self.name, self.size)]

    def _span_task(self, spans: tuple[StreamSpan, ...]) -> Task:
        return Task(
            str(self.path),
            f"{self.name}@{spans[0].start}-{spans[-1].end}",
            sum(span.size for span in spans),
            spans,
        )

    def _splittable(self) -> bool:
        """Can workers read this file by byte ranges cut at ``<page>`` tags (``dumps/plain.py``)?

        Only an uncompressed UTF-8 document with a ``<mediawiki>`` root: compressed bytes cannot
        be entered in the middle, UTF-16 bytes do not hold the UTF-8 ``<page>``, and the last
        range of bare fragments could not tell the natural end of the file from a cut.
        """
        if self.file.container != "plain" or not self.rooted:
            return False
        return sniff_encoding(self._head())[0] == "utf-8"

    def _head(self) -> bytes:
        return storage.read_range(self.path, 0, 4)

    def pages(
        self,
        *,
        on_error: str = "stop",
        errors: list[DumpError] | None = None,
        position: ReadPosition | None = None,
    ) -> Iterator[RawPage]:
        """Every page of the dump in file order."""
        sink = errors if errors is not None else []
        last: str | None = None
        for task in self.tasks():
            before, recorded = last, len(sink)
            try:
                for page in self.task_pages(
                    task, on_error=on_error, errors=sink, position=position
                ):
                    last = page.label
                    yield page
            except DumpError as exc:
                name_last_good_page(exc, before)
                raise
            finally:
                for error in sink[recorded:]:
                    name_last_good_page(error, before)

    def task_pages(
        self,
        task: Task,
        *,
        on_error: str = "stop",
        errors: list[DumpError] | None = None,
        position: ReadPosition | None = None,
    ) -> Iterator[RawPage]:
        """Pages of one task. Under ``on_error="skip"`` errors go to ``errors`` instead."""
        sink = errors if errors is not None else []
        if task.spans is None:
            yield from self._sequential(on_error, sink, position)
            return
        for span in task.spans:
            yield from self._span_pages(span, on_error, sink)
            if position is not None:
                position.compressed_offset = span.end

    def fetch(self, *, title: str | None = None, page_id: int | None = None) -> RawPage:
        """One page by title or id, decompressing only its stream when there is an index.

        Raises ``NotFoundError`` when the page is not there, and the reading error instead when
        the page may have been lost to damage.
        """
        problems: list[DumpError] = []
        if self.index is not None:
            offset = self.index.offset_of(title=title, page_id=page_id)
            if offset is None:
                raise NotFoundError(f"{self._wanted(title, page_id)} is not in {self.index.name}")
            span = next(s for s in self.index.spans(self.size) if s.start == offset)
            candidates: Iterator[RawPage] = self._span_pages(span, "skip", problems)
        else:
            candidates = self.pages(on_error="skip", errors=problems)
        wanted_title = title.replace("_", " ") if title else None
        for page in candidates:
            if (page_id is not None and page.identifier == page_id) or (
                wanted_title is not None and page.title == wanted_title
            ):
                return page
        damage = [
            e for e in problems if not isinstance(e, PageError) or _concerns(e, title, page_id)
        ]
        if damage:
            raise damage[0]
        raise NotFoundError(f"{self._wanted(title, page_id)} is not in {self.name}")

    @staticmethod
    def _wanted(title: str | None, page_id: int | None) -> str:
        return f"page id {page_id}" if page_id is not None else f"page {title!r}"

    def _sequential(
        self, on_error: str, errors: list[DumpError], position: ReadPosition | None
    ) -> Iterator[RawPage]:
        pos = position if position is not None else ReadPosition()
        stream = PageStream(
            name=self.name,
            site=self.site,
            source=SourceRef(file=self.name),
            on_error=on_error,
            location_hint=lambda: DumpLocation(
                file=self.name, compressed_offset=pos.compressed_offset, stream=pos.stream_offset
            ),
        )
        chunks = to_utf8(self.file.chunks(pos), name=self.name)
        try:
            for chunk in chunks:
                yield from stream.feed(chunk)
            yield from stream.close()
        except DumpError as exc:
            if exc.kind == "xml_error" and next(chunks, None) is None:
                exc = stream.truncated_instead(exc)
            name_last_good_page(exc, stream.last_good)
            if on_error == "stop":
                raise exc from None
            errors.append(exc)
        finally:
            errors.extend(e for e in stream.errors if e not in errors)

    def _span_pages(
        self, span: StreamSpan, on_error: str, errors: list[DumpError]
    ) -> Iterator[RawPage]:
        """Pages of one span: its bzip2 streams decompressed, or its plain bytes as they are.

        A plain range is read like a whole file (same chunks, byte-order mark dropped, locations in
        file and XML offsets), except that only the last range may, and must, close the root.
        Its pages keep the source a whole-file read gives them: no stream offset.
        """
        position = ReadPosition(compressed_offset=span.start)
        stream = PageStream(
            name=self.name,
            site=self.site,
            source=SourceRef(file=self.name, stream_offset=None if span.plain else span.start),
            on_error=on_error,
            location_hint=lambda: self._span_location(span, position),
            offset=self._xml_start(span) if span.plain else None,
        )
        pieces = self._plain_pieces(span, position) if span.plain else self._stream_pieces(span)
        try:
            for piece in pieces:
                yield from stream.feed(piece)
            yield from stream.close(ends_document=span.end >= self.size if span.plain else None)
        except DumpError as exc:
            ends = not span.plain or span.end >= self.size  # spans end a document: ranges one
            if next(pieces, None) is None and ends:  # an XML error at its very end may be a cut
                exc = stream.truncated_instead(exc)
            name_last_good_page(exc, stream.last_good)
            if on_error == "stop":
                raise exc from None
            errors.append(exc)
        finally:
            pieces.close()
            errors.extend(e for e in stream.errors if e not in errors)

    def _stream_pieces(self, span: StreamSpan) -> Generator[bytes, None, None]:
        """bzip2 streams hold bare pages, and the last one the root's end, which goes."""
        yield _strip_closing_root(span_bytes(self.path, span))

    def _plain_pieces(
        self, span: StreamSpan, position: ReadPosition
    ) -> Generator[bytes, None, None]:
        with storage.open_read(self.path, readahead=False) as fh:
            chunks = iter_decompressed(
                fh, "plain", name=self.name, position=position, start=span.start, end=span.end
            )
            yield from to_utf8(chunks, name=self.name)  # drops the byte-order mark of range 0

    def _span_location(self, span: StreamSpan, position: ReadPosition) -> DumpLocation:
        if span.plain:
            return DumpLocation(file=self.name, compressed_offset=position.compressed_offset)
        return DumpLocation(file=self.name, compressed_offset=span.start, stream=span.start)

    def _xml_start(self, span: StreamSpan) -> int:
        """XML offset of a plain range's first byte: its file offset, less the byte-order mark
        that a whole-file read drops (range 0 drops it itself)."""
        return span.start - self._bom_length if span.start else 0

    @functools.cached_property
    def _bom_length(self) -> int:
        return sniff_encoding(self._head())[1]


def _concerns(error: DumpError, title: str | None, page_id: int | None) -> bool:
    text = str(error)
    return (title is not None and repr(title.replace("_", " ")) in text) or (
        page_id is not None and f"id {page_id})" in text
    )


def name_last_good_page(exc: DumpError, last_good: str | None) -> None:
    """Name the last page read before ``exc``, unless it names one already.

    Readers that start in the middle of a dump (a span, a plain range) only know the pages they
    read, so whoever reads the parts in order fills in the page before the first part's error.
    """
    if last_good and exc.location.last_good_page is None:
        loc = exc.location
        exc.location = DumpLocation(
            file=loc.file,
            compressed_offset=loc.compressed_offset,
            xml_offset=loc.xml_offset,
            stream=loc.stream,
            last_good_page=last_good,
        )
        exc.args = (str(exc),)


def _strip_closing_root(data: bytes) -> bytes:
    stripped = data.rstrip()
    if stripped.endswith(b"</mediawiki>"):
        return stripped[: -len(b"</mediawiki>")]
    return data


def open_dump(
    path: str | os.PathLike[str],
    *,
    project: str | None = None,
    language: str | None = None,
    index: str | os.PathLike[str] | None = None,
) -> Dump:
    """Open a dump file and read its site information.

    ``project`` (a database name such as ``dewiki``) overrides what the dump says, for files whose
    <siteinfo> is missing or wrong; without it, a dump that says ``enwiki`` but whose articles
    are in another language is read as that language's wiki (``content_language``; see
    ``Dump.notes``); ``index`` names the multistream index when it is not the
    conventional file next to the dump. Either may be a local path or a URL (``s3://...``).
    """
    opened = open_file(path)
    index_file = storage.path_or_url(index) if index is not None else None
    if index_file is None and opened.container == "bz2":
        index_file = index_path_for(opened.path)
    if index_file is not None and not storage.exists(index_file):
        raise ConfigError(f"{index_file}: no such index file")
    loaded = MultistreamIndex.load(index_file) if index_file is not None else None
    fields, root, rooted = _scan_siteinfo(opened, loaded)
    site = build_siteinfo(fields, root, filename=opened.name, project=project, language=language)
    dump = Dump(opened, site, loaded, rooted=rooted)
    if project is None and language is None:
        _check_content_language(dump)
    return dump


def _check_content_language(dump: Dump) -> None:
    """Read a dump declared as the English Wikipedia whose articles are in another language
    as that language's Wikipedia (see ``content_language``), and note it."""
    if dump.site.dbname != CHECKED_DBNAME:
        return
    texts: list[str] = []
    # front to back from the start of the file: no task plan needed (planning a plain file's
    # ranges reads a block every few MB of it, which its reader does again when it plans)
    pages = dump._sequential("skip", [], None)
    try:
        for seen, page in enumerate(pages):
            if page.namespace == 0 and page.redirect_title is None:
                texts.append(page.latest.text)
            if len(texts) >= SAMPLE_PAGES or seen >= 20 * SAMPLE_PAGES:
                break
    except DumpError:
        pass  # damage is reported when the pages are read for real
    finally:
        pages.close()
    verdict = misdeclared_as(dump.site.dbname, texts)
    if verdict is None:
        return
    wiki, language, probability = verdict
    declared = dump.site.dbname
    dump.site = msgspec.structs.replace(dump.site, dbname=wiki, language=language, base=None)
    dump.notes.append(
        f"{dump.name}: its <siteinfo> says {declared}, but its articles are in {language!r} "
        f"(language identification, p={probability:.2f}): read as {wiki}; pass --project "
        f"{declared} to keep the declared wiki"
    )


def read_pages(path: str | os.PathLike[str], **kwargs: str) -> Iterator[RawPage]:
    """Shortcut: every page of one dump file, stopping at the first error."""
    yield from open_dump(path, **kwargs).pages()


def _scan_siteinfo(
    opened: OpenedFile, index: MultistreamIndex | None
) -> tuple[dict[str, object] | None, dict[str, str], bool]:
    """The <siteinfo> fields, the root's attributes, and whether there is a <mediawiki> root."""
    stream = PageStream(name=opened.name, on_error="skip")
    if index is not None:
        data = span_bytes(opened.path, index.header_span())
        chunks: Iterator[bytes] = iter([data])
    else:
        chunks = opened.chunks()
    seen = 0
    try:
        for chunk in to_utf8(chunks, name=opened.name):
            seen += len(chunk)
            for _page in stream.feed(chunk):
                break
            if (
                stream.siteinfo_fields is not None
                or stream.pages_read
                or seen > SITEINFO_SCAN_LIMIT
            ):
                break
            if stream.header is not None and stream.header.fragment and seen > 1 << 20:
                break
        else:
            if stream.header is None:
                for _page in stream.close():  # raises: an empty file, or no XML element at all
                    break
    except DumpError:
        if stream.header is None:
            raise  # not XML at all, or unsafe: report now rather than at the first page
    finally:
        close = getattr(chunks, "close", None)
        if close:
            close()
    rooted = stream.header is not None and not stream.header.fragment
    return stream.siteinfo_fields, stream.root_attrs, rooted


def build_siteinfo(
    fields: dict[str, object] | None,
    root: dict[str, str],
    *,
    filename: str,
    project: str | None = None,
    language: str | None = None,
) -> SiteInfo:
    """Decide which wiki a dump belongs to, from the most to the least trustworthy source."""
    fields = dict(fields or {})
    dbname = project or str(fields.get("dbname") or "")
    if not dbname and fields.get("base"):
        server = server_from_base(str(fields["base"]))
        dbname = (dbname_from_server(server) if server else None) or ""
    if not dbname:
        dbname = dbname_from_filename(filename) or ""
    if not dbname:
        raise ConfigError(
            f"{filename}: cannot tell which wiki this dump belongs to (no <siteinfo> dbname, base "
            "URL, or recognisable file name); pass --project, e.g. --project enwiki"
        )
    if project:
        lang = language or language_of(project) or "und"
        if fields.get("dbname") and fields["dbname"] != project:
            fields.pop("base", None)  # the declared site is not this one
    else:
        lang = language or root.get("lang") or language_of(dbname) or "und"
    return SiteInfo(
        dbname=dbname,
        language=lang,
        sitename=_opt(fields.get("sitename")),
        base=_opt(fields.get("base")),
        generator=_opt(fields.get("generator")),
        case=_opt(fields.get("case")) or "first-letter",
        namespaces=fields.get("namespaces") or (),  # type: ignore[arg-type]
        export_version=_opt(fields.get("export_version")) or root.get("version") or None,
    )


def _opt(value: object) -> str | None:
    return str(value) if value else None
