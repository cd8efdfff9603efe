"""Time one command over a benchmark dump, K times, on a quiet machine.

    python bench/speed.py --label hf-p2 --dump bench/data/speed50.xml --repeat 3 \\
        --out bench/results/speed.jsonl --clean out.jsonl -- \\
        bench/.venv-peers/bin/python bench/peers.py hf bench/data/speed50.xml out.jsonl --processes 2

Before each run it waits until the whole machine's CPU use over one second is at most
``--max-busy`` % (default 10; gives up after ``--max-wait`` s, default 300, and runs anyway).
Per run it records:

* wall time of the command (from start to exit);
* CPU time of the command's process tree: user + system from ``getrusage(RUSAGE_CHILDREN)``
  before and after (every descendant that was waited for: pool workers included);
* peak RSS of the largest single process, and peak RSS and PSS summed over the tree (psutil,
  polled every 50 ms; a spike between two polls can be missed);
* CPU used meanwhile by *other* processes: the machine's non-idle CPU time from /proc/stat
  minus the tree's CPU and this script's own; divided by the wall time it is the "foreign
  load" in cores. A run with a foreign load above ``--disturbed`` (0.3 cores) is disturbed and
  run again, up to ``--retries`` extra runs (default 3).

The summary is the median over the clean runs (over all runs when none is clean), with the
dump's numbers from its ``<dump>.stats.json`` (make_quality_dump.py): articles/s, wikitext MB/s
(UTF-8 bytes of namespace-0 non-redirect wikitext, 10^6 bytes per MB), XML MB/s and wikitext MB
per CPU-second. Every run and the summary are appended to ``--out`` as JSON lines.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

import psutil

from benchcommon import MB, load_stats


def busy_percent(interval: float = 1.0) -> float:
    return psutil.cpu_percent(interval=interval)


def wait_idle(max_busy: float, max_wait: float) -> tuple[float, float]:
    """Wait until CPU use over 1 s is <= max_busy %; returns (seconds waited, last busy %)."""
    started = time.monotonic()
    busy = busy_percent()
    while busy > max_busy and time.monotonic() - started < max_wait:
        busy = busy_percent()
    return time.monotonic() - started, busy


def machine_busy_seconds() -> float:
    """Non-idle CPU seconds of the whole machine since boot (all CPUs)."""
    t = psutil.cpu_times()
    return float(sum(t) - t.idle - getattr(t, "iowait", 0.0))


def tree_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def self_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def count_output(path: Path) -> int | None:
    """Lines of a file, or of all files under a folder (documents written)."""
    if not path.exists():
        return None
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    total = 0
    for file in files:
        with open(file, "rb") as fh:
            total += sum(1 for line in fh if line.strip())
    return total


def clean(paths: list[Path]) -> None:
    for path in paths:
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def run_once(cmd: list[str], poll: float) -> dict[str, Any]:
    """Run ``cmd`` once (stderr to a temporary file) and measure it."""
    with tempfile.TemporaryFile() as errfile:
        record = _measure(cmd, poll, errfile)
        errfile.seek(0)
        err = errfile.read()
    record["stderr_tail"] = err.decode("utf-8", "replace")[-600:] if record["rc"] else ""
    return record


def _measure(cmd: list[str], poll: float, errfile: IO[bytes]) -> dict[str, Any]:
    cpu0, busy0, self0 = tree_cpu(), machine_busy_seconds(), self_cpu()
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=errfile)
    peak_one = peak_tree = peak_pss = 0
    procs_seen = 1
    root = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            members = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            members = []
        procs_seen = max(procs_seen, len(members))
        rss_sum = pss_sum = 0
        for member in members:
            try:
                info = member.memory_full_info()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            peak_one = max(peak_one, info.rss)
            rss_sum += info.rss
            pss_sum += getattr(info, "pss", info.rss)
        peak_tree = max(peak_tree, rss_sum)
        peak_pss = max(peak_pss, pss_sum)
        time.sleep(poll)
    proc.wait()
    wall = time.perf_counter() - started
    cpu = tree_cpu() - cpu0
    own = self_cpu() - self0
    foreign = max(0.0, machine_busy_seconds() - busy0 - cpu - own)
    return {
        "rc": proc.returncode,
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "cpu_per_wall": round(cpu / wall, 3) if wall else None,
        "own_cpu_s": round(own, 3),
        "foreign_cpu_s": round(foreign, 3),
        "foreign_load": round(foreign / wall, 3) if wall else None,
        "peak_rss_1proc_mb": round(peak_one / 2**20, 1),
        "peak_rss_tree_mb": round(peak_tree / 2**20, 1),
        "peak_pss_tree_mb": round(peak_pss / 2**20, 1),
        "max_processes": procs_seen,
    }


def summarise(
    label: str, runs: list[dict[str, Any]], stats: dict[str, Any], meta: dict[str, str]
) -> dict[str, Any]:
    ok = [r for r in runs if r["rc"] == 0]
    clean_runs = [r for r in ok if not r["disturbed"]]
    use = clean_runs or ok
    summary: dict[str, Any] = {
        "summary": True,
        "label": label,
        **meta,
        "dump": stats.get("dump"),
        "runs": len(runs),
        "ok_runs": len(ok),
        "clean_runs": len(clean_runs),
        "median_over": "clean" if clean_runs else "all",
    }
    if not use:
        summary["failed"] = True
        return summary
    wall = statistics.median(r["wall_s"] for r in use)
    cpu = statistics.median(r["cpu_s"] for r in use)
    wikitext = stats["article_wikitext_bytes"] / MB
    summary.update(
        wall_s=round(wall, 2),
        cpu_s=round(cpu, 2),
        cpu_per_wall=round(cpu / wall, 2),
        foreign_load=round(statistics.median(r["foreign_load"] for r in use), 2),
        articles=stats["articles"],
        articles_per_s=round(stats["articles"] / wall, 1),
        wikitext_mb_per_s=round(wikitext / wall, 2),
        xml_mb_per_s=round(stats["xml_bytes"] / MB / wall, 2),
        wikitext_mb_per_cpu_s=round(wikitext / cpu, 2) if cpu else None,
        peak_rss_1proc_mb=round(statistics.median(r["peak_rss_1proc_mb"] for r in use)),
        peak_rss_tree_mb=round(statistics.median(r["peak_rss_tree_mb"] for r in use)),
        peak_pss_tree_mb=round(statistics.median(r["peak_pss_tree_mb"] for r in use)),
        docs=[r.get("docs") for r in use],
    )
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--label", required=True)
    parser.add_argument("--dump", type=Path, required=True, help="the dump the command reads")
    parser.add_argument("--repeat", type=int, default=3, help="clean runs wanted (default 3)")
    parser.add_argument("--retries", type=int, default=3, help="extra runs for disturbed ones")
    parser.add_argument("--max-busy", type=float, default=10.0)
    parser.add_argument("--max-wait", type=float, default=300.0)
    parser.add_argument("--disturbed", type=float, default=0.3, help="foreign load, cores")
    parser.add_argument("--poll", type=float, default=0.05)
    parser.add_argument("--out", type=Path, default=None, help="append JSON lines here")
    parser.add_argument(
        "--clean", type=Path, action="append", default=[], help="remove before each run"
    )
    parser.add_argument("--count", type=Path, default=None, help="count output lines after")
    parser.add_argument("--meta", action="append", default=[], help="KEY=VALUE kept in records")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    cmd = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not cmd:
        parser.error("no command after --")
    stats = load_stats(args.dump)
    meta = dict(item.split("=", 1) for item in args.meta)
    runs: list[dict[str, Any]] = []
    clean_count = 0
    attempt = 0
    while clean_count < args.repeat and attempt < args.repeat + args.retries:
        attempt += 1
        clean(args.clean)
        waited, busy = wait_idle(args.max_busy, args.max_wait)
        record = run_once(cmd, args.poll)
        record.update(
            label=args.label,
            attempt=attempt,
            idle_wait_s=round(waited, 1),
            busy_before_pct=busy,
            load1_before=round(os.getloadavg()[0], 2),
            disturbed=(record["foreign_load"] or 0) > args.disturbed,
            docs=count_output(args.count) if args.count else None,
            cmd=cmd,
            **meta,
        )
        runs.append(record)
        if record["rc"] == 0 and not record["disturbed"]:
            clean_count += 1
        flag = "FAILED" if record["rc"] else ("disturbed" if record["disturbed"] else "clean")
        print(
            f"{args.label} run {attempt}: {record['wall_s']:.2f} s wall, {record['cpu_s']:.2f} s CPU, "
            f"foreign {record['foreign_load']:.2f} cores, waited {waited:.0f} s, "
            f"docs {record['docs']}, {flag}",
            flush=True,
        )
        if record["rc"]:
            print(record["stderr_tail"], file=sys.stderr)
            break
    clean(args.clean)
    summary = summarise(args.label, runs, stats, meta)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        with open(args.out, "a", encoding="utf-8") as fh:
            for record in runs:
                fh.write(json.dumps(record) + "\n")
            fh.write(json.dumps(summary) + "\n")
    print(json.dumps(summary))
    return 0 if summary.get("ok_runs") else 1


if __name__ == "__main__":
    sys.exit(main())
