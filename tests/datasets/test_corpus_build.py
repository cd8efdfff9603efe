"""The whole shared corpus, ingested into a store and built into a dataset, loads everywhere."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import requires_corpus
from tests.dumps.test_corpus_inventory import _dump_files

pytestmark = [requires_corpus, pytest.mark.corpus]


@pytest.fixture(scope="module")
def corpus_dataset(tmp_path_factory: pytest.TempPathFactory, signing_dir: Path) -> Path:
    from wikipact.datasets.build import build
    from wikipact.datasets.recipe import Recipe
    from wikipact.datasets.signing import load_signing_key
    from wikipact.datasets.sources import StoreSource
    from wikipact.run.ingest import IngestOptions, ingest
    from wikipact.store import open_store

    root = tmp_path_factory.mktemp("corpus")
    store = open_store(f"sqlite:///{root / 'corpus.db'}")
    try:
        ingest(list(_dump_files()), store, IngestOptions(workers=2, on_error="skip"))
    finally:
        store.close()
    out = root / "dataset"
    result = build(
        StoreSource(root / "corpus.db"),
        out,
        Recipe(),
        signing_key=load_signing_key(signing_dir),
        workers=2,
    )
    assert result.status == "built"
    return out


def _expected(root: Path) -> dict[str, int]:
    return json.loads((root / "manifest.json").read_text())["counts"]["records_by_split"]


def test_the_corpus_dataset_verifies_and_covers_many_languages(corpus_dataset: Path) -> None:
    from wikipact.datasets.verify import verify_dataset

    assert verify_dataset(corpus_dataset).ok
    counts = json.loads((corpus_dataset / "manifest.json").read_text())["counts"]
    assert counts["kept"] > 1000
    assert len(counts["records_by_language"]) >= 20
    assert {"en", "de", "fr", "ja", "el", "uk", "mr"} <= set(counts["records_by_language"])


def test_pyarrow_dataset_reads_it(corpus_dataset: Path) -> None:
    import pyarrow.dataset as pads

    table = pads.dataset(corpus_dataset / "data", format="parquet").to_table()
    assert table.num_rows == sum(_expected(corpus_dataset).values())
    assert len(set(table.column("id").to_pylist())) == table.num_rows


def test_duckdb_reads_it(corpus_dataset: Path) -> None:
    import duckdb

    glob = str(corpus_dataset / "data" / "*.parquet")
    rows = duckdb.sql(
        f"SELECT language, count(*) FROM read_parquet('{glob}') GROUP BY 1 ORDER BY 1"
    ).fetchall()
    counts = json.loads((corpus_dataset / "manifest.json").read_text())["counts"]
    assert dict(rows) == counts["records_by_language"]


def test_polars_reads_it(corpus_dataset: Path) -> None:
    import polars as pl

    frame = pl.scan_parquet(str(corpus_dataset / "data" / "*.parquet")).collect()
    assert frame.height == sum(_expected(corpus_dataset).values())
    assert (
        frame["tokens"].sum()
        == json.loads((corpus_dataset / "manifest.json").read_text())["counts"]["tokens"]
    )


def test_hugging_face_datasets_reads_it(
    corpus_dataset: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    import datasets

    loaded = datasets.load_dataset(
        "parquet", data_dir=str(corpus_dataset / "data"), cache_dir=str(tmp_path / "cache")
    )
    assert {name: len(split) for name, split in loaded.items()} == _expected(corpus_dataset)
