"""``ingest``: read dumps into the store, resumably, reporting progress and every error.

Each task (a group of bzip2 streams, a byte range of a plain file, or a whole file read in
batches) is committed in the same transaction as its checkpoint, so a run stopped at any moment
(Ctrl-C, SIGKILL, power loss) leaves the store consistent: ``resume=True`` skips the finished
tasks and the stored pages of the task that was cut, and because applying a page is idempotent,
nothing is lost or duplicated either way.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from wikipact import crashpoints, storage
from wikipact.dumps.reader import Dump, open_dump
from wikipact.errors import DumpError
from wikipact.model.article import Article
from wikipact.model.raw import RawPage, SiteInfo
from wikipact.run.executor import Executor, executor_for
from wikipact.run.local import Batch, run_tasks, specs_for
from wikipact.store.base import ApplyResult, ArticleStore, Checkpoint
from wikipact.wikitext.parse import parse_article


@dataclass(frozen=True)
class IngestOptions:
    workers: int = 1
    on_error: str = "stop"  # "stop" at the first damaged stream/page, or "skip" it and go on
    resume: bool = False
    project: str | None = None  # override the wiki a dump says it belongs to
    prune: bool = False  # the dumps are complete: pages missing from them were deleted
    # Bytes of the file per task (``Dump.tasks``); None: the default of each kind of dump. Task
    # keys depend on it, so a resume with another value rereads the dump (which the store
    # absorbs: applying a page twice changes nothing).
    task_bytes: int | None = None


@dataclass
class IngestSummary:
    run_id: int = 0
    status: str = "running"
    files: int = 0
    pages: int = 0
    bytes_total: int = 0
    pages_by_namespace: Counter[tuple[str, int]] = field(default_factory=Counter)
    redirects: int = 0
    result: ApplyResult = field(default_factory=ApplyResult)
    errors: list[DumpError] = field(default_factory=list)
    resumed_tasks: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "status": self.status,
            "files": self.files,
            "pages": self.pages,
            "redirects": self.redirects,
            "pages_by_namespace": {
                f"{p}:{ns}": n for (p, ns), n in self.pages_by_namespace.items()
            },
            "created": self.result.created,
            "updated": self.result.updated,
            "redirect_changes": self.result.redirect_changes,
            "deleted": self.result.deleted,
            "unchanged": self.result.unchanged,
            "revisions_added": self.result.revisions_added,
            "errors": [str(e) for e in self.errors],
            "resumed_tasks": self.resumed_tasks,
            "seconds": round(self.seconds, 3),
        }


ProgressCallback = Callable[[int, int], None]  # (pages, compressed bytes) done since last call


def to_store_item(page: RawPage, site: SiteInfo) -> tuple[RawPage, Article]:
    """Worker-side transform: the raw page and the article record built from it."""
    return page, parse_article(page, site)


def input_key(path: Path | str) -> str:
    """Identity of an input for resuming: its absolute path, size and modification time (an
    object's URL, size and ETag: ``storage.identity``)."""
    return storage.identity(path)


def ingest(
    paths: list[str | os.PathLike[str]],
    store: ArticleStore,
    options: IngestOptions = IngestOptions(),
    *,
    progress: ProgressCallback | None = None,
    dumps: list[Dump] | None = None,
    executor: Executor | None = None,
) -> IngestSummary:
    """Ingest every dump in ``paths`` into ``store`` and return what happened.

    ``executor``: where the dumps are read and parsed (default: ``options.workers`` processes
    of this machine); the pages are stored by this process, task by task, in order."""
    started = time.monotonic()
    dumps = dumps or [open_dump(p, project=options.project) for p in paths]
    keys = [input_key(d.path) for d in dumps]
    summary = IngestSummary(files=len(dumps), bytes_total=sum(d.size for d in dumps))
    previous = store.resumable_run(keys) if options.resume else None
    run = previous or store.start_run(
        keys,
        {
            "workers": options.workers,
            "on_error": options.on_error,
            "prune": options.prune,
            "task_bytes": options.task_bytes,
        },
    )
    summary.run_id = run.run_id
    seen: dict[str, set[int]] = {}
    try:
        # one executor (a local one's processes) for every dump, not one per dump
        with executor_for(executor, options.workers) as runner:
            for dump in dumps:
                store.put_site(dump.site)
                # Checkpoints are keyed by task. A plain UTF-8 file that an older version
                # checkpointed as one whole-file task (key: the file name) is now read by ranges
                # ("name@a-b"): resuming such a run finds no range done and rereads the file.
                # That is safe: the store ignores a revision it has (INSERT OR IGNORE) and logs
                # no change for a page at the revision it holds, so the pages stored before
                # count as unchanged.
                tasks = dump.tasks(options.task_bytes)
                specs = specs_for(dump, on_error=options.on_error, done=run.tasks, tasks=tasks)
                skipped = [t for t in tasks if run.tasks.get(t.key, (0, False))[1]]
                summary.resumed_tasks += len(skipped)
                if progress and skipped:
                    progress(0, sum(t.size for t in skipped))
                for batch in run_tasks(specs, to_store_item, executor=runner):
                    _store_batch(batch, store, run.run_id, dump, summary, seen)
                    if progress:
                        progress(len(batch.items), batch.bytes_done)
                    if batch.fatal is not None:
                        raise batch.fatal
        if options.prune and not summary.errors:
            for project, ids in seen.items():
                summary.result.deleted += store.delete_missing(project, ids, source="prune")
        summary.status = "completed_with_errors" if summary.errors else "completed"
    except DumpError as exc:
        if exc not in summary.errors:
            summary.errors.append(exc)
            store.record_errors(run.run_id, [exc])
        summary.status = "failed"
    except KeyboardInterrupt:
        summary.status = "interrupted"
        raise
    finally:
        summary.seconds = time.monotonic() - started
        store.finish_run(run.run_id, summary.status, summary.as_dict())
    return summary


def _store_batch(
    batch: Batch,
    store: ArticleStore,
    run_id: int,
    dump: Dump,
    summary: IngestSummary,
    seen: dict[str, set[int]],
) -> None:
    checkpoint = Checkpoint(run_id, batch.task_key, batch.pages_done, batch.finished)
    crashpoints.reached("ingest.batch.received")
    result = store.apply(batch.items, source=dump.name, checkpoint=checkpoint)
    crashpoints.reached("ingest.batch.committed")
    summary.result.add(result)
    summary.pages += len(batch.items)
    project = dump.site.dbname
    ids = seen.setdefault(project, set())
    for raw, _article in batch.items:
        summary.pages_by_namespace[(project, raw.namespace)] += 1
        ids.add(raw.identifier)
        if raw.redirect_title:
            summary.redirects += 1
    errors = list(batch.errors)
    if batch.fatal is not None:
        errors.append(batch.fatal)
    if errors:
        summary.errors.extend(errors)
        store.record_errors(run_id, errors)
