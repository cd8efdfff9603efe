"""wikipact.storage on a local folder and on a real S3-compatible server (tests/s3.py): the same
calls, the same results, whole-or-absent writes, and datasets published manifest last."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import DATA, ENWIKI_MULTISTREAM, MRWIKI_MULTISTREAM
from tests.s3 import Server
from wikipact import storage
from wikipact.errors import ConfigError
from wikipact.run.ingest import input_key

INDEX = DATA / "sample-mrwiki-pages-articles-multistream-index.txt.bz2"
MANIFEST = ["manifest.json", "manifest.json.sig"]


@pytest.fixture(params=["local", "s3"])
def root(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A folder to work in: under tmp_path, or a prefix of a new bucket."""
    if request.param == "local":
        return str(tmp_path / "root")
    return str(request.getfixturevalue("s3_bucket")) + "/root"


def test_put_get_list_size_sha256_remove(root: str) -> None:
    data = INDEX.read_bytes()
    target = storage.join(root, "dumps", INDEX.name)
    assert not storage.exists(target)
    storage.put_bytes(target, data)
    assert storage.exists(target)
    assert storage.get_bytes(target) == data
    assert storage.size(target) == len(data)
    assert storage.sha256(target) == hashlib.sha256(data).hexdigest()
    assert storage.listdir(root) == ["dumps"]
    assert storage.listdir(storage.join(root, "dumps")) == [INDEX.name]
    assert storage.read_range(target, 10, 20) == data[10:20]
    storage.remove(target)
    assert not storage.exists(target)
    storage.remove(target)  # a missing file is fine


def test_a_large_file_is_hashed_whole(root: str) -> None:
    """sha256 streams: the 1.8 MB dump spans two hash chunks and several remote GETs."""
    target = storage.join(root, MRWIKI_MULTISTREAM.name)
    storage.put_bytes(target, MRWIKI_MULTISTREAM.read_bytes())
    expected = hashlib.sha256(MRWIKI_MULTISTREAM.read_bytes()).hexdigest()
    assert storage.sha256(target) == expected


def test_identity_is_stable_and_changes_with_the_content(root: str) -> None:
    target = storage.join(root, "input.xml.bz2")
    storage.put_bytes(target, INDEX.read_bytes())
    first = storage.identity(target)
    assert storage.identity(target) == first
    assert first.startswith(
        str(Path(target).resolve()) if not storage.is_url(target) else target + "|"
    )
    storage.put_bytes(target, ENWIKI_MULTISTREAM.read_bytes())
    assert storage.identity(target) != first


def test_local_identity_is_what_resumed_runs_stored() -> None:
    """Runs started before storage existed stored ``input_key``: they keep resuming."""
    assert storage.identity(MRWIKI_MULTISTREAM) == input_key(MRWIKI_MULTISTREAM)


def test_missing_locations_say_what_is_missing(root: str) -> None:
    missing = storage.join(root, "no-such-dump.xml.bz2")
    for call in (storage.size, storage.identity, storage.sha256, storage.get_bytes):
        with pytest.raises(ConfigError, match=r"no-such-dump\.xml\.bz2") as raised:
            call(missing)
        assert isinstance(raised.value, FileNotFoundError)  # as a missing file would be


def test_a_missing_bucket_is_named(s3_server: Server) -> None:
    url = "s3://wikipact-test-no-such-bucket/dumps/x.xml.bz2"
    for call in (storage.size, storage.get_bytes, storage.listdir):
        with pytest.raises(storage.LocationNotFound, match="bucket 'wikipact-test-no-such-bucket'"):
            call(url)


def test_a_folder_is_not_a_file(root: str) -> None:
    storage.put_bytes(storage.join(root, "dumps", "a.xml"), b"<mediawiki/>")
    with pytest.raises(ConfigError, match="folder"):
        storage.size(storage.join(root, "dumps"))


def test_a_written_file_appears_only_when_the_block_ends(root: str) -> None:
    target = storage.join(root, "shards", "part-0.xml")
    data = (DATA / "brwiki-test.xml").read_bytes()
    with storage.open_write(target) as fh:
        fh.write(data[:1000])
        fh.write(data[1000:])
        assert not storage.exists(target)
    assert storage.get_bytes(target) == data


