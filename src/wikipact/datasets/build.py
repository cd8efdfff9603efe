"""``wikipact build``: articles in, a signed, checksummed dataset directory out.

Steps, each resumable and each skipped when its output already exists:

1. **stage** — every source task (a group of dump streams, a byte range of a plain dump, a whole
   file, or a run of store pages) goes through the per-page step in the workers (filter, parse,
   tokenise, fingerprint); its results are written to ``.wikipact-build/stage/NNNNNN.zst`` (temp
   + fsync + rename, so the file's existence marks the task done; ``stage/tasks.json`` records
   which task each number is). A build published to object storage by tasks on other machines
   (Ray) keeps these task files, and dedup's, beside the dataset in object storage
   (``<url>/.wikipact-build/``), where every worker reaches them;
2. **dedup** — the fingerprints of every kept page are compared, in stages of tasks whose files
   go to ``.wikipact-build/dedup/`` (``dedup_sharded.py``: no process holds them all; the
   verdict is ``dedup.py``'s); the verdict is saved as ``dedup.msgpack``;
3. **write** — staged records, in task order, minus the dropped ones, go to their split's
   shards (``sinks.py``), with ``exclusions.jsonl`` and ``dedup-clusters.jsonl``;
4. **card and manifest** — ``README.md`` with plots, then ``manifest.json`` and its Ed25519
   signature.

A build is fingerprinted by its recipe and inputs. Rerunning a finished build with the same
fingerprint does nothing and touches no file; a build interrupted at any point (even by SIGKILL)
resumes where it stopped and produces the same bytes as an uninterrupted one. A different
fingerprint starts over in the same directory, replacing what wikipact wrote there before.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import zstandard

from wikipact import crashpoints, storage
from wikipact.datasets import manifest
from wikipact.datasets.arrow import record_schema
from wikipact.datasets.dedup import Cluster, DedupResult
from wikipact.datasets.dedup_sharded import deduplicate_sharded
from wikipact.datasets.recipe import Recipe
from wikipact.datasets.signing import write_atomic
from wikipact.datasets.sinks import FOLDERS, Shard, ShardWriter, remove_temp_files
from wikipact.datasets.sources import Source, inputs_fingerprint
from wikipact.datasets.splits import SPLITS, split_of
from wikipact.datasets.stage import StageConfig, Staged, decode_record, read_stage
from wikipact.datasets.stats import BuildStats
from wikipact.datasets.tokens import load_tokenizer
from wikipact.errors import ConfigError, DumpError
from wikipact.run.executor import Executor, executor_for
from wikipact.run.parse import fsync_replace

WORK_DIR = ".wikipact-build"
OUTPUTS = ("data", "jsonl", "plots", "README.md", "manifest.json", "manifest.json.sig",
           "exclusions.jsonl", "dedup-clusters.jsonl")  # fmt: skip

# progress(step, total, unit) -> context manager yielding update(items, amount)
Progress = Callable[[str, int | None, str], AbstractContextManager[Callable[[int, int], None]]]


@dataclass
class BuildResult:
    status: str  # "built" | "up_to_date"
    out: Path | str  # the URL of a dataset published to object storage
    stats: BuildStats | None
    errors: list[DumpError]
    fingerprint: str


def _no_progress(step: str, total: int | None, unit: str) -> AbstractContextManager[Any]:
    return nullcontext(lambda items, amount: None)


def build(
    source: Source,
    out: Path | str,
    recipe: Recipe,
    *,
    signing_key: Any,
    workers: int = 1,
    on_error: str = "stop",
    keep_work: bool = False,
    progress: Progress | None = None,
    executor: Executor | None = None,
    work_dir: Path | None = None,
) -> BuildResult:
    """Build the dataset of ``source`` under ``recipe`` into ``out`` (see the module docstring).

    ``executor``: where the tasks run (default: ``workers`` processes of this machine).
    ``out`` may be an object storage URL (``s3://bucket/prefix``): the dataset is built in
    ``work_dir`` (default: ``publish.staging_folder(out)``) and then published there, objects
    first, manifest last (``datasets/publish.py``)."""
    url = str(out) if storage.is_url(out) else None
    local, task_files = Path(out), None
    if url is not None:
        from wikipact.datasets.publish import staging_folder

        local = Path(work_dir) if work_dir is not None else staging_folder(url)
        # tasks that may run on other machines (Ray) read and write their files (stage,
        # dedup) beside the dataset, where every worker reaches them
        if executor is not None and not executor.runs_tasks_here:
            task_files = storage.join(url, WORK_DIR)
    result = _build(
        source,
        local,
        recipe,
        signing_key=signing_key,
        workers=workers,
        on_error=on_error,
        keep_work=keep_work,
        progress=progress,
        executor=executor,
        task_files=task_files,
    )
    if url is not None:
        from wikipact.datasets.publish import publish_dataset

        with (progress or _no_progress)("publish", None, "files") as update:
            done = publish_dataset(local, url)
            update(len(done.uploaded), 0)
        result.out = url
    return result


def _build(
    source: Source,
    out: Path,
    recipe: Recipe,
    *,
    signing_key: Any,
    workers: int,
    on_error: str,
    keep_work: bool,
    progress: Progress | None,
    executor: Executor | None,
    task_files: str | None = None,
) -> BuildResult:
    """``build`` into a local folder; ``task_files``: where the stage and dedup files go
    (default: the build's work folder)."""
    progress = progress or _no_progress
    tokenizer = load_tokenizer(recipe.tokenizer)  # fail before any work if it cannot load
    work = _Work(out / WORK_DIR, task_files or str(out / WORK_DIR))
    checksums = _Checksums(work.local / "checksums.json")
    inputs = source.inputs(checksums)
    fingerprint = _fingerprint(recipe, inputs_fingerprint(inputs), tokenizer.vocabulary_sha256)
    if _is_complete(work.local, fingerprint):
        return BuildResult("up_to_date", out, None, [], fingerprint)
    _prepare(out, work, fingerprint)
    checksums.save()

    with executor_for(executor, workers) as runner:
        errors = _stage(source, work, recipe, runner, on_error, progress)
        verdict = _dedup(work, recipe, progress, runner)
    stats = BuildStats(
        recipe=recipe,
        tokenizer=tokenizer.name,
        tokenizer_sha256=tokenizer.vocabulary_sha256,
        inputs=inputs,
    )
    _write(out, work, recipe, verdict, stats, progress)
    from wikipact.datasets import card, plots

    with progress("card", None, "files") as update:
        written = plots.write_plots(out, stats)
        written.append(card.write_card(out, stats, written))
        stats.files.extend(
            manifest.file_info(out, rel, format="png" if rel.endswith(".png") else "markdown")
            for rel in written
        )
        update(len(written), 0)
    with progress("manifest", None, "files") as update:
        manifest.write_manifest(out, manifest.build_manifest(stats), signing_key)
        update(1, 0)
    _mark_complete(work, fingerprint, keep_work)
    return BuildResult("built", out, stats, errors, fingerprint)


# -- preparing the directory -------------------------------------------------------------------


@dataclass(frozen=True)
class _Work:
    """Where a build keeps its state: ``local``, its bookkeeping (``build.json``, input
    checksums, the dedup verdict, the written stats, the completion mark), always in the
    dataset's folder; ``tasks``, the files its tasks read and write (``stage/``, ``dedup/``),
    there too, or in object storage when the tasks run on other machines."""

    local: Path
    tasks: str

    @property
    def stage(self) -> str:
        return storage.join(self.tasks, "stage")

    @property
    def dedup(self) -> str:
        return storage.join(self.tasks, "dedup")


def _fingerprint(recipe: Recipe, inputs: str, vocabulary: str) -> str:
    from wikipact import __version__
    from wikipact.datasets.record import RECORD_VERSION

    key = json.dumps([recipe.sha256, inputs, vocabulary, __version__, RECORD_VERSION])
    return hashlib.sha256(key.encode()).hexdigest()


class _Checksums:
    """sha256 of input files, remembered by name, size and mtime: a rerun does not re-read a
    dump of many GB to learn that nothing changed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.known: dict[str, list[Any]] = json.loads(path.read_text())
        except (OSError, ValueError):
            self.known = {}
        self.changed = False

    def __call__(self, file: Path | str) -> str:
        if storage.is_url(file):  # an object: known by its identity (size and ETag)
            return self._remote(str(file))
        file = Path(file)
        stat = file.stat()
        seen = self.known.get(file.name)
        if seen is not None and seen[:2] == [stat.st_size, stat.st_mtime_ns]:
            return str(seen[2])
        digest = manifest.sha256_file(file)
        self.known[file.name] = [stat.st_size, stat.st_mtime_ns, digest]
        self.changed = True
        return digest

    def _remote(self, url: str) -> str:
        identity = storage.identity(url)
        name = storage.name_of(url)
        seen = self.known.get(name)
        if seen is not None and seen[:1] == [identity]:
            return str(seen[-1])
        digest = storage.sha256(url)
        self.known[name] = [identity, digest]
        self.changed = True
        return digest

    def save(self) -> None:
        if self.changed or not self.path.exists():
            write_atomic(self.path, json.dumps(self.known, sort_keys=True).encode())


def _is_complete(work: Path, fingerprint: str) -> bool:
    try:
        return (work / "complete").read_text() == fingerprint
    except OSError:
        return False


def _prepare(out: Path, work: _Work, fingerprint: str) -> None:
    """Make ``out`` ready: same fingerprint resumes, another one starts over, foreign refused."""
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out} is a file; give a directory for the dataset")
    marker = work.local / "build.json"
    foreign = [p for p in out.iterdir() if p.name != WORK_DIR] if out.exists() else []
    if foreign and not marker.exists():
        raise ConfigError(
            f"{out} is not empty and was not written by wikipact build; choose a new or empty "
            "directory (wikipact never deletes files it did not write)"
        )
    previous = json.loads(marker.read_text())["fingerprint"] if marker.exists() else None
    if previous != fingerprint:
        for name in (*OUTPUTS, WORK_DIR):
            path = out / name
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
        _clear_stage(work)  # task files kept elsewhere belong to the old build too
        work.local.mkdir(parents=True)
        write_atomic(marker, json.dumps({"fingerprint": fingerprint}).encode())
    else:
        work.local.mkdir(parents=True, exist_ok=True)
        remove_temp_files(out)


def _mark_complete(work: _Work, fingerprint: str, keep_work: bool) -> None:
    if not keep_work:
        _clear_stage(work)
    write_atomic(work.local / "complete", fingerprint.encode())


def _clear_stage(work: _Work) -> None:
    """Remove the staged records and the state that refers to them."""
    storage.remove_tree(work.stage)
    storage.remove_tree(work.dedup)
    for name in ("dedup.msgpack", "written.pickle"):
        (work.local / name).unlink(missing_ok=True)


# -- step 1: stage -----------------------------------------------------------------------------

_staged_encoder = msgspec.msgpack.Encoder()


_STAGE_FILE = re.compile(r"[0-9]+\.zst")


def _stage_name(index: int) -> str:
    return f"{index:06d}.zst"


def _stage(
    source: Source,
    work: _Work,
    recipe: Recipe,
    executor: Executor,
    on_error: str,
    progress: Progress,
) -> list[DumpError]:
    keys = source.task_keys()
    index_of = {key: i for i, key in enumerate(keys)}
    _restage_if_planned_otherwise(work, keys)
    present = set(_stage_names(work))
    done = {key for key in keys if _stage_name(index_of[key]) in present}
    errors: list[DumpError] = []
    total, unit = source.total()
    open_files: dict[str, tuple[ExitStack, Any]] = {}
    with progress("stage", total, unit) as update:
        try:
            for output in source.run(StageConfig(recipe), done, executor, on_error):
                stack, writer = open_files.get(output.key) or _open_stage(
                    work, _stage_name(index_of[output.key])
                )
                open_files[output.key] = (stack, writer)
                for item in output.items:
                    data = _staged_encoder.encode(item)
                    writer.write(len(data).to_bytes(4, "little") + data)
                    crashpoints.reached("build.stage.record")
                errors.extend(output.errors)
                update(len(output.items), output.bytes_done)
                if output.fatal is not None:
                    raise output.fatal
                if output.finished:
                    writer.close()
                    stack.close()  # the file appears whole (rename, or the upload completes)
                    del open_files[output.key]
        finally:
            for stack, writer in open_files.values():
                writer.close()
                stopped = RuntimeError("the build stopped")
                stack.__exit__(RuntimeError, stopped, None)  # nothing of the file is left
    return errors


def _restage_if_planned_otherwise(work: _Work, keys: list[str]) -> None:
    """Start the stage (and the steps after it) over unless it was written for these tasks.

    Staged files are named by the task's position, so they mean something only for the plan
    that wrote them, and a plan can change under the same fingerprint: a newer wikipact may cut
    the same dump into other tasks (plain UTF-8 dumps, once one whole-file task, are now byte
    ranges, and the whole file's stage would pass for the first range's). The plan is kept
    beside the files; without it (a build begun by an older version) the stage is redone too.
    """
    plan = storage.join(work.stage, "tasks.json")
    wanted = json.dumps(keys).encode()
    try:
        if storage.get_bytes(plan) == wanted:
            return
    except OSError:  # not there (LocationNotFound is a FileNotFoundError too)
        pass
    _clear_stage(work)
    storage.put_bytes(plan, wanted)


def _open_stage(work: _Work, name: str) -> tuple[ExitStack, Any]:
    """A stage file being written: whole when its stack closes, absent if it is aborted."""
    stack = ExitStack()
    fh = stack.enter_context(storage.open_write(storage.join(work.stage, name)))
    return stack, zstandard.ZstdCompressor(level=1).stream_writer(fh, closefd=False)


def _stage_names(work: _Work) -> list[str]:
    """Names of the finished stage files, in task order."""
    try:
        names = storage.listdir(work.stage)
    except FileNotFoundError:
        return []
    return sorted(n for n in names if _STAGE_FILE.fullmatch(n))


def _stage_files(work: _Work) -> list[str]:
    return [storage.join(work.stage, name) for name in _stage_names(work)]


# -- step 2: dedup -----------------------------------------------------------------------------


class _Verdict(msgspec.Struct, frozen=True):
    dropped: dict[int, tuple[str, str]]
    clusters: list[tuple[str, str, list[str], float | None]]


def _dedup(work: _Work, recipe: Recipe, progress: Progress, executor: Executor) -> DedupResult:
    """The verdict of deduplication, in stages of tasks on the executor (``dedup_sharded``):
    no process holds every signature; the verdict is the single-step ``deduplicate``'s."""
    path = work.local / "dedup.msgpack"
    if path.exists():
        saved = msgspec.msgpack.decode(path.read_bytes(), type=_Verdict)
        return DedupResult(dict(saved.dropped), [Cluster(*c) for c in saved.clusters])
    files = _stage_files(work)
    with progress("dedup", None, "tasks") as update:
        result = deduplicate_sharded(
            files,
            recipe.dedup,
            work.dedup,
            executor,
            progress=lambda tasks: update(tasks, 0),
        )
    verdict = _Verdict(
        result.dropped, [(c.kind, c.kept, c.dropped, c.similarity) for c in result.clusters]
    )
    write_atomic(path, msgspec.msgpack.encode(verdict))
    return result


def _ordinals(work: _Work) -> Iterator[tuple[int, Staged]]:
    """Every staged page with its position in the build (stage files in task order)."""
    ordinal = 0
    for path in _stage_files(work):
        for staged in read_stage(path):
            yield ordinal, staged
            ordinal += 1


# -- step 3: write -----------------------------------------------------------------------------


def _write(
    out: Path,
    work: _Work,
    recipe: Recipe,
    verdict: DedupResult,
    stats: BuildStats,
    progress: Progress,
) -> None:
    saved = work.local / "written.pickle"
    if saved.exists():
        previous: BuildStats = pickle.loads(saved.read_bytes())
        stats.__dict__.update({k: v for k, v in previous.__dict__.items() if k not in ("recipe",)})
        return
    for folder in FOLDERS.values():
        if (out / folder).exists():
            shutil.rmtree(out / folder)  # a partial earlier attempt: rewritten identically
    schema = record_schema(recipe.columns)
    shards: list[Shard] = []
    writers = {
        (split, fmt): ShardWriter(
            out,
            split,
            fmt,
            schema,
            shard_bytes=recipe.output.shard_bytes,
            row_group_rows=recipe.output.row_group_rows,
            on_shard=shards.append,
        )
        for split in SPLITS
        for fmt in recipe.output.formats
    }
    exclusions = _LineWriter(out / "exclusions.jsonl") if recipe.output.exclusions else None
    with progress("write", None, "records") as update:
        try:
            for ordinal, staged in _ordinals(work):
                stats.seen += 1
                reason, kept_as = staged.reason, None
                if reason is None and ordinal in verdict.dropped:
                    reason, kept_as = verdict.dropped[ordinal]
                if reason is not None:
                    stats.dropped[reason] += 1
                    if exclusions is not None:
                        exclusions.write(
                            {"id": staged.id, "title": staged.title, "reason": reason}
                            | ({"kept": kept_as} if kept_as else {})
                        )
                    crashpoints.reached("build.write.record")
                    continue
                assert staged.record is not None
                record = decode_record(staged.record)
                split = split_of(record.id, recipe.output.splits)
                for fmt in recipe.output.formats:
                    writers[split, fmt].write(record)
                stats.records[split, record.language] += 1
                stats.tokens[split, record.language] += record.tokens
                stats.words_per_record.append(record.signals.words)
                stats.tokens_per_record.append(record.tokens)
                update(1, 0)
                crashpoints.reached("build.write.record")
            for writer in writers.values():
                writer.close()
        except BaseException:
            for writer in writers.values():
                writer.abort()
            if exclusions is not None:
                exclusions.abort()
            raise
    for cluster in verdict.clusters:
        stats.clusters[cluster.kind] += 1
    files = [
        manifest.file_info(out, s.path, records=s.records, split=s.split, format=s.format)
        for s in sorted(shards, key=lambda s: s.path)
    ]
    if exclusions is not None:
        exclusions.close()
        files.append(
            manifest.file_info(out, "exclusions.jsonl", records=exclusions.lines, format="jsonl")
        )
    clusters = _LineWriter(out / "dedup-clusters.jsonl")
    for c in verdict.clusters:
        clusters.write(
            {"kind": c.kind, "kept": c.kept, "dropped": c.dropped}
            | ({"similarity": c.similarity} if c.similarity is not None else {})
        )
    clusters.close()
    files.append(
        manifest.file_info(out, "dedup-clusters.jsonl", records=clusters.lines, format="jsonl")
    )
    stats.files = files
    write_atomic(saved, pickle.dumps(stats))


class _LineWriter:
    """JSON lines to a temp file, renamed into place by ``close``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tmp = path.with_name(f".{path.name}.tmp")
        self.fh = open(self.tmp, "wb")  # noqa: SIM115 (closed in close/abort)
        self.lines = 0
        self._encoder = msgspec.json.Encoder()

    def write(self, row: dict[str, Any]) -> None:
        self.fh.write(self._encoder.encode(row) + b"\n")
        self.lines += 1

    def close(self) -> None:
        self.fh.close()
        fsync_replace(str(self.tmp), str(self.path))

    def abort(self) -> None:
        self.fh.close()
        self.tmp.unlink(missing_ok=True)
