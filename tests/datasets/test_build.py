"""``wikipact build`` end to end on the vendored samples: contents, readers, determinism, reruns."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest
import zstandard

from tests.datasets.conftest import SAMPLE_DUMPS, run_build
from wikipact.datasets.verify import verify_dataset


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".wikipact-build" not in p.parts
    }


def _records(root: Path) -> list[dict]:
    return pads.dataset(root / "data", format="parquet").to_table().to_pylist()


def test_the_build_keeps_each_article_once_with_its_structure(sample_build: Path) -> None:
    rows = _records(sample_build)
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)), "an id appears twice"
    by_id = {r["id"]: r for r in rows}
    anarchism = by_id["enwiki:12"]
    assert anarchism["title"] == "Anarchism"
    assert anarchism["url"] == "https://en.wikipedia.org/wiki/Anarchism"
    assert anarchism["language"] == "en" and anarchism["license"] == "CC-BY-SA-4.0"
    assert "Anarchism" in anarchism["attribution"] and "CC BY-SA" in anarchism["attribution"]
    assert anarchism["text"].startswith("Anarchism is")
    lead = anarchism["abstract"].split("\n")
    assert len(lead) > 1 and all(paragraph in anarchism["text"] for paragraph in lead)
    assert anarchism["tokens"] > anarchism["signals"]["words"] > 1000
    # the structured columns the recipe chose
    assert anarchism["sections"][0]["level"] == 1 and len(anarchism["sections"]) > 10
    claim = anarchism["claims"][0]
    assert anarchism["text"][claim["start"] : claim["end"]] == claim["text"]
    cited = {c["identifier"] for c in claim["citations"]}
    assert cited <= {r["identifier"] for r in anarchism["references"]}
    assert any(c["url"] for cl in anarchism["claims"] for c in cl["citations"])
    assert {r["language"] for r in rows} == {"en", "mr", "de"}


def test_filters_and_duplicates_are_reported_not_silently_lost(sample_build: Path) -> None:
    rows = {r["id"] for r in _records(sample_build)}
    excluded = [json.loads(line) for line in (sample_build / "exclusions.jsonl").open()]
    reasons = {e["reason"] for e in excluded}
    assert {"namespace", "redirect", "too_short", "same_page", "blocklist"} <= reasons
    blocked = [e for e in excluded if e["reason"] == "blocklist"]
    # Albedo is in both English files; the blocklist is checked before any other rule
    assert [e["id"] for e in blocked] == ["enwiki:39", "enwiki:39", "mrwiki:1"]
    assert "enwiki:39" not in rows
    # every page read is either a record or an exclusion
    manifest = json.loads((sample_build / "manifest.json").read_text())
    assert manifest["counts"]["seen"] == len(rows) + len(excluded)
    # the English pages appear in two files: one copy each is kept, the other is a same_page drop
    same_page = [e for e in excluded if e["reason"] == "same_page"]
    assert same_page and all(e["id"] in rows for e in same_page)
    # the German article at two revisions: the newer one is kept
    alan = [e for e in excluded if e["id"] == "dewiki:1"]
    assert alan == [
        {
            "id": "dewiki:1",
            "title": "Alan Smithee",
            "reason": "same_page",
            "kept": "dewiki:1@200753430",
        }
    ]
    de = [r for r in _records(sample_build) if r["id"] == "dewiki:1"]
    assert de[0]["revision_id"] == 200753430


def test_parquet_and_jsonl_shards_hold_the_same_records(sample_build: Path) -> None:
    parquet = sorted((sample_build / "data").glob("*.parquet"))
    jsonl = sorted((sample_build / "jsonl").glob("*.jsonl.zst"))
    assert len(parquet) == len(jsonl) > 3  # the small shard size made several shards
    for p, j in zip(parquet, jsonl, strict=True):
        assert p.name.split(".")[0] == j.name.split(".")[0]
        with zstandard.open(j, "rt", encoding="utf-8") as fh:
            lines = [json.loads(line) for line in fh]
        table = pq.read_table(p)
        assert [r["id"] for r in lines] == table.column("id").to_pylist()
        assert lines[0]["signals"]["words"] == table.column("signals")[0]["words"].as_py()
        meta = pq.ParquetFile(p).metadata
        assert meta.row_group(0).num_rows <= 50
        assert meta.row_group(0).column(0).compression == "ZSTD"


def test_splits_are_a_pure_function_of_the_id(sample_build: Path) -> None:
    from wikipact.datasets.recipe import Splits
    from wikipact.datasets.splits import split_of

    for path in (sample_build / "data").glob("*.parquet"):
        split = path.name.split("-")[0]
        for ident in pq.read_table(path, columns=["id"]).column("id").to_pylist():
            assert split_of(ident, Splits()) == split


def test_the_build_verifies_and_every_file_is_in_the_manifest(sample_build: Path) -> None:
    report = verify_dataset(sample_build)
    assert report.ok, report.problems
    manifest = json.loads((sample_build / "manifest.json").read_text())
    listed = {f["path"] for f in manifest["files"]}
    assert listed == set(_files(sample_build)) - {"manifest.json", "manifest.json.sig"}
    assert manifest["recipe"]["name"] == "wikipact-sample"
    assert manifest["tokenizer"]["name"] == "cl100k_base"
    assert [i["name"] for i in manifest["inputs"]] == [p.name for p in SAMPLE_DUMPS]
    assert all(len(i["sha256"]) == 64 for i in manifest["inputs"])


def test_a_rebuild_is_byte_identical_whatever_the_workers(
    sample_build: Path, tmp_path: Path, signing_dir: Path
) -> None:
    again = tmp_path / "again"
    run_build(again, signing_dir, workers=2)
    first, second = _files(sample_build), _files(again)
    assert first.keys() == second.keys()
    different = [name for name in first if first[name] != second[name]]
    assert different == []


def test_a_finished_build_reruns_as_a_no_op(tmp_path: Path, signing_dir: Path) -> None:
    out = tmp_path / "ds"
    dumps = SAMPLE_DUMPS[:1]
    assert run_build(out, signing_dir, dumps=dumps).status == "built"
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*")}
    result = run_build(out, signing_dir, dumps=dumps)
    assert result.status == "up_to_date"
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*")} == before
    # another recipe over the same directory starts over and replaces the old dataset
    changed = run_build(out, signing_dir, "filters: {min_words: 5000}\n", dumps=dumps)
    assert changed.status == "built"
    assert verify_dataset(out).ok
    assert len(_records(out)) < changed.stats.seen


def test_a_foreign_directory_is_refused(tmp_path: Path, signing_dir: Path) -> None:
    from wikipact.errors import ConfigError

    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("not wikipact's")
    with pytest.raises(ConfigError, match="not empty"):
        run_build(out, signing_dir, dumps=SAMPLE_DUMPS[:1])
    assert (out / "thesis.tex").exists()


def test_the_shards_load_in_every_common_reader(sample_build: Path) -> None:
    import duckdb
    import polars as pl

    expected = len(_records(sample_build))
    glob = str(sample_build / "data" / "*.parquet")
    count = duckdb.sql(f"SELECT count(*) FROM read_parquet('{glob}')").fetchall()
    assert count == [(expected,)]
    top = duckdb.sql(
        f"SELECT language, sum(tokens) FROM read_parquet('{glob}') GROUP BY 1 ORDER BY 2 DESC"
    ).fetchall()
    assert top[0][0] == "mr"
    frame = pl.read_parquet(glob)
    assert frame.height == expected and frame["signals"].struct.field("words").min() >= 50


def test_the_shards_load_with_hugging_face_datasets(
    sample_build: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    import datasets

    loaded = datasets.load_dataset(
        "parquet", data_dir=str(sample_build / "data"), cache_dir=str(tmp_path / "cache")
    )
    counts = json.loads((sample_build / "manifest.json").read_text())["counts"]
    assert {name: len(split) for name, split in loaded.items()} == counts["records_by_split"]
    assert "claims" in loaded["train"].features


def test_a_clean_build_leaves_no_work_files(tmp_path: Path, signing_dir: Path) -> None:
    out = tmp_path / "ds"
    run_build(out, signing_dir, dumps=SAMPLE_DUMPS[:1])
    assert list(out.rglob("*.tmp")) == []
    # staged records go after success; the fingerprint, input checksums and marker stay
    assert sorted(os.listdir(out / ".wikipact-build")) == [
        "build.json",
        "checksums.json",
        "complete",
    ]


def test_a_rerun_does_not_read_the_dumps_again(
    tmp_path: Path, signing_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from wikipact.datasets import manifest

    out = tmp_path / "ds"
    run_build(out, signing_dir, dumps=SAMPLE_DUMPS[:1])

    def refuse(path: Path) -> str:
        raise AssertionError(f"{path.name} was hashed again")

    monkeypatch.setattr(manifest, "sha256_file", refuse)
    assert run_build(out, signing_dir, dumps=SAMPLE_DUMPS[:1]).status == "up_to_date"
