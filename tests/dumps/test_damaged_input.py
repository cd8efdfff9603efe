"""Damaged real dumps: every complete page before the damage is kept, the damage is named.

All inputs are real files (the enwiki sample, plain and multistream) damaged inside ``tmp_path``:
cut short, bit-flipped, stripped of an element, re-packed into several bzip2 streams and then
corrupted, or paired with an index that belongs to another file.
"""

from __future__ import annotations

import bz2
import codecs
import functools
import gzip
import html
import json
import lzma
import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import msgspec
import pytest
import zstandard

from wikipact.dumps import open_dump
from wikipact.errors import (
    DamagedDumpError,
    DumpError,
    NotFoundError,
    PageError,
    UnsupportedDumpError,
    WikipactError,
)
from wikipact.model.raw import RawPage

HERE = Path(__file__).resolve()
CORPUS = HERE.parents[2].parent / "shared" / "corpus"
DATA = HERE.parents[1] / "data"
PLAIN = "sample-enwiki-pages-articles.xml"
MULTISTREAM = "sample-enwiki-pages-articles-multistream.xml.bz2"
MULTISTREAM_INDEX = "sample-enwiki-pages-articles-multistream-index.txt.bz2"


def real_file(name: str) -> Path:
    """A real input: the shared corpus when present, else the vendored copy in tests/data."""
    for candidate in (CORPUS / "assembled" / name, DATA / name):
        if candidate.is_file():
            return candidate
    pytest.skip(f"{name} is neither in {CORPUS} nor in {DATA}")


@functools.cache
def plain_bytes() -> bytes:
    return real_file(PLAIN).read_bytes()


@functools.cache
def original_pages() -> tuple[RawPage, ...]:
    """The pages of the undamaged plain dump, without their source reference."""
    return tuple(bare(page) for page in open_dump(real_file(PLAIN)).pages())


def bare(page: RawPage) -> RawPage:
    """``page`` without ``source``, so pages read from different files compare equal."""
    return msgspec.structs.replace(page, source=None)


def read_until_error(path: Path, **kwargs: object) -> tuple[list[RawPage], BaseException | None]:
    """Pages yielded with ``on_error="stop"`` before the exception (if any) that ended reading."""
    pages: list[RawPage] = []
    try:
        for page in open_dump(path, **kwargs).pages():  # type: ignore[arg-type]
            pages.append(bare(page))
    except WikipactError as exc:
        return pages, exc
    return pages, None


def read_skipping(path: Path, **kwargs: object) -> tuple[list[RawPage], list[DumpError]]:
    """All pages and the recorded errors with ``on_error="skip"``."""
    errors: list[DumpError] = []
    dump = open_dump(path, **kwargs)  # type: ignore[arg-type]
    pages = [bare(page) for page in dump.pages(on_error="skip", errors=errors)]
    return pages, errors


@dataclass(frozen=True)
class Layout:
    """A real dump split the way a multistream dump is: prolog, one block per page, closing tag."""

    header: bytes
    pages: tuple[bytes, ...]
    tail: bytes

    @classmethod
    def of(cls, document: bytes) -> Layout:
        first = document.index(b"  <page>\n")
        end = document.rindex(b"</mediawiki>")
        blocks = document[first:end].split(b"  </page>\n")
        assert blocks[-1] == b""
        layout = cls(
            document[:first], tuple(b + b"  </page>\n" for b in blocks[:-1]), document[end:]
        )
        assert layout.header + b"".join(layout.pages) + layout.tail == document
        return layout

    def page_span(self, number: int) -> tuple[int, int]:
        """Byte range of page ``number`` (0-based) in the document."""
        start = len(self.header) + sum(len(p) for p in self.pages[:number])
        return start, start + len(self.pages[number])


def text_span(document: bytes, start: int, end: int) -> tuple[int, int]:
    """Byte range of the first <text> content between ``start`` and ``end``."""
    begin = document.index(b">", document.index(b"<text", start, end)) + 1
    return begin, document.index(b"</text>", begin, end)


# --------------------------------------------------------------------------------------------
# (a) a plain dump cut in the middle of a page


