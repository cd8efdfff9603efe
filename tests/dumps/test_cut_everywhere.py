"""A dump cut short never yields, writes or stores half a page, whatever the XML library does.

Real pages (the first pages of the vendored enwiki sample) are cut inside a page's ``<text>``,
inside a tag, inside an entity reference and between two pages; the cut XML is read plain and
through every compression (bz2, gzip, xz, zstd), front to back and by 2 worker processes (a
plain file in byte ranges), through ``parse`` (JSON lines) and ``ingest`` (the store). Each time:

* every record written is byte-identical to the record of the same page read from the whole
  dump, and every stored revision text to the original;
* every whole page before the cut is there, and nothing after it;
* the error is a truncation naming the file and the last whole page;
* ingesting the whole dump afterwards only creates the missing pages: no ``update`` for a
  revision that never changed.

These tests run under the locked lxml and, in CI, under the newest one the ranges allow.
"""

from __future__ import annotations

import bz2
import functools
import gzip
import io
import lzma
from collections.abc import Callable
from pathlib import Path

import pytest
import zstandard

from tests.conftest import ENWIKI_PLAIN
from wikipact.dumps import open_dump
from wikipact.dumps.xmlpages import EndTags
from wikipact.errors import DamagedDumpError
from wikipact.run.ingest import IngestOptions, ingest
from wikipact.run.parse import parse_to_jsonl
from wikipact.store import open_store

PAGES = 14  # real pages kept from the sample: enough for several byte ranges, quick to parse
RANGE_BYTES = 40_000  # plain files by 2 workers: many ranges, so a cut lands in a later one

COMPRESSORS: dict[str, tuple[str, Callable[[bytes], bytes]]] = {
    "plain": ("", lambda data: data),
    "bz2": (".bz2", bz2.compress),
    "gzip": (".gz", gzip.compress),
    "xz": (".xz", lzma.compress),
    "zstd": (".zst", zstandard.ZstdCompressor().compress),
}


@functools.cache
def document() -> tuple[bytes, tuple[tuple[int, int], ...]]:
    """The sample's prolog, its first ``PAGES`` pages and the closing tag; each page's span."""
    raw = ENWIKI_PLAIN.read_bytes()
    first = raw.index(b"  <page>\n")
    spans = []
    start = first
    for _ in range(PAGES):
        end = raw.index(b"  </page>\n", start) + len(b"  </page>\n")
        spans.append((start, end))
        start = end
    return raw[:start] + b"</mediawiki>\n", tuple(spans)


