"""Per-core throughput of parse and build on Ray against local processes; Ray's cost per task.

Runs ``parse_to_jsonl`` (dump -> JSON lines) and ``build`` (dump -> signed dataset, default
recipe) on one multistream dump, with four executors, each run in a fresh subprocess:

  local1  ``LocalExecutor(1)``: everything in the one process;
  local2  ``LocalExecutor(2)``: one pool process, and the main process runs every 2nd task;
  ray1    ``RayExecutor(workers=1)`` on ``ray.init(address="local", num_cpus=1)``;
  ray2    ``RayExecutor(workers=2)`` on ``ray.init(address="local", num_cpus=2)``.

Ray starts inside the measured process: ``ray.init`` and one no-op task per worker (so the
worker processes exist) are timed as start-up, apart from the job; ``ray.shutdown`` is timed
too. The job's wall time starts when the executor is ready, so throughput excludes start-up
(a local pool is started by the job itself, as a user pays it: ~0.3 s of imports per process).

For each run: wall, CPU of the process tree (driver, workers, Ray's own processes: psutil,
before and after the job), CPU the rest of the machine used meanwhile, and for build the
stage step (the only one that runs on the executor; dedup, write, card and manifest run in the
driver). From the medians: MB of uncompressed XML per second, per worker and per CPU-second;
Ray's overhead against local at the same worker count (% of wall, ms of wall per task, ms of
CPU per task); the driver's CPU per task. A probe times the pickling of one task's results
(what Ray sends back through its object store, where local pools spill parse output to files).
Then projections to English Wikipedia and to all Wikipedias on 2, 64 and 512 cores, from the
best per-core rate and from assumed XML sizes (``ENWIKI_XML_GB``, ``ALL_XML_GB``).

    .venv/bin/python bench/cluster.py --repeat 2

Writes ``bench/results/cluster-<date>.json`` (``--json FILE`` to change) and prints the tables.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import hashlib
import json
import os
import pickle
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from parse_throughput import machine_facts, wait_for_idle

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DUMP = REPO / "bench" / "data" / "wikipact-bench100mb-pages-articles-multistream.xml.bz2"
DEFAULT_OUT = REPO / "bench" / "results"
MB = 1_000_000
CONFIGS: dict[str, tuple[str, int]] = {
    "local1": ("local", 1),
    "local2": ("local", 2),
    "ray1": ("ray", 1),
    "ray2": ("ray", 2),
}
JOBS = ("parse", "build")
CORES = (2, 64, 512)
# Assumptions, not measurements: uncompressed XML of the current pages-articles dumps.
ENWIKI_XML_GB = 100  # English Wikipedia: ~100 GB, the figure of the issue text
ALL_XML_GB = 330  # all ~340 Wikipedia editions together (English included): ~330 GB
LINK_GBIT = 10  # an assumed network link into the driver, for the results' transfer time
RESULT_MARK = "CLUSTER-RESULT "


# --------------------------------------------------------------------------------------------
# Inside a measured subprocess
# --------------------------------------------------------------------------------------------


def _kind(proc: psutil.Process, driver: int) -> str:
    if proc.pid == driver:
        return "driver"
    try:
        cmdline = " ".join(proc.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return "other"
    if cmdline.startswith("ray::") and "Agent" not in cmdline:
        return "worker"  # a Ray worker names itself ray::IDLE, ray::_call ...
    if "default_worker.py" in cmdline or "spawn_main" in cmdline:
        return "worker"
    if "resource_tracker" in cmdline:
        return "other"
    return "ray_system"


def cpu_snapshot(me: psutil.Process) -> dict[int, tuple[float, str, float]]:
    """pid -> (create time, kind, user + system CPU s) for this process and its descendants."""
    out = {}
    try:
        members = [me, *me.children(recursive=True)]
    except psutil.NoSuchProcess:
        members = [me]
    for proc in members:
        try:
            times = proc.cpu_times()
            out[proc.pid] = (proc.create_time(), _kind(proc, me.pid), times.user + times.system)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return out


def cpu_between(
    before: dict[int, tuple[float, str, float]], after: dict[int, tuple[float, str, float]]
) -> dict[str, float]:
    """CPU s used between two snapshots, by kind (a process that exited in between is lost:
    the pools and Ray workers live until the executor closes, after the second snapshot)."""
    out = {"driver": 0.0, "worker": 0.0, "ray_system": 0.0, "other": 0.0}
    for pid, (created, kind, cpu) in after.items():
        start = before.get(pid)
        base = start[2] if start is not None and start[0] == created else 0.0
        out[kind] += cpu - base
    out["tree"] = sum(out.values())
    return {k: round(v, 3) for k, v in out.items()}


def _busy_cpu() -> float:
    t = psutil.cpu_times()
    return float(t.user + t.nice + t.system + t.irq + t.softirq)


def _ready_pid(seconds: float) -> int:
    time.sleep(seconds)
    return os.getpid()


class StepClock:
    """``build()``'s progress callback: wall and tree CPU of each step."""

    def __init__(self, me: psutil.Process) -> None:
        self.me = me
        self.steps: dict[str, dict[str, Any]] = {}

    @contextmanager
    def __call__(self, step: str, total: int | None, unit: str) -> Any:
        wall0, cpu0 = time.perf_counter(), cpu_snapshot(self.me)
        yield lambda items, amount: None
        wall1, cpu1 = time.perf_counter(), cpu_snapshot(self.me)
        self.steps[step] = {"wall_s": round(wall1 - wall0, 3), "cpu": cpu_between(cpu0, cpu1)}


