"""Every container, encoding and export schema version, on real files."""

from __future__ import annotations

import bz2
import gzip
import lzma
from pathlib import Path

import pytest
import zstandard

from tests.conftest import DATA, ENWIKI_PLAIN
from wikipact import open_dump
from wikipact.dumps.containers import detect_container

PYRUS = ["article-pyrus.xml" + suffix for suffix in ("", ".bz2", ".gz", ".xz", ".lzma", ".7z")]
PYRUS_REVISIONS = [104997415, 104997738, 189729426, 190346463, 238138507, 238392911]


@pytest.mark.parametrize("name", [*PYRUS, "article-pyrus-utf16.xml", "article-pyrus-utf16.xml.bz2"])
def test_every_container_and_encoding_gives_the_same_page(name: str) -> None:
    dump = open_dump(DATA / name)
    pages = list(dump.pages())
    assert len(pages) == 1
    page = pages[0]
    assert (page.title, page.identifier, page.namespace) == ("Pyrus", 9261472, 0)
    assert [r.identifier for r in page.revisions] == PYRUS_REVISIONS
    assert page.redirect_title == "Pear"
    assert page.latest.text == "#REDIRECT [[Pear]]"
    assert dump.site.export_version == "0.3"


def test_containers_are_recognised_by_magic_not_name() -> None:
    expected = {
        ".bz2": "bz2",
        ".gz": "gzip",
        ".xz": "xz",
        ".lzma": "lzma",
        ".7z": "7z",
        ".xml": "plain",
    }
    for name in PYRUS:
        head = (DATA / name).read_bytes()[:8]
        assert detect_container(head) == expected[Path(name).suffix]


@pytest.mark.parametrize(
    "compress",
    [bz2.compress, gzip.compress, lzma.compress, zstandard.ZstdCompressor().compress],
    ids=["bz2", "gzip", "xz", "zstd"],
)
def test_compressed_copies_of_a_real_dump_read_identically(tmp_path: Path, compress) -> None:
    original = list(open_dump(ENWIKI_PLAIN).pages())
    target = tmp_path / "copy.xml.z"
    target.write_bytes(compress(ENWIKI_PLAIN.read_bytes()))
    assert list(open_dump(target, project="enwiki").pages()) == [
        _with_source(p, target.name) for p in original
    ]


def test_concatenated_gzip_members_are_read_in_full(tmp_path: Path) -> None:
    raw = ENWIKI_PLAIN.read_bytes()
    half = raw.index(b"<page>", len(raw) // 2)
    target = tmp_path / "two-members.xml.gz"
    target.write_bytes(gzip.compress(raw[:half]) + gzip.compress(raw[half:]))
    assert len(list(open_dump(target).pages())) == len(list(open_dump(ENWIKI_PLAIN).pages()))


def test_utf16_le_with_bom_bulgarian_dump() -> None:
    dump = open_dump(DATA / "bgwiki-latest-pages-articles-shortened.xml.bz2")
    assert dump.site.dbname == "bgwiki"
    assert dump.site.language == "bg"
    assert dump.site.namespace_name(4) == "Уикипедия"
    pages = list(dump.pages())
    assert [p.namespace for p in pages].count(0) == 1
    assert any("България" in p.latest.text or "Б" in p.title for p in pages)


def test_export_010_with_two_revisions_per_page() -> None:
    pages = list(open_dump(DATA / "pair-0.10.xml").pages())
    assert [(p.title, p.namespace) for p in pages] == [
        ("Çullu, Agdam", 0),
        ("Talk:Çullu, Agdam", 1),
    ]
    assert all(len(p.revisions) == 2 for p in pages)
    assert pages[0].revisions[1].parent_identifier == pages[0].revisions[0].identifier


def test_export_011_current_dump_with_siteinfo() -> None:
    dump = open_dump(DATA / "aawiki-20260101-pages-meta-current.xml.bz2")
    assert dump.site.dbname == "aawiki"
    assert dump.site.export_version == "0.11"
    assert dump.site.server == "https://aa.wikipedia.org"
    assert dump.site.namespace_name(14) == "Category"
    pages = list(dump.pages())
    assert len(pages) == 507
    assert all(p.latest.sha1 for p in pages if not p.latest.text_deleted)


def test_7z_history_dump_holds_every_revision() -> None:
    pytest.importorskip("py7zr")
    current = {
        p.identifier: p
        for p in open_dump(DATA / "aawiki-20260101-pages-meta-current.xml.bz2").pages()
    }
    history = list(open_dump(DATA / "aawiki-20260101-pages-meta-history.xml.7z").pages())
    assert {p.identifier for p in history} == set(current)
    assert sum(len(p.revisions) for p in history) > len(history)
    for page in history:
        assert page.latest.identifier == current[page.identifier].latest.identifier


def test_bare_page_fragment_without_root_or_siteinfo() -> None:
    dump = open_dump(DATA / "brwiki-test.xml")
    assert (dump.site.dbname, dump.site.language) == ("brwiki", "br")
    assert dump.site.server == "https://br.wikipedia.org"
    [page] = dump.pages()
    assert page.namespace == 0 and page.latest.text


def test_2012_page_without_ns_element_gets_namespace_from_title() -> None:
    [page] = open_dump(DATA / "enwiki-20120104-id1718.xml").pages()
    assert (page.title, page.namespace, page.identifier) == ("Ambrosiaster", 0, 1718)


def test_project_override_for_a_wrongly_labelled_dump() -> None:
    dump = open_dump(DATA / "brwiki-test.xml", project="cawiki")
    assert (dump.site.dbname, dump.site.language) == ("cawiki", "ca")


def _with_source(page, name: str):
    import msgspec

    from wikipact.model.raw import SourceRef

    return msgspec.structs.replace(page, source=SourceRef(file=name))
