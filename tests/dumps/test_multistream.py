"""bzip2 multistream: the index, stream spans, parallel tasks, random access by title or id."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import pytest

from tests.conftest import DATA, ENWIKI_MULTISTREAM, ENWIKI_PLAIN, MRWIKI_MULTISTREAM
from wikipact import open_dump
from wikipact.dumps.multistream import MultistreamIndex, group_spans, index_path_for, read_index
from wikipact.errors import NotFoundError
from wikipact.run.ingest import to_store_item
from wikipact.run.local import run_tasks, specs_for


def test_index_is_found_next_to_the_dump_and_read() -> None:
    index = index_path_for(MRWIKI_MULTISTREAM)
    assert index is not None and index.name.endswith("-multistream-index.txt.bz2")
    entries = list(read_index(index))
    assert len(entries) == 1820
    loaded = MultistreamIndex.load(index)
    assert len(loaded.offsets) == 19  # 1,820 pages, 100 per stream
    assert loaded.header_span().start == 0


def test_spans_cover_the_file_after_the_header() -> None:
    dump = open_dump(MRWIKI_MULTISTREAM)
    assert dump.multistream
    spans = dump.index.spans(dump.size)
    assert spans[0].start == dump.index.header_span().end
    assert spans[-1].end == dump.size
    assert all(a.end == b.start for a, b in itertools.pairwise(spans))
    assert sum(s.pages for s in spans) == 1820


def test_multistream_pages_equal_the_sequential_read() -> None:
    multi = [(p.identifier, p.title, p.latest.text) for p in open_dump(ENWIKI_MULTISTREAM).pages()]
    plain = [(p.identifier, p.title, p.latest.text) for p in open_dump(ENWIKI_PLAIN).pages()]
    assert multi == plain


def test_siteinfo_comes_from_the_first_stream() -> None:
    site = open_dump(MRWIKI_MULTISTREAM).site
    assert (site.dbname, site.language, site.export_version) == ("mrwiki", "mr", "0.11")
    assert site.namespace_name(14) == "वर्ग"


def test_tasks_group_streams_and_parallel_equals_serial() -> None:
    dump = open_dump(MRWIKI_MULTISTREAM)
    groups = group_spans(dump.index.spans(dump.size), target_bytes=200_000)
    assert len(groups) > 3
    tasks = dump.tasks(200_000)
    assert [t.spans for t in tasks] == groups
    specs = specs_for(dump, on_error="stop")
    serial = [
        item[0] for batch in run_tasks(specs, to_store_item, workers=1) for item in batch.items
    ]
    parallel = [
        item[0] for batch in run_tasks(specs, to_store_item, workers=2) for item in batch.items
    ]
    assert len(serial) == 1820
    assert serial == parallel


@pytest.mark.parametrize(
    ("title", "page_id"), [("Anarchism", None), (None, 1718), ("Ambrosiaster", None)]
)
def test_fetch_one_page_through_the_index(title: str | None, page_id: int | None) -> None:
    page = open_dump(ENWIKI_MULTISTREAM).fetch(title=title, page_id=page_id)
    assert page.title == (title or "Ambrosiaster")
    assert page.source is not None and page.source.stream_offset is not None


def test_fetch_reads_only_the_stream_of_the_page(tmp_path: Path) -> None:
    """Every other page stream is destroyed in a copy; the indexed fetch still works."""
    dump_copy = tmp_path / MRWIKI_MULTISTREAM.name
    index_name = MRWIKI_MULTISTREAM.name.replace(".xml.bz2", "-index.txt.bz2")
    shutil.copy(MRWIKI_MULTISTREAM, dump_copy)
    shutil.copy(DATA / index_name, tmp_path / index_name)
    original = open_dump(MRWIKI_MULTISTREAM)
    target = list(original.pages())[1500]
    spans = original.index.spans(original.size)
    keep = next(s for s in spans if s.start == original.index.offset_of(page_id=target.identifier))
    data = bytearray(dump_copy.read_bytes())
    for span in spans:
        if span != keep:
            data[span.start + 20 : span.end - 20] = bytes(span.size - 40)
    dump_copy.write_bytes(bytes(data))
    fetched = open_dump(dump_copy).fetch(page_id=target.identifier)
    assert fetched.latest.text == target.latest.text
    by_title = open_dump(dump_copy).fetch(title=target.title.replace(" ", "_"))
    assert by_title.identifier == target.identifier


def test_fetch_of_a_missing_page_says_so() -> None:
    with pytest.raises(NotFoundError, match=r"is not in"):
        open_dump(ENWIKI_MULTISTREAM).fetch(title="No such page title")