@pytest.mark.parametrize("before", [None, b"the previous version"])
def test_an_error_inside_the_block_leaves_nothing(root: str, before: bytes | None) -> None:
    target = storage.join(root, "shards", "part-0.xml")
    if before is not None:
        storage.put_bytes(target, before)
    with (
        pytest.raises(RuntimeError, match="the transform failed"),
        storage.open_write(target) as fh,
    ):
        fh.write((DATA / "brwiki-test.xml").read_bytes())
        raise RuntimeError("the transform failed")
    if before is None:
        assert not storage.exists(target)
        assert storage.listdir(root) in ([], ["shards"])  # S3 has no empty folders
        if not storage.is_url(root):
            assert storage.listdir(storage.join(root, "shards")) == []  # no temp file left
    else:
        assert storage.get_bytes(target) == before
        assert storage.listdir(storage.join(root, "shards")) == ["part-0.xml"]


def _pending_uploads(bucket: str) -> list[object]:
    fs, name = storage.filesystem(bucket)
    return list(fs.call_s3("list_multipart_uploads", Bucket=name).get("Uploads", []))


def test_a_multipart_write_completes_or_is_aborted(
    s3_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past one part (S3's minimum, 5 MiB), a write is a multipart upload: completed on close,
    aborted by an error, never an object that is half there."""
    monkeypatch.setattr(storage, "WRITE_BLOCK", 5 << 20)
    block = MRWIKI_MULTISTREAM.read_bytes()
    data = block * 7  # 12 MB: three parts
    target = s3_bucket + "/big.bin"
    with storage.open_write(target) as fh:
        for _ in range(7):
            fh.write(block)
        assert _pending_uploads(s3_bucket) != []  # parts are on the server, not yet an object
        assert not storage.exists(target)
    assert storage.sha256(target) == hashlib.sha256(data).hexdigest()
    assert storage.identity(target).endswith("-3")  # the ETag of a 3-part upload
    failed = s3_bucket + "/failed.bin"
    with pytest.raises(RuntimeError), storage.open_write(failed) as fh:
        for _ in range(7):
            fh.write(block)
        raise RuntimeError("interrupted")
    assert not storage.exists(failed)
    assert _pending_uploads(s3_bucket) == []


def test_each_set_of_aws_variables_gets_its_own_filesystem(
    s3_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """fsspec caches a filesystem per set of options: the variables are among them, so a
    changed endpoint or key is never served by a stale instance."""
    first, _ = storage.filesystem("s3://bucket/key")
    assert first.endpoint_url == s3_server.endpoint
    assert first.client_kwargs == {"region_name": os.environ["AWS_REGION"]}
    assert storage.filesystem("s3://other/key")[0] is first
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    moved, _ = storage.filesystem("s3://bucket/key")
    assert moved is not first and moved.endpoint_url == "http://127.0.0.1:9"
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_server.endpoint)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "another-secret")
    assert storage.filesystem("s3://bucket/key")[0] is not first
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:10")  # the S3-only variable wins
    assert storage.filesystem("s3://bucket/key")[0].endpoint_url == "http://127.0.0.1:10"


def test_the_standard_variables_become_options() -> None:
    env = {
        "AWS_ENDPOINT_URL": "http://minio:9000",
        "AWS_ACCESS_KEY_ID": "id",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_DEFAULT_REGION": "eu-west-3",
    }
    assert storage.s3_options(env) == {
        "use_listings_cache": False,
        "endpoint_url": "http://minio:9000",
        "key": "id",
        "secret": "secret",
        "client_kwargs": {"region_name": "eu-west-3"},
    }
    assert storage.s3_options({**env, "AWS_REGION": "eu-north-1"})["client_kwargs"] == {
        "region_name": "eu-north-1"
    }
    ignored = storage.s3_options({**env, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"})
    assert "endpoint_url" not in ignored
    assert storage.s3_options({}) == {"use_listings_cache": False}  # botocore's own chain


# publish: a dataset folder made of real files, a manifest and its signature


def _dataset(folder: Path) -> Path:
    (folder / "data" / "train").mkdir(parents=True)
    for name in ("article-pear.xml", "brwiki-test.xml", "dewiki-20200801-id1.xml"):
        shutil.copy(DATA / name, folder / "data" / "train" / name)
    shutil.copy(INDEX, folder / "data" / INDEX.name)
    (folder / "manifest.json").write_text('{"files": ["data/..."]}\n')
    (folder / "manifest.json.sig").write_text("signature of the manifest\n")
    return folder


OBJECTS = [
    "data/sample-mrwiki-pages-articles-multistream-index.txt.bz2",
    "data/train/article-pear.xml",
    "data/train/brwiki-test.xml",
    "data/train/dewiki-20200801-id1.xml",
]


class Watcher:
    """Looks at the destination after each step of a publish, as a reader would."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.steps: list[tuple[str, str]] = []
        self.seen: dict[str, list[str]] = {}  # name -> which files existed just after it

    def __call__(self, action: str, name: str) -> None:
        self.steps.append((action, name))
        self.seen[name] = [n for n in [*OBJECTS, *MANIFEST] if storage.exists(self._at(n))]

    def _at(self, name: str) -> str:
        return storage.join(self.url, *name.split("/"))


def test_publish_uploads_the_manifest_after_every_object(root: str, tmp_path: Path) -> None:
    folder = _dataset(tmp_path / "dataset")
    watch = Watcher(root)
    done = storage.publish(folder, root, last=MANIFEST, on_step=watch)
    assert done.uploaded == [*OBJECTS, *MANIFEST]
    assert watch.steps == [("uploaded", name) for name in [*OBJECTS, *MANIFEST]]
    for i, name in enumerate(OBJECTS):  # no manifest while objects arrive
        assert watch.seen[name] == OBJECTS[: i + 1]
    assert watch.seen["manifest.json"] == [*OBJECTS, "manifest.json"]
    assert watch.seen["manifest.json.sig"] == [*OBJECTS, *MANIFEST]
    for name in [*OBJECTS, *MANIFEST]:
        local = (folder / name).read_bytes()
        assert storage.get_bytes(storage.join(root, *name.split("/"))) == local


def test_publishing_again_skips_what_is_there(
    root: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    folder = _dataset(tmp_path / "dataset")
    storage.publish(folder, root, last=MANIFEST)
    server = request.getfixturevalue("s3_server") if storage.is_url(root) else None
    since = server.traffic.mark() if server else 0
    done = storage.publish(folder, root, last=MANIFEST)
    assert done.uploaded == [] and done.removed == []
    assert done.unchanged == [*OBJECTS, *MANIFEST]
    if server:  # only listings and HEADs: nothing written
        assert {r.method for r in server.traffic.requests[since:]} <= {"GET", "HEAD"}


def test_a_republish_takes_the_manifest_down_before_objects_change(
    root: str, tmp_path: Path
) -> None:
    """While an object is replaced, no manifest stands beside it: the dataset is absent for a
    moment, never a manifest over objects it does not describe."""
    folder = _dataset(tmp_path / "dataset")
    storage.publish(folder, root, last=MANIFEST)
    changed = "data/train/brwiki-test.xml"
    (folder / changed).write_bytes((DATA / "enwiki-20120104-id1718.xml").read_bytes())
    (folder / "manifest.json").write_text('{"files": ["data/...", "changed"]}\n')
    watch = Watcher(root)
    done = storage.publish(folder, root, last=MANIFEST, on_step=watch)
    assert done.removed == MANIFEST
    assert done.uploaded == [changed, *MANIFEST]
    assert done.unchanged == [n for n in OBJECTS if n != changed]
    assert watch.steps[:2] == [("removed", "manifest.json"), ("removed", "manifest.json.sig")]
    assert watch.seen[changed] == OBJECTS  # the new object is there, no manifest yet
    assert watch.seen["manifest.json.sig"] == [*OBJECTS, *MANIFEST]
    assert (
        storage.get_bytes(storage.join(root, *changed.split("/")))
        == (DATA / "enwiki-20120104-id1718.xml").read_bytes()
    )


def test_a_same_size_object_of_other_content_is_replaced(root: str, tmp_path: Path) -> None:
    folder = _dataset(tmp_path / "dataset")
    storage.publish(folder, root, last=MANIFEST)
    name = "data/train/article-pear.xml"
    original = (folder / name).read_bytes()
    (folder / name).write_bytes(original[:-2] + b"X\n")  # same size, other bytes
    done = storage.publish(folder, root, last=MANIFEST)
    assert done.uploaded == [name, *MANIFEST]
    assert storage.get_bytes(storage.join(root, *name.split("/"))).endswith(b"X\n")


def test_an_object_written_by_another_tool_is_uploaded_again(
    s3_bucket: str, tmp_path: Path
) -> None:
    """Without the sha256 that publish stores in the metadata, the content is not known."""
    folder = _dataset(tmp_path / "dataset")
    name = "data/train/article-pear.xml"
    storage.put_bytes(storage.join(s3_bucket, *name.split("/")), (folder / name).read_bytes())
    done = storage.publish(folder, s3_bucket, last=MANIFEST)
    assert name in done.uploaded
