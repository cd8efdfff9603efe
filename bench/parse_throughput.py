"""How fast does ``wikipact parse`` read a bzip2 multistream dump, next to decompression alone?

Runs, on one dump (built by ``bench/make_multistream_dump.py``), each as a subprocess, ``--repeats``
times (interleaved), and reports the median:

  (a) ``bzip2 -dc DUMP > /dev/null``: single-threaded decompression with the C tool
      (and ``lbzip2 -n 2 -dc`` when lbzip2 is on PATH; nothing is installed);
  (b) Python, 2 processes each bz2-decompressing half of the streams by the index: the rate that
      a perfectly parallel reader on 2 CPUs could approach;
  (c) an lxml scan: ``lxml.etree.iterparse`` over ``bz2.open(DUMP)`` counting <page> end events;
  (d) ``wikipact parse DUMP -o OUT --workers 1``;
  (e) ``wikipact parse DUMP -o OUT --workers 2``.

For each: wall time, CPU time of the whole process tree (``getrusage(RUSAGE_CHILDREN)`` around the
run), peak RSS of the process tree (sum over the tree, sampled with psutil), pages/s and MB/s of
compressed input and of uncompressed XML (MB = 10^6 bytes). The load average and the system's CPU
use in the second before each run are recorded, as other processes may share the CPUs. Checks that
the JSONL outputs of workers=1 and workers=2 are byte-identical. Writes a Markdown table and the raw
numbers to ``bench/results/parse-throughput-<date>.md/.json``.

    .venv/bin/python bench/parse_throughput.py --repeats 3
"""

from __future__ import annotations

import argparse
import bz2
import cProfile
import datetime as dt
import functools
import hashlib
import io
import itertools
import json
import multiprocessing
import os
import platform
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DUMP = REPO / "bench" / "data" / "wikipact-bench200mb-pages-articles-multistream.xml.bz2"
DEFAULT_OUT = REPO / "bench" / "results"
MB = 1_000_000
MIB = 1 << 20
POLL_SECONDS = 0.05


# --------------------------------------------------------------------------------------------
# Reference workloads, run as subprocesses of this script (``--internal ...``)
# --------------------------------------------------------------------------------------------


def stream_spans(dump: Path, index: Path) -> list[tuple[int, int]]:
    """Byte ranges of the dump's bzip2 streams: the header, then one per index offset."""
    offsets: list[int] = []
    with bz2.open(index, "rb") as fh:
        for line in fh:
            offset = int(line.split(b":", 1)[0])
            if not offsets or offsets[-1] != offset:
                offsets.append(offset)
    bounds = [0, *offsets, dump.stat().st_size]
    return [(a, b) for a, b in itertools.pairwise(bounds) if b > a]


def index_for(dump: Path) -> Path:
    name = dump.name
    if not name.endswith("-multistream.xml.bz2"):
        sys.exit(f"{dump}: expected a <name>-multistream.xml.bz2 file")
    index = dump.with_name(name[: -len(".xml.bz2")] + "-index.txt.bz2")
    if not index.exists():
        sys.exit(f"{index}: no index next to the dump")
    return index


def decompress_range(path: str, spans: list[tuple[int, int]]) -> int:
    """Worker of (b): decompress whole bzip2 streams, discard the XML, return its size."""
    total = 0
    with open(path, "rb") as fh:
        for start, end in spans:
            fh.seek(start)
            data = fh.read(end - start)
            while data:  # a span may hold several streams (the last one holds the footer)
                decompressor = bz2.BZ2Decompressor()
                total += len(decompressor.decompress(data))
                if not decompressor.eof:
                    raise RuntimeError(f"{path}: bzip2 stream at {start} is truncated")
                data = decompressor.unused_data
    return total