def _tree_digest(root: Path, folders: tuple[str, ...]) -> str:
    """sha256 over the files of ``folders`` of a dataset (the records, not the signed dates)."""
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted((root / folder).rglob("*")):
            if path.is_file():
                digest.update(str(path.relative_to(root)).encode() + b"\0")
                digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def internal_run(args: argparse.Namespace) -> dict[str, Any]:
    began = time.perf_counter()
    kind, workers = CONFIGS[args.config]
    from wikipact.datasets.build import build
    from wikipact.datasets.recipe import load_recipe
    from wikipact.datasets.signing import load_signing_key
    from wikipact.datasets.sources import DumpSource
    from wikipact.dumps.reader import open_dump
    from wikipact.run.executor import Executor, LocalExecutor
    from wikipact.run.parse import parse_to_jsonl

    dump = open_dump(args.dump)
    tasks = len(dump.tasks())
    me = psutil.Process()
    result: dict[str, Any] = {"job": args.internal, "config": args.config, "tasks": tasks}
    result["import_open_s"] = round(time.perf_counter() - began, 3)
    executor: Executor
    if kind == "ray":
        import ray

        from wikipact.run.ray_executor import RayExecutor

        t0 = time.perf_counter()
        ray.init(
            address="local",
            num_cpus=workers,
            include_dashboard=False,
            log_to_driver=False,
            configure_logging=False,
            _temp_dir=str(args.tmp / "ray"),
        )
        t1 = time.perf_counter()
        ready = ray.remote(num_cpus=1)(_ready_pid)
        pids = ray.get([ready.remote(0.2) for _ in range(workers)])
        t2 = time.perf_counter()
        executor = RayExecutor(workers=workers)  # joins the instance started above
        result["ray_init_s"] = round(t1 - t0, 3)
        result["ray_workers_ready_s"] = round(t2 - t1, 3)
        result["ray_worker_pids"] = len(set(pids))
    else:
        executor = LocalExecutor(workers)
    load0 = os.getloadavg()
    cpu0, busy0, wall0 = cpu_snapshot(me), _busy_cpu(), time.perf_counter()
    if args.internal == "parse":
        out = args.tmp / f"parse-{args.config}.jsonl"
        with open(out, "wb") as fh:
            summary = parse_to_jsonl([dump], fh, executor=executor, spill_dir=str(args.tmp))
        wall = time.perf_counter() - wall0
        cpu1, busy1 = cpu_snapshot(me), _busy_cpu()
        result["pages"] = summary.pages
        result["records"] = summary.written
        result["output_bytes"] = summary.bytes_out
        result["output_sha256"] = hashlib.sha256(out.read_bytes()).hexdigest()
        out.unlink()
    else:
        clock = StepClock(me)
        target = args.tmp / f"build-{args.config}"
        built = build(
            DumpSource([dump]),
            target,
            load_recipe(None),
            signing_key=load_signing_key(args.signing_dir),
            executor=executor,
            progress=clock,
        )
        wall = time.perf_counter() - wall0
        cpu1, busy1 = cpu_snapshot(me), _busy_cpu()
        stats = built.stats
        result["pages"] = stats.seen if stats else None
        result["records"] = stats.kept if stats else None
        result["steps"] = clock.steps
        result["output_sha256"] = _tree_digest(target, ("data", "jsonl"))
        shutil.rmtree(target, ignore_errors=True)
    cpu = cpu_between(cpu0, cpu1)
    result.update(
        wall_s=round(wall, 3),
        cpu=cpu,
        others_cpu_s=round(max(0.0, (busy1 - busy0) - cpu["tree"]), 3),
        load_before=load0,
        load_after=os.getloadavg(),
    )
    t3 = time.perf_counter()
    executor.close()
    if kind == "ray":
        import ray

        ray.shutdown()
        result["ray_shutdown_s"] = round(time.perf_counter() - t3, 3)
    return result


