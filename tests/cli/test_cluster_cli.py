"""The cluster options as a user types them: dumps at s3:// URLs, ``--executor ray
--ray-address``, ``--out s3://...``, ``verify s3://...``, ``snapshot create --executor ray
--root s3://...`` and ``snapshot add-dataset s3://...``.

Each command is a separate process that joins the tests' Ray instance by its address
(tests/ray_cluster.py) and reaches the tests' S3-compatible server through the AWS_*
variables (tests/s3.py), as it would a real cluster and bucket. The dataset it publishes is
the one a local build of the same files writes, byte for byte.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ENWIKI_MULTISTREAM, MRWIKI_MULTISTREAM
from wikipact import storage
from wikipact.dumps.multistream import index_path_for

pytestmark = pytest.mark.slow


def wikipact(*args: str, signing: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wikipact", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "WIKIPACT_SIGNING_DIR": str(signing), "COLUMNS": "200"},
    )


def _local_files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".wikipact-build" not in p.parts
    }


def test_ingest_build_verify_and_snapshot_on_ray_with_object_storage(
    ray_cluster, s3_bucket, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    import ray

    address = ray.get_runtime_context().gcs_address
    keys = tmp_path / "keys"
    assert wikipact("signing", "init", signing=keys).returncode == 0
    urls = []
    for path in (ENWIKI_MULTISTREAM, MRWIKI_MULTISTREAM):
        for local in (path, index_path_for(path)):
            storage.put_bytes(storage.join(s3_bucket, "dumps", local.name), local.read_bytes())
        urls.append(storage.join(s3_bucket, "dumps", path.name))
    cluster = ("--executor", "ray", "--ray-address", address)
    db = f"sqlite:///{tmp_path / 'w.db'}"

    ingest = wikipact("ingest", *urls, "--db", db, *cluster, signing=keys)
    assert ingest.returncode == 0, ingest.stderr
    assert "completed: 1,876 pages from 2 file(s)" in ingest.stdout

    out = storage.join(s3_bucket, "datasets", "sample")
    build = wikipact(
        "build", *urls, "-o", out, "--work-dir", str(tmp_path / "work"), *cluster, signing=keys
    )
    assert build.returncode == 0, build.stderr
    local = tmp_path / "local"
    plain = wikipact(
        "build", str(ENWIKI_MULTISTREAM), str(MRWIKI_MULTISTREAM), "-o", str(local),
        "--workers", "2", signing=keys,
    )  # fmt: skip
    assert plain.returncode == 0, plain.stderr
    published = {n: storage.get_bytes(storage.join(out, n)) for n in storage.list_tree(out)}
    assert published == _local_files(local)
    check = wikipact("verify", out, "--public-key", str(keys / "ed25519.pub"), signing=keys)
    assert check.returncode == 0, check.stdout + check.stderr
    again = wikipact(
        "build", *urls, "-o", out, "--work-dir", str(tmp_path / "work"), *cluster, signing=keys
    )
    assert again.returncode == 0 and "up to date" in again.stderr

    root = storage.join(s3_bucket, "snapshots")
    snapshot = wikipact(
        "snapshot", "create", "--project", "enwiki", "--db", db, "--root", root,
        "--chunk-records", "10", *cluster, signing=keys,
    )  # fmt: skip
    assert snapshot.returncode == 0, snapshot.stderr
    names = storage.listdir(root)
    assert len([n for n in names if "_chunk_" in n]) == 6, names  # 55 records, in the bucket
    assert f"file      {root}/enwiki_namespace_0_" in snapshot.stdout
    packaged = wikipact("snapshot", "add-dataset", out, "--db", db, "--root", root, signing=keys)
    assert packaged.returncode == 0, packaged.stderr
    assert len([n for n in storage.listdir(root) if n.startswith("dataset_")]) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--ray-address", "auto"), "--ray-address is for --executor ray"),
        (("--executor", "spark"), "--executor must be one of local, ray"),
    ],
)
def test_executor_options_are_checked(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    run = wikipact(
        "ingest", str(ENWIKI_MULTISTREAM), "--db", f"sqlite:///{tmp_path / 'w.db'}", *args,
        signing=tmp_path,
    )  # fmt: skip
    assert run.returncode == 2 and message in run.stderr, run.stderr
    assert "Traceback" not in run.stderr
