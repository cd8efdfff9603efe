"""Dataset builds registered for download: the manifest's files, packaged deterministically.

Tests taking ``any_store`` run on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tarfile
from pathlib import Path

import pytest

from tests.conftest import ENWIKI_MULTISTREAM
from tests.datasets.conftest import run_build
from tests.snapshots.conftest import Db
from wikipact.errors import ConfigError
from wikipact.snapshots.create import register_dataset
from wikipact.snapshots.registry import get_snapshot, latest, list_snapshots


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from wikipact.datasets.signing import init_keys

    base = tmp_path_factory.mktemp("dataset")
    init_keys(base / "keys")
    out = base / "ds"
    run_build(out, base / "keys", dumps=[ENWIKI_MULTISTREAM], workers=1, keep_work=True)
    assert (out / ".wikipact-build").is_dir()
    return out


def test_dataset_is_listed_and_holds_exactly_its_manifest(
    any_store: Db, built: Path, tmp_path: Path
) -> None:
    root = tmp_path / "snaps"
    snap = register_dataset(any_store, built, root=root)
    manifest_bytes = (built / "manifest.json").read_bytes()
    manifest = json.loads(manifest_bytes)
    assert snap.kind == "dataset" and snap.name == manifest["name"] == "wikipact-sample"
    assert snap.identifier == (
        f"dataset_wikipact-sample_{hashlib.sha256(manifest_bytes).hexdigest()[:12]}"
    )
    assert snap.projects == ("enwiki",) and snap.namespace == 0 and snap.in_language == "en"
    assert snap.records == manifest["counts"]["kept"] == 50
    assert list_snapshots(any_store, kind="dataset") == [snap]
    assert list_snapshots(any_store, projects=["enwiki"]) == [snap]
    assert list_snapshots(any_store, projects=["mrwiki"]) == []
    assert get_snapshot(any_store, snap.identifier) == snap
    assert latest(any_store, "enwiki", 0) is None  # datasets are not namespace snapshots

    data = (root / snap.path).read_bytes()
    assert snap.size == len(data) and snap.sha256 == hashlib.sha256(data).hexdigest()
    expected = {"manifest.json", "manifest.json.sig", *(f["path"] for f in manifest["files"])}
    with tarfile.open(root / snap.path, "r:gz") as tar:
        members = tar.getmembers()
        names = [m.name for m in members]
        assert names == sorted(names) and len(names) == len(set(names))
        assert {n.removeprefix(snap.identifier + "/") for n in names} == expected
        assert not any(".wikipact-build" in n for n in names)
        by_path = {f["path"]: f["sha256"] for f in manifest["files"]}
        for member in members:
            relpath = member.name.removeprefix(snap.identifier + "/")
            fh = tar.extractfile(member)
            assert fh is not None
            content = fh.read()
            assert content == (built / relpath).read_bytes()
            if relpath in by_path:
                assert hashlib.sha256(content).hexdigest() == by_path[relpath]
            assert (member.uid, member.gid, member.mode, member.uname) == (0, 0, 0o644, "")


def test_registering_again_is_idempotent_and_byte_identical(
    any_store: Db, built: Path, tmp_path: Path
) -> None:
    first = register_dataset(any_store, built, root=tmp_path / "a")
    data = (tmp_path / "a" / first.path).read_bytes()
    assert register_dataset(any_store, built, root=tmp_path / "a") == first
    (tmp_path / "a" / first.path).unlink()
    again = register_dataset(any_store, built, root=tmp_path / "a")
    assert again == first and (tmp_path / "a" / first.path).read_bytes() == data
    elsewhere = register_dataset(any_store, built, root=tmp_path / "b")
    assert (tmp_path / "b" / elsewhere.path).read_bytes() == data
    assert len(list_snapshots(any_store, all_owners=True)) == 1


def test_refuses_damaged_or_foreign_directories(any_store: Db, built: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(built, copy)
    shard = next((copy / "data").glob("*.parquet"))
    shard.write_bytes(shard.read_bytes()[:-1] + b"X")  # same size, different bytes
    with pytest.raises(ConfigError, match="does not match its manifest"):
        register_dataset(any_store, copy, root=tmp_path / "r")
    shard.unlink()
    with pytest.raises(ConfigError, match="missing"):
        register_dataset(any_store, copy, root=tmp_path / "r")
    (copy / "manifest.json.sig").unlink()
    with pytest.raises(ConfigError, match="not finished"):
        register_dataset(any_store, copy, root=tmp_path / "r")
    with pytest.raises(ConfigError, match=r"no manifest\.json"):
        register_dataset(any_store, tmp_path / "nothing", root=tmp_path / "r")
    evil = tmp_path / "evil"
    evil.mkdir()
    manifest = json.loads((built / "manifest.json").read_text())
    manifest["files"].append({"path": "../w.db", "bytes": 1, "sha256": "00" * 32})
    (evil / "manifest.json").write_text(json.dumps(manifest))
    (evil / "manifest.json.sig").write_text("{}")
    with pytest.raises(ConfigError, match=r"\.\./w\.db"):
        register_dataset(any_store, evil, root=tmp_path / "r")
    assert list_snapshots(any_store, all_owners=True) == []
    assert not list((tmp_path / "r").glob("*"))  # no file and no temp file left behind