def split_spans(spans: list[tuple[int, int]], parts: int) -> list[list[tuple[int, int]]]:
    """Contiguous groups of streams with about the same number of compressed bytes each."""
    total = sum(b - a for a, b in spans)
    groups: list[list[tuple[int, int]]] = [[] for _ in range(parts)]
    done = 0
    for span in spans:
        part = min(parts - 1, done * parts // max(total, 1))
        groups[part].append(span)
        done += span[1] - span[0]
    return [g for g in groups if g]


def internal_decompress(dump: Path, procs: int) -> dict[str, Any]:
    spans = stream_spans(dump, index_for(dump))
    groups = split_spans(spans, procs)
    context = multiprocessing.get_context("spawn")
    with context.Pool(processes=len(groups)) as pool:
        sizes = pool.starmap(decompress_range, [(str(dump), g) for g in groups])
    return {"xml_bytes": sum(sizes), "streams": len(spans), "groups": len(groups)}


def internal_lxml(dump: Path) -> dict[str, Any]:
    from lxml import etree

    pages = 0
    with bz2.open(dump, "rb") as fh:
        for _event, element in etree.iterparse(
            fh, events=("end",), tag="{*}page", resolve_entities=False, no_network=True
        ):
            pages += 1
            element.clear(keep_tail=False)
            parent = element.getparent()
            if parent is not None:
                while element.getprevious() is not None:
                    del parent[0]
    return {"pages": pages}


def internal_profile(dump: Path, seconds: float, top: int) -> dict[str, Any]:
    """What one ``wikipact parse`` worker does, under cProfile, for about ``seconds``."""
    from wikipact.dumps import open_dump
    from wikipact.run.local import run_span_task, specs_for
    from wikipact.run.parse import to_json_line

    opened = open_dump(dump)
    specs = specs_for(opened, on_error="stop")
    transform = functools.partial(to_json_line, namespaces=None)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    tasks = pages = 0
    profiler.enable()
    for spec in specs:
        batch = run_span_task(spec, transform)
        tasks += 1
        pages += len(batch.items)
        if time.perf_counter() - started >= seconds:
            break
    profiler.disable()
    elapsed = time.perf_counter() - started
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("cumulative").print_stats(top)
    return {
        "seconds": round(elapsed, 2),
        "tasks": tasks,
        "tasks_total": len(specs),
        "pages": pages,
        "pages_per_second_profiled": round(pages / elapsed, 1),
        "top_cumulative": text.getvalue(),
    }


# --------------------------------------------------------------------------------------------
# Measuring a subprocess
# --------------------------------------------------------------------------------------------


@dataclass
class Sample:
    """One run of one command."""

    wall_s: float
    cpu_s: float  # user + system of the whole process tree
    user_s: float
    system_s: float
    peak_rss_bytes: int  # max over samples of the sum of RSS over the process tree
    peak_single_rss_bytes: int  # largest RSS of one process of the tree
    processes_seen: int
    load_before: tuple[float, float, float]
    busy_before_percent: float  # system-wide CPU use in the second before the run
    busy_processes: list[str]  # other processes using > 5 % of a CPU in that second
    waited_for_idle_s: float  # time spent waiting for the machine to quieten before the run
    others_cpu_s: float  # CPU used by processes outside the measured tree during the run
    steal_s: float  # CPU time the hypervisor gave to other guests during the run
    disturbed: bool  # others_cpu_s above the threshold: the run shared the CPUs
    returncode: int
    stdout: str = ""
    stderr_tail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def system_busy(window: float = 1.0) -> tuple[float, list[str]]:
    """System-wide CPU % over ``window`` seconds, and other processes busy during it."""
    me = os.getpid()
    procs: list[psutil.Process] = []
    for proc in psutil.process_iter(["pid", "name"]):
        if proc.pid == me:
            continue
        try:
            proc.cpu_percent(None)
            procs.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    psutil.cpu_percent(None)
    time.sleep(window)
    busy = psutil.cpu_percent(None)
    others = []
    for proc in procs:
        try:
            percent = proc.cpu_percent(None)
            if percent > 5:
                others.append(f"{proc.info['name']}[{proc.pid}] {percent:.0f}%")
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return busy, others


def wait_for_idle(max_busy: float, max_wait: float) -> tuple[float, list[str], float]:
    """Sample the CPU use each second until it is at most ``max_busy`` % (or time is up)."""
    started = time.perf_counter()
    while True:
        busy, others = system_busy()
        waited = time.perf_counter() - started
        if busy <= max_busy or waited >= max_wait:
            return busy, others, waited


def _busy_cpu(times: Any) -> float:
    """Non-idle CPU seconds of the whole system (guest time is already inside user)."""
    return float(times.user + times.nice + times.system + times.irq + times.softirq)


def _tree_rss(root: psutil.Process) -> tuple[int, int, set[int]]:
    total = largest = 0
    pids: set[int] = set()
    try:
        members = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0, 0, pids
    for proc in members:
        try:
            rss = proc.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        total += rss
        largest = max(largest, rss)
        pids.add(proc.pid)
    return total, largest, pids


@dataclass(frozen=True)
class Quiet:
    """When to call the machine quiet enough to measure."""

    max_busy_percent: float = 10.0  # system-wide CPU use in the second before a run
    max_wait_s: float = 300.0  # give up waiting after this long (and measure anyway)
    disturbed_fraction: float = 0.05  # others' CPU above this share of wall = disturbed


def measure(cmd: list[str], quiet: Quiet, *, stdout_to_devnull: bool = False) -> Sample:
    """Run ``cmd``; wall, tree CPU (RUSAGE_CHILDREN delta), sampled tree peak RSS."""
    busy, others, waited = wait_for_idle(quiet.max_busy_percent, quiet.max_wait_s)
    load = os.getloadavg()
    me = psutil.Process()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        system_before = psutil.cpu_times()
        me_before = me.cpu_times()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        proc = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL if stdout_to_devnull else out, stderr=err
        )
        root = psutil.Process(proc.pid)
        peak = peak_single = 0
        seen: set[int] = set()
        while proc.poll() is None:
            total, largest, pids = _tree_rss(root)
            peak, peak_single = max(peak, total), max(peak_single, largest)
            seen |= pids
            time.sleep(POLL_SECONDS)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        me_after = me.cpu_times()
        system_after = psutil.cpu_times()
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    user = after.ru_utime - before.ru_utime
    system = after.ru_stime - before.ru_stime
    mine = (me_after.user + me_after.system) - (me_before.user + me_before.system)
    others_cpu = max(0.0, _busy_cpu(system_after) - _busy_cpu(system_before) - user - system - mine)
    return Sample(
        wall_s=wall,
        cpu_s=user + system,
        user_s=user,
        system_s=system,
        peak_rss_bytes=peak,
        peak_single_rss_bytes=peak_single,
        processes_seen=len(seen),
        load_before=load,
        busy_before_percent=busy,
        busy_processes=others,
        waited_for_idle_s=round(waited, 1),
        others_cpu_s=others_cpu,
        steal_s=float(getattr(system_after, "steal", 0.0) - getattr(system_before, "steal", 0.0)),
        disturbed=others_cpu > max(0.1, quiet.disturbed_fraction * wall),
        returncode=proc.returncode,
        stdout=stdout,
        stderr_tail=stderr[-2000:],
    )


