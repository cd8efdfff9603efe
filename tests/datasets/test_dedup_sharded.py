"""Sharded deduplication gives ``deduplicate``'s very verdict, on stage files of real pages."""

from __future__ import annotations

import itertools
import os
import random
import uuid
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import msgspec
import numpy as np
import pytest
import zstandard

from tests.conftest import DATA, ENWIKI_MULTISTREAM, ENWIKI_PLAIN, MRWIKI_MULTISTREAM
from wikipact.datasets import dedup_sharded
from wikipact.datasets.dedup import (
    Candidate,
    DedupResult,
    deduplicate,
    lsh_params,
    normalise,
    signature,
    text_hash,
)
from wikipact.datasets.dedup_sharded import deduplicate_sharded
from wikipact.datasets.filters import Filter
from wikipact.datasets.recipe import Dedup, Filters
from wikipact.datasets.record import record_id
from wikipact.datasets.stage import Staged
from wikipact.dumps.reader import open_dump
from wikipact.model.article import Article
from wikipact.run.executor import LocalExecutor
from wikipact.wikitext.parse import parse_article

ALAN_2013 = DATA / "dewiki-20130602-id1.xml"  # "Alan Smithee", revision 115887164
ALAN_2020 = DATA / "dewiki-20200801-id1.xml"  # the same article, revision 200753430
RULES = Dedup()
KEEP = Filter(Filters())
MRWIKI_PAGES = 300  # of the Marathi sample's 1820: enough pages, and a short test


def _staged(
    article: Article,
    *,
    ident: str | None = None,
    text: str | None = None,
    signed: bool = True,
    **changes: object,
) -> Staged:
    """A kept page as the build's per-page step stages it (stage.stage_article), without the
    dataset record, which deduplication does not read."""
    words = normalise(article.text or "" if text is None else text)
    staged = Staged(
        id=ident or record_id(article.is_part_of.identifier, article.identifier),
        title=article.name,
        reason=None,
        revision_id=article.version.identifier,
        date_modified=article.date_modified,
        references=len(article.references),
        words=len(words),
        text_hash=text_hash(words),
        signature=signature(words, RULES.num_perm, RULES.shingle_words) if signed else None,
    )
    return msgspec.structs.replace(staged, **changes)


@cache
def _pages(path: Path, limit: int | None = None) -> tuple[tuple[Staged, Article | None], ...]:
    """Every page of a dump through the filters, as stage.stage_page (dropped pages too), with
    the parsed article of each page the early filters kept."""
    dump = open_dump(path)
    out = []
    for page in itertools.islice(dump.pages(), limit):
        ident = record_id(dump.site.dbname, page.identifier)
        reason = KEEP.early(
            project=dump.site.dbname,
            language=dump.site.language,
            page_id=page.identifier,
            title=page.title,
            namespace=page.namespace,
            is_redirect=page.redirect_title is not None,
        )
        article = parse_article(page, dump.site) if reason is None else None
        if article is not None:
            reason = KEEP.late(article)
        if reason is None and article is not None:
            out.append((_staged(article), article))
        else:
            out.append((Staged(ident, page.title, reason), article))
    return tuple(out)


def _dump(path: Path, limit: int | None = None) -> list[Staged]:
    return [staged for staged, _ in _pages(path, limit)]


def _articles(path: Path) -> dict[str, Article]:
    return {article.name: article for _, article in _pages(path) if article is not None}


def _write_stage(folder: Path, files: list[list[Staged]]) -> list[str]:
    """Stage files as the build writes them: zstd of each record's length and msgpack."""
    folder.mkdir(parents=True, exist_ok=True)
    encoder = msgspec.msgpack.Encoder()
    paths = []
    for n, records in enumerate(files):
        path = folder / f"{n:06d}.zst"
        with open(path, "wb") as fh, zstandard.ZstdCompressor(level=1).stream_writer(fh) as out:
            for record in records:
                data = encoder.encode(record)
                out.write(len(data).to_bytes(4, "little") + data)
        paths.append(str(path))
    return paths