def internal_serial(args: argparse.Namespace) -> dict[str, Any]:
    """What sending one task's results back costs: pickle (protocol 5) out and in, and a
    ``ray.put`` + ``ray.get`` in a local Ray instance, for a few tasks spread over the dump."""
    from wikipact.datasets.recipe import load_recipe
    from wikipact.datasets.stage import StageConfig, stage_page
    from wikipact.dumps.reader import open_dump
    from wikipact.run.local import run_span_task, specs_for
    from wikipact.run.parse import to_json_line

    dump = open_dump(args.dump)
    specs = specs_for(dump, on_error="stop")
    chosen = [
        specs[i * (len(specs) - 1) // max(args.probe_tasks - 1, 1)] for i in range(args.probe_tasks)
    ]
    transforms = {
        "parse": functools.partial(to_json_line, namespaces=None),
        "build": functools.partial(stage_page, config=StageConfig(load_recipe(None))),
    }
    import ray

    ray.init(
        address="local",
        num_cpus=1,
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
        _temp_dir=str(args.tmp / "ray"),
    )
    out: dict[str, Any] = {}
    for job, transform in transforms.items():
        run_span_task(chosen[0], transform)  # warm: modules, tables, tokenizer
        rows = []
        for spec in chosen:
            t0 = time.perf_counter()
            batch = run_span_task(spec, transform)
            t1 = time.perf_counter()
            data = pickle.dumps(batch, protocol=5)
            t2 = time.perf_counter()
            pickle.loads(data)
            t3 = time.perf_counter()
            trips = []
            for _ in range(3):  # the first put also maps fresh object-store memory
                t4 = time.perf_counter()
                ray.get(ray.put(batch))
                trips.append((time.perf_counter() - t4) * 1000)
            rows.append(
                {
                    "task": spec.task.key,
                    "pages": len(batch.items),
                    "task_compressed_bytes": spec.task.size,
                    "compute_ms": (t1 - t0) * 1000,
                    "pickle_bytes": len(data),
                    "pickle_dump_ms": (t2 - t1) * 1000,
                    "pickle_load_ms": (t3 - t2) * 1000,
                    "ray_put_get_first_ms": trips[0],
                    "ray_put_get_ms": min(trips),
                }
            )
        summary = {
            key: round(statistics.mean(r[key] for r in rows), 2) for key in rows[0] if key != "task"
        }
        out[job] = {"tasks": rows, "mean": summary}
    ray.shutdown()
    return out


# --------------------------------------------------------------------------------------------
# The driver script
# --------------------------------------------------------------------------------------------


class LoadSampler(threading.Thread):
    """The 1-minute load average and the system CPU % every ``every`` seconds."""

    def __init__(self, every: float = 2.0) -> None:
        super().__init__(daemon=True)
        self.every = every
        self.samples: list[tuple[float, float, float]] = []
        self._halt = threading.Event()

    def run(self) -> None:
        psutil.cpu_percent(None)
        while not self._halt.wait(self.every):
            self.samples.append((time.time(), os.getloadavg()[0], psutil.cpu_percent(None)))

    def stop(self) -> dict[str, Any]:
        self._halt.set()
        self.join()
        loads = [s[1] for s in self.samples] or [os.getloadavg()[0]]
        busy = [s[2] for s in self.samples] or [0.0]
        return {
            "load1_min": round(min(loads), 2),
            "load1_mean": round(statistics.mean(loads), 2),
            "load1_max": round(max(loads), 2),
            "cpu_busy_percent_mean": round(statistics.mean(busy), 1),
            "samples": len(self.samples),
        }


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("RAY_ADDRESS", None)
    env["RAY_USAGE_STATS_ENABLED"] = "0"
    return env


def run_internal(cmd: list[str]) -> tuple[dict[str, Any], float]:
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_env(), check=False)
    elapsed = time.perf_counter() - started
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK) :]), elapsed
    raise RuntimeError(
        f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
    )


