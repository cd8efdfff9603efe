"""Dumps read from object storage (s3:// on a real S3-compatible server, tests/s3.py) give what
the same files give locally: site, tasks and pages, for every vendored container; and a task
of a multistream dump fetches its own byte ranges, not the file."""

from __future__ import annotations

from pathlib import Path

import pytest
import zstandard

from tests.conftest import DATA, ENWIKI_MULTISTREAM, MRWIKI_MULTISTREAM
from tests.s3 import Server
from wikipact import open_dump, storage
from wikipact.dumps.containers import open_file
from wikipact.dumps.multistream import index_path_for
from wikipact.dumps.reader import Dump
from wikipact.errors import ConfigError
from wikipact.model.raw import RawPage
from wikipact.run.ingest import to_store_item
from wikipact.run.local import run_span_task, run_tasks, specs_for

TASK_BYTES = 50_000  # small tasks: dozens of ranges and span groups over the samples
DUMPS = [  # every vendored dump but the 7z ones, by container
    "sample-enwiki-pages-articles.xml",  # plain UTF-8: read by byte ranges
    "article-pear-0.10.xml",
    "brwiki-test.xml",
    "dewiki-20130602-id1.xml",
    "article-pyrus-utf16.xml",  # plain UTF-16: one whole-file task
    "sample-enwiki-pages-articles-multistream.xml.bz2",  # multistream, index beside it
    "sample-mrwiki-pages-articles-multistream.xml.bz2",
    "aawiki-20260101-pages-meta-current.xml.bz2",  # bzip2 without an index
    "bgwiki-latest-pages-articles-shortened.xml.bz2",
    "dbpedia-minidump-kn-wiki.xml.bz2",
    "article-pyrus.xml.gz",
    "article-pyrus.xml.xz",
    "article-pyrus.xml.lzma",
    "article-pyrus.xml.zst",  # made here from article-pyrus.xml (none is vendored)
]


def _local(name: str, tmp_path: Path) -> Path:
    if name.endswith(".zst"):
        target = tmp_path / name
        raw = (DATA / name.removesuffix(".zst")).read_bytes()
        target.write_bytes(zstandard.ZstdCompressor().compress(raw))
        return target
    return DATA / name


def _upload(path: Path, prefix: str) -> str:
    """The dump, and its index if it has one, under ``prefix``; the dump's URL."""
    url = storage.join(prefix, path.name)
    storage.put_bytes(url, path.read_bytes())
    index = index_path_for(path)
    if index is not None:
        storage.put_bytes(storage.join(prefix, Path(index).name), Path(index).read_bytes())
    return url


def _by_tasks(dump: Dump) -> list[RawPage]:
    return [page for task in dump.tasks(TASK_BYTES) for page in dump.task_pages(task)]


@pytest.mark.parametrize("name", DUMPS)
def test_a_dump_at_a_url_reads_as_the_file_does(name: str, s3_bucket: str, tmp_path: Path) -> None:
    path = _local(name, tmp_path)
    url = _upload(path, s3_bucket + "/dumps/20260101")
    local, remote = open_dump(path), open_dump(url)
    assert remote.path == url and remote.name == path.name
    assert (remote.site, remote.notes, remote.size) == (local.site, local.notes, local.size)
    assert remote.multistream == local.multistream == ("multistream" in name)
    if remote.index is not None:
        assert remote.index.path == url.replace(".xml.bz2", "-index.txt.bz2")
    local_tasks, remote_tasks = local.tasks(TASK_BYTES), remote.tasks(TASK_BYTES)
    assert [(t.key, t.size, t.spans) for t in remote_tasks] == [
        (t.key, t.size, t.spans) for t in local_tasks
    ]
    assert all(t.path == url for t in remote_tasks)
    pages = _by_tasks(remote)
    assert pages == list(local.pages())  # titles, ids, every revision's text, sources
    assert pages


