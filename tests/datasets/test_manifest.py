"""The signed manifest: its layout, its hashes, and byte-identical output for the same build."""

from __future__ import annotations

import base64
import hashlib
import json
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import wikipact
from wikipact.datasets import signing
from wikipact.datasets.manifest import (
    MANIFEST_FORMAT,
    build_manifest,
    file_info,
    manifest_bytes,
    write_manifest,
)
from wikipact.datasets.recipe import Recipe
from wikipact.datasets.record import RECORD_VERSION
from wikipact.datasets.stats import BuildStats, InputInfo
from wikipact.errors import ConfigError

PARQUET = "data/train-00000.parquet"
JSONL_ZST = "data/validation-00000.jsonl.zst"
README = "README.md"
TRAIN_ROWS = 3
VALIDATION_ROWS = 2


def make_dataset(root: Path, name: str = "wikipedia") -> BuildStats:
    """A small dataset directory (a Parquet shard, a jsonl.zst shard, a README) and its stats."""
    (root / "data").mkdir(parents=True)
    table = pa.table(
        {
            "id": pa.array(range(TRAIN_ROWS), pa.int64()),
            "text": pa.array([f"article {i} " * 40 for i in range(TRAIN_ROWS)], pa.string()),
        }
    )
    pq.write_table(table, root / PARQUET)
    lines = b"".join(
        json.dumps({"id": 100 + i, "text": f"validation {i}"}).encode() + b"\n"
        for i in range(VALIDATION_ROWS)
    )
    (root / JSONL_ZST).write_bytes(zstandard.ZstdCompressor().compress(lines))
    (root / README).write_text("# Wikipédia sample\n", encoding="utf-8")
    stats = BuildStats(
        recipe=Recipe(name=name),
        tokenizer="cl100k_base",
        tokenizer_sha256="ab" * 32,
        inputs=[
            InputInfo(
                kind="dump",
                name="enwiki-20260101-pages-articles.xml.bz2",
                bytes=1234,
                sha256="cd" * 32,
                project="enwiki",
                dump_date="20260101",
                revisions=(5, 99),
            )
        ],
        seen=9,
        dropped=Counter({"redirect": 2, "min_words": 1, "dedup_exact": 1}),
        clusters=Counter({"exact": 1}),
        records=Counter({("train", "en"): 2, ("train", "fr"): 1, ("validation", "en"): 2}),
        tokens=Counter({("train", "en"): 300, ("train", "fr"): 100, ("validation", "en"): 50}),
    )
    stats.files = [
        file_info(root, README, format="markdown"),
        file_info(root, PARQUET, records=TRAIN_ROWS, split="train", format="parquet"),
        file_info(root, JSONL_ZST, records=VALIDATION_ROWS, split="validation", format="jsonl.zst"),
    ]
    return stats


def write_signed(root: Path, key: Ed25519PrivateKey, name: str = "wikipedia") -> dict:
    """``make_dataset`` plus its manifest, signed with ``key``; returns the manifest."""
    manifest = build_manifest(make_dataset(root, name))
    write_manifest(root, manifest, key)
    return manifest


@pytest.fixture
def key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Ed25519PrivateKey:
    monkeypatch.setenv(signing.ENV_VAR, str(tmp_path / "keys"))
    signing.init_keys()
    return signing.load_signing_key()


def test_file_info_hashes_the_whole_file_in_chunks(tmp_path: Path) -> None:
    data = bytes(range(256)) * (10 * 1024 + 7)  # ~2.6 MB: three 1 MB chunks
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "big.bin").write_bytes(data)
    info = file_info(tmp_path, "sub/big.bin", records=4, split="train", format="png")
    assert info.path == "sub/big.bin"
    assert info.bytes == len(data)
    assert info.sha256 == hashlib.sha256(data).hexdigest()
    assert (info.records, info.split, info.format) == (4, "train", "png")


@pytest.mark.parametrize("bad", ["../secret", "/etc/passwd", "a/./b", "a//b", "a\\b", ""])
def test_file_info_refuses_paths_outside_the_root(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ConfigError):
        file_info(tmp_path, bad)


def test_file_info_of_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        file_info(tmp_path, "nope.parquet")


