"""How fast is ``wikipact build``, step by step, and how much memory does it hold?

Runs ``build()`` (the library function behind ``wikipact build``) on one dump, once per
``--workers`` value (and ``--repeats`` times), each run in a fresh subprocess, and reports:

* for each step (stage, dedup, write, card, manifest) and end to end (dump → signed shards):
  wall seconds, items per second (pages for stage, dedup candidates, written records, files),
  CPU seconds of the process tree and the CPU that *other* processes used meanwhile (the
  machine may be shared: CPU contention stretches wall time but not CPU time);
* peak RSS of the main process and, separately, of the largest worker: exact peaks from
  ``getrusage`` (``RUSAGE_SELF`` and ``RUSAGE_CHILDREN``, whose ``ru_maxrss`` is the largest
  reaped child), plus a psutil sampler (every 50 ms) that attributes the peaks to steps;
* per-page costs inside the stage step, single-process, on a sample of pages: XML reading,
  filters, ``parse_article``, tokenising, the record, MinHash, encoding; plus what workers would
  pay to pickle pages and results.

Steps are timed through the ``progress`` callback of ``build()`` (entering and leaving its
context brackets a step), so nothing in the library changes. Writes
``bench/results/build-throughput-<date>.json`` and ``.md`` and prints the tables.

    .venv/bin/python bench/build_throughput.py --workers 1 2
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import pickle
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from parse_throughput import Quiet, machine_facts, measure

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DUMP = REPO / "bench" / "data" / "dev50.xml"
DEFAULT_OUT = REPO / "bench" / "results"
DEFAULT_SIGNING = Path(tempfile.gettempdir()) / "bench-keys"
MB = 1_000_000
MIB = 1 << 20
POLL_SECONDS = 0.05
TIMELINE_SECONDS = 0.5
STEPS = ("stage", "dedup", "write", "card", "manifest")
ITEMS = {
    "stage": "pages",
    "dedup": "candidates",
    "write": "records",
    "card": "files",
    "manifest": "files",
}


# --------------------------------------------------------------------------------------------
# Inside the measured subprocess: one build
# --------------------------------------------------------------------------------------------


def _rss(proc: psutil.Process) -> int:
    try:
        return int(proc.memory_info().rss)
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return 0


class Sampler(threading.Thread):
    """Polls the RSS of this process and of each child; keeps peaks per step and a timeline."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.me = psutil.Process()
        self.step = "setup"
        self.started = time.perf_counter()
        self.peaks: dict[str, dict[str, int]] = {}
        self.timeline: list[dict[str, Any]] = []
        self.children_seen: set[int] = set()
        self._halt = threading.Event()

    def run(self) -> None:
        last = -TIMELINE_SECONDS
        while not self._halt.is_set():
            main = _rss(self.me)
            try:
                children = self.me.children(recursive=True)
            except psutil.NoSuchProcess:
                children = []
            sizes = [_rss(c) for c in children]
            self.children_seen |= {c.pid for c in children}
            largest = max(sizes, default=0)
            peak = self.peaks.setdefault(self.step, {"main": 0, "worker": 0, "tree": 0})
            peak["main"] = max(peak["main"], main)
            peak["worker"] = max(peak["worker"], largest)
            peak["tree"] = max(peak["tree"], main + sum(sizes))
            now = time.perf_counter() - self.started
            if now - last >= TIMELINE_SECONDS:
                self.timeline.append(
                    {
                        "t": round(now, 2),
                        "step": self.step,
                        "main_mib": round(main / MIB, 1),
                        "largest_child_mib": round(largest / MIB, 1),
                        "children": len(sizes),
                    }
                )
                last = now
            self._halt.wait(POLL_SECONDS)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def _tree_cpu(me: psutil.Process) -> float:
    """CPU seconds of this process, its reaped children, and its live children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
    live = 0.0
    with contextlib.suppress(psutil.NoSuchProcess):
        for child in me.children(recursive=True):
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                times = child.cpu_times()
                live += times.user + times.system
    return own.ru_utime + own.ru_stime + reaped.ru_utime + reaped.ru_stime + live


def _system_busy() -> float:
    t = psutil.cpu_times()
    return float(t.user + t.nice + t.system + t.irq + t.softirq)


class StepClock:
    """The ``progress`` callback of ``build()``: wall, CPU, items and bytes of each step."""

    def __init__(self, sampler: Sampler) -> None:
        self.sampler = sampler
        self.me = psutil.Process()
        self.steps: list[dict[str, Any]] = []

    def mark(self) -> tuple[float, float, float]:
        return time.perf_counter(), _tree_cpu(self.me), _system_busy()

    @contextlib.contextmanager
    def __call__(
        self, step: str, total: int | None, unit: str
    ) -> Iterator[Callable[[int, int], None]]:
        counts = {"items": 0, "amount": 0}

        def update(items: int, amount: int) -> None:
            counts["items"] += items
            counts["amount"] += amount

        self.sampler.step = step
        wall0, cpu0, busy0 = self.mark()
        yield update
        wall1, cpu1, busy1 = self.mark()
        self.sampler.step = f"after {step}"
        self.steps.append(
            {
                "step": step,
                "unit": unit,
                "total": total,
                "items": counts["items"],
                "amount": counts["amount"],
                "start_s": wall0,
                "wall_s": wall1 - wall0,
                "cpu_s": cpu1 - cpu0,
                "others_cpu_s": max(0.0, (busy1 - busy0) - (cpu1 - cpu0)),
            }
        )


def internal_build(args: argparse.Namespace) -> dict[str, Any]:
    began = time.perf_counter()
    sampler = Sampler()
    sampler.start()
    from wikipact.datasets.build import build
    from wikipact.datasets.recipe import load_recipe
    from wikipact.datasets.signing import load_signing_key
    from wikipact.datasets.sources import DumpSource
    from wikipact.dumps.reader import open_dump

    imported = time.perf_counter()
    recipe = load_recipe(args.recipe)
    key = load_signing_key(args.signing_dir)
    source = DumpSource([open_dump(args.dump)])
    opened = time.perf_counter()
    clock = StepClock(sampler)
    cpu0 = _tree_cpu(clock.me)
    busy0 = _system_busy()
    result = build(
        source, args.build_out, recipe, signing_key=key, workers=args.workers, progress=clock
    )
    done = time.perf_counter()
    cpu1 = _tree_cpu(clock.me)
    busy1 = _system_busy()
    sampler.stop()
    if result.status != "built" or result.stats is None:
        raise SystemExit(f"build did not run: {result.status}")
    stats = result.stats
    for step in clock.steps:
        step["start_s"] -= opened
        step["peak_rss_main"] = sampler.peaks.get(step["step"], {}).get("main", 0)
        step["peak_rss_worker"] = sampler.peaks.get(step["step"], {}).get("worker", 0)
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    shards = [f for f in stats.files if f.format in ("parquet", "jsonl.zst")]
    return {
        "workers": args.workers,
        "import_s": imported - began,
        "open_s": opened - imported,  # recipe, signing key, open_dump + DumpSource (tasks)
        "build_s": done - opened,
        "build_cpu_s": cpu1 - cpu0,
        "build_others_cpu_s": max(0.0, (busy1 - busy0) - (cpu1 - cpu0)),
        "steps": clock.steps,
        "pages": stats.seen,
        "records": stats.kept,
        "dropped": dict(stats.dropped),
        "tokens": stats.total_tokens,
        "shards": len(shards),
        "shard_bytes": sum(f.bytes for f in shards),
        "input_bytes": sum(i.bytes or 0 for i in stats.inputs),
        "maxrss_main": own.ru_maxrss * 1024,  # Linux: KiB
        "maxrss_largest_child": kids.ru_maxrss * 1024,
        "cpu_main_s": own.ru_utime + own.ru_stime,
        "cpu_children_s": kids.ru_utime + kids.ru_stime,
        "sampled_peaks": sampler.peaks,
        "children_seen": len(sampler.children_seen),
        "timeline": sampler.timeline,
        "errors": [str(e) for e in result.errors],
    }


# --------------------------------------------------------------------------------------------
# Inside a subprocess: where the stage step's time goes, page by page
# --------------------------------------------------------------------------------------------

PARTS = (
    ("read", "read + XML-parse the page (dump reader)"),
    ("filter_early", "early filters (namespace, redirect, title)"),
    ("parse_article", "parse_article (wikitext → Article)"),
    ("filter_late", "late filters (disambiguation, words …)"),
    ("tokenise", "tokenizer.count (tiktoken)"),
    ("to_record", "to_record (DatasetRecord)"),
    ("normalise", "dedup.normalise (NFKC, casefold, words)"),
    ("text_hash", "dedup.text_hash (blake2b)"),
    ("minhash", "dedup.signature (MinHash)"),
    ("encode", "encode record + Staged (msgpack)"),
)
IPC_PARTS = (
    ("pickle_page", "pickle the RawPage (to a worker; input read whole, w>1)"),
    ("pickle_staged", "pickle the Staged (back to the main process, w>1)"),
)


def internal_costs(args: argparse.Namespace) -> dict[str, Any]:
    import msgspec

    from wikipact.datasets import dedup
    from wikipact.datasets.recipe import load_recipe
    from wikipact.datasets.record import record_id, to_record
    from wikipact.datasets.stage import StageConfig, Staged, _tools, stage_page
    from wikipact.dumps.reader import open_dump
    from wikipact.model.raw import RawPage
    from wikipact.wikitext.parse import parse_article

    recipe = load_recipe(args.recipe)
    config = StageConfig(recipe)
    rules, tokenizer, columns = _tools(recipe)
    encoder = msgspec.msgpack.Encoder()
    dump = open_dump(args.dump)
    site = dump.site
    pages_iter = iter(dump.pages())
    spent = dict.fromkeys([p for p, _ in PARTS + IPC_PARTS], 0.0)
    counts = dict.fromkeys(spent, 0)
    fate = {"early_drop": 0, "late_drop": 0, "kept": 0}
    sample = []
    clock = time.perf_counter

    def lap(part: str, since: float) -> float:
        now = clock()
        spent[part] += now - since
        counts[part] += 1
        return now

    def drop(page: RawPage, title: str, reason: str) -> None:
        t = clock()
        pickle.dumps(Staged(record_id(site.dbname, page.identifier), title, reason))
        lap("pickle_staged", t)

    warm = next(pages_iter)  # compile regexes, load tables: not counted
    stage_page(warm, site, config)
    d = recipe.dedup
    for _ in range(args.sample_pages):
        t = clock()
        page = next(pages_iter, None)
        if page is None:
            break
        lap("read", t)
        sample.append(page)
    # the real worker transform first (so the split below runs with caches at least as warm)
    t = clock()
    for page in sample:
        stage_page(page, site, config)
    direct = clock() - t
    for page in sample:
        t = clock()
        pickle.dumps(page, protocol=pickle.HIGHEST_PROTOCOL)
        t = lap("pickle_page", t)
        reason = rules.early(
            project=site.dbname,
            language=site.language,
            page_id=page.identifier,
            title=page.title,
            namespace=page.namespace,
            is_redirect=page.redirect_title is not None,
        )
        t = lap("filter_early", t)
        if reason is not None:
            fate["early_drop"] += 1
            drop(page, page.title, reason)
            continue
        article = parse_article(page, site)
        t = lap("parse_article", t)
        reason = None if article.redirect_target is not None else rules.late(article)
        t = lap("filter_late", t)
        if reason is not None:
            fate["late_drop"] += 1
            drop(page, article.name, reason)
            continue
        fate["kept"] += 1
        text = article.text or ""
        tokens = tokenizer.count([text])[0]
        t = lap("tokenise", t)
        record = to_record(article, tokens, columns)
        t = lap("to_record", t)
        words = dedup.normalise(text)
        t = lap("normalise", t)
        digest = dedup.text_hash(words)
        t = lap("text_hash", t)
        signature = dedup.signature(words, d.num_perm, d.shingle_words) if d.near else None
        t = lap("minhash", t)
        staged = Staged(
            id=record_id(article.is_part_of.identifier, article.identifier),
            title=article.name,
            reason=None,
            revision_id=article.version.identifier,
            date_modified=article.date_modified,
            references=len(article.references),
            words=record.signals.words,
            text_hash=digest,
            signature=signature,
            record=encoder.encode(record),
        )
        encoder.encode(staged)
        t = lap("encode", t)
        pickle.dumps(staged, protocol=pickle.HIGHEST_PROTOCOL)
        lap("pickle_staged", t)
    in_stage = sum(spent[p] for p, _ in PARTS)
    return {
        "pages": len(sample),
        "fate": fate,
        "wikitext_bytes": sum(len(p.latest.text.encode("utf-8")) for p in sample),
        "parts": [
            {"part": p, "label": label, "s": spent[p], "calls": counts[p]}
            for p, label in PARTS + IPC_PARTS
        ],
        "sum_s": in_stage,
        "stage_page_s": direct,
    }


# --------------------------------------------------------------------------------------------
# The benchmark (parent process)
# --------------------------------------------------------------------------------------------


def _mib(value: int | float | None) -> str:
    return "–" if not value else f"{value / MIB:,.0f}"


def _rate(items: int, seconds: float) -> str:
    return "–" if seconds <= 0 else f"{items / seconds:,.1f}"


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median build wall time (the whole run, so its numbers agree)."""
    ordered = sorted(runs, key=lambda r: r["build_s"])
    return ordered[(len(ordered) - 1) // 2]


def step_table(runs: dict[int, dict[str, Any]]) -> str:
    lines = [
        "| workers | step | items | wall s | items/s | MB/s input | CPU s (tree) | CPU/wall "
        "| others' CPU s | peak RSS main MiB | peak RSS largest worker MiB |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for workers, run in runs.items():
        for s in run["steps"]:
            mbs = (
                f"{s['amount'] / MB / s['wall_s']:.2f}"
                if s["unit"] == "bytes" and s["wall_s"]
                else ""
            )
            lines.append(
                f"| {workers} | {s['step']} | {s['items']:,} {ITEMS.get(s['step'], '')} "
                f"| {s['wall_s']:.2f} | {_rate(s['items'], s['wall_s'])} | {mbs} "
                f"| {s['cpu_s']:.2f} | {s['cpu_s'] / max(s['wall_s'], 1e-9):.2f} "
                f"| {s['others_cpu_s']:.2f} | {_mib(s['peak_rss_main'])} "
                f"| {_mib(s['peak_rss_worker'])} |"
            )
        outside = run["build_s"] - sum(s["wall_s"] for s in run["steps"])
        lines.append(
            f"| {workers} | (outside steps: tokenizer, input sha256, cleanup) | | "
            f"{outside:.2f} | | | | | | | |"
        )
    return "\n".join(lines)


def end_table(runs: dict[int, dict[str, Any]]) -> str:
    lines = [
        "| workers | pages | records kept | build wall s | pages/s | records/s | MB/s input "
        "| CPU s (tree) | CPU/wall | others' CPU s | process wall s | peak RSS main MiB "
        "| peak RSS largest worker MiB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for workers, run in runs.items():
        worker_peak = run["maxrss_largest_child"] if workers > 1 else 0
        lines.append(
            f"| {workers} | {run['pages']:,} | {run['records']:,} | {run['build_s']:.2f} "
            f"| {_rate(run['pages'], run['build_s'])} | {_rate(run['records'], run['build_s'])} "
            f"| {run['input_bytes'] / MB / run['build_s']:.2f} | {run['build_cpu_s']:.2f} "
            f"| {run['build_cpu_s'] / run['build_s']:.2f} | {run['build_others_cpu_s']:.2f} "
            f"| {run['process_wall_s']:.2f} | {_mib(run['maxrss_main'])} | {_mib(worker_peak)} |"
        )
    return "\n".join(lines)


def cost_table(costs: dict[str, Any]) -> str:
    pages = max(costs["pages"], 1)
    total = costs["sum_s"]
    lines = [
        "| part | pages timed | total s | ms/page (all sampled pages) | share of stage work |",
        "|---|---|---|---|---|",
    ]
    for part in costs["parts"]:
        in_stage = part["part"] not in dict(IPC_PARTS)
        share = f"{part['s'] / total:.1%}" if in_stage and total else "(extra, w>1)"
        lines.append(
            f"| {part['label']} | {part['calls']:,} | {part['s']:.3f} "
            f"| {part['s'] * 1000 / pages:.2f} | {share} |"
        )
    lines.append(f"| **sum of the stage parts** | {pages:,} | {total:.3f} | "
                 f"{total * 1000 / pages:.2f} | 100% |")  # fmt: skip
    return "\n".join(lines)


def results_path(out: Path, suffix: str) -> Path:
    stem = f"build-throughput-{dt.date.today().isoformat()}"
    n = 1
    while True:
        name = stem if n == 1 else f"{stem}-{n}"
        if not (out / f"{name}.md").exists() and not (out / f"{name}.json").exists():
            return out / f"{name}{suffix}"
        n += 1


def ensure_signing_key(directory: Path) -> None:
    if (directory / "ed25519.key").exists():
        return
    from wikipact.datasets.signing import init_keys

    init_keys(directory)
    print(f"made a throwaway signing key in {directory}")


def dump_xml_bytes(dump: Path) -> int | None:
    """Uncompressed XML of the dump: its size, or the .bench.json / .stats.json sidecar's."""
    if not dump.name.endswith(".bz2"):
        return dump.stat().st_size
    for sidecar in (
        dump.with_name(dump.name.removesuffix(".xml.bz2") + ".bench.json"),
        dump.with_name(dump.name.removesuffix("-multistream.xml.bz2") + ".stats.json"),
    ):
        if sidecar.exists():
            return int(json.loads(sidecar.read_text())["xml_bytes"])
    return None


def run(args: argparse.Namespace) -> int:
    dump: Path = args.dump.resolve()
    if not dump.exists():
        sys.exit(
            f"{dump} does not exist; make it first (from the shared corpus):\n"
            "  .venv/bin/python bench/make_quality_dump.py --only dev,devrepeat\n"
            "(dev50.xml is 6 copies of quality-dev.xml's English pages, ~52 MB of XML)"
        )
    python = sys.executable
    me = str(Path(__file__).resolve())
    ensure_signing_key(args.signing_dir)
    tmp: Path = args.tmp
    tmp.mkdir(parents=True, exist_ok=True)
    machine = machine_facts(python)
    xml_bytes = dump_xml_bytes(dump)
    print(
        f"dump: {dump.name}, {dump.stat().st_size / MB:.1f} MB on disk"
        + (f", {xml_bytes / MB:.1f} MB XML" if xml_bytes else "")
    )
    with open(dump, "rb") as fh:  # warm the page cache
        while fh.read(1 << 24):
            pass
    quiet = Quiet(args.max_busy, args.max_wait, args.disturbed_fraction)
    common = ["--dump", str(dump), "--signing-dir", str(args.signing_dir)]
    if args.recipe:
        common += ["--recipe", str(args.recipe)]

    all_runs: dict[int, list[dict[str, Any]]] = {w: [] for w in args.workers}
    for repeat in range(1, args.repeats + 1):
        for workers in args.workers:
            target = tmp / f"wikipact-build-bench-w{workers}"
            for attempt in range(args.retries + 1):
                shutil.rmtree(target, ignore_errors=True)
                cmd = [python, me, "--internal", "build", "--workers", str(workers)]
                cmd += [*common, "--build-out", str(target)]
                sample = measure(cmd, quiet)
                if sample.returncode != 0:
                    sys.exit(f"build --workers {workers} failed:\n{sample.stderr_tail}")
                result = json.loads(sample.stdout)
                result |= {
                    "process_wall_s": sample.wall_s,
                    "process_cpu_s": sample.cpu_s,
                    "process_others_cpu_s": sample.others_cpu_s,
                    "process_peak_tree_rss": sample.peak_rss_bytes,
                    "busy_before_percent": sample.busy_before_percent,
                    "busy_processes": sample.busy_processes,
                    "load_before": sample.load_before,
                    "disturbed": sample.disturbed,
                    "attempt": attempt,
                }
                print(
                    f"[{repeat}/{args.repeats}] workers {workers}: build {result['build_s']:.1f} s "
                    f"wall, {result['build_cpu_s']:.1f} s CPU, others used "
                    f"{result['build_others_cpu_s']:.1f} s CPU meanwhile; "
                    f"{result['pages']:,} pages → {result['records']:,} records; peak RSS main "
                    f"{_mib(result['maxrss_main'])} MiB, largest worker "
                    f"{_mib(result['maxrss_largest_child']) if workers > 1 else '–'} MiB"
                    + (" DISTURBED" if sample.disturbed else ""),
                    flush=True,
                )
                if not args.keep_outputs:
                    shutil.rmtree(target, ignore_errors=True)
                if not sample.disturbed or attempt == args.retries:
                    all_runs[workers].append(result)
                    break
                print("  disturbed by other processes: run again", flush=True)

    costs = None
    if args.sample_pages > 0:
        print(f"per-page costs on {args.sample_pages} pages (1 process) ...", flush=True)
        done = subprocess.run(
            [python, me, "--internal", "costs", "--sample-pages", str(args.sample_pages), *common],
            capture_output=True,
            text=True,
            check=True,
        )
        costs = json.loads(done.stdout)

    chosen = {w: _median_run(runs) for w, runs in all_runs.items()}
    steps = step_table(chosen)
    ends = end_table(chosen)
    first = next(iter(chosen.values()))
    notes = [
        f"Dump `{dump.name}`: {first['input_bytes'] / MB:.1f} MB input"
        + (f" ({xml_bytes / MB:.1f} MB XML)" if xml_bytes else "")
        + f", {first['pages']:,} pages → {first['records']:,} records "
        f"({first['tokens']:,} tokens) in {first['shards']} shard(s) of "
        f"{first['shard_bytes'] / MB:.1f} MB; dropped: "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(first["dropped"].items())),
        f"Median run of {args.repeats} by build wall time. 'build wall' = the build() call "
        "(tokenizer load, input sha256, every step); 'process wall' adds interpreter start, "
        "imports and open_dump. CPU = user+system of the main process and its workers. "
        "'others' CPU s' = non-idle CPU of the whole machine in that time minus ours: other "
        "processes sharing the CPUs (they stretch wall time, not CPU time).",
        "Peak RSS: end-to-end columns are exact (getrusage ru_maxrss of the main process and "
        "of the largest reaped child); per-step columns come from psutil sampling every "
        f"{POLL_SECONDS * 1000:.0f} ms. With 1 worker everything runs in the main process.",
    ]
    machine_line = (
        f"Machine: nproc {machine['nproc']}, {machine['cpu_model']}, "
        f"{machine['memory_total_gib']} GiB RAM; Python {machine['python']}; wikipact "
        f"{machine['wikipact']} at git {machine['git_head']}"
        + (" with uncommitted changes in src/" if machine["git_dirty_src"] else "")
    )
    print("\n## Steps\n\n" + steps + "\n\n## End to end (dump → signed shards)\n\n" + ends)
    print()
    for note in notes:
        print(note)
    print(machine_line)
    cost_md = ""
    if costs:
        fate = costs["fate"]
        cost_md = (
            f"## Per-page costs of the stage step (1 process, {costs['pages']} pages: "
            f"{fate['kept']} kept, {fate['late_drop']} dropped after parsing, "
            f"{fate['early_drop']} before; {costs['wikitext_bytes'] / MB:.1f} MB wikitext)\n\n"
            + cost_table(costs)
            + f"\n\nThe same pages through `stage_page` itself: {costs['stage_page_s']:.3f} s "
            f"(reading excluded) vs {costs['sum_s'] - costs['parts'][0]['s']:.3f} s for the "
            "parts without reading."
        )
        print("\n" + cost_md)

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    json_path = results_path(out, ".json")
    md_path = json_path.with_suffix(".md")
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    md_path.write_text(
        f"# wikipact build throughput, {stamp}\n\n## Steps\n\n{steps}\n\n"
        f"## End to end (dump → signed shards)\n\n{ends}\n\n"
        + "".join(f"- {n}\n" for n in [*notes, machine_line])
        + (f"\n{cost_md}\n" if cost_md else ""),
        encoding="utf-8",
    )
    raw = {
        "timestamp": stamp,
        "machine": machine,
        "dump": str(dump),
        "xml_bytes": xml_bytes,
        "recipe": str(args.recipe) if args.recipe else None,
        "repeats": args.repeats,
        "runs": {str(w): r for w, r in all_runs.items()},
        "median_build_s": {
            str(w): statistics.median(r["build_s"] for r in runs) for w, runs in all_runs.items()
        },
        "costs": costs,
    }
    json_path.write_text(json.dumps(raw, indent=1) + "\n", encoding="utf-8")
    print(f"\nwrote {json_path} and {md_path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--dump", type=Path, default=DEFAULT_DUMP, help=f"(default {DEFAULT_DUMP})")
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1, 2], help="worker counts (default 1 2)"
    )
    parser.add_argument("--recipe", type=Path, help="recipe YAML (default: the built-in recipe)")
    parser.add_argument("--repeats", type=int, default=1, help="builds per worker count (1)")
    parser.add_argument(
        "--sample-pages",
        type=int,
        default=300,
        help="pages for the per-page cost split (default 300; 0 skips it)",
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"results folder (default {DEFAULT_OUT})"
    )
    parser.add_argument(
        "--tmp",
        type=Path,
        default=Path(tempfile.gettempdir()),
        help="where the datasets are built (default: the system temporary folder)",
    )
    parser.add_argument(
        "--signing-dir",
        type=Path,
        default=DEFAULT_SIGNING,
        help=f"signing key folder; a key is made there if missing (default {DEFAULT_SIGNING})",
    )
    parser.add_argument("--keep-outputs", action="store_true", help="keep the built datasets")
    parser.add_argument(
        "--max-busy",
        type=float,
        default=10.0,
        help="before each build, wait until system CPU use is at most this %% (default 10)",
    )
    parser.add_argument(
        "--max-wait",
        type=float,
        default=30.0,
        help="wait at most this many seconds for that, then run anyway (default 30)",
    )
    parser.add_argument(
        "--disturbed-fraction",
        type=float,
        default=0.05,
        help="a build is disturbed when other processes used more CPU than this fraction of "
        "its wall time (default 0.05)",
    )
    parser.add_argument(
        "--retries",
        type=int,
        default=0,
        help="run a disturbed build again up to this many times (default 0: keep it, and "
        "report the others' CPU)",
    )
    parser.add_argument("--internal", choices=["build", "costs"], help=argparse.SUPPRESS)
    parser.add_argument("--build-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if args.internal == "build":
        args.workers = args.workers[0]
        print(json.dumps(internal_build(args)))
        return 0
    if args.internal == "costs":
        print(json.dumps(internal_costs(args)))
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
