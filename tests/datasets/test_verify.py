"""Verification finds every way a delivered dataset can differ from its signed manifest."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.datasets.test_manifest import (
    JSONL_ZST,
    PARQUET,
    README,
    TRAIN_ROWS,
    VALIDATION_ROWS,
    write_signed,
)
from wikipact.datasets import signing
from wikipact.datasets.manifest import write_manifest
from wikipact.datasets.verify import count_records, verify_dataset
from wikipact.errors import ConfigError


@pytest.fixture
def keydir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = tmp_path / "keys"
    monkeypatch.setenv(signing.ENV_VAR, str(where))
    signing.init_keys()
    return where


@pytest.fixture
def key(keydir: Path) -> Ed25519PrivateKey:
    return signing.load_signing_key()


@pytest.fixture
def root(tmp_path: Path, key: Ed25519PrivateKey) -> Path:
    root = tmp_path / "dataset"
    write_signed(root, key)
    return root


def kinds(root: Path) -> list[tuple[str, str]]:
    return [(p.kind, p.file) for p in verify_dataset(root).problems]


def resign(root: Path, key: Ed25519PrivateKey, edit) -> None:  # type: ignore[no-untyped-def]
    manifest = json.loads((root / "manifest.json").read_bytes())
    edit(manifest)
    write_manifest(root, manifest, key)


def test_an_untouched_dataset_verifies(root: Path, keydir: Path) -> None:
    report = verify_dataset(root)
    assert report.ok and report.problems == []
    assert report.files_checked == 3
    assert report.key_trust == "local"
    assert report.key_id == signing.show_key().key_id


def test_pinned_key_is_trusted_as_pinned(root: Path, keydir: Path) -> None:
    for pin in (keydir / "ed25519.pub", str(keydir / "ed25519.pub"), signing.show_key().public_key):
        report = verify_dataset(root, public_key=pin)
        assert report.ok and report.key_trust == "pinned"


def test_a_key_this_machine_does_not_know_is_unpinned_but_ok(root: Path, tmp_path: Path) -> None:
    report = verify_dataset(root, trusted_dir=tmp_path / "nobody")
    assert report.ok and report.key_trust == "unpinned"
    other = tmp_path / "other-keys"
    signing.init_keys(other)
    report = verify_dataset(root, trusted_dir=other)
    assert report.ok and report.key_trust == "unpinned"


def test_a_flipped_byte_is_a_checksum_mismatch_naming_the_file(root: Path) -> None:
    path = root / PARQUET
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    report = verify_dataset(root)
    assert [(p.kind, p.file) for p in report.problems] == [("checksum_mismatch", PARQUET)]
    assert not report.ok
    assert report.key_trust == "local"  # the manifest itself is fine


def test_a_deleted_shard_is_missing(root: Path) -> None:
    (root / JSONL_ZST).unlink()
    assert kinds(root) == [("file_missing", JSONL_ZST)]


def test_a_directory_where_a_file_should_be_is_missing(root: Path) -> None:
    (root / README).unlink()
    (root / README).mkdir()
    assert kinds(root) == [("file_missing", README)]


def test_a_truncated_file_is_a_size_mismatch(root: Path) -> None:
    path = root / PARQUET
    path.write_bytes(path.read_bytes()[:-10])
    report = verify_dataset(root)
    assert [(p.kind, p.file) for p in report.problems] == [("size_mismatch", PARQUET)]
    assert "the manifest says" in report.problems[0].message


def test_an_altered_manifest_breaks_the_signature(root: Path) -> None:
    path = root / "manifest.json"
    path.write_bytes(path.read_bytes().replace(b'"seen": 9', b'"seen": 8'))
    report = verify_dataset(root)
    assert [(p.kind, p.file) for p in report.problems] == [
        ("signature_invalid", "manifest.json.sig")
    ]
    assert report.key_trust is None


def test_a_signature_by_another_key_fails_against_the_pinned_key(
    root: Path, key: Ed25519PrivateKey, keydir: Path
) -> None:
    pinned = keydir / "ed25519.pub"
    resign(root, Ed25519PrivateKey.generate(), lambda m: None)
    report = verify_dataset(root, public_key=pinned)
    assert [(p.kind, p.file) for p in report.problems] == [("key_mismatch", "manifest.json.sig")]
    assert report.key_trust is None
    unpinned = verify_dataset(root)
    assert unpinned.ok and unpinned.key_trust == "unpinned"


def test_a_missing_signature(root: Path) -> None:
    (root / "manifest.json.sig").unlink()
    report = verify_dataset(root)
    assert [(p.kind, p.file) for p in report.problems] == [
        ("signature_missing", "manifest.json.sig")
    ]
    assert report.key_trust is None and report.key_id is None


def test_an_unreadable_signature_is_invalid(root: Path) -> None:
    (root / "manifest.json.sig").write_text("{not json")
    assert kinds(root) == [("signature_invalid", "manifest.json.sig")]


def test_an_extra_file_is_unlisted_but_hidden_folders_are_not(root: Path) -> None:
    (root / "data" / "stray.parquet").write_bytes(b"x")
    (root / ".notes").write_text("a hidden file is content too")
    (root / ".wikipact-build").mkdir()
    (root / ".wikipact-build" / "state.json").write_text("{}")
    (root / "data" / ".cache").mkdir()
    (root / "data" / ".cache" / "x").write_text("")
    assert kinds(root) == [
        ("unlisted_file", ".notes"),
        ("unlisted_file", "data/stray.parquet"),
    ]


@pytest.mark.parametrize(
    ("relpath", "listed"), [(PARQUET, TRAIN_ROWS), (JSONL_ZST, VALIDATION_ROWS)]
)
def test_a_wrong_record_count_is_a_count_mismatch(
    root: Path, key: Ed25519PrivateKey, relpath: str, listed: int
) -> None:
    def edit(manifest: dict) -> None:
        entry = next(f for f in manifest["files"] if f["path"] == relpath)
        assert entry["records"] == listed
        entry["records"] = listed + 1

    resign(root, key, edit)
    report = verify_dataset(root)
    assert [(p.kind, p.file) for p in report.problems] == [("count_mismatch", relpath)]
    assert f"{listed:,} records, the manifest says {listed + 1:,}" in report.problems[0].message


def test_a_damaged_record_file_cannot_be_counted(root: Path, key: Ed25519PrivateKey) -> None:
    (root / JSONL_ZST).write_bytes(b"\x28\xb5\x2f\xfd garbage")
    resign(root, key, lambda m: _rehash(root, m, JSONL_ZST))
    report = verify_dataset(root)
    assert [(p.kind, p.file) for p in report.problems] == [("count_mismatch", JSONL_ZST)]
    assert "cannot count" in report.problems[0].message


def test_every_problem_is_reported_at_once(root: Path) -> None:
    (root / JSONL_ZST).unlink()
    (root / PARQUET).write_bytes(b"short")
    (root / "extra.txt").write_text("?")
    (root / "manifest.json.sig").unlink()
    assert sorted(kinds(root)) == [
        ("file_missing", JSONL_ZST),
        ("signature_missing", "manifest.json.sig"),
        ("size_mismatch", PARQUET),
        ("unlisted_file", "extra.txt"),
    ]


def test_no_manifest(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "a.parquet").write_bytes(b"x")
    assert kinds(tmp_path / "d") == [("manifest_missing", "manifest.json")]


@pytest.mark.parametrize(
    "edit",
    [
        lambda m: m.update(format="something-else/9"),
        lambda m: m.pop("files"),
        lambda m: m["files"].append({"path": "../../etc/passwd", "bytes": 1, "sha256": "0" * 64}),
        lambda m: m["files"].append(dict(m["files"][0])),
        lambda m: m["files"][0].update(bytes="12"),
        lambda m: m["files"][1].update(records=-1),
    ],
    ids=["format", "no-files", "escapes-root", "duplicate", "bytes-not-int", "negative-records"],
)
def test_a_manifest_this_version_cannot_use_is_invalid(
    root: Path, key: Ed25519PrivateKey, edit
) -> None:  # type: ignore[no-untyped-def]
    resign(root, key, edit)
    assert kinds(root) == [("manifest_invalid", "manifest.json")]


def test_not_json_manifest_is_invalid_and_unsigned(root: Path) -> None:
    (root / "manifest.json").write_text("not json")
    assert sorted(kinds(root)) == [
        ("manifest_invalid", "manifest.json"),
        ("signature_invalid", "manifest.json.sig"),
    ]


def test_caller_mistakes_are_config_errors(root: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a directory"):
        verify_dataset(root / README)
    with pytest.raises(ConfigError):
        verify_dataset(root, public_key=tmp_path / "no-such-key.pub")


def test_count_records(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_bytes(b'{"a": 1}\n{"a": 2}\n{"a": 3}')  # no final newline
    (tmp_path / "b.jsonl").write_bytes(b"")
    (tmp_path / "c.png").write_bytes(b"\x89PNG")
    assert count_records(tmp_path / "a.jsonl") == 3
    assert count_records(tmp_path / "b.jsonl") == 0
    assert count_records(tmp_path / "c.png") is None


def test_count_records_reads_every_zstd_frame(tmp_path: Path) -> None:
    import zstandard

    compress = zstandard.ZstdCompressor().compress
    (tmp_path / "x.jsonl.zst").write_bytes(compress(b"1\n2\n") + compress(b"3\n"))
    assert count_records(tmp_path / "x.jsonl.zst") == 3


def _rehash(root: Path, manifest: dict, relpath: str) -> None:
    from wikipact.datasets.manifest import file_info

    entry = next(f for f in manifest["files"] if f["path"] == relpath)
    info = file_info(root, relpath)
    entry.update(bytes=info.bytes, sha256=info.sha256)
