"""Chunks written by tasks that read the store themselves (``create_snapshot(executor=...)``):
the same files, byte for byte, as chunks cut from the snapshot's file; on local processes and
on Ray; and a store that changed under a task is refused, leaving no file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.snapshots.conftest import copy_db
from wikipact.errors import StoreError
from wikipact.run.executor import LocalExecutor
from wikipact.snapshots.create import _chunk_task, _ChunkJob, create_snapshot
from wikipact.snapshots.registry import chunks_of

pytestmark = pytest.mark.slow

PER_CHUNK = 7  # the enwiki sample's 55 records in 8 chunks; Marathi's in many more


def _files(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(root.glob("*.tar.gz"))}


def _create(
    db: Path, root: Path, executor: Any = None, projects: tuple[str, ...] = ("enwiki", "mrwiki")
) -> dict[str, Any]:
    out = {}
    for project in projects:
        for structured in (False, True):
            snapshot = create_snapshot(
                db,
                root,
                project,
                0,
                chunk_records=PER_CHUNK,
                structured=structured,
                executor=executor,
            )
            out[snapshot.identifier] = [
                (c.identifier, c.size, c.sha256, c.records)
                for c in chunks_of(db, snapshot.identifier)
            ]
    return out


@pytest.fixture(scope="module")
def cut(sample_store: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict]:  # type: ignore[type-arg]
    """Chunks cut from the files (no executor), the reference."""
    where = tmp_path_factory.mktemp("cut")
    db = copy_db(sample_store, where / "w.db")
    registered = _create(db, where / "snapshots")
    return registered, _files(where / "snapshots")


def test_local_tasks_write_the_chunks_cut_from_the_file(sample_store, cut, tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = copy_db(sample_store, tmp_path / "w.db")
    with LocalExecutor(2) as executor:
        registered = _create(db, tmp_path / "snapshots", executor)
    assert registered == cut[0]
    assert _files(tmp_path / "snapshots") == cut[1]
    assert sum(len(chunks) for chunks in registered.values()) > 50


def test_ray_tasks_write_the_chunks_cut_from_the_file(
    sample_store, cut, ray_cluster, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """English only (16 chunks with its Structured Contents): Marathi's hundreds of chunks are
    the local test's."""
    db = copy_db(sample_store, tmp_path / "w.db")
    with ray_cluster.executor(2) as executor:
        registered = _create(db, tmp_path / "snapshots", executor, ("enwiki",))
    assert registered == {k: v for k, v in cut[0].items() if k.startswith("enwiki")}
    files = _files(tmp_path / "snapshots")
    assert files == {k: v for k, v in cut[1].items() if k.startswith("enwiki")}
    assert len(files) == 18  # two snapshots and their 16 chunks


def test_a_store_that_changed_under_a_task_is_refused_and_leaves_no_file(
    sample_store, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """The task's records are not the ones the scan hashed (the part says otherwise, as after
    an ingest between the scan and the task): an error, and no chunk file."""
    import dataclasses

    db = copy_db(sample_store, tmp_path / "w.db")
    root = tmp_path / "snapshots"
    with LocalExecutor(2) as executor:
        snapshot = create_snapshot(
            db, root, "enwiki", 0, chunk_records=PER_CHUNK, executor=executor
        )
    from wikipact.snapshots.chunks import Parts  # the scan's parts, made again from the files

    chunk = chunks_of(db, snapshot.identifier)[1]
    (root / chunk.path).unlink()
    job = _ChunkJob(str(db), str(root), snapshot.identifier, "enwiki", 0, False)
    part = _part_of(db, Parts, 1)
    assert _chunk_task((job, 1, part))[1] == chunk.sha256  # as the scan saw it: the same file
    (root / chunk.path).unlink()
    with pytest.raises(StoreError, match="changed while its snapshot's chunks were written"):
        _chunk_task((job, 1, dataclasses.replace(part, digest="0" * 64)))
    assert not (root / chunk.path).exists()
    assert not list(root.glob(".*"))  # no temp file either


def _part_of(db: Path, parts_class: Any, k: int) -> Any:
    from wikipact.model.codec import to_json
    from wikipact.snapshots.create import _articles
    from wikipact.snapshots.store_view import read_view

    parts = parts_class(PER_CHUNK)
    with read_view(db) as store:
        for _, article in _articles(store, "enwiki", 0):
            line = to_json(article) + b"\n"
            parts.add(len(line), article.date_modified, article.identifier, line)
    return parts.parts()[k]