@pytest.mark.parametrize("complete", [0, 1, 20, 55])
def test_plain_dump_cut_inside_a_page_keeps_every_page_before_the_cut(
    tmp_path: Path, complete: int
) -> None:
    """Cut inside page N's text: pages 0..N-1 are yielded, then xml_truncated names the file and page."""
    document = plain_bytes()
    layout = Layout.of(document)
    begin, end = text_span(document, *layout.page_span(complete))
    cut = document.index(b" ", (begin + end) // 2, end) + 1
    target = tmp_path / "cut-enwiki-pages-articles.xml"
    target.write_bytes(document[:cut])

    pages, error = read_until_error(target)
    expected = list(original_pages()[:complete])
    assert pages == expected
    assert isinstance(error, DamagedDumpError)
    assert error.kind == "xml_truncated"
    assert target.name in str(error)
    if complete:
        assert error.location.last_good_page == expected[-1].label
        assert expected[-1].title in str(error)
    else:
        assert error.location.last_good_page is None
        assert "before the first page" in str(error)

    skipped, errors = read_skipping(target)
    assert skipped == expected
    assert [(type(e), e.kind) for e in errors] == [(DamagedDumpError, "xml_truncated")]


@pytest.mark.parametrize(
    ("where", "needle", "keep"),
    [
        ("inside an entity reference", b"&quot;", 3),
        ("inside a start tag name", b"<contributor", 8),
        ("inside an attribute name", b"<text bytes", 9),
        ("inside an attribute value", b'<text bytes="', 14),
        ("inside an end tag", b"</title>", 4),
    ],
)
def test_a_cut_anywhere_in_a_page_is_reported_as_truncation(
    tmp_path: Path, where: str, needle: bytes, keep: int
) -> None:
    """A dump that simply stops is truncated, whatever byte it stops on."""
    document = plain_bytes()
    start, end = Layout.of(document).page_span(20)
    cut = document.index(needle, start, end) + keep
    target = tmp_path / "cut-enwiki-pages-articles.xml"
    target.write_bytes(document[:cut])
    pages, error = read_until_error(target)
    assert pages == list(original_pages()[:20])
    assert isinstance(error, DamagedDumpError)
    assert error.kind == "xml_truncated", where


def test_random_cuts_are_all_truncations_after_the_right_pages(tmp_path: Path) -> None:
    """40 seeded cut points anywhere between the first and last page: xml_truncated every time."""
    document = plain_bytes()
    layout = Layout.of(document)
    last_end = layout.page_span(len(layout.pages) - 1)[1]
    rng = random.Random(1718)
    target = tmp_path / "cut-enwiki-pages-articles.xml"
    for cut in sorted(rng.sample(range(len(layout.header) + 1, last_end - 1), 40)):
        target.write_bytes(document[:cut])
        pages, error = read_until_error(target)
        complete = document[:cut].count(b"</page>")
        expected = list(original_pages()[:complete])
        assert pages == expected, cut
        assert isinstance(error, DamagedDumpError), cut
        assert error.kind == "xml_truncated", (cut, error)
        assert error.location.last_good_page == (expected[-1].label if expected else None)


def test_utf16_dump_cut_inside_a_page_keeps_every_page_before_the_cut(tmp_path: Path) -> None:
    """The same cut through the UTF-16 transcoder (odd byte count): pages before it are kept."""
    document = plain_bytes()
    layout = Layout.of(document)
    begin, end = text_span(document, *layout.page_span(20))
    cut = document.index(b" ", (begin + end) // 2, end) + 1
    encoded = codecs.BOM_UTF16_LE + document[:cut].decode("utf-8").encode("utf-16-le")
    target = tmp_path / "cut-enwiki-pages-articles-utf16.xml"
    target.write_bytes(encoded[:-1])
    pages, error = read_until_error(target)
    assert pages == list(original_pages()[:20])
    assert isinstance(error, DamagedDumpError)
    assert error.kind in ("invalid_unicode", "xml_truncated")
    assert target.name in str(error)


# --------------------------------------------------------------------------------------------
# (b) + (g) compressed copies cut short

Compressor = Callable[[bytes], bytes]


def _streaming_prefix(container: str, data: bytes) -> bytes:
    """Everything a streaming decompressor can recover from the cut ``data``."""
    if container == "bz2":
        return bz2.BZ2Decompressor().decompress(data)
    if container == "gzip":
        return zlib.decompressobj(wbits=31).decompress(data)
    if container == "xz":
        return lzma.LZMADecompressor().decompress(data)
    return zstandard.ZstdDecompressor().decompressobj().decompress(data)


COMPRESSORS: dict[str, tuple[str, Compressor]] = {
    "bz2": (".xml.bz2", lambda data: bz2.compress(data, compresslevel=1)),
    "gzip": (".xml.gz", gzip.compress),
    "xz": (".xml.xz", lzma.compress),
    "zstd": (".xml.zst", zstandard.ZstdCompressor().compress),
}


@functools.cache
def compressed(container: str) -> bytes:
    return COMPRESSORS[container][1](plain_bytes())


@pytest.mark.parametrize("fraction", [0.35, 0.7, 0.97])
@pytest.mark.parametrize("container", list(COMPRESSORS))
def test_truncated_compressed_dump_keeps_every_page_decompressed_before_the_cut(
    tmp_path: Path, container: str, fraction: float
) -> None:
    """A cut .bz2/.gz/.xz/.zst: <container>_truncated, after every recoverable complete page."""
    data = compressed(container)
    cut = data[: int(len(data) * fraction)]
    recoverable = _streaming_prefix(container, cut).count(b"</page>")
    assert recoverable > 0
    target = tmp_path / f"cut-enwiki-pages-articles{COMPRESSORS[container][0]}"
    target.write_bytes(cut)

    pages, error = read_until_error(target)
    expected = list(original_pages()[:recoverable])
    assert pages == expected
    assert isinstance(error, DamagedDumpError)
    assert error.kind == f"{container}_truncated"
    assert target.name in str(error)
    assert expected[-1].title in str(error)

    skipped, errors = read_skipping(target)
    assert skipped == expected
    assert [e.kind for e in errors] == [f"{container}_truncated"]


# --------------------------------------------------------------------------------------------
# (c) bit flips inside bzip2 data


def _assert_no_silent_damage(pages: list[RawPage], error: BaseException | None) -> str:
    """Either an error and a correct prefix, or no error and exactly the original pages."""
    originals = list(original_pages())
    if error is None:
        assert pages == originals
        return "identical"
    assert isinstance(error, DumpError), repr(error)
    assert pages == originals[: len(pages)]
    if isinstance(error, DamagedDumpError):
        assert error.kind in ("bz2_corrupt", "bz2_truncated"), error
    return error.kind


def test_bit_flips_in_a_bz2_dump_never_give_a_silent_wrong_result(tmp_path: Path) -> None:
    """40 single-bit flips (magic, block headers, CRCs, data, end): an error or identical pages."""
    data = compressed("bz2")
    rng = random.Random(20240611)
    positions = [0, 2, 3, 4, 8, 12, len(data) - 6, len(data) - 2, len(data) - 1]
    positions += sorted(rng.sample(range(len(data)), 31))
    outcomes: dict[str, int] = {}
    for position in positions:
        damaged = bytearray(data)
        damaged[position] ^= 1 << rng.randrange(8)
        target = tmp_path / "flipped-enwiki-pages-articles.xml.bz2"
        target.write_bytes(bytes(damaged))
        outcome = _assert_no_silent_damage(*read_until_error(target))
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    assert outcomes.get("bz2_corrupt", 0) >= 20, outcomes


def test_bit_flips_in_the_real_multistream_dump_never_give_a_silent_wrong_result(
    tmp_path: Path,
) -> None:
    """The same through the index (stream-by-stream reading), under on_error="skip"."""
    data = real_file(MULTISTREAM).read_bytes()
    index = tmp_path / MULTISTREAM_INDEX
    index.write_bytes(real_file(MULTISTREAM_INDEX).read_bytes())
    rng = random.Random(7)
    originals = list(original_pages())
    errors_seen = 0
    for position in sorted(rng.sample(range(650, len(data)), 12)):
        damaged = bytearray(data)
        damaged[position] ^= 1 << rng.randrange(8)
        target = tmp_path / MULTISTREAM
        target.write_bytes(bytes(damaged))
        pages, errors = read_skipping(target, index=index)
        if errors:
            errors_seen += 1
            assert all(e.kind in ("bz2_corrupt", "bz2_truncated") for e in errors), errors
            assert all(page in originals for page in pages)
        else:
            assert pages == originals
    assert errors_seen >= 10


# --------------------------------------------------------------------------------------------
# (d) a page without one of its elements


def _without(document: bytes, page: int, pattern: bytes, closing: bytes | None) -> bytes:
    start, end = Layout.of(document).page_span(page)
    at = document.index(pattern, start, end)
    stop = end if closing is None else document.index(closing, at, end) + len(closing)
    return document[:at] + document[stop:]


MISSING = {
    "page_missing_text": (b"<text", b"</text>"),
    "page_missing_title": (b"<title>", b"</title>"),
    "page_missing_id": (b"    <id>", b"</id>"),
    "page_missing_revision": (b"    <revision>", b"</revision>"),
    "revision_missing_id": (b"      <id>", b"</id>"),
}
NAMED = ("page_missing_text", "page_missing_revision", "revision_missing_id")  # name the page


@pytest.mark.parametrize("page", [0, 5, 55])
@pytest.mark.parametrize("kind", list(MISSING))
def test_a_page_missing_an_element_is_skipped_alone(tmp_path: Path, kind: str, page: int) -> None:
    """stop: PageError(kind) after the pages before; skip: every other page, error recorded."""
    document = plain_bytes()
    target = tmp_path / f"{kind}-enwiki-pages-articles.xml"
    target.write_bytes(_without(document, page, *MISSING[kind]))
    originals = list(original_pages())
    title = originals[page].title

    pages, error = read_until_error(target)
    assert pages == originals[:page]
    assert isinstance(error, PageError)
    assert error.kind == kind
    assert target.name in str(error)
    if kind in NAMED:
        assert title in str(error)

    skipped, errors = read_skipping(target)
    assert skipped == originals[:page] + originals[page + 1 :]
    assert [(type(e), e.kind) for e in errors] == [(PageError, kind)]
    if kind in NAMED:
        assert title in str(errors[0])


# --------------------------------------------------------------------------------------------
# (e) multistream: one damaged stream among several


@dataclass(frozen=True)
class Multistream:
    dump: Path
    index: Path
    offsets: tuple[int, ...]  # byte offset of every stream, header and closing stream included
    sizes: tuple[int, ...]

    def stream_of_page(self, number: int) -> int:
        return 1 + number // PAGES_PER_STREAM


PAGES_PER_STREAM = 10


def repack_multistream(directory: Path, document: bytes | None = None) -> Multistream:
    """The real pages re-packed like Wikimedia does: header, 10 pages per stream, closing tag."""
    document = plain_bytes() if document is None else document
    layout = Layout.of(document)
    texts = [layout.header]
    texts += [
        b"".join(layout.pages[i : i + PAGES_PER_STREAM])
        for i in range(0, len(layout.pages), PAGES_PER_STREAM)
    ]
    texts.append(layout.tail)
    assert layout.tail == b"</mediawiki>\n"
    streams = [bz2.compress(text) for text in texts]
    offsets = [sum(len(s) for s in streams[:i]) for i in range(len(streams))]
    lines = [
        f"{offsets[1 + n // PAGES_PER_STREAM]}:{page.identifier}:{html.escape(page.title)}\n"
        for n, page in enumerate(original_pages())
    ]
    dump = directory / "repacked-enwiki-pages-articles-multistream.xml.bz2"
    dump.write_bytes(b"".join(streams))
    index = directory / "repacked-enwiki-pages-articles-multistream-index.txt.bz2"
    index.write_bytes(bz2.compress("".join(lines).encode("utf-8")))
    return Multistream(dump, index, tuple(offsets), tuple(len(s) for s in streams))


def test_repacked_multistream_reads_exactly_like_the_plain_dump(tmp_path: Path) -> None:
    """Guards the helper: 6 page streams, found through the index, same pages as the plain file."""
    packed = repack_multistream(tmp_path)
    assert len(packed.offsets) == 2 + 6
    dump = open_dump(packed.dump)
    assert dump.multistream
    assert [span.start for task in dump.tasks() for span in task.spans or ()] == list(
        packed.offsets[1:-1]
    )
    assert [bare(page) for page in dump.pages()] == list(original_pages())


@pytest.mark.parametrize("stream", [1, 3, 6])
def test_a_corrupt_stream_loses_only_its_own_pages(tmp_path: Path, stream: int) -> None:
    """skip: the pages of every other stream; one bz2_corrupt error naming the stream offset."""
    packed = repack_multistream(tmp_path)
    data = bytearray(packed.dump.read_bytes())
    middle = packed.offsets[stream] + packed.sizes[stream] // 2
    for position in range(middle, middle + 16):
        data[position] ^= 0xFF
    packed.dump.write_bytes(bytes(data))
    originals = list(original_pages())
    lost = range((stream - 1) * PAGES_PER_STREAM, stream * PAGES_PER_STREAM)
    survivors = [page for n, page in enumerate(originals) if n not in lost]

    pages, errors = read_skipping(packed.dump)
    assert pages == survivors
    assert len(errors) == 1
    error = errors[0]
    assert isinstance(error, DamagedDumpError)
    assert error.kind == "bz2_corrupt"
    assert error.location.stream == packed.offsets[stream]
    assert f"stream at byte {packed.offsets[stream]}" in str(error)
    assert packed.dump.name in str(error)

    before, stopped = read_until_error(packed.dump)
    assert before == originals[: lost.start]
    assert isinstance(stopped, DamagedDumpError)
    assert stopped.kind == "bz2_corrupt"


def test_a_page_without_text_in_a_multistream_dump_names_its_stream(tmp_path: Path) -> None:
    """A PageError inside stream 3 is recorded with that stream's offset; the rest is read."""
    document = _without(plain_bytes(), 25, *MISSING["page_missing_text"])
    packed = repack_multistream(tmp_path, document)
    originals = list(original_pages())
    pages, errors = read_skipping(packed.dump)
    assert pages == originals[:25] + originals[26:]
    assert [(type(e), e.kind) for e in errors] == [(PageError, "page_missing_text")]
    assert errors[0].location.stream == packed.offsets[3]
    assert originals[25].title in str(errors[0])


def test_fetch_from_a_healthy_stream_works_beside_a_corrupt_one(tmp_path: Path) -> None:
    """Random access only decompresses the page's own stream, so damage elsewhere is harmless."""
    packed = repack_multistream(tmp_path)
    data = bytearray(packed.dump.read_bytes())
    data[packed.offsets[3] + packed.sizes[3] // 2] ^= 0xFF
    packed.dump.write_bytes(bytes(data))
    dump = open_dump(packed.dump)
    wanted = original_pages()[45]
    assert bare(dump.fetch(title=wanted.title)) == wanted
    assert bare(dump.fetch(page_id=original_pages()[5].identifier)) == original_pages()[5]


def test_fetch_from_a_corrupt_stream_reports_the_damage(tmp_path: Path) -> None:
    """Fetching a page whose stream is damaged says the stream is damaged, not that it is absent."""
    packed = repack_multistream(tmp_path)
    data = bytearray(packed.dump.read_bytes())
    data[packed.offsets[3] + packed.sizes[3] // 2] ^= 0xFF
    packed.dump.write_bytes(bytes(data))
    wanted = original_pages()[25]
    with pytest.raises(DamagedDumpError) as caught:
        open_dump(packed.dump).fetch(title=wanted.title)
    assert caught.value.location.stream == packed.offsets[3]


def test_fetch_of_a_title_the_index_does_not_list_is_not_found(tmp_path: Path) -> None:
    """NotFoundError is for pages the index does not list."""
    packed = repack_multistream(tmp_path)
    with pytest.raises(NotFoundError):
        open_dump(packed.dump).fetch(title="Pyrus")


# --------------------------------------------------------------------------------------------
# (f) an index that belongs to another file


def _shifted_index(directory: Path, shift: int) -> Path:
    lines = bz2.decompress(real_file(MULTISTREAM_INDEX).read_bytes()).decode("utf-8").splitlines()
    index = directory / f"shifted-{shift}-index.txt"
    shifted = (f"{int(o) + shift}:{rest}\n" for o, rest in (line.split(":", 1) for line in lines))
    index.write_text("".join(shifted), encoding="utf-8")
    return index


def test_an_index_pointing_past_the_end_of_the_dump_is_an_index_mismatch(tmp_path: Path) -> None:
    """Offsets of a bigger dump: index_mismatch naming the dump and the offset, nothing else read."""
    index = _shifted_index(tmp_path, 10_000_000)
    dump = real_file(MULTISTREAM)
    pages, error = read_until_error(dump, index=index)
    assert pages == []
    assert isinstance(error, DamagedDumpError)
    assert error.kind == "index_mismatch"
    assert dump.name in str(error)
    assert "10000635" in str(error)


@pytest.mark.parametrize("variant", ["shifted by one byte", "index of the re-packed copy"])
def test_an_index_with_offsets_inside_streams_is_an_index_mismatch(
    tmp_path: Path, variant: str
) -> None:
    """Offsets that land inside a bzip2 stream mean the index does not belong to this dump."""
    if variant == "shifted by one byte":
        index = _shifted_index(tmp_path, 1)
    else:
        index = repack_multistream(tmp_path).index
    _, error = read_until_error(real_file(MULTISTREAM), index=index)
    assert isinstance(error, DamagedDumpError)
    assert error.kind == "index_mismatch"


def test_a_malformed_index_is_refused_on_open(tmp_path: Path) -> None:
    """An index that is not offset:id:title lines (here: the dump itself) is index_malformed."""
    with pytest.raises(DamagedDumpError) as caught:
        open_dump(real_file(MULTISTREAM), index=real_file(PLAIN))
    assert caught.value.kind == "index_malformed"


# --------------------------------------------------------------------------------------------
# (g) things that are not dumps at all


def _titles_json() -> bytes:
    return json.dumps([page.title for page in original_pages()], ensure_ascii=False).encode()


NOT_DUMPS: dict[str, Callable[[], bytes]] = {
    "sample-enwiki-titles.json": _titles_json,
    "sample-enwiki-pages.json": lambda: json.dumps(
        {page.title: page.latest.text for page in original_pages()}
    ).encode(),
    "sample-enwiki-pages-articles-multistream-index.txt": lambda: bz2.decompress(
        real_file(MULTISTREAM_INDEX).read_bytes()
    ),
    "sample-enwiki-empty.xml": lambda: b"",
    "sample-enwiki-whitespace.xml": lambda: b" \n\t\n" * 1000,
    "sample-enwiki-empty.xml.bz2": lambda: bz2.compress(b""),
    "sample-enwiki-empty.xml.gz": lambda: gzip.compress(b""),
    "sample-enwiki-titles.json.xz": lambda: lzma.compress(_titles_json()),
}


@pytest.mark.parametrize("name", list(NOT_DUMPS))
def test_a_file_that_is_not_a_mediawiki_export_is_unsupported(tmp_path: Path, name: str) -> None:
    """JSON, an index, empty or blank files (plain or compressed): UnsupportedDumpError."""
    target = tmp_path / name
    target.write_bytes(NOT_DUMPS[name]())
    with pytest.raises(UnsupportedDumpError) as caught:
        list(open_dump(target).pages())
    assert caught.value.kind in ("not_mediawiki_xml", "empty_dump")
    assert target.name in str(caught.value)


def test_a_non_dump_without_a_wiki_name_is_unsupported_not_a_config_problem(
    tmp_path: Path,
) -> None:
    """Without a wiki name in the file name, JSON is still 'not a dump', not 'pass --project'."""
    target = tmp_path / "titles.json"
    target.write_bytes(_titles_json())
    with pytest.raises(UnsupportedDumpError) as caught:
        list(open_dump(target).pages())
    assert target.name in str(caught.value)


def test_an_empty_file_without_a_wiki_name_is_unsupported_not_a_config_problem(
    tmp_path: Path,
) -> None:
    """An empty file is 'not a dump' whatever it is called; --project would not help."""
    target = tmp_path / "empty.xml"
    target.write_bytes(b"")
    with pytest.raises(UnsupportedDumpError) as caught:
        list(open_dump(target).pages())
    assert caught.value.kind == "empty_dump"
