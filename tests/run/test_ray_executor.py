"""The Ray executor: the same batches as local processes, and a lost worker costs nothing.

On a real local Ray instance (``ray.init(num_cpus=2)``, tests/ray_cluster.py). Every kind of
task goes through it: ranges of a plain UTF-8 dump, groups of bzip2 streams of a multistream
dump, and a whole file (no index) whose pages this process splits and Ray's workers parse.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import DATA, ENWIKI_MULTISTREAM, ENWIKI_PLAIN, MRWIKI_MULTISTREAM
from wikipact import open_dump
from wikipact.dumps.reader import Dump
from wikipact.run.executor import LocalExecutor, map_ordered
from wikipact.run.local import run_tasks, specs_for
from wikipact.run.parse import to_json_line

pytestmark = pytest.mark.slow

RANGE = 50_000  # 14 ranges of the 1.6 MB enwiki sample
BGWIKI = DATA / "bgwiki-latest-pages-articles-shortened.xml.bz2"  # a whole file: no index


def _dumps() -> list[tuple[Dump, Any]]:
    plain = open_dump(ENWIKI_PLAIN)
    return [
        (plain, plain.tasks(RANGE)),
        (open_dump(ENWIKI_MULTISTREAM), None),
        (open_dump(MRWIKI_MULTISTREAM), None),
        (open_dump(BGWIKI), None),
    ]


def _run(executor: Any) -> list[tuple[str, list[Any], bool, int]]:
    out = []
    for dump, tasks in _dumps():
        specs = specs_for(dump, on_error="stop", tasks=tasks)
        for batch in run_tasks(specs, to_json_line, executor=executor):
            assert batch.fatal is None and not batch.errors
            out.append((batch.task_key, batch.items, batch.finished, batch.bytes_done))
    return out


@pytest.fixture(scope="module")
def local_batches() -> list[tuple[str, list[Any], bool, int]]:
    with LocalExecutor(2) as executor:
        return _run(executor)


def test_ray_gives_the_batches_of_local_processes(ray_cluster, local_batches) -> None:  # type: ignore[no-untyped-def]
    with ray_cluster.executor(2) as executor:
        assert executor.workers == 2 and not executor.runs_tasks_here
        batches = _run(executor)
    assert batches == local_batches
    assert len(batches) > 15  # ranges, stream groups and whole-file batches
    assert sum(len(items) for _, items, _, _ in batches) > 100


def test_a_worker_killed_mid_task_is_replaced_and_nothing_changes(
    ray_cluster, local_batches
) -> None:  # type: ignore[no-untyped-def]
    """The worker that starts the third range of the plain dump dies (SIGKILL); Ray runs the
    task again on another worker and the run's batches are those of a run without a loss."""
    victim = open_dump(ENWIKI_PLAIN).tasks(RANGE)[2].key
    order = ray_cluster.kill_worker_at(victim)
    with ray_cluster.executor(2) as executor:
        batches = _run(executor)
    assert not order.exists()  # a worker took the order: it died there
    assert batches == local_batches


def test_a_task_that_raises_is_not_retried_and_its_error_reaches_the_caller(ray_cluster) -> None:  # type: ignore[no-untyped-def]
    with ray_cluster.executor(2) as executor:
        results = map_ordered(executor, int, ["1", "2", "three"])
        assert next(results) == 1 and next(results) == 2
        with pytest.raises(ValueError, match="three"):
            next(results)


def test_articles_ingested_on_ray_from_object_storage_are_those_of_local_files(
    ray_cluster, s3_bucket, postgres_url, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """The PostgreSQL store's steps (two wikis, a page at two revisions, a repeat, a pruning
    dump) read from S3 on Ray into PostgreSQL give what local files and processes give into
    SQLite: every article, revision, change and statistic."""
    from tests.store.test_postgres_store import STEPS, _everything
    from wikipact import storage
    from wikipact.dumps.multistream import index_path_for
    from wikipact.run.ingest import ingest
    from wikipact.store import open_store

    urls = {}
    for path, _ in STEPS:
        for local in (path, index_path_for(path)):
            if local is not None and local not in urls and local.exists():
                urls[local] = storage.join(s3_bucket, "dumps", local.name)
                storage.put_bytes(urls[local], local.read_bytes())
    answers = []
    local_store = open_store(f"sqlite:///{tmp_path / 'local.db'}")
    try:
        for path, options in STEPS:
            ingest([path], local_store, options)
        answers.append(_everything(local_store))
    finally:
        local_store.close()
    cluster_store = open_store(postgres_url)
    try:
        with ray_cluster.executor(2) as executor:
            for path, options in STEPS:
                summary = ingest([urls[path]], cluster_store, options, executor=executor)
                assert summary.status == "completed", summary.errors
        answers.append(_everything(cluster_store))
    finally:
        cluster_store.close()
    local, cluster = answers
    for name in local:
        assert cluster[name] == local[name], name
    assert local["stats"].articles_by_project == {"dewiki": 1, "enwiki": 56, "mrwiki": 1820}