def _read_stage(path: str) -> Iterator[Staged]:
    decoder = msgspec.msgpack.Decoder(Staged)
    with open(path, "rb") as fh, zstandard.ZstdDecompressor().stream_reader(fh) as reader:
        while header := reader.read(4):
            yield decoder.decode(reader.read(int.from_bytes(header, "little")))


def _single_pass(stage_files: list[str], rules: Dedup) -> DedupResult:
    """What the build's dedup step does today (build._dedup): every candidate, one process."""
    records = (s for path in stage_files for s in _read_stage(path))
    candidates = [
        Candidate(n, s.id, s.revision_id, s.date_modified, s.references, s.text_hash, s.signature)
        for n, s in enumerate(records)
        if s.reason is None
    ]
    return deduplicate(candidates, rules)


def _chunks(records: list[Staged], size: int) -> list[list[Staged]]:
    return [records[i : i + size] for i in range(0, len(records), size)]


@cache
def _sample_files() -> tuple[list[Staged], ...]:
    """The build's samples (tests/datasets/conftest.py): the English pages twice, plain and
    multistream, Marathi pages, Alan Smithee at two revisions; 25 records a stage file."""
    records = [
        *_dump(ENWIKI_MULTISTREAM),
        *_dump(ENWIKI_PLAIN),
        *_dump(MRWIKI_MULTISTREAM, MRWIKI_PAGES),
        *_dump(ALAN_2013),
        *_dump(ALAN_2020),
    ]
    return tuple(_chunks(records, 25))


