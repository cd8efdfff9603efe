"""Snapshot files in object storage: the snapshots root as an ``s3://`` URL (the tests' real S3
server, tests/s3.py). Snapshots, their chunks and packaged datasets are the same bytes and the
same registry rows as in a folder; chunks are cut from the snapshot's object, or written by
Ray tasks straight into the bucket; a missing chunk object is made again; a dataset published
to object storage is packaged from there.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ENWIKI_MULTISTREAM
from tests.snapshots.conftest import copy_db
from wikipact import storage
from wikipact.snapshots.create import create_snapshot, register_dataset
from wikipact.snapshots.registry import chunks_of, file_location, snapshot_file

pytestmark = pytest.mark.slow

PER_CHUNK = 7  # the enwiki sample's 55 records in 8 chunks


def _create(db: Path, root: Path | str, executor: Any = None) -> list[Any]:
    """The enwiki snapshot and its Structured Contents, with their chunks: registry rows."""
    rows = []
    for structured in (False, True):
        snapshot = create_snapshot(
            db, root, "enwiki", 0, chunk_records=PER_CHUNK, structured=structured,
            executor=executor,
        )  # fmt: skip
        rows.append(snapshot)
        rows.extend(chunks_of(db, snapshot.identifier))
    return rows


def _stable(rows: list[Any]) -> list[Any]:
    return [dataclasses.replace(r, created_at="") for r in rows]


def _local_files(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(root.glob("*.tar.gz"))}


def _remote_files(root: str) -> dict[str, bytes]:
    return {
        name: storage.get_bytes(storage.join(root, name))
        for name in storage.listdir(root)
        if name.endswith(".tar.gz")
    }


@pytest.fixture(scope="module")
def in_folder(sample_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The reference: snapshots and chunks written to a folder, chunks cut from the file."""
    where = tmp_path_factory.mktemp("folder")
    db = copy_db(sample_store, where / "w.db")
    rows = _create(db, where / "snapshots")
    return _stable(rows), _local_files(where / "snapshots")


def test_snapshots_and_chunks_in_a_bucket_are_the_folders_bytes(
    sample_store: Path, in_folder: Any, s3_bucket: str, s3_server: Any, tmp_path: Path
) -> None:
    db = copy_db(sample_store, tmp_path / "w.db")
    root = f"{s3_bucket}/snapshots"
    rows = _create(db, root)
    assert _stable(rows) == in_folder[0]
    assert _remote_files(root) == in_folder[1]
    assert len(in_folder[1]) == 2 + 16  # two snapshots, eight chunks each
    assert storage.listdir(root) == sorted(in_folder[1])  # no temp objects left beside them

    # the file is found in the bucket, by URL, and only under the root
    snapshot = rows[0]
    assert snapshot_file(root, snapshot) == f"{root}/{snapshot.identifier}.tar.gz"

    # a second run finds everything in place: nothing is written, nothing is read whole
    mark = s3_server.traffic.mark()
    assert _stable(_create(db, root)) == in_folder[0]
    written = [r for r in s3_server.traffic.requests[mark:] if r.method in ("PUT", "POST")]
    assert written == []
    assert s3_server.served(file_location(root, snapshot), since=mark) == 0


def test_a_missing_chunk_object_is_made_again(
    sample_store: Path, in_folder: Any, s3_bucket: str, tmp_path: Path
) -> None:
    db = copy_db(sample_store, tmp_path / "w.db")
    root = f"{s3_bucket}/snapshots"
    rows = _create(db, root)
    chunk = chunks_of(db, rows[0].identifier)[3]
    storage.remove(file_location(root, chunk))
    assert not storage.exists(file_location(root, chunk))
    assert _stable(_create(db, root)) == in_folder[0]
    assert _remote_files(root) == in_folder[1]


def test_ray_tasks_write_the_chunks_into_the_bucket(
    sample_store: Path, in_folder: Any, s3_bucket: str, ray_cluster: Any, tmp_path: Path
) -> None:
    """Done means: the same snapshots with the Ray executor and S3 as with local files."""
    db = copy_db(sample_store, tmp_path / "w.db")
    root = f"{s3_bucket}/snapshots"
    with ray_cluster.executor(2) as executor:
        rows = _create(db, root, executor)
    assert _stable(rows) == in_folder[0]
    assert _remote_files(root) == in_folder[1]


def test_a_dataset_published_to_a_bucket_is_packaged_from_there(
    store_db: Path, s3_bucket: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from tests.datasets.conftest import run_build
    from wikipact.datasets.manifest import MANIFEST_NAME, SIGNATURE_NAME
    from wikipact.datasets.signing import init_keys
    from wikipact.portal.catalogue import read_package

    base = tmp_path_factory.mktemp("dataset")
    init_keys(base / "keys")
    built = base / "ds"
    run_build(built, base / "keys", dumps=[ENWIKI_MULTISTREAM], workers=1)
    published = f"{s3_bucket}/datasets/sample"
    storage.publish(built, published, last=[MANIFEST_NAME, SIGNATURE_NAME])

    in_folder = register_dataset(store_db, built, root=base / "snapshots")
    folder_bytes = (base / "snapshots" / in_folder.path).read_bytes()
    root = f"{s3_bucket}/snapshots"
    from_bucket = register_dataset(store_db, published, root=root)
    assert dataclasses.replace(from_bucket, created_at="") == dataclasses.replace(
        in_folder, created_at=""
    )
    data = storage.get_bytes(file_location(root, from_bucket))
    assert data == folder_bytes and hashlib.sha256(data).hexdigest() == from_bucket.sha256

    # the portal reads the package's manifest, signature and card from the object
    package = read_package(file_location(root, from_bucket), from_bucket.identifier)
    assert package.problem is None
    assert package.manifest == (built / MANIFEST_NAME).read_bytes()
    assert package.signature == (built / SIGNATURE_NAME).read_bytes()
    assert json.loads(package.manifest)["counts"]["kept"] == from_bucket.records == 50