def test_the_index_can_be_named_elsewhere(s3_bucket: str) -> None:
    url = storage.join(s3_bucket, "dumps", ENWIKI_MULTISTREAM.name)
    storage.put_bytes(url, ENWIKI_MULTISTREAM.read_bytes())
    index = index_path_for(ENWIKI_MULTISTREAM)
    assert index is not None
    elsewhere = storage.join(s3_bucket, "indexes", "enwiki.txt.bz2")
    storage.put_bytes(elsewhere, Path(index).read_bytes())
    assert not open_dump(url).multistream  # nothing beside it
    dump = open_dump(url, index=elsewhere)
    assert dump.multistream and dump.index is not None and dump.index.path == elsewhere
    assert _by_tasks(dump) == list(open_dump(ENWIKI_MULTISTREAM).pages())
    with pytest.raises(ConfigError, match="no such index file"):
        open_dump(url, index=storage.join(s3_bucket, "indexes", "missing.txt.bz2"))


def test_a_span_task_fetches_only_its_ranges(s3_server: Server, s3_bucket: str) -> None:
    """A worker reopens the dump by its URL and reads its streams by ranged GETs: a task of one
    ~95 KB stream of the 1.8 MB dump fetches that stream and 11 bytes (container magic)."""
    url = _upload(MRWIKI_MULTISTREAM, s3_bucket + "/dumps")
    dump = open_dump(url)
    tasks = dump.tasks(1)  # one stream per task
    assert len(tasks) == 19
    task = tasks[9]
    spec = specs_for(dump, on_error="stop", tasks=[task])[0]
    assert spec.dump_path == url  # what a worker process gets
    since = s3_server.traffic.mark()
    batch = run_span_task(spec, to_store_item)
    fetched = s3_server.served(url, since=since)
    assert batch.finished and batch.pages_done == task.spans[0].pages == 100
    assert fetched == task.size + 8 + 3  # the stream; the file's head, the stream's magic
    assert fetched < dump.size / 15
    local = open_dump(MRWIKI_MULTISTREAM)
    expected = list(local.task_pages(local.tasks(1)[9]))
    assert [page for page, _article in batch.items] == expected


def test_fetching_one_page_reads_one_stream(s3_server: Server, s3_bucket: str) -> None:
    url = _upload(ENWIKI_MULTISTREAM, s3_bucket + "/dumps")
    dump = open_dump(url)
    since = s3_server.traffic.mark()
    page = dump.fetch(title="Anarchism")
    assert page == open_dump(ENWIKI_MULTISTREAM).fetch(title="Anarchism")
    assert dump.index is not None
    span = next(s for s in dump.index.spans(dump.size) if s.start == page.source.stream_offset)
    assert s3_server.served(url, since=since) == span.size + 3


def test_workers_read_their_tasks_from_the_url(s3_bucket: str) -> None:
    """Spawned worker processes reopen the dump by URL, with the AWS variables they inherit."""
    url = _upload(MRWIKI_MULTISTREAM, s3_bucket + "/dumps")
    tasks = open_dump(url).tasks(1)[:4]  # two tasks for each of the two workers
    specs = specs_for(open_dump(url), on_error="stop", tasks=tasks)
    pages = [
        item[0] for batch in run_tasks(specs, to_store_item, workers=2) for item in batch.items
    ]
    local = open_dump(MRWIKI_MULTISTREAM)
    assert pages == [page for task in local.tasks(1)[:4] for page in local.task_pages(task)]
    assert len(pages) == 400


def test_a_7z_archive_must_be_local(s3_bucket: str) -> None:
    url = _upload(DATA / "article-pyrus.xml.7z", s3_bucket)
    with pytest.raises(ConfigError, match=r"7z archive.*local file only.*download it first"):
        open_file(url)
    assert len(list(open_dump(DATA / "article-pyrus.xml.7z").pages())) == 1  # local: read


def test_a_missing_dump_names_its_url(s3_bucket: str) -> None:
    url = storage.join(s3_bucket, "dumps", "enwiki-20260101-pages-articles.xml.bz2")
    with pytest.raises(ConfigError, match="no such object") as raised:
        open_dump(url)
    assert url in str(raised.value)