def _edited(words: list[str], cuts: int, parts: int = 16) -> str:
    """The words without ``cuts`` of their ``parts`` equal chunks (every other one, in order)."""
    size = len(words) // parts
    dropped = {2 * k for k in range(cuts)}
    return " ".join(w for n, w in enumerate(words) if n // size not in dropped)


@cache
def _hard_files() -> tuple[list[Staged], ...]:
    """Real articles made into every hard case, shuffled over five stage files with pages
    the filters dropped: the same page at two revisions and twice at one, exact copies,
    near-duplicate chains and a crowded bucket (more than 32 near-identical copies)."""
    english = _articles(ENWIKI_PLAIN)
    old, new = _articles(ALAN_2013)["Alan Smithee"], _articles(ALAN_2020)["Alan Smithee"]
    anarchism, merkel = english["Anarchism"], english["Angela Merkel"]
    records = [
        _staged(old),  # dewiki:1 twice: the newer revision wins
        _staged(new),
        _staged(new, ident="dewiki:4242"),  # an exact copy of the newer
        _staged(old, ident="dewiki:777"),  # a near-duplicate of both (seven years of edits)
        _staged(anarchism),
        _staged(anarchism),  # one page read from two dumps
        _staged(anarchism, ident="enwiki:99999"),
        _staged(anarchism, ident="enwiki:7", text=(anarchism.text or "").upper()),
        _staged(merkel),
        _staged(merkel, ident="simplewiki:72671"),
        _staged(merkel, ident="enwiki:5", text=_edited(normalise(merkel.text or ""), 1)),
        _staged(merkel, ident="enwiki:6", text=_edited(normalise(merkel.text or ""), 2)),
        # near-duplicate search off when it was staged: no signature
        _staged(
            merkel, ident="enwiki:8", text=_edited(normalise(merkel.text or ""), 3), signed=False
        ),
        # positions count every record, the ones a filter dropped too
        *(Staged(f"enwiki:{n}", "Dropped", "too_short") for n in range(500, 530)),
    ]
    # chains: each version lacks one more chunk than the one before, so neighbours are close
    # and the ends far apart (a component joined through its middle)
    for title, base in (("Bodmin", 90000), ("Abacus", 91000), ("Julia Kristeva", 92000)):
        article = english[title]
        words = normalise(article.text or "")
        for cut in range(7):
            records.append(
                _staged(
                    article,
                    ident=f"enwiki:{base + cut}",
                    text=_edited(words, cut),
                    revision_id=article.version.identifier + cut % 3,
                    references=len(article.references) - cut % 2,
                )
            )
    # a crowded bucket: 40 copies of "Albedo", the n-th with n words changed (so a chain
    # and a star of them, in the order of the build, confirm another lowest similarity than
    # every pair would)
    albedo = english["Albedo"]
    words = normalise(albedo.text or "")
    for n in range(40):
        edited = list(words)
        for k in range(n):
            edited[(k + 1) * len(words) // 41] = f"edit{k}"
        records.append(
            _staged(
                albedo,
                ident=f"enwiki:{80000 + n}",
                text=" ".join(edited),
                date_modified=("2011-12-18T21:03:24Z", "2012-01-02T00:00:00Z")[n % 5 == 3],
                references=29 + n % 3,
            )
        )
    random.Random(20240601).shuffle(records)
    return tuple(_chunks(records, 23))


DATASETS = {"samples": _sample_files, "hard": _hard_files}


@pytest.fixture(scope="module")
def executor() -> Iterator[LocalExecutor]:
    with LocalExecutor(workers=2) as local:
        yield local


@pytest.fixture(scope="module")
def stage_folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    folder = tmp_path_factory.mktemp("stage")
    return {name: _write_stage(folder / name, list(make())) for name, make in DATASETS.items()}


def _same(result: DedupResult, expected: DedupResult) -> None:
    assert list(result.dropped.items()) == list(expected.dropped.items())  # in the same order
    assert result.clusters == expected.clusters


def test_the_hard_case_has_every_hard_path(stage_folders: dict[str, list[str]]) -> None:
    """Not vacuous: each kind of duplicate, chains, and a bucket of more than 32 members."""
    files = stage_folders["hard"]
    expected = _single_pass(files, RULES)
    assert len(files) == 5
    assert set(expected.counts()) == {"same_page", "exact_duplicate", "near_duplicate"}
    near = [c for c in expected.clusters if c.kind == "near_duplicate"]
    assert max(len(c.dropped) for c in near) >= 39  # the crowded copies
    assert sum(len(c.dropped) >= 6 for c in near) >= 3  # the chains
    assert min(c.similarity or 1 for c in near) < 0.85
    bands, rows = lsh_params(RULES.threshold, RULES.num_perm, (0.01, 0.99))
    records = [s for path in files for s in _read_stage(path)]
    signatures = np.stack([np.frombuffer(s.signature, "<u4") for s in records if s.signature])
    sizes = [
        max(np.unique(signatures[:, b * rows : (b + 1) * rows], axis=0, return_counts=True)[1])
        for b in range(bands)
    ]
    assert max(sizes) > 32


@pytest.mark.parametrize("dataset", sorted(DATASETS))
@pytest.mark.parametrize("partitions", [1, 3, 7])
@pytest.mark.parametrize("workers", [1, 2])
def test_the_verdict_is_the_single_pass_verdict(
    dataset: str,
    partitions: int,
    workers: int,
    stage_folders: dict[str, list[str]],
    executor: LocalExecutor,
    tmp_path: Path,
) -> None:
    files = stage_folders[dataset]
    done: list[int] = []
    result = deduplicate_sharded(
        files,
        RULES,
        str(tmp_path / "dedup"),
        executor if workers == 2 else None,
        partitions=partitions,
        progress=done.append,
    )
    _same(result, _single_pass(files, RULES))
    assert sum(done) == len(files) + 5 * partitions + 1  # one call per task


@pytest.mark.parametrize(
    "rules",
    [
        Dedup(exact=False),
        Dedup(near=False),
        Dedup(exact=False, near=False),
        Dedup(threshold=0.9),
        Dedup(threshold=1.0),
        Dedup(threshold=0.5),
    ],
    ids=str,
)
def test_other_rules_give_the_single_pass_verdict_too(
    rules: Dedup, stage_folders: dict[str, list[str]], tmp_path: Path
) -> None:
    files = stage_folders["hard"]
    _same(
        deduplicate_sharded(files, rules, str(tmp_path), partitions=4), _single_pass(files, rules)
    )


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file with its inode and modification time: a file rewritten (a new file renamed
    into place) has another inode, whatever the clock's resolution."""
    out = {}
    for path in folder.rglob("*"):
        if path.is_file():
            stat = path.stat()
            out[str(path.relative_to(folder))] = (stat.st_ino, stat.st_mtime_ns)
    return out


def test_a_relaunch_redoes_only_the_missing_outputs(
    stage_folders: dict[str, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = stage_folders["hard"]
    work = tmp_path / "dedup"
    first = deduplicate_sharded(files, RULES, str(work), partitions=3)
    before = _snapshot(work)
    assert len(before) == 1 + len(files) + 5 * 3 + 1  # plan.json, every task's one output
    removed = {
        os.path.join("candidates", "000002.bin"),
        os.path.join("same_page", "000000.bin"),
        os.path.join("exact", "000001.bin"),
        os.path.join("proposed", "000002.bin"),
        os.path.join("joined", "000000.bin"),
        os.path.join("confirmed", "000001.bin"),
        "near.bin",
    }
    assert removed <= set(before)
    for name in removed:
        (work / name).unlink()
    written: list[str] = []
    put_bytes = dedup_sharded.storage.put_bytes

    def recording(location: str, data: bytes) -> None:
        written.append(os.path.relpath(location, work))
        put_bytes(location, data)

    monkeypatch.setattr(dedup_sharded.storage, "put_bytes", recording)
    _same(deduplicate_sharded(files, RULES, str(work), partitions=3), first)
    assert sorted(written) == sorted(removed)
    after = _snapshot(work)
    assert set(after) == set(before)
    assert {n: after[n] for n in before if n not in removed} == {
        n: v for n, v in before.items() if n not in removed
    }
    # and a finished step, launched again, writes nothing
    written.clear()
    _same(deduplicate_sharded(files, RULES, str(work), partitions=3), first)
    assert written == []
    assert _snapshot(work) == after


def test_a_folder_of_another_plan_is_refused(
    stage_folders: dict[str, list[str]], tmp_path: Path
) -> None:
    files = stage_folders["hard"]
    deduplicate_sharded(files, RULES, str(tmp_path), partitions=3)
    with pytest.raises(ValueError, match="other stage files, rules or partitions"):
        deduplicate_sharded(files, RULES, str(tmp_path), partitions=4)
    with pytest.raises(ValueError, match="other stage files, rules or partitions"):
        deduplicate_sharded(files, Dedup(threshold=0.7), str(tmp_path), partitions=3)
    with pytest.raises(ValueError, match="1 or more"):
        deduplicate_sharded(files, RULES, str(tmp_path / "other"), partitions=0)


def test_the_files_can_be_in_object_storage(stage_folders: dict[str, list[str]]) -> None:
    """A URL for ``work`` (fsspec's in-memory filesystem stands for S3 here: one process)."""
    import fsspec

    files = stage_folders["hard"]
    work = f"memory://wikipact-dedup-{uuid.uuid4().hex}"
    try:
        result = deduplicate_sharded(files, RULES, work, partitions=3)
        _same(result, _single_pass(files, RULES))
        assert fsspec.filesystem("memory").exists(f"{work}/near.bin")
    finally:
        fsspec.filesystem("memory").rm(work, recursive=True)


def test_no_stage_files_no_duplicates(tmp_path: Path) -> None:
    assert deduplicate_sharded([], RULES, str(tmp_path), partitions=2) == DedupResult()
