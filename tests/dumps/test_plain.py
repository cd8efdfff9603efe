"""Plain UTF-8 dumps read by byte ranges: the ranges tile the file, and reading them gives the
pages, errors and error locations of a front-to-back read of the whole file.

Inputs are the real vendored samples (and bench/data/speed50.xml when it is there), split with
small range sizes so that even the 1.6 MB enwiki sample makes dozens of ranges, and damaged
inside ``tmp_path``.
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import itertools
import random
from pathlib import Path

import pytest

from tests.conftest import DATA, ENWIKI_PLAIN
from tests.dumps.test_damaged_input import MISSING, Layout, bare, text_span
from wikipact.dumps import open_dump, reader
from wikipact.dumps.plain import PAGE_TAG, next_page_tag
from wikipact.dumps.reader import Dump, Task
from wikipact.errors import DumpError, DumpLocation, PageError
from wikipact.model.raw import RawPage

RANGE = 50_000  # bytes per range: 14 ranges over the 1.6 MB enwiki sample (its pages are big)
SPEED50 = Path(__file__).resolve().parents[2] / "bench" / "data" / "speed50.xml"
REAL_PLAIN = [  # every vendored plain UTF-8 file with a <mediawiki> root
    "sample-enwiki-pages-articles.xml",
    "pair-0.10.xml",
    "article-pear-0.10.xml",
    "article-pear.xml",
    "article-pyrus.xml",
]
DAMAGE_RANGE = 10_000  # for damage tests: about one page of the enwiki sample per range


def whole_file(dump: Dump) -> Task:
    """The task every plain dump was before ranges: the file read front to back."""
    return Task(str(dump.path), dump.name, dump.size)


def by_ranges(dump: Dump, target: int) -> list[RawPage]:
    return [page for task in dump.tasks(target) for page in dump.task_pages(task)]


Outcome = tuple[list[RawPage], list[DumpError], DumpError | None]


def read(dump: Dump, on_error: str, *, whole: bool) -> Outcome:
    """Pages, recorded errors and the error that stopped reading: whole file or by ranges."""
    pages: list[RawPage] = []
    errors: list[DumpError] = []
    source = (
        dump.task_pages(whole_file(dump), on_error=on_error, errors=errors)
        if whole
        else dump.pages(on_error=on_error, errors=errors)
    )
    try:
        pages.extend(source)
    except DumpError as exc:
        return pages, errors, exc
    return pages, errors, None


def where(error: DumpError) -> tuple[str, DumpLocation]:
    return error.kind, error.location


@pytest.fixture
def small_ranges(monkeypatch: pytest.MonkeyPatch) -> int:
    """Dumps read by ``pages()`` are cut into ranges of DAMAGE_RANGE bytes."""
    monkeypatch.setattr(reader, "PLAIN_TASK_BYTES", DAMAGE_RANGE)
    return DAMAGE_RANGE


# --------------------------------------------------------------------------------------------
# planning


def test_ranges_tile_the_file_and_start_at_page_tags() -> None:
    dump = open_dump(ENWIKI_PLAIN)
    data = ENWIKI_PLAIN.read_bytes()
    tasks = dump.tasks(RANGE)
    spans = [span for task in tasks for span in task.spans or ()]
    assert len(tasks) == len(spans) > 10
    assert spans[0].start == 0 and spans[-1].end == dump.size
    assert all(a.end == b.start for a, b in itertools.pairwise(spans))
    assert all(span.plain for span in spans)
    assert all(data.startswith(PAGE_TAG, span.start) for span in spans[1:])
    assert all(span.size >= RANGE for span in spans[:-1])
    assert [task.key for task in tasks] == [f"{dump.name}@{s.start}-{s.end}" for s in spans]
    assert sum(task.size for task in tasks) == dump.size


def test_next_page_tag_agrees_with_a_search_of_the_whole_file() -> None:
    """Including tags that straddle two of the 64 KB blocks it reads."""
    data = ENWIKI_PLAIN.read_bytes()
    tags = [i for i in range(len(data)) if data.startswith(PAGE_TAG, i)]
    straddling = [tag - (1 << 16) + k for tag in tags[5:10] for k in range(1, len(PAGE_TAG))]
    offsets = [0, *tags[:3], tags[-1] + 1, len(data) - 1, len(data), *straddling]
    offsets += random.Random(6).sample(range(len(data)), 200)
    with open(ENWIKI_PLAIN, "rb") as fh:
        for offset in offsets:
            found = data.find(PAGE_TAG, offset)
            assert next_page_tag(fh, offset) == (found if found >= 0 else None), offset


def test_a_file_smaller_than_a_range_is_one_whole_file_task_with_the_old_key() -> None:
    """Its key is the one older versions checkpointed plain files under."""
    dump = open_dump(ENWIKI_PLAIN)
    assert dump.size < reader.PLAIN_TASK_BYTES
    assert dump.tasks() == [whole_file(dump)]


def _utf16(tmp: Path) -> Path:
    target = tmp / "sample-enwiki-utf16.xml"
    target.write_bytes(codecs.BOM_UTF16_LE + ENWIKI_PLAIN.read_bytes().decode().encode("utf-16-le"))
    return target


def _fragment(tmp: Path) -> Path:
    layout = Layout.of(ENWIKI_PLAIN.read_bytes())
    target = tmp / "fragment-enwiki-pages-articles.xml"
    target.write_bytes(b"".join(layout.pages))
    return target


def _compressed(suffix: str, compress: object) -> object:
    def make(tmp: Path) -> Path:
        target = tmp / f"sample-enwiki-pages-articles.xml{suffix}"
        target.write_bytes(compress(ENWIKI_PLAIN.read_bytes()))  # type: ignore[operator]
        return target

    return make


UNSPLITTABLE = {
    "UTF-16 (vendored)": lambda tmp: DATA / "article-pyrus-utf16.xml",
    "UTF-16 copy of the enwiki sample": _utf16,
    "bare <page> fragments (vendored)": lambda tmp: DATA / "brwiki-test.xml",
    "a bare <page> of 2012 (vendored)": lambda tmp: DATA / "enwiki-20120104-id1718.xml",
    "bare <page> fragments of the enwiki sample": _fragment,
    "gzip": _compressed(".gz", gzip.compress),
    "bzip2 without an index": _compressed(".bz2", bz2.compress),
}


@pytest.mark.parametrize("kind", list(UNSPLITTABLE))
def test_files_that_cannot_be_entered_in_the_middle_stay_one_whole_file_task(
    tmp_path: Path, kind: str
) -> None:
    dump = open_dump(UNSPLITTABLE[kind](tmp_path), project="enwiki")
    assert dump.tasks(1) == [whole_file(dump)]
    assert list(dump.pages())


# --------------------------------------------------------------------------------------------
# the pages of the ranges are the pages of the file


@pytest.mark.parametrize("target", [RANGE, 1000, 1])
@pytest.mark.parametrize("name", REAL_PLAIN)
def test_pages_of_the_ranges_are_the_pages_of_the_whole_file(name: str, target: int) -> None:
    """Same pages, same order, same source (no stream offset): a range size of 1 is a page each."""
    dump = open_dump(DATA / name)
    whole = list(dump.task_pages(whole_file(dump)))
    assert by_ranges(dump, target) == whole
    assert all(page.source is not None and page.source.stream_offset is None for page in whole)
    if target == 1:
        assert len(dump.tasks(target)) == len(whole) + 1  # the header, then one per page


@pytest.mark.skipif(not SPEED50.is_file(), reason=f"{SPEED50} is not there (bench data)")
def test_pages_of_the_default_ranges_of_the_speed_benchmark_are_those_of_the_file() -> None:
    dump = open_dump(SPEED50)
    assert len(dump.tasks()) > 10
    assert by_ranges(dump, reader.PLAIN_TASK_BYTES) == list(dump.task_pages(whole_file(dump)))


def test_a_utf8_byte_order_mark_is_dropped_and_offsets_are_those_of_a_whole_read(
    tmp_path: Path, small_ranges: int
) -> None:
    data = ENWIKI_PLAIN.read_bytes()
    target = tmp_path / "bom-enwiki-pages-articles.xml"
    target.write_bytes(codecs.BOM_UTF8 + data[: len(data) // 2])
    dump = open_dump(target)
    assert len(dump.tasks()) > 5
    whole = read(dump, "stop", whole=True)
    ranges = read(dump, "stop", whole=False)
    assert ranges[0] == whole[0] and len(whole[0]) > 5
    assert ranges[2] is not None and whole[2] is not None
    assert where(ranges[2]) == where(whole[2]) == ("xml_truncated", ranges[2].location)
    assert ranges[2].location.xml_offset == len(data) // 2  # the mark is not XML


# --------------------------------------------------------------------------------------------
# damage: reported as a whole-file read reports it


def _cut(tmp: Path, document: bytes, cut: int) -> Dump:
    target = tmp / "cut-enwiki-pages-articles.xml"
    target.write_bytes(document[:cut])
    return open_dump(target)


def _same_as_whole_file(dump: Dump) -> DumpError:
    """Both policies: the same pages and the same error, kind and location, as a whole read."""
    assert len(dump.tasks()) > 1
    for on_error in ("stop", "skip"):
        whole = read(dump, on_error, whole=True)
        ranges = read(dump, on_error, whole=False)
        assert ranges[0] == whole[0]
        assert [where(e) for e in ranges[1]] == [where(e) for e in whole[1]]
        assert (ranges[2] and where(ranges[2])) == (whole[2] and where(whole[2]))
    error = (ranges[1] or [ranges[2]])[0]
    assert error is not None
    return error


@pytest.mark.parametrize("complete", [1, 2, 20, 39, 55])
def test_a_cut_inside_a_page_is_a_truncation_after_the_same_pages(
    tmp_path: Path, small_ranges: int, complete: int
) -> None:
    document = ENWIKI_PLAIN.read_bytes()
    begin, end = text_span(document, *Layout.of(document).page_span(complete))
    dump = _cut(tmp_path, document, document.index(b" ", (begin + end) // 2, end) + 1)
    error = _same_as_whole_file(dump)
    assert error.kind == "xml_truncated"
    assert error.location.compressed_offset == dump.size
    last = dump.tasks()[-1].spans[-1]  # type: ignore[index]
    assert last.start < error.location.compressed_offset <= last.end


@pytest.mark.parametrize(
    "needle", [b"&quot;", b"<contributor", b"<text bytes", b'<text bytes="', b"</title>"]
)
def test_a_cut_in_any_construct_is_a_truncation(
    tmp_path: Path, small_ranges: int, needle: bytes
) -> None:
    document = ENWIKI_PLAIN.read_bytes()
    start, end = Layout.of(document).page_span(30)
    dump = _cut(tmp_path, document, document.index(needle, start, end) + len(needle) // 2)
    assert _same_as_whole_file(dump).kind == "xml_truncated"


def test_random_cuts_are_truncations_after_the_right_pages(
    tmp_path: Path, small_ranges: int
) -> None:
    """40 seeded cut points: pages and errors (kind and location) as a whole-file read gives."""
    document = ENWIKI_PLAIN.read_bytes()
    layout = Layout.of(document)
    last_end = layout.page_span(len(layout.pages) - 1)[1]
    rng = random.Random(4096)
    first_cut = layout.page_span(1)[0] + len(b"  <page>")  # from here on there are 2+ ranges
    for cut in sorted(rng.sample(range(first_cut, last_end - 1), 40)):
        assert _same_as_whole_file(_cut(tmp_path, document, cut)).kind == "xml_truncated", cut


def test_a_cut_exactly_where_a_range_would_start_is_a_truncation(
    tmp_path: Path, small_ranges: int
) -> None:
    """The file ends between two pages: the range before is now the last and lacks the root's end."""
    document = ENWIKI_PLAIN.read_bytes()
    tasks = open_dump(ENWIKI_PLAIN).tasks()
    boundary = tasks[len(tasks) // 2].spans[0].start  # type: ignore[index]
    error = _same_as_whole_file(_cut(tmp_path, document, boundary))
    assert error.kind == "xml_truncated"
    assert error.location.last_good_page is not None


def test_a_dump_without_its_closing_root_is_a_truncation(tmp_path: Path, small_ranges: int) -> None:
    document = ENWIKI_PLAIN.read_bytes()
    dump = _cut(tmp_path, document, document.rindex(b"</mediawiki>"))
    error = _same_as_whole_file(dump)
    assert error.kind == "xml_truncated"
    assert error.location.last_good_page == list(open_dump(ENWIKI_PLAIN).pages())[-1].label


def test_junk_after_the_closing_root_is_reported_as_a_whole_read_reports_it(
    tmp_path: Path, small_ranges: int
) -> None:
    target = tmp_path / "junk-enwiki-pages-articles.xml"
    target.write_bytes(ENWIKI_PLAIN.read_bytes() + b"<page>junk</page>\n")
    assert _same_as_whole_file(open_dump(target)).kind in ("xml_error", "xml_truncated")


def _first_page_of_a_middle_range() -> int:
    tasks = open_dump(ENWIKI_PLAIN).tasks(DAMAGE_RANGE)
    start = tasks[len(tasks) // 2].spans[0].start  # type: ignore[index]
    return ENWIKI_PLAIN.read_bytes()[:start].count(PAGE_TAG)


@pytest.mark.parametrize("which", ["first of the file", "first of a range", "last of the file"])
def test_a_page_missing_its_text_is_skipped_alone_and_located_in_its_range(
    tmp_path: Path, small_ranges: int, which: str
) -> None:
    """The first page of a range too: its error names the page before, read by another range."""
    page = {"first of the file": 0, "last of the file": 55}.get(which)
    page = _first_page_of_a_middle_range() if page is None else page
    document = ENWIKI_PLAIN.read_bytes()
    start, end = Layout.of(document).page_span(page)
    pattern, closing = MISSING["page_missing_text"]
    at = document.index(pattern, start, end)
    target = tmp_path / "damaged-enwiki-pages-articles.xml"
    target.write_bytes(document[:at] + document[document.index(closing, at) + len(closing) :])
    dump = open_dump(target, project="enwiki")
    ranges = read(dump, "skip", whole=False)
    whole = read(dump, "skip", whole=True)
    assert ranges[0] == whole[0] and len(ranges[0]) == 55
    [error] = ranges[1]
    assert isinstance(error, PageError) and error.kind == "page_missing_text"
    assert error.location.last_good_page == whole[1][0].location.last_good_page
    tag = document.index(PAGE_TAG, start)
    span = next(s for t in dump.tasks() for s in t.spans or () if s.start <= tag < s.end)
    if which == "first of a range":
        assert span.start == tag
        assert error.location.last_good_page == whole[0][page - 1].label
    assert span.start < (error.location.compressed_offset or 0) <= span.end
    stopped = read(dump, "stop", whole=False)
    assert stopped[0] == whole[0][:page] and stopped[2] is not None
    assert where(stopped[2])[0] == "page_missing_text"


def test_damaged_xml_loses_only_the_rest_of_its_range_under_skip(
    tmp_path: Path, small_ranges: int
) -> None:
    """A whole read loses everything after damaged XML; ranges keep the pages of later ranges."""
    document = ENWIKI_PLAIN.read_bytes()
    start, end = Layout.of(document).page_span(25)
    begin = text_span(document, start, end)[0]
    target = tmp_path / "garbled-enwiki-pages-articles.xml"
    target.write_bytes(document[:begin] + b"<<garbled>" + document[begin:])
    dump = open_dump(target)
    originals = [bare(page) for page in open_dump(ENWIKI_PLAIN).pages()]
    pages, errors, fatal = read(dump, "skip", whole=False)
    pages = [bare(page) for page in pages]
    whole_pages, whole_errors, _ = read(dump, "skip", whole=True)
    whole_pages = [bare(page) for page in whole_pages]
    assert fatal is None and [e.kind for e in errors] == [e.kind for e in whole_errors]
    assert whole_pages == originals[:25]
    span = next(s for t in dump.tasks() for s in t.spans or () if s.start <= begin < s.end)
    after = next(n for n, p in enumerate(originals) if p.label == errors[0].location.last_good_page)
    lost = [p for p in originals[after + 1 :] if p not in pages]
    assert originals[25] in lost and len(pages) + len(lost) == len(originals)
    assert pages == [p for p in originals if p not in lost]
    assert span.start < (errors[0].location.compressed_offset or 0) <= span.end
    stopped, _, error = read(dump, "stop", whole=False)
    assert [bare(page) for page in stopped] == originals[:25] and error is not None
    whole_error = read(dump, "stop", whole=True)[2]
    assert whole_error is not None
    assert (error.kind, error.location.last_good_page) == (
        whole_error.kind,
        whole_error.location.last_good_page,
    )
    # A whole read points at the end of the 1 MB it had read, a range reader at its range's end.
    assert span.start < (error.location.compressed_offset or 0) <= span.end


def test_a_page_left_open_in_a_middle_range_is_malformed_xml_not_a_cut(
    tmp_path: Path, small_ranges: int
) -> None:
    """The range ends at the next <page> with a page still open: damage there, not truncation.

    A whole read only notices at ``</mediawiki>``, after every later page; read by ranges, the
    damage is reported in its own range, and ``skip`` keeps the pages a whole read keeps.
    """
    document = ENWIKI_PLAIN.read_bytes()
    closing = document.index(b"</page>", Layout.of(document).page_span(20)[0])
    target = tmp_path / "unclosed-enwiki-pages-articles.xml"
    target.write_bytes(document[:closing] + document[closing + len(b"</page>") :])
    dump = open_dump(target)
    span = next(s for t in dump.tasks() for s in t.spans or () if s.start <= closing < s.end)
    assert span.end < dump.size
    pages, errors, fatal = read(dump, "skip", whole=False)
    whole_pages, whole_errors, _ = read(dump, "skip", whole=True)
    assert fatal is None and pages == whole_pages and len(pages) == 55
    [error] = errors
    assert error.kind == whole_errors[0].kind == "xml_error"
    assert "still open" in error.detail
    assert error.location.compressed_offset == span.end
    stopped, _, stop_error = read(dump, "stop", whole=False)
    assert stopped == whole_pages[: len(stopped)] and len(stopped) > 20
    assert stop_error is not None and stop_error.kind == "xml_error"