def cut_at(place: str) -> tuple[int, int]:
    """(byte offset of the cut in the document, whole pages before it)."""
    data, spans = document()
    page = 9  # the cut falls in the 10th page, past the first byte ranges
    start, end = spans[page]
    if place == "between pages":
        return start, page
    if place == "inside <text>":
        begin = data.index(b">", data.index(b"<text", start, end)) + 1
        return data.index(b" ", (begin + data.index(b"</text>", begin)) // 2), page
    if place == "inside a tag":
        return data.index(b"<timestamp>", start, end) + 5, page
    if place == "inside an entity":
        return data.index(b"&quot;", start, end) + 3, page
    if place == "inside </page>":
        return end - 4, page
    raise AssertionError(place)


PLACES = ["inside <text>", "inside a tag", "inside an entity", "between pages", "inside </page>"]


NAME = "enwiki-pages-articles.xml"  # the cut file and the whole one: same name, same provenance


@pytest.fixture(scope="module")
def wholes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The document, uncut, as a file of each container, named as the cut files are."""
    folder = tmp_path_factory.mktemp("whole")
    out = {}
    for container, (suffix, compress) in COMPRESSORS.items():
        out[container] = folder / f"{NAME}{suffix}"
        out[container].write_bytes(compress(document()[0]))
    return out


@functools.cache
def reference_lines(whole: Path) -> tuple[bytes, ...]:
    """The JSON line of every page, read from the whole document."""
    out = io.BytesIO()
    summary = parse_to_jsonl([open_dump(whole, project="enwiki")], out)
    assert summary.status == "completed", summary.errors
    return tuple(out.getvalue().splitlines(keepends=True))


@functools.cache
def reference_titles(whole: Path) -> tuple[str, ...]:
    return tuple(page.title for page in open_dump(whole, project="enwiki").pages())


def write_cut(tmp_path: Path, container: str, place: str) -> tuple[Path, int]:
    data, _ = document()
    cut, whole_pages = cut_at(place)
    suffix, compress = COMPRESSORS[container]
    path = tmp_path / f"{NAME}{suffix}"
    path.write_bytes(compress(data[:cut]))
    return path, whole_pages


def assert_names_the_cut(error: object, path: Path, last: str) -> None:
    assert isinstance(error, DamagedDumpError), error
    assert error.kind == "xml_truncated", error
    assert str(path.parent) not in str(error) and path.name in str(error)
    assert error.location.last_good_page is not None
    assert repr(last) in error.location.last_good_page, (last, str(error))


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("container", list(COMPRESSORS))
def test_parse_writes_only_whole_pages(
    tmp_path: Path, wholes: dict[str, Path], container: str, place: str, workers: int
) -> None:
    path, whole_pages = write_cut(tmp_path, container, place)
    whole = wholes[container]
    dump = open_dump(path, project="enwiki")
    if container == "plain" and workers == 2:
        assert len(dump.tasks(RANGE_BYTES)) > 3  # the cut is read by a worker, in a later range
    out = io.BytesIO()
    summary = parse_to_jsonl([dump], out, workers=workers, task_bytes=RANGE_BYTES)
    assert summary.status == "failed"
    assert out.getvalue().splitlines(keepends=True) == list(reference_lines(whole)[:whole_pages])
    assert len(summary.errors) == 1
    assert_names_the_cut(summary.errors[0], path, reference_titles(whole)[whole_pages - 1])


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("place", ["inside <text>", "inside a tag", "between pages"])
@pytest.mark.parametrize("container", ["plain", "bz2", "zstd"])
def test_ingest_stores_only_whole_pages(
    tmp_path: Path, wholes: dict[str, Path], container: str, place: str, workers: int
) -> None:
    path, whole_pages = write_cut(tmp_path, container, place)
    whole = wholes[container]
    store = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    try:
        options = IngestOptions(workers=workers, project="enwiki", task_bytes=RANGE_BYTES)
        summary = ingest([path], store, options)
        assert summary.status == "failed"
        assert summary.result.created == whole_pages
        assert_names_the_cut(summary.errors[0], path, reference_titles(whole)[whole_pages - 1])

        originals = list(open_dump(wholes["plain"], project="enwiki").pages())
        changes = list(store.changes(after=0, limit=1000))
        assert [c.page_id for c in changes] == [p.identifier for p in originals[:whole_pages]]
        assert {c.kind for c in changes} <= {"create", "redirect"}
        for page in originals:
            stored = store.get("enwiki", page.identifier)
            if page in originals[:whole_pages]:
                assert stored is not None and stored.version.identifier == page.latest.identifier
                assert store.revision_text("enwiki", page.latest.identifier) == page.latest.text
            else:
                assert stored is None, page.title

        again = ingest([wholes["plain"]], store, IngestOptions(project="enwiki"))
        assert again.status == "completed"
        assert again.result.created == PAGES - whole_pages
        assert again.result.updated == 0 and again.result.unchanged == whole_pages
        later = list(store.changes(after=changes[-1].cursor if changes else 0, limit=1000))
        assert [c.page_id for c in later] == [p.identifier for p in originals[whole_pages:]]
        assert all(c.kind in ("create", "redirect") for c in later)
    finally:
        store.close()


@pytest.mark.parametrize("container", ["bz2", "gzip", "xz", "zstd"])
def test_a_compressed_stream_cut_mid_page_yields_no_half_page(
    tmp_path: Path, wholes: dict[str, Path], container: str
) -> None:
    """The compressed bytes themselves cut short: the decompressed prefix ends inside a page."""
    data, _ = document()
    suffix, compress = COMPRESSORS[container]
    packed = compress(data)
    path = tmp_path / f"{NAME}{suffix}"
    whole = wholes[container]
    for fraction in (0.3, 0.55, 0.8):
        path.write_bytes(packed[: int(len(packed) * fraction)])
        out = io.BytesIO()
        try:
            summary = parse_to_jsonl([open_dump(path, project="enwiki")], out, workers=2)
        except DamagedDumpError as exc:  # bz2 decodes whole blocks: nothing may come out at all
            error: object = exc
        else:
            assert summary.status == "failed"
            error = summary.errors[0]
        lines = out.getvalue().splitlines(keepends=True)
        assert lines == list(reference_lines(whole)[: len(lines)])
        assert isinstance(error, DamagedDumpError)
        assert error.kind in (f"{container}_truncated", "xml_truncated"), error
        assert path.name in str(error)
        if lines:
            assert repr(reference_titles(whole)[len(lines) - 1]) in str(error)


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 64, 4096])
def test_end_tags_are_counted_once_however_the_bytes_are_split(size: int) -> None:
    data, _ = document()
    counter = EndTags()
    for start in range(0, len(data), size):
        counter.feed(data[start : start + size])
    assert (counter.pages, counter.siteinfo) == (PAGES, 1)


def test_end_tags_in_comments_instructions_and_cdata_do_not_count() -> None:
    counter = EndTags()
    for chunk in [
        b"<mediawiki><page><!-- </page> -",
        b"- </page> --><?pi </page> ?><text><![CDATA[ </page> ]]",
        b"] </page> ]]></text></ns:page  >",
    ]:
        counter.feed(chunk)
    assert counter.pages == 1


def test_a_page_cut_after_an_end_tag_inside_a_comment_is_still_cut(tmp_path: Path) -> None:
    """A ``</page>`` that is not markup never makes a page whole."""
    data, spans = document()
    start, end = spans[3]
    text_end = data.index(b"</text>", start, end)
    cut = data[:text_end] + b"<!-- </page> --> and then the file ends"
    path = tmp_path / "enwiki-pages-articles.xml"
    path.write_bytes(cut)
    pages: list[str] = []
    with pytest.raises(DamagedDumpError) as raised:
        for page in open_dump(path, project="enwiki").pages():
            pages.append(page.title)
    assert len(pages) == 3
    assert raised.value.kind == "xml_truncated"