def file_digest(path: Path) -> tuple[str, int, int]:
    """sha256, size and line count of a file."""
    digest = hashlib.sha256()
    size = lines = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
            lines += chunk.count(b"\n")
    return digest.hexdigest(), size, lines


# --------------------------------------------------------------------------------------------
# The benchmark
# --------------------------------------------------------------------------------------------


@dataclass
class Bench:
    key: str
    label: str
    procs: str
    cmd: list[str]
    output: Path | None = None  # JSONL written by the run (wikipact)
    stdout_to_devnull: bool = False
    samples: list[Sample] = field(default_factory=list)  # the runs the medians are taken over
    discarded: list[Sample] = field(default_factory=list)  # disturbed runs that were redone


def run_text(cmd: list[str]) -> str:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unavailable ({exc})"
    return (done.stdout + done.stderr).strip()


def _bzip2_version() -> str:
    text = run_text(["bzip2", "--version"])
    for word in text.replace(",", " ").split():
        if word[:1].isdigit() and "." in word:
            return f"bzip2 {word}"
    return text.splitlines()[0] if text else "bzip2 ?"


def machine_facts(python: str) -> dict[str, Any]:
    cpu_model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    probe = (
        "import sys, lxml.etree as e, msgspec, wikipact; "
        "print(sys.version.split()[0], '.'.join(map(str, e.LXML_VERSION)), "
        "'.'.join(map(str, e.LIBXML_VERSION)), msgspec.__version__, "
        "getattr(wikipact, '__version__', '?'))"
    )
    versions = run_text([python, "-c", probe]).split()
    cpu_max = Path("/sys/fs/cgroup/cpu.max")
    return {
        "nproc": run_text(["nproc"]),
        "os_cpu_count": os.cpu_count(),
        "cpu_affinity": len(os.sched_getaffinity(0)),
        "cgroup_cpu_max": cpu_max.read_text().strip() if cpu_max.exists() else None,
        "cpu_model": cpu_model,
        "memory_total_gib": round(psutil.virtual_memory().total / (1 << 30), 1),
        "platform": platform.platform(),
        "python": versions[0] if versions else "?",
        "python_executable": python,
        "lxml": versions[1] if len(versions) > 1 else "?",
        "libxml2": versions[2] if len(versions) > 2 else "?",
        "msgspec": versions[3] if len(versions) > 3 else "?",
        "wikipact": versions[4] if len(versions) > 4 else "?",
        "bzip2": _bzip2_version(),
        "lbzip2": shutil.which("lbzip2"),
        "git_head": run_text(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"]),
        "git_dirty_src": run_text(["git", "-C", str(REPO), "status", "--porcelain", "src"]),
    }


def dump_facts(dump: Path) -> dict[str, Any]:
    index = index_for(dump)
    pages = 0
    with bz2.open(index, "rb") as fh:
        for line in fh:
            pages += bool(line.strip())
    facts: dict[str, Any] = {
        "dump": str(dump),
        "index": str(index),
        "compressed_bytes": dump.stat().st_size,
        "pages": pages,
        "streams": len(stream_spans(dump, index)),
    }
    meta_path = dump.with_name(dump.name[: -len(".xml.bz2")] + ".bench.json")
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    if meta.get("compressed_bytes") == facts["compressed_bytes"] and meta.get("pages") == pages:
        facts["xml_bytes"] = meta["xml_bytes"]
    else:
        facts["xml_bytes"] = decompress_range(str(dump), stream_spans(dump, index))
    return facts


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def summarise(bench: Bench, dump: dict[str, Any], reference_wall: float | None) -> dict[str, Any]:
    walls = [s.wall_s for s in bench.samples]
    wall = median(walls)
    row = {
        "key": bench.key,
        "label": bench.label,
        "procs": bench.procs,
        "wall_s": wall,
        "wall_min_s": min(walls),
        "wall_max_s": max(walls),
        "cpu_s": median([s.cpu_s for s in bench.samples]),
        "peak_rss_mib": median([s.peak_rss_bytes for s in bench.samples]) / MIB,
        "pages_per_s": dump["pages"] / wall,
        "mb_per_s_compressed": dump["compressed_bytes"] / MB / wall,
        "mb_per_s_xml": dump["xml_bytes"] / MB / wall,
        "load1_before": [s.load_before[0] for s in bench.samples],
        "busy_before_percent": [s.busy_before_percent for s in bench.samples],
        "others_cpu_s": [s.others_cpu_s for s in bench.samples],
        "disturbed": [s.disturbed for s in bench.samples],
        "redone": len(bench.discarded),
        "vs_parallel_decompress": (reference_wall / wall) if reference_wall else None,
    }
    row["cpu_per_wall"] = row["cpu_s"] / wall
    return row


def markdown_table(rows: list[dict[str, Any]]) -> str:
    head = (
        "| run | procs | wall s (median; min–max) | CPU s (tree) | CPU/wall | pages/s "
        "| MB/s compressed in | MB/s XML | peak RSS MiB (tree) | rate vs (b) | load1 before "
        "| CPU busy before | others' CPU s during |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    )
    lines = [head]
    for row in rows:
        vs = row["vs_parallel_decompress"]
        others = zip(row["others_cpu_s"], row["disturbed"], strict=True)
        lines.append(
            f"| {row['label']} | {row['procs']} "
            f"| {row['wall_s']:.2f} ({row['wall_min_s']:.2f}–{row['wall_max_s']:.2f}) "
            f"| {row['cpu_s']:.2f} | {row['cpu_per_wall']:.2f} | {row['pages_per_s']:,.0f} "
            f"| {row['mb_per_s_compressed']:.2f} | {row['mb_per_s_xml']:.1f} "
            f"| {row['peak_rss_mib']:.0f} | {'' if vs is None else f'{vs:.0%}'} "
            f"| {', '.join(f'{x:.2f}' for x in row['load1_before'])} "
            f"| {', '.join(f'{x:.0f}%' for x in row['busy_before_percent'])} "
            f"| {', '.join(_others(x, d) for x, d in others)} |"
        )
    return "\n".join(lines)


def _others(seconds: float, disturbed: bool) -> str:
    return f"{seconds:.2f}" + ("*" if disturbed else "")


def results_path(out: Path, suffix: str) -> Path:
    stem = f"parse-throughput-{dt.date.today().isoformat()}"
    n = 1
    while True:
        name = stem if n == 1 else f"{stem}-{n}"
        if not (out / f"{name}.md").exists() and not (out / f"{name}.json").exists():
            return out / f"{name}{suffix}"
        n += 1


def build_benches(
    dump: Path, python: str, wikipact: str, tmp: Path, procs: int, only: set[str] | None
) -> list[Bench]:
    me = str(Path(__file__).resolve())
    benches = [
        Bench("a", "(a) bzip2 -dc > /dev/null", "1", ["bzip2", "-dc", str(dump)], None, True)
    ]
    lbzip2 = shutil.which("lbzip2")
    if lbzip2:
        benches.append(
            Bench(
                "a2",
                "(a') lbzip2 -n 2 -dc > /dev/null",
                "2",
                [lbzip2, "-n", "2", "-dc", str(dump)],
                None,
                True,
            )
        )
    benches += [
        Bench(
            "b",
            f"(b) Python bz2, {procs} procs by index",
            str(procs),
            [python, me, "--internal", "decompress", "--procs", str(procs), "--dump", str(dump)],
        ),
        Bench(
            "c",
            "(c) lxml iterparse over bz2.open",
            "1",
            [python, me, "--internal", "lxml", "--dump", str(dump)],
        ),
        Bench(
            "d",
            "(d) wikipact parse --workers 1",
            "1",
            [wikipact, "parse", str(dump), "-o", str(tmp / "wikipact-bench-w1.jsonl")],
            tmp / "wikipact-bench-w1.jsonl",
        ),
        Bench(
            "e",
            "(e) wikipact parse --workers 2",
            "1+2",
            [
                wikipact,
                "parse",
                str(dump),
                "-o",
                str(tmp / "wikipact-bench-w2.jsonl"),
                "--workers",
                "2",
            ],
            tmp / "wikipact-bench-w2.jsonl",
        ),
    ]
    for bench in benches:
        if bench.key == "d":
            bench.cmd += ["--workers", "1"]
    return [b for b in benches if only is None or b.key in only or b.key.rstrip("2") in only]


def check_sample(bench: Bench, sample: Sample, dump: dict[str, Any]) -> None:
    if sample.returncode != 0:
        sys.exit(f"{bench.label} failed ({sample.returncode}):\n{sample.stderr_tail}")
    if bench.key == "b":
        result = json.loads(sample.stdout)
        sample.extra = result
        if result["xml_bytes"] != dump["xml_bytes"]:
            sys.exit(f"(b) decompressed {result['xml_bytes']} bytes, expected {dump['xml_bytes']}")
    elif bench.key == "c":
        result = json.loads(sample.stdout)
        sample.extra = result
        if result["pages"] != dump["pages"]:
            sys.exit(f"(c) counted {result['pages']} pages, the index lists {dump['pages']}")
    elif bench.output is not None:
        sha, size, lines = file_digest(bench.output)
        sample.extra = {"sha256": sha, "bytes": size, "lines": lines}
        if lines != dump["pages"]:
            sys.exit(f"{bench.label} wrote {lines} lines, the dump has {dump['pages']} pages")


def report_sample(label: str, sample: Sample) -> None:
    busy = f" ({', '.join(sample.busy_processes)})" if sample.busy_processes else ""
    waited = sample.waited_for_idle_s
    print(
        f"{label}: {sample.wall_s:.2f} s wall, {sample.cpu_s:.2f} s CPU, "
        f"peak RSS {sample.peak_rss_bytes / MIB:.0f} MiB; "
        f"before: load {sample.load_before[0]:.2f}, busy {sample.busy_before_percent:.0f}%{busy}"
        f"{f', waited {waited:.0f} s for idle' if waited >= 2 else ''}; "
        f"during: others {sample.others_cpu_s:.2f} s CPU, steal {sample.steal_s:.2f} s"
        f"{' DISTURBED' if sample.disturbed else ''}",
        flush=True,
    )


def run(args: argparse.Namespace) -> int:
    dump_path: Path = args.dump.resolve()
    if not dump_path.exists():
        sys.exit(
            f"{dump_path} does not exist; build it first:\n"
            "  .venv/bin/python bench/make_multistream_dump.py --size-mb 200"
        )
    python = sys.executable
    wikipact = str(Path(python).parent / "wikipact")
    if not Path(wikipact).exists():
        wikipact = shutil.which("wikipact") or sys.exit("no wikipact executable found")
    tmp: Path = args.tmp
    tmp.mkdir(parents=True, exist_ok=True)
    only = set(args.only.split(",")) if args.only else None

    machine = machine_facts(python)
    print("machine: " + json.dumps(machine, indent=2))
    dump = dump_facts(dump_path)
    print(
        f"dump: {dump_path.name}: {dump['pages']:,} pages in {dump['streams']:,} streams, "
        f"{dump['compressed_bytes'] / MB:.1f} MB compressed, {dump['xml_bytes'] / MB:.1f} MB XML"
    )
    with open(dump_path, "rb") as fh:  # warm the page cache: every run reads from memory
        while fh.read(1 << 24):
            pass
    run_text([wikipact, "--help"])  # warm imports / bytecode

    benches = build_benches(dump_path, python, wikipact, tmp, args.procs, only)
    quiet = Quiet(args.max_busy, args.max_wait, args.disturbed_fraction)
    for repeat in range(1, args.repeats + 1):
        for bench in benches:
            for attempt in range(args.retries + 1):
                sample = measure(bench.cmd, quiet, stdout_to_devnull=bench.stdout_to_devnull)
                check_sample(bench, sample, dump)
                report_sample(f"[{repeat}/{args.repeats}] {bench.label}", sample)
                if not sample.disturbed or attempt == args.retries:
                    bench.samples.append(sample)
                    break
                bench.discarded.append(sample)
                print("  disturbed by other processes: run again", flush=True)

    by_key = {b.key: b for b in benches}
    ref = by_key.get("b")
    ref_wall = median([s.wall_s for s in ref.samples]) if ref else None
    rows = [summarise(b, dump, ref_wall) for b in benches]
    table = markdown_table(rows)

    identical = None
    if "d" in by_key and "e" in by_key:
        digests = {s.extra["sha256"] for b in (by_key["d"], by_key["e"]) for s in b.samples}
        identical = len(digests) == 1
        verdict = "byte-identical" if identical else f"DIFFERENT ({len(digests)} distinct sha256)"
        size = by_key["d"].samples[-1].extra["bytes"]
        identity_line = (
            f"JSONL outputs of --workers 1 and --workers 2 (every repeat): {verdict}; "
            f"{size / MB:.1f} MB, {dump['pages']:,} lines, sha256 {sorted(digests)[0][:16]}…"
        )
    else:
        identity_line = "JSONL identity not checked (run (d) and (e) for that)"
    for bench in benches:
        if bench.output is not None and not args.keep_outputs:
            bench.output.unlink(missing_ok=True)

    profile = None
    rates = {row["key"]: row for row in rows}
    if (
        args.profile_seconds > 0
        and "b" in rates
        and "e" in rates
        and rates["e"]["mb_per_s_xml"] < args.profile_threshold * rates["b"]["mb_per_s_xml"]
    ):
        print(
            f"--workers 2 reads at {rates['e']['vs_parallel_decompress']:.0%} of the parallel "
            f"decompression rate; profiling one worker for {args.profile_seconds:.0f} s ...",
            flush=True,
        )
        done = subprocess.run(
            [
                python,
                str(Path(__file__).resolve()),
                "--internal",
                "profile",
                "--dump",
                str(dump_path),
                "--profile-seconds",
                str(args.profile_seconds),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        profile = json.loads(done.stdout)

    notes = [
        f"Dump: `{dump_path.name}`: {dump['pages']:,} pages in {dump['streams']:,} bzip2 streams, "
        f"{dump['compressed_bytes'] / MB:.1f} MB compressed, {dump['xml_bytes'] / MB:.1f} MB of "
        "uncompressed XML (MB = 10^6 bytes). Every rate is for the whole file: pages/s = pages of "
        "the dump / wall; 'MB/s compressed in' = dump file size / wall; 'MB/s XML' = "
        "uncompressed XML / wall.",
        f"Median of {args.repeats} runs (interleaved), page cache warm. CPU = user+system of the "
        "process tree (getrusage RUSAGE_CHILDREN); peak RSS = max of the summed RSS of the "
        f"process tree, sampled every {POLL_SECONDS * 1000:.0f} ms (median over runs). "
        "'rate vs (b)' = wall of (b) / wall of the row. Per run: 'load1 before', 'CPU busy "
        "before' (system-wide, over the 1 s before the run; each run waits for it to drop to "
        f"{args.max_busy:.0f}% or less, at most {args.max_wait:.0f} s) and 'others' CPU s "
        "during' (non-idle CPU of the whole system during the run minus the measured tree and "
        f"this script; * = over {args.disturbed_fraction:.0%} of the wall time and 0.1 s: "
        f"disturbed, kept only after {args.retries} retries). Disturbed runs redone: "
        + (", ".join(f"{r['key']}: {r['redone']}" for r in rows if r["redone"]) or "none")
        + ".",
        identity_line,
    ]
    machine_line = (
        f"Machine: nproc {machine['nproc']}, {machine['cpu_model']}, "
        f"{machine['memory_total_gib']} GiB RAM, {machine['platform']}; Python "
        f"{machine['python']}, lxml {machine['lxml']} (libxml2 {machine['libxml2']}), msgspec "
        f"{machine['msgspec']}, {machine['bzip2']}; lbzip2: "
        f"{machine['lbzip2'] or 'not installed'}; wikipact {machine['wikipact']} at git "
        f"{machine['git_head']}"
        + (" with uncommitted changes in src/" if machine["git_dirty_src"] else "")
    )
    print()
    print(table)
    print()
    for note in notes:
        print(note)
    print(machine_line)
    if profile:
        print(
            f"\ncProfile of one worker (run_span_task + to_json_line), "
            f"{profile['seconds']} s, {profile['tasks']} of {profile['tasks_total']} tasks, "
            f"{profile['pages']} pages:\n{profile['top_cumulative']}"
        )

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    md_path = results_path(out, ".md")
    json_path = md_path.with_suffix(".json")
    stamp = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    md = [
        f"# wikipact parse throughput, {stamp}",
        "",
        table,
        "",
        *[f"- {n}" for n in notes],
        f"- {machine_line}",
    ]
    if profile:
        md += [
            "",
            f"## cProfile of one worker ({profile['seconds']} s, {profile['pages']} pages)",
            "",
            "```",
            profile["top_cumulative"].strip(),
            "```",
        ]
    md_path.write_text("\n".join(md) + "\n", encoding="utf-8")
    raw = {
        "timestamp": stamp,
        "machine": machine,
        "dump": dump,
        "repeats": args.repeats,
        "rows": rows,
        "jsonl_identical": identical,
        "runs": {
            b.key: {
                "label": b.label,
                "cmd": b.cmd,
                "samples": [asdict(s) for s in b.samples],
                "discarded_disturbed": [asdict(s) for s in b.discarded],
            }
            for b in benches
        },
        "profile": profile,
    }
    json_path.write_text(json.dumps(raw, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {md_path} and {json_path}")
    return 0 if identical is not False else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--dump", type=Path, default=DEFAULT_DUMP, help=f"(default {DEFAULT_DUMP})")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each command (default 3)")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"results folder (default {DEFAULT_OUT})"
    )
    parser.add_argument(
        "--tmp",
        type=Path,
        default=Path(tempfile.gettempdir()),
        help="where wikipact writes its JSONL (default: the system temporary folder)",
    )
    parser.add_argument(
        "--procs", type=int, default=2, help="processes of the reference (b) (default 2)"
    )
    parser.add_argument(
        "--max-busy",
        type=float,
        default=10.0,
        help="before each run, wait until system CPU use over 1 s is at most this %% (default 10)",
    )
    parser.add_argument(
        "--max-wait",
        type=float,
        default=300.0,
        help="wait at most this many seconds for that, then run anyway (default 300)",
    )
    parser.add_argument(
        "--disturbed-fraction",
        type=float,
        default=0.05,
        help="a run is disturbed when other processes used more CPU than this fraction of its "
        "wall time (default 0.05)",
    )
    parser.add_argument(
        "--retries",
        type=int,
        default=3,
        help="run a disturbed run again up to this many times (default 3)",
    )
    parser.add_argument("--only", help="comma-separated subset of a,b,c,d,e (default: all)")
    parser.add_argument(
        "--keep-outputs", action="store_true", help="keep the JSONL files wikipact wrote"
    )
    parser.add_argument(
        "--profile-seconds",
        type=float,
        default=20.0,
        help="cProfile one worker this long when (e) falls short of (b) (0: never; default 20)",
    )
    parser.add_argument(
        "--profile-threshold",
        type=float,
        default=0.8,
        help="profile when (e) reads at less than this fraction of (b)'s rate (default 0.8)",
    )
    parser.add_argument(
        "--internal", choices=["decompress", "lxml", "profile"], help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if args.internal == "decompress":
        print(json.dumps(internal_decompress(args.dump, args.procs)))
        return 0
    if args.internal == "lxml":
        print(json.dumps(internal_lxml(args.dump)))
        return 0
    if args.internal == "profile":
        print(json.dumps(internal_profile(args.dump, args.profile_seconds, 15)))
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