def test_manifest_layout(tmp_path: Path) -> None:
    stats = make_dataset(tmp_path)
    manifest = build_manifest(stats)
    assert set(manifest) == {
        "format",
        "name",
        "wikipact_version",
        "record_version",
        "recipe",
        "recipe_sha256",
        "tokenizer",
        "inputs",
        "counts",
        "files",
    }
    assert manifest["format"] == MANIFEST_FORMAT == "wikipact-dataset-manifest/1"
    assert manifest["name"] == "wikipedia"
    assert build_manifest(stats, name="other")["name"] == "other"
    assert manifest["wikipact_version"] == wikipact.__version__
    assert manifest["record_version"] == RECORD_VERSION
    assert manifest["recipe"]["filters"]["min_words"] == Recipe().filters.min_words
    assert manifest["recipe_sha256"] == Recipe().sha256
    assert manifest["tokenizer"] == {"name": "cl100k_base", "vocabulary_sha256": "ab" * 32}
    assert manifest["inputs"] == [
        {
            "kind": "dump",
            "name": "enwiki-20260101-pages-articles.xml.bz2",
            "bytes": 1234,
            "sha256": "cd" * 32,
            "project": "enwiki",
            "dump_date": "20260101",
            "revisions": [5, 99],
        }
    ]
    assert manifest["counts"] == {
        "seen": 9,
        "kept": 5,
        "dropped": {"dedup_exact": 1, "min_words": 1, "redirect": 2},
        "clusters": {"exact": 1},
        "records_by_split": {"train": 3, "validation": 2},
        "records_by_language": {"en": 4, "fr": 1},
        "tokens": 450,
    }
    files = manifest["files"]
    assert [f["path"] for f in files] == [README, PARQUET, JSONL_ZST]  # sorted by path
    assert files[0] == {
        "path": README,
        "bytes": (tmp_path / README).stat().st_size,
        "sha256": hashlib.sha256((tmp_path / README).read_bytes()).hexdigest(),
        "format": "markdown",
    }
    assert files[1]["records"] == TRAIN_ROWS and files[1]["split"] == "train"


def test_the_manifest_cannot_list_itself_or_a_file_twice(tmp_path: Path) -> None:
    stats = make_dataset(tmp_path)
    (tmp_path / "manifest.json").write_text("{}")
    stats.files.append(file_info(tmp_path, "manifest.json"))
    with pytest.raises(ConfigError, match="cannot list itself"):
        build_manifest(stats)
    stats.files[-1] = stats.files[0]
    with pytest.raises(ConfigError, match="more than once"):
        build_manifest(stats)


def test_manifest_json_is_canonical_and_signed(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    manifest = write_signed(tmp_path, key)
    raw = (tmp_path / "manifest.json").read_bytes()
    assert raw == manifest_bytes(manifest)
    assert raw.endswith(b"}\n") and not raw.endswith(b"\n\n")
    parsed = json.loads(raw)
    assert parsed == manifest
    assert raw.decode() == json.dumps(parsed, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert raw.startswith(b'{\n  "counts": {\n')
    envelope = json.loads((tmp_path / "manifest.json.sig").read_bytes())
    assert envelope["algorithm"] == "ed25519"
    assert envelope["key_id"] == signing.key_id(key.public_key())
    key.public_key().verify(base64.b64decode(envelope["signature"]), raw)
    assert not list(tmp_path.glob(".*")), "temporary files left behind"


def test_non_ascii_is_written_as_utf8(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    write_signed(tmp_path, key, name="Wikipédia-日本")
    raw = (tmp_path / "manifest.json").read_bytes()
    assert '"name": "Wikipédia-日本"'.encode() in raw


def test_same_build_gives_byte_identical_manifest_and_signature(
    tmp_path: Path, key: Ed25519PrivateKey
) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    write_signed(one, key)
    first = (one / "manifest.json").read_bytes(), (one / "manifest.json.sig").read_bytes()
    write_manifest(one, build_manifest(make_dataset(two)), key)  # rebuilt stats, written again
    again = (one / "manifest.json").read_bytes(), (one / "manifest.json.sig").read_bytes()
    assert again == first
    write_manifest(two, build_manifest(make_dataset(tmp_path / "three")), key)
    other_dir = (two / "manifest.json").read_bytes(), (two / "manifest.json.sig").read_bytes()
    assert other_dir == first
    different = Ed25519PrivateKey.generate()
    write_manifest(two, build_manifest(make_dataset(tmp_path / "four")), different)
    assert (two / "manifest.json").read_bytes() == first[0]
    assert (two / "manifest.json.sig").read_bytes() != first[1]