def xml_bytes_of(dump: Path) -> int:
    meta = dump.with_name(dump.name.removesuffix(".xml.bz2") + ".bench.json")
    if meta.exists():
        return int(json.loads(meta.read_text())["xml_bytes"])
    import bz2

    total = 0
    with bz2.open(dump, "rb") as fh:
        while chunk := fh.read(1 << 22):
            total += len(chunk)
    return total


def _median(values: list[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def summarise(runs: list[dict[str, Any]], xml_mb: float, tasks: int) -> dict[str, Any]:
    """Medians per (job, config), overheads, per-core rates."""
    rows: dict[str, dict[str, Any]] = {}
    for job in JOBS:
        for config, (kind, workers) in CONFIGS.items():
            mine = [r for r in runs if r["job"] == job and r["config"] == config]
            if not mine:
                continue

            def med(get: Any, mine: list[dict[str, Any]] = mine) -> float:
                return round(_median([get(r) for r in mine]), 3)

            wall = med(lambda r: r["wall_s"])
            tree = med(lambda r: r["cpu"]["tree"])
            driver = med(lambda r: r["cpu"]["driver"])
            row: dict[str, Any] = {
                "job": job,
                "config": config,
                "executor": kind,
                "workers": workers,
                "runs": len(mine),
                "wall_s": wall,
                "wall_s_all": [r["wall_s"] for r in mine],
                "mb_per_s": round(xml_mb / wall, 2),
                "mb_per_s_per_worker": round(xml_mb / wall / workers, 2),
                "tree_cpu_s": tree,
                "mb_per_cpu_s": round(xml_mb / tree, 2),
                "driver_cpu_s": driver,
                "worker_cpu_s": med(lambda r: r["cpu"]["worker"]),
                "ray_system_cpu_s": med(lambda r: r["cpu"]["ray_system"]),
                "driver_cpu_ms_per_task": round(driver / tasks * 1000, 1),
                "others_cpu_s": med(lambda r: r["others_cpu_s"]),
                "load1_before": med(lambda r: r["load_before"][0]),
                "subprocess_s": med(lambda r: r["subprocess_s"]),
                "output_sha256": sorted({r["output_sha256"] for r in mine}),
                "records": mine[0]["records"],
            }
            if kind == "ray":
                row["ray_init_s"] = med(lambda r: r["ray_init_s"])
                row["ray_workers_ready_s"] = med(lambda r: r["ray_workers_ready_s"])
                row["ray_shutdown_s"] = med(lambda r: r["ray_shutdown_s"])
            if job == "build":
                stage = med(lambda r: r["steps"]["stage"]["wall_s"])
                row["stage_wall_s"] = stage
                row["stage_tree_cpu_s"] = med(lambda r: r["steps"]["stage"]["cpu"]["tree"])
                row["stage_driver_cpu_s"] = med(lambda r: r["steps"]["stage"]["cpu"]["driver"])
                row["stage_mb_per_s_per_worker"] = round(xml_mb / stage / workers, 2)
                row["after_stage_wall_s"] = med(
                    lambda r: sum(s["wall_s"] for name, s in r["steps"].items() if name != "stage")
                )
            rows[f"{job}/{config}"] = row
    overheads = []
    for job in JOBS:
        for workers in (1, 2):
            local, ray = rows.get(f"{job}/local{workers}"), rows.get(f"{job}/ray{workers}")
            if not local or not ray:
                continue
            entry = {
                "job": job,
                "workers": workers,
                "wall_percent": round((ray["wall_s"] - local["wall_s"]) / local["wall_s"] * 100, 1),
                "wall_ms_per_task": round((ray["wall_s"] - local["wall_s"]) / tasks * 1000, 1),
                "cpu_ms_per_task": round(
                    (ray["tree_cpu_s"] - local["tree_cpu_s"]) / tasks * 1000, 1
                ),
                "ray_driver_cpu_ms_per_task": ray["driver_cpu_ms_per_task"],
                "ray_system_cpu_ms_per_task": round(ray["ray_system_cpu_s"] / tasks * 1000, 1),
            }
            if job == "build":
                entry["stage_wall_percent"] = round(
                    (ray["stage_wall_s"] - local["stage_wall_s"]) / local["stage_wall_s"] * 100, 1
                )
                entry["stage_wall_ms_per_task"] = round(
                    (ray["stage_wall_s"] - local["stage_wall_s"]) / tasks * 1000, 1
                )
            overheads.append(entry)
    return {"rows": rows, "overheads": overheads}


def _hours(seconds: float) -> str:
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    if seconds < 86400 * 2:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def project(summary: dict[str, Any], xml_mb: float) -> dict[str, Any]:
    """CPU-hours and wall on N cores from the best per-core rate, for each assumed corpus.

    ``ideal``: perfect scaling (wall = CPU time / N). ``with_driver``: one driver per build,
    as wikipact runs today: the parse driver (or the build's stage driver) receives every
    task's results, so the rate cannot exceed XML MB per driver CPU-second (measured on ray2);
    build's dedup, write, card and manifest run after the stage in the driver alone, scaled
    linearly from this dump.
    """
    rows = summary["rows"]
    corpora = {
        "enwiki": {"xml_gb": ENWIKI_XML_GB, "assumed": "English Wikipedia pages-articles, "
                   "uncompressed XML (~100 GB: the issue's figure, an assumption)"},
        "all_wikipedias": {"xml_gb": ALL_XML_GB, "assumed": "all ~340 Wikipedia editions, "
                           "uncompressed XML (~330 GB: an assumption)"},
    }  # fmt: skip
    out: dict[str, Any] = {"corpora": corpora, "cores": list(CORES), "jobs": {}}
    for job in JOBS:
        mine = [r for r in rows.values() if r["job"] == job]
        if not mine:
            continue
        best = max(mine, key=lambda r: r["mb_per_s_per_worker"])
        best_cpu = max(mine, key=lambda r: r["mb_per_cpu_s"])
        ray = rows.get(f"{job}/ray2") or rows.get(f"{job}/ray1")
        rate = best["mb_per_s_per_worker"]
        entry: dict[str, Any] = {
            "basis": best["config"],
            "mb_per_s_per_core": rate,
            "basis_cpu": best_cpu["config"],
            "mb_per_cpu_s": best_cpu["mb_per_cpu_s"],
            "per_corpus": {},
        }
        if job == "parse" and ray:
            entry["driver_ceiling_mb_per_s"] = round(xml_mb / max(ray["driver_cpu_s"], 1e-9), 1)
        if job == "build":
            stage_best = max(mine, key=lambda r: r["stage_mb_per_s_per_worker"])
            entry["stage_mb_per_s_per_core"] = stage_best["stage_mb_per_s_per_worker"]
            entry["stage_basis"] = stage_best["config"]
            if ray:
                entry["driver_ceiling_mb_per_s"] = round(
                    xml_mb / max(ray["stage_driver_cpu_s"], 1e-9), 1
                )
            serial = _median([r["after_stage_wall_s"] for r in mine])
            entry["after_stage_s_per_mb"] = round(serial / xml_mb, 4)
        for name, corpus in corpora.items():
            total_mb = corpus["xml_gb"] * 1000
            cpu_s = total_mb / rate
            per: dict[str, Any] = {
                "cpu_hours": round(cpu_s / 3600, 1),
                "cpu_hours_by_cpu_rate": round(total_mb / entry["mb_per_cpu_s"] / 3600, 1),
                "wall_ideal_s": {},
                "wall_with_driver_s": {},
            }
            for cores in CORES:
                per["wall_ideal_s"][cores] = round(cpu_s / cores)
                if job == "parse":
                    ceiling = entry.get("driver_ceiling_mb_per_s")
                    floor = total_mb / ceiling if ceiling else 0.0
                    per["wall_with_driver_s"][cores] = round(max(cpu_s / cores, floor))
                else:
                    stage_s = total_mb / entry["stage_mb_per_s_per_core"] / cores
                    ceiling = entry.get("driver_ceiling_mb_per_s")
                    floor = total_mb / ceiling if ceiling else 0.0
                    per["wall_with_driver_s"][cores] = round(
                        max(stage_s, floor) + total_mb * entry["after_stage_s_per_mb"]
                    )
            entry["per_corpus"][name] = per
        out["jobs"][job] = entry
    return out


def results_to_driver(
    runs: list[dict[str, Any]], serial: dict[str, Any] | None, xml_bytes: int, dump: Path
) -> dict[str, Any]:
    """Bytes of results per byte of XML that every task sends back to the one driver, and what
    that is for each assumed corpus over a ``LINK_GBIT`` link (an assumption: on one machine
    Ray passes them through shared memory). Parse: its JSON lines (measured); build: the
    pickled staged records of the probe's tasks (their XML estimated from their bz2 size)."""
    out: dict[str, Any] = {"link_gbit_s": LINK_GBIT, "jobs": {}}
    ratios: dict[str, float] = {}
    parse = [r["output_bytes"] for r in runs if r["job"] == "parse"]
    if parse:
        ratios["parse"] = parse[0] / xml_bytes
    if serial and "build" in serial:
        xml_per_bz2 = xml_bytes / dump.stat().st_size
        tasks = serial["build"]["tasks"]
        ratios["build"] = sum(t["pickle_bytes"] for t in tasks) / (
            sum(t["task_compressed_bytes"] for t in tasks) * xml_per_bz2
        )
    for job, ratio in ratios.items():
        out["jobs"][job] = {"bytes_per_xml_byte": round(ratio, 3)}
        for name, gb in (("enwiki", ENWIKI_XML_GB), ("all_wikipedias", ALL_XML_GB)):
            seconds = gb * ratio * 8 / LINK_GBIT
            out["jobs"][job][name] = {"gb": round(gb * ratio), "link_s": round(seconds)}
    return out


def tables(summary: dict[str, Any], projection: dict[str, Any], tasks: int) -> str:
    lines = [
        "| job | config | wall s (runs) | MB/s | MB/s per worker | tree CPU s | MB per CPU-s "
        "| driver CPU s (ms/task) | worker CPU s | Ray system CPU s | others' CPU s "
        "| Ray init + ready (shutdown) s |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in summary["rows"].values():
        runs = ", ".join(f"{w:.1f}" for w in row["wall_s_all"])
        ray = (
            f"{row['ray_init_s']:.1f} + {row['ray_workers_ready_s']:.1f} "
            f"({row['ray_shutdown_s']:.1f})"
            if row["executor"] == "ray"
            else "—"
        )
        stage = f" (stage {row['stage_wall_s']:.1f})" if row["job"] == "build" else ""
        lines.append(
            f"| {row['job']} | {row['config']} | {row['wall_s']:.1f}{stage} ({runs}) "
            f"| {row['mb_per_s']:.2f} | {row['mb_per_s_per_worker']:.2f} "
            f"| {row['tree_cpu_s']:.1f} | {row['mb_per_cpu_s']:.2f} "
            f"| {row['driver_cpu_s']:.1f} ({row['driver_cpu_ms_per_task']:.0f}) "
            f"| {row['worker_cpu_s']:.1f} | {row['ray_system_cpu_s']:.1f} "
            f"| {row['others_cpu_s']:.1f} | {ray} |"
        )
    lines += [
        "",
        f"Ray's overhead against local at the same worker count ({tasks} tasks):",
        "",
        "| job | workers | wall % | wall ms/task | tree CPU ms/task | Ray driver CPU ms/task "
        "| Ray system CPU ms/task | stage wall % (ms/task) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for o in summary["overheads"]:
        stage = (
            f"{o['stage_wall_percent']:+.1f} % ({o['stage_wall_ms_per_task']:+.0f})"
            if "stage_wall_percent" in o
            else "—"
        )
        lines.append(
            f"| {o['job']} | {o['workers']} | {o['wall_percent']:+.1f} % "
            f"| {o['wall_ms_per_task']:+.0f} | {o['cpu_ms_per_task']:+.0f} "
            f"| {o['ray_driver_cpu_ms_per_task']:.0f} | {o['ray_system_cpu_ms_per_task']:.0f} "
            f"| {stage} |"
        )
    lines += [
        "",
        "Projections (per-core rate: the best MB/s per worker measured; wall ideal = CPU "
        "time / cores; with driver = one driver per run receiving every task's results, "
        "plus build's single-process steps after the stage):",
        "",
        "| job | corpus (assumed XML) | basis | CPU-hours (at best MB per CPU-s) | "
        + " | ".join(f"wall on {c} cores: ideal / with driver" for c in CORES)
        + " |",
        "|---|---|---|---:|" + "---:|" * len(CORES),
    ]
    for job, entry in projection["jobs"].items():
        for name, per in entry["per_corpus"].items():
            gb = projection["corpora"][name]["xml_gb"]
            walls = " | ".join(
                f"{_hours(per['wall_ideal_s'][c])} / {_hours(per['wall_with_driver_s'][c])}"
                for c in CORES
            )
            lines.append(
                f"| {job} | {name} (~{gb} GB) | {entry['basis']}: "
                f"{entry['mb_per_s_per_core']:.2f} MB/s/core | {per['cpu_hours']:,.1f} "
                f"({per['cpu_hours_by_cpu_rate']:,.1f}) | {walls} |"
            )
    lines.append("")
    for job, entry in projection["jobs"].items():
        extra = (
            f"; stage {entry['stage_mb_per_s_per_core']:.2f} MB/s/core ({entry['stage_basis']}), "
            f"steps after the stage {entry['after_stage_s_per_mb'] * 1000:.0f} ms per MB"
            if job == "build"
            else ""
        )
        lines.append(
            f"* {job}: best MB per CPU-s {entry['mb_per_cpu_s']:.2f} ({entry['basis_cpu']}); "
            f"driver ceiling {entry.get('driver_ceiling_mb_per_s', float('nan')):.0f} MB/s{extra}"
        )
    sent = projection.get("results_to_driver", {})
    for job, entry in sent.get("jobs", {}).items():
        lines.append(
            f"* {job}: results sent to the driver {entry['bytes_per_xml_byte']:.2f} bytes per byte "
            f"of XML: enwiki {entry['enwiki']['gb']} GB ({_hours(entry['enwiki']['link_s'])} at "
            f"{sent['link_gbit_s']} Gbit/s), all Wikipedias {entry['all_wikipedias']['gb']} GB "
            f"({_hours(entry['all_wikipedias']['link_s'])})"
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    dump = args.dump.resolve()
    if not dump.exists():
        sys.exit(
            f"{dump}: missing; make it with .venv/bin/python bench/make_multistream_dump.py "
            "--size-mb 100"
        )
    from wikipact.datasets.signing import init_keys
    from wikipact.dumps.reader import open_dump

    configs = args.configs.split(",")
    jobs = args.jobs.split(",")
    for name in configs:
        if name not in CONFIGS:
            sys.exit(f"--configs: unknown {name!r} (one of {', '.join(CONFIGS)})")
    xml_bytes = xml_bytes_of(dump)
    xml_mb = xml_bytes / MB
    tasks = len(open_dump(dump).tasks())
    with open(dump, "rb") as fh:  # the page cache holds the dump for every run
        while fh.read(1 << 24):
            pass
    tmp = Path(tempfile.mkdtemp(prefix="wpc-", dir=args.tmp))
    signing = tmp / "keys"
    init_keys(signing)
    print(
        f"{dump.name}: {xml_mb:.1f} MB of XML, {dump.stat().st_size / MB:.1f} MB bz2, {tasks} tasks"
    )
    common = ["--dump", str(dump), "--tmp", str(tmp), "--signing-dir", str(signing)]
    me = [sys.executable, str(Path(__file__).resolve())]
    sampler = LoadSampler()
    sampler.start()
    started = time.time()
    load_start = os.getloadavg()
    runs: list[dict[str, Any]] = []
    serial: dict[str, Any] | None = None
    try:
        if args.probe_tasks > 0:
            print("serialisation probe ...", flush=True)
            serial, _ = run_internal([*me, "--internal", "serial", *common,
                                      "--probe-tasks", str(args.probe_tasks)])  # fmt: skip
        for repeat in range(args.repeat):
            order = configs if repeat % 2 == 0 else list(reversed(configs))
            for job in jobs:
                for config in order:
                    busy, _, waited = wait_for_idle(args.max_busy, args.max_wait)
                    result, elapsed = run_internal(
                        [*me, "--internal", job, "--config", config, *common]
                    )
                    result.update(
                        repeat=repeat,
                        subprocess_s=round(elapsed, 2),
                        busy_before_percent=busy,
                        waited_s=round(waited, 1),
                    )
                    runs.append(result)
                    print(
                        f"  {repeat + 1}/{args.repeat} {job:5} {config:6} wall {result['wall_s']:7.2f} s "
                        f"tree CPU {result['cpu']['tree']:7.2f} s driver {result['cpu']['driver']:6.2f} s "
                        f"others {result['others_cpu_s']:5.1f} s load {result['load_before'][0]:.2f}",
                        flush=True,
                    )
    finally:
        load = sampler.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    summary = summarise(runs, xml_mb, tasks)
    projection = project(summary, xml_mb)
    projection["results_to_driver"] = results_to_driver(runs, serial, xml_bytes, dump)
    identical = {
        job: len({h for r in runs if r["job"] == job for h in [r["output_sha256"]]}) == 1
        for job in jobs
    }
    report = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "command": " ".join([".venv/bin/python", "bench/cluster.py", *(args.argv or [])]),
        "dump": {
            "name": dump.name,
            "xml_bytes": xml_bytes,
            "compressed_bytes": dump.stat().st_size,
            "tasks": tasks,
        },
        "machine": machine_facts(sys.executable),
        "ray_version": _ray_version(),
        "load": {
            **load,
            "load_at_start": load_start,
            "load_at_end": os.getloadavg(),
            "duration_s": round(time.time() - started, 1),
        },
        "outputs_identical_across_configs": identical,
        "serialisation_probe": serial,
        "summary": summary,
        "projection": projection,
        "runs": runs,
    }
    text = tables(summary, projection, tasks)
    print()
    print(text)
    print()
    print(
        f"load average (1 min) during the run: min {load['load1_min']}, mean "
        f"{load['load1_mean']}, max {load['load1_max']}; system CPU busy mean "
        f"{load['cpu_busy_percent_mean']} % of {os.cpu_count()} CPUs, this run included; "
        f"{report['load']['duration_s']:.0f} s in all"
    )
    print(f"outputs identical across configs: {identical}")
    if serial:
        for job, probe in serial.items():
            m = probe["mean"]
            print(
                f"serialisation, {job}, per task (mean of {len(probe['tasks'])}): compute "
                f"{m['compute_ms']:.0f} ms, {m['pages']:.0f} pages, pickle {m['pickle_bytes'] / MB:.2f} MB, "
                f"dump {m['pickle_dump_ms']:.1f} ms + load {m['pickle_load_ms']:.1f} ms, "
                f"ray.put+get {m['ray_put_get_ms']:.1f} ms (first {m['ray_put_get_first_ms']:.1f})"
            )
    out = args.json or _free_name(DEFAULT_OUT, f"cluster-{dt.date.today().isoformat()}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out}")
    return 0 if all(identical.values()) else 1


def _free_name(folder: Path, stem: str) -> Path:
    """``folder/stem.json``, or ``stem-2.json``, ``stem-3.json`` ... when taken."""
    n = 1
    while (path := folder / (f"{stem}.json" if n == 1 else f"{stem}-{n}.json")).exists():
        n += 1
    return path


def _ray_version() -> str | None:
    try:
        import ray
    except ImportError:
        return None
    return str(ray.__version__)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--dump",
        type=Path,
        default=DEFAULT_DUMP,
        help="a bzip2 multistream dump with its index (default: the 100 MB bench dump)",
    )
    parser.add_argument("--repeat", type=int, default=2, help="runs of each config (default 2)")
    parser.add_argument(
        "--json",
        type=Path,
        help="results file (default bench/results/cluster-<date>.json, -2 ... when taken)",
    )
    parser.add_argument("--configs", default=",".join(CONFIGS), help="default: all four")
    parser.add_argument("--jobs", default=",".join(JOBS), help="parse,build (default both)")
    parser.add_argument(
        "--probe-tasks", type=int, default=3, help="tasks of the serialisation probe (0 skips it)"
    )
    parser.add_argument(
        "--tmp",
        type=Path,
        default=Path(tempfile.gettempdir()),
        help="where outputs and Ray's session go (default: the system temporary folder)",
    )
    parser.add_argument(
        "--max-busy",
        type=float,
        default=10.0,
        help="before each run, wait until system CPU use is at most this %% (default 10)",
    )
    parser.add_argument(
        "--max-wait",
        type=float,
        default=20.0,
        help="wait at most this many seconds for that, then run anyway (default 20)",
    )
    parser.add_argument("--internal", choices=["parse", "build", "serial"], help=argparse.SUPPRESS)
    parser.add_argument("--config", choices=list(CONFIGS), help=argparse.SUPPRESS)
    parser.add_argument("--signing-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.argv = argv if argv is not None else sys.argv[1:]
    if args.internal == "serial":
        print(RESULT_MARK + json.dumps(internal_serial(args)), flush=True)
        return 0
    if args.internal:
        print(RESULT_MARK + json.dumps(internal_run(args)), flush=True)
        return 0
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
