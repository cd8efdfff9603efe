"""Every dump file of the shared corpus: pages per namespace as its inventory lists them.

Truncated files must keep every complete page and end with a specific error.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from tests.conftest import CORPUS, corpus_available
from wikipact import open_dump
from wikipact.errors import DumpError

NOT_DUMPS = (".txt", ".json", ".ndjson", ".sql.gz")


def _dump_files() -> list[Path]:
    if not corpus_available():
        return []
    files = [p for p in (CORPUS / "original").rglob("*") if p.is_file()]
    files += [p for p in (CORPUS / "assembled").glob("sample-*") if "index" not in p.name]
    return sorted(p for p in files if not p.name.endswith(NOT_DUMPS))


def _inventory() -> dict[str, Counter[tuple[int, bool]]]:
    counts: dict[str, Counter[tuple[int, bool]]] = defaultdict(Counter)
    if corpus_available():
        for line in (CORPUS / "inventory.jsonl").read_text().splitlines():
            row = json.loads(line)
            counts[row["file"]][(row["ns"], row["redirect"])] += 1
    return counts


INVENTORY = _inventory()
TRUNCATED = {"elwiki", "jawiki", "mrwiki", "ukwiki"}


@pytest.mark.corpus
@pytest.mark.skipif(not corpus_available(), reason="the shared corpus is absent; CI has it")
@pytest.mark.parametrize("path", _dump_files(), ids=lambda p: str(p.relative_to(CORPUS)))
def test_dump_reads_with_inventory_counts(path: Path) -> None:
    rel = str(path.relative_to(CORPUS))
    dump = open_dump(path)
    errors: list[DumpError] = []
    pages = list(dump.pages(on_error="skip", errors=errors))
    got = Counter((p.namespace, p.redirect_title is not None) for p in pages)
    if rel in INVENTORY:
        assert got == INVENTORY[rel]
    assert pages, "no page read"
    if "truncated" in path.name:
        assert [e.kind for e in errors] == ["xml_truncated"]
        assert errors[0].location.last_good_page == pages[-1].label
        assert path.name in str(errors[0])
    else:
        assert errors == []


@pytest.mark.corpus
def test_every_inventoried_dump_is_covered(corpus: Path) -> None:
    covered = {str(p.relative_to(corpus)) for p in _dump_files()}
    dumps = {f for f in INVENTORY if not f.endswith(NOT_DUMPS)}
    assert dumps <= covered


@pytest.mark.corpus
def test_assembled_plain_and_multistream_agree(corpus: Path) -> None:
    for plain in sorted((corpus / "assembled").glob("sample-*-pages-articles.xml")):
        multi = plain.with_name(plain.name.replace(".xml", "-multistream.xml.bz2"))
        a = [(p.identifier, p.latest.text) for p in open_dump(plain).pages()]
        b = [(p.identifier, p.latest.text) for p in open_dump(multi).pages()]
        assert a == b, plain.name
