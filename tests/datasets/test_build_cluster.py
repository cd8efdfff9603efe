"""A build on a Ray cluster from dumps in object storage, published to object storage, is the
build of local processes from local files, byte for byte; a worker lost mid-build changes
nothing.

Real components: a local Ray instance (tests/ray_cluster.py) and an S3-compatible server
(moto's server mode, tests/s3.py). The dumps are the vendored samples, uploaded with their
indexes; the dataset is built in a local work folder and published (objects first, manifest
last); every object is compared with the file of the local build (``sample_build``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.datasets.conftest import SAMPLE_DUMPS, SAMPLE_RECIPE
from wikipact import storage
from wikipact.datasets.build import build
from wikipact.datasets.manifest import MANIFEST_NAME, SIGNATURE_NAME
from wikipact.datasets.recipe import load_recipe
from wikipact.datasets.signing import load_signing_key
from wikipact.datasets.sources import DumpSource
from wikipact.datasets.verify import verify_dataset
from wikipact.dumps.multistream import index_path_for
from wikipact.dumps.reader import open_dump

pytestmark = pytest.mark.slow


def _local_files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".wikipact-build" not in p.parts
    }


def _remote_files(url: str) -> dict[str, bytes]:
    return {
        name: storage.get_bytes(storage.join(url, name))
        for name in storage.list_tree(url)
        if not name.startswith(".wikipact-build/")
    }


def _upload_dumps(bucket: str) -> list[str]:
    urls = []
    for path in SAMPLE_DUMPS:
        url = storage.join(bucket, "dumps", path.name)
        storage.put_bytes(url, path.read_bytes())
        index = index_path_for(path)
        if index is not None and Path(index).exists():
            storage.put_bytes(storage.join(bucket, "dumps", index.name), index.read_bytes())
        urls.append(url)
    return urls


def _cluster_build(
    urls: list[str], out: str, work: Path, signing_dir: Path, executor, **options
) -> None:  # type: ignore[no-untyped-def]
    recipe = work.parent / f"{work.name}-recipe.yaml"
    recipe.write_text(SAMPLE_RECIPE)
    result = build(
        DumpSource([open_dump(url) for url in urls]),
        out,
        load_recipe(recipe),
        signing_key=load_signing_key(signing_dir),
        executor=executor,
        work_dir=work,
        **options,
    )
    assert result.status == "built" and result.out == out


@pytest.fixture(scope="module")
def dump_urls(s3_server) -> list[str]:  # type: ignore[no-untyped-def]
    return _upload_dumps(s3_server.bucket())


def test_ray_and_object_storage_give_the_local_build_byte_for_byte(
    sample_build, ray_cluster, s3_bucket, dump_urls, tmp_path, signing_dir
) -> None:  # type: ignore[no-untyped-def]
    out = storage.join(s3_bucket, "datasets", "sample")
    with ray_cluster.executor(2) as executor:
        _cluster_build(dump_urls, out, tmp_path / "work", signing_dir, executor)
    local, remote = _local_files(sample_build), _remote_files(out)
    assert remote.keys() == local.keys()
    assert [name for name in local if remote[name] != local[name]] == []
    assert {MANIFEST_NAME, SIGNATURE_NAME} <= remote.keys() and len(remote) > 10
    report = verify_dataset(out, trusted_dir=signing_dir)
    assert report.ok and report.key_trust == "local", report.problems
    assert report.files_checked == len(remote) - 2
    assert not [n for n in storage.list_tree(out) if n.startswith(".wikipact-build/")]


def test_a_worker_killed_mid_build_changes_no_byte(
    sample_build, ray_cluster, s3_bucket, dump_urls, tmp_path, signing_dir
) -> None:  # type: ignore[no-untyped-def]
    """The worker that starts the Marathi dump's second group of streams dies (SIGKILL);
    Ray runs that task again elsewhere and the dataset is the same. The task files (kept
    here) were in object storage beside the dataset, where every worker reaches them, not in
    the local work folder."""
    marathi = next(url for url in dump_urls if "mrwiki" in url)
    victim = open_dump(marathi).tasks()[1].key
    order = ray_cluster.kill_worker_at(victim)
    out = storage.join(s3_bucket, "killed")
    with ray_cluster.executor(2) as executor:
        _cluster_build(dump_urls, out, tmp_path / "work", signing_dir, executor, keep_work=True)
    assert not order.exists()  # a worker took the order, and died there
    assert _remote_files(out) == _local_files(sample_build)
    tasks = storage.list_tree(storage.join(out, ".wikipact-build"))
    assert "stage/000000.zst" in tasks and any(n.startswith("dedup/") for n in tasks)
    assert not (tmp_path / "work" / ".wikipact-build" / "stage").exists()
    assert verify_dataset(out, trusted_dir=signing_dir).ok  # the hidden folder is not listed
