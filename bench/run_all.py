"""Build the dumps, run every tool for quality and speed, print the peer-baseline tables.

    .venv/bin/python bench/run_all.py                  # everything (30-60 min on 2 CPUs)
    .venv/bin/python bench/run_all.py --skip-speed     # quality only (a few minutes)
    .venv/bin/python bench/run_all.py --report-only    # tables from bench/results/ as they are
    .venv/bin/python bench/run_all.py --tools wikipact --fresh-speed no

Steps (each skipped with ``--skip-...``):

1. dumps: ``make_quality_dump.py`` (project venv) when a dump or its stats are missing;
2. quality: every tool of ``--tools`` (plus ``mwph-plain``) at 1 process on ``quality-dev.xml`` and
   every ``quality-<lang>.xml``, through ``peers.py`` (peers venv); each output is scored by
   ``quality.py`` against the dump, the ground truth and WikiExtractor's output of the same dump;
3. speed: wikipact's bytecode is compiled first (the peers' was, when pip installed them); then
   ``speed.py`` times every tool at 1 and 2 processes on ``speed50.xml`` (``--repeat``
   clean runs each), then at 2 processes on ``speed50.xml.bz2``, wikipact also on the
   multistream twin, and (``--cross-check``) each tool once per process count on ``dev50.xml``;
4. report: the main table (speed50 + quality-dev), the per-language table, per-pattern residue,
   the speed details; printed and written to ``bench/results/report.md``.

Outputs go to ``bench/results/`` (git-ignored): ``quality/<tool>-<dump>.{jsonl,json}``,
``speed.jsonl`` (every run and a summary per configuration), ``report.md``, ``run_all.log``.
The peers' virtualenv is ``bench/.venv-peers`` (``--peers-python`` to change).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchcommon import BENCH, DATA, REPO, RESULTS, stats_path

PROJECT_PY = REPO / ".venv" / "bin" / "python"
PEERS_PY = BENCH / ".venv-peers" / "bin" / "python"
WIKIPACT = REPO / ".venv" / "bin" / "wikipact"
LANGS = ("de", "fr", "ja", "uk", "el", "mr", "es", "it", "pt", "ru", "nl", "pl")
TOOLS = ("wikiextractor", "hf", "wtp", "wikipact")
NAMES = {
    "wikiextractor": "WikiExtractor",
    "hf": "HF method (mwph + filters)",
    "wtp": "wikitextparser",
    "mwph-plain": "mwph strip_code alone",
    "wikipact": "wikipact",
}
LOG: list[str] = []


def log(line: str) -> None:
    stamp = time.strftime("%H:%M:%S")
    print(f"[{stamp}] {line}", flush=True)
    LOG.append(f"[{stamp}] {line}")


def run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    log("$ " + " ".join(str(c) for c in cmd))
    done = subprocess.run([str(c) for c in cmd], text=True, capture_output=True, **kwargs)
    for line in (done.stdout + done.stderr).splitlines()[-6:]:
        if "INFO:" not in line:
            LOG.append("    " + line)
    if done.returncode:
        log(f"exit {done.returncode}: {done.stderr.strip()[-800:]}")
    return done


# ---------------------------------------------------------------- steps


def ensure_dumps(force: bool) -> None:
    needed = [DATA / "quality-dev.xml", DATA / "speed50.xml", DATA / "speed50.xml.bz2"]
    needed += [DATA / f"quality-{lang}.xml" for lang in LANGS]
    needed += [DATA / "dev50.xml"]
    missing = [p for p in needed if not p.exists() or not stats_path(p).exists()]
    if missing or force:
        cmd = [PROJECT_PY, BENCH / "make_quality_dump.py"] + (["--force"] if force else [])
        if run(cmd).returncode:
            sys.exit("building the dumps failed")


def quality_dir() -> Path:
    return RESULTS / "quality"


def run_quality(tools: list[str], peers_py: Path, examples: int) -> None:
    qdir = quality_dir()
    qdir.mkdir(parents=True, exist_ok=True)
    dumps = ["quality-dev"] + [f"quality-{lang}" for lang in LANGS]
    ordered = ["wikiextractor"] + [t for t in [*tools, "mwph-plain"] if t != "wikiextractor"]
    ordered = list(dict.fromkeys(ordered))
    for dump in dumps:
        dump_path = DATA / f"{dump}.xml"
        ref = qdir / f"wikiextractor-{dump}.jsonl"
        for tool in ordered:
            out = qdir / f"{tool}-{dump}.jsonl"
            status = qdir / f"{tool}-{dump}.status.json"
            started = time.perf_counter()
            done = run([peers_py, BENCH / "peers.py", tool, dump_path, out, "--processes", "1"])
            info: dict[str, Any] = {
                "tool": tool,
                "dump": dump,
                "rc": done.returncode,
                "seconds": round(time.perf_counter() - started, 2),
                "warnings": [ln for ln in done.stderr.splitlines() if "WARNING" in ln],
            }
            if done.returncode:
                info["error"] = done.stderr.strip()[-1500:]
                out.unlink(missing_ok=True)
            status.write_text(json.dumps(info, indent=1) + "\n", "utf-8")
            if done.returncode:
                continue
            cmd = [
                peers_py,
                BENCH / "quality.py",
                out,
                "--dump",
                dump_path,
                "--label",
                tool,
                "--examples",
                str(examples),
                "--json",
                qdir / f"{tool}-{dump}.json",
            ]
            if ref.exists():
                cmd += ["--ref", ref]
            scored = run(cmd)
            (qdir / f"{tool}-{dump}.txt").write_text(scored.stdout, "utf-8")


def speed_command(
    tool: str, dump: Path, procs: int, peers_py: Path, outdir: Path
) -> tuple[list[str], Path]:
    out = outdir / f"{tool}-p{procs}-{dump.name}.out"
    if tool == "wikiextractor":
        cmd = [str(peers_py), "-m", "wikiextractor.WikiExtractor", str(dump), "--json", "-o"]
        return [*cmd, str(out), "--processes", str(procs)], out
    if tool == "wikipact":
        cmd = [str(WIKIPACT), "parse", str(dump), "-o", str(out), "--workers", str(procs)]
        return [*cmd, "--namespace", "0"], out
    cmd = [str(peers_py), str(BENCH / "peers.py"), tool, str(dump), str(out)]
    return [*cmd, "--processes", str(procs)], out


def compile_bytecode() -> None:
    """Write wikipact's bytecode caches before timing it, as ``pip install`` did for the peers.

    wikipact is installed editable (its modules are read from ``src/``), and where
    PYTHONDONTWRITEBYTECODE is set no process writes ``__pycache__``: every run, and every
    spawned worker, would compile ~40 modules from source (~0.06-0.1 CPU-s each) that the peers'
    installed packages never compile.
    """
    run([PROJECT_PY, "-m", "compileall", "-q", REPO / "src" / "wikipact"])


def run_speed(tools: list[str], peers_py: Path, repeat: int, cross_check: bool, bz2: bool) -> None:
    outdir = RESULTS / "speedout"
    outdir.mkdir(parents=True, exist_ok=True)
    compile_bytecode()
    plan: list[tuple[str, int, Path, str, int]] = []
    speed50 = DATA / "speed50.xml"
    for tool in tools:
        for procs in (1, 2):
            plan.append((tool, procs, speed50, "xml", repeat))
    if bz2:
        for tool in tools:
            plan.append((tool, 2, DATA / "speed50.xml.bz2", "bz2", repeat))
        if "wikipact" in tools:
            multistream = DATA / "speed50-multistream.xml.bz2"
            for procs in (1, 2):
                plan.append(("wikipact", procs, multistream, "ms", repeat))
    if cross_check:
        for tool in tools:
            for procs in (1, 2):
                plan.append((tool, procs, DATA / "dev50.xml", "xml", 1))
    for tool, procs, dump, kind, k in plan:
        cmd, out = speed_command(tool, dump, procs, peers_py, outdir)
        dump_name = dump.name.split(".")[0].removesuffix("-multistream")
        run(
            [
                peers_py,
                BENCH / "speed.py",
                "--label",
                f"{tool}-p{procs}",
                "--dump",
                dump,
                "--repeat",
                str(k),
                "--out",
                RESULTS / "speed.jsonl",
                "--clean",
                out,
                "--count",
                out,
                "--meta",
                f"tool={tool}",
                "--meta",
                f"procs={procs}",
                "--meta",
                f"dumpname={dump_name}",
                "--meta",
                f"input={kind}",
                "--",
                *cmd,
            ]
        )


# ---------------------------------------------------------------- report


def load_quality(tool: str, dump: str) -> dict[str, Any] | None:
    path = quality_dir() / f"{tool}-{dump}.json"
    if path.exists():
        return json.loads(path.read_text("utf-8"))
    return None


def quality_error(tool: str, dump: str) -> str | None:
    path = quality_dir() / f"{tool}-{dump}.status.json"
    if path.exists():
        info = json.loads(path.read_text("utf-8"))
        if info.get("rc"):
            last = (info.get("error") or "").strip().splitlines()
            return last[-1][:120] if last else "failed"
    return None


def load_speed() -> dict[tuple[str, str, str, str], dict[str, Any]]:
    """Latest summary per (tool, procs, dump, input)."""
    path = RESULTS / "speed.jsonl"
    found: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    if not path.exists():
        return found
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if rec.get("summary"):
                key = (rec["tool"], rec["procs"], rec["dumpname"], rec["input"])
                found[key] = rec
    return found


def pct(v: float | None) -> str:
    return "–" if v is None else f"{v * 100:.1f}%"


def f3(v: float | None) -> str:
    return "–" if v is None else f"{v:.3f}"


def speed_cells(s: dict[str, Any] | None) -> list[str]:
    if s is None:
        return ["–"] * 4
    if s.get("failed"):
        return ["failed"] + ["–"] * 3
    star = "" if s["median_over"] == "clean" else "*"
    return [
        f"{s['articles_per_s']:.1f}{star}",
        f"**{s['wikitext_mb_per_s']:.2f}**{star}",
        f"{s['wikitext_mb_per_cpu_s']:.2f}",
        f"{s['peak_rss_1proc_mb']} / {s['peak_pss_tree_mb']}",
    ]


def quality_cells(q: dict[str, Any] | None, error: str | None) -> list[str]:
    if q is None:
        return [f"failed: {error}" if error else "–"] + ["–"] * 11
    wv = (q.get("words_vs_ref") or {}).get("ratio")
    prose = q.get("prose_words_vs_ref")
    return [
        f"{pct(q['empty_rate'])} ({q['empty']})",
        pct(q["residue_any_core_doc_share"]),
        f"{q['residue_core_per_10k_chars']:.2f}",
        pct(q["category_leak_doc_share"]),
        pct(q["list_retention"]),
        pct(q["table_retention"]),
        f"{f3(q['lead_f1'])} (n={q['lead_n']})",
        f3(q["lead_window_f1"]),
        f"{f3(q['enterprise_f1'])} (n={q['enterprise_n']})",
        "–" if wv is None else f"{wv:.2f}×",
        "–" if prose is None else f"{prose:.2f}×",
        f"{q['words_per_article']:.0f}",
    ]


def main_table(tools: list[str]) -> list[str]:
    speed = load_speed()
    head = (
        "| tool | procs | articles/s | wikitext MB/s | MB per CPU-s | peak RSS MB (1 proc / tree "
        "PSS) | empty rate | docs with markup residue | residue /10k chars | category lines left "
        "| list items kept | table cells kept | lead F1 | lead-window F1 | enterprise abstract F1 "
        "(same revision) | words vs WikiExtractor | prose words vs WikiExtractor | words/article |"
    )
    lines = [head, "|" + "---|" * 18]
    for tool in [*tools, "mwph-plain"]:
        q = load_quality(tool, "quality-dev")
        err = quality_error(tool, "quality-dev")
        if tool == "mwph-plain":
            lines.append(
                "| " + " | ".join([NAMES[tool], "1", *["–"] * 4, *quality_cells(q, err)]) + " |"
            )
            continue
        for procs in ("1", "2"):
            s = speed.get((tool, procs, "speed50", "xml"))
            qc = quality_cells(q, err) if procs == "1" else ["same", *[""] * 11]
            lines.append("| " + " | ".join([NAMES[tool], procs, *speed_cells(s), *qc]) + " |")
    return lines


def language_table(tools: list[str]) -> list[str]:
    all_tools = [*tools, "mwph-plain"]
    head = (
        "| wiki | articles | " + " | ".join(f"{NAMES[t]} residue / empty" for t in all_tools) + " |"
    )
    lines = [head, "|" + "---|" * (2 + len(all_tools))]
    for dump in ["quality-dev"] + [f"quality-{lang}" for lang in LANGS]:
        stats_file = stats_path(DATA / f"{dump}.xml")
        articles = (
            json.loads(stats_file.read_text("utf-8"))["articles"] if stats_file.exists() else "?"
        )
        label = "en (quality-dev)" if dump == "quality-dev" else dump.removeprefix("quality-")
        cells = [label, str(articles)]
        for tool in all_tools:
            q = load_quality(tool, dump)
            if q is None:
                cells.append("failed" if quality_error(tool, dump) else "–")
            else:
                cells.append(
                    f"{pct(q['residue_any_core_doc_share'])} ({q['residue_core_per_10k_chars']:.2f}/10k)"
                    f" / {pct(q['empty_rate'])}"
                )
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def lead_table(tools: list[str]) -> list[str]:
    """Lead F1 and Enterprise abstract F1 pooled over every quality dump."""
    all_tools = [*tools, "mwph-plain"]
    lines = [
        "| tool | lead F1 en (n) | lead F1 fr (n) | enterprise abstract F1, all wikis (n) |",
        "|---|---|---|---|",
    ]
    for tool in all_tools:
        en = load_quality(tool, "quality-dev")
        fr = load_quality(tool, "quality-fr")
        ent: list[float] = []
        for dump in ["quality-dev"] + [f"quality-{lang}" for lang in LANGS]:
            q = load_quality(tool, dump)
            for d in (q or {}).get("lead_details", []):
                if d["truth"] == "enterprise":
                    ent.append(d["f1"])
        ent_cell = f"{sum(ent) / len(ent):.3f} (n={len(ent)})" if ent else "–"
        lines.append(
            f"| {NAMES[tool]} | {f3((en or {}).get('lead_f1'))} (n={(en or {}).get('lead_n', 0)}) "
            f"| {f3((fr or {}).get('lead_f1'))} (n={(fr or {}).get('lead_n', 0)}) | {ent_cell} |"
        )
    return lines


def pattern_table(tools: list[str]) -> list[str]:
    all_tools = [*tools, "mwph-plain"]
    loaded = {t: load_quality(t, "quality-dev") for t in all_tools}
    names: list[str] = []
    for q in loaded.values():
        if q:
            names = list(q["residue"])
            break
    lines = [
        "| pattern | core | " + " | ".join(NAMES[t] for t in all_tools) + " |",
        "|" + "---|" * (2 + len(all_tools)),
    ]
    for name in names:
        cells = [f"`{name}`".replace("|", "\\|")]
        core = False
        for tool in all_tools:
            q = loaded[tool]
            if not q:
                cells.append("–")
                continue
            v = q["residue"][name]
            core = v["core"]
            cells.append(f"{v['doc_share']:.2f} / {v['per_10k_chars']:.2f}")
        cells.insert(1, "yes" if core else "")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def speed_table() -> list[str]:
    lines = [
        "| tool | procs | dump | input | clean/runs | foreign load | wall s | articles/s | "
        "wikitext MB/s | XML MB/s | MB per CPU-s | CPU s | CPU/wall | peak RSS 1 proc MB | "
        "peak tree RSS MB | peak tree PSS MB | docs |",
        "|" + "---|" * 17,
    ]
    for (tool, procs, dump, kind), s in load_speed().items():
        if s.get("failed"):
            lines.append(
                f"| {tool} | {procs} | {dump} | {kind} | 0/{s['runs']} | failed |" + " |" * 11
            )
            continue
        docs = sorted({d for d in s.get("docs") or [] if d is not None})
        lines.append(
            f"| {tool} | {procs} | {dump} | {kind} | {s['clean_runs']}/{s['runs']} | "
            f"{s['foreign_load']:.2f} | {s['wall_s']:.2f} | {s['articles_per_s']:.1f} | "
            f"{s['wikitext_mb_per_s']:.2f} | {s['xml_mb_per_s']:.2f} | "
            f"{s['wikitext_mb_per_cpu_s']:.2f} | {s['cpu_s']:.1f} | {s['cpu_per_wall']:.2f} | "
            f"{s['peak_rss_1proc_mb']} | {s['peak_rss_tree_mb']} | {s['peak_pss_tree_mb']} | "
            f"{', '.join(map(str, docs))} |"
        )
    return lines


def record_meta(peers_py: Path) -> None:
    """Versions of the tools and the wikipact tree measured, for the report."""
    code = (
        "import importlib.metadata as m, json, mwparserfromhell.parser as p; "
        "print(json.dumps({n: m.version(n) for n in ('wikiextractor', 'mwparserfromhell', "
        "'wikitextparser', 'mwxml', 'lxml', 'psutil')} | {'mwph_c_tokenizer': p.use_c}))"
    )
    done = subprocess.run([str(peers_py), "-c", code], capture_output=True, text=True)
    versions = json.loads(done.stdout) if done.returncode == 0 else {}
    git = subprocess.run(
        ["git", "-C", str(REPO), "describe", "--always", "--dirty"], capture_output=True, text=True
    )
    dirty = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain", "src"], capture_output=True, text=True
    )
    compiled = subprocess.run(
        [str(PROJECT_PY), "-W", "ignore", "-c", "import wikipact.wikitext as w; print(w.COMPILED)"],
        capture_output=True,
        text=True,
    )
    meta = {
        "peers": versions,
        "wikipact_wikitext_compiled": compiled.stdout.strip() == "True",
        "python": sys.version.split()[0],
        "wikipact_commit": git.stdout.strip(),
        "wikipact_src_changes": len(dirty.stdout.splitlines()),
        "recorded": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    (RESULTS / "run_meta.json").write_text(json.dumps(meta, indent=1) + "\n", "utf-8")


def report(tools: list[str]) -> str:
    meta_path = RESULTS / "run_meta.json"
    meta = json.loads(meta_path.read_text("utf-8")) if meta_path.exists() else {}
    stats = {}
    for name in ("speed50", "quality-dev"):
        path = stats_path(DATA / f"{name}.xml")
        if path.exists():
            stats[name] = json.loads(path.read_text("utf-8"))
    s50 = stats.get("speed50", {})
    qd = stats.get("quality-dev", {})
    versions = ", ".join(f"{k} {v}" for k, v in meta.get("peers", {}).items())
    parts = [
        f"Versions: {versions}; Python {meta.get('python', '?')}; wikipact tree "
        f"{meta.get('wikipact_commit', '?')} ({meta.get('wikipact_src_changes', '?')} changed "
        f"files under src/ when the run started, {meta.get('recorded', '?')}; wikitext modules "
        f"{'compiled (mypyc)' if meta.get('wikipact_wikitext_compiled') else 'pure Python'}).",
        "",
        "## Main table",
        "",
        f"Speed: `speed50.xml` ({s50.get('articles', '?')} articles, "
        f"{s50.get('article_wikitext_bytes', 0) / 1e6:.1f} MB article wikitext, "
        f"{s50.get('xml_bytes', 0) / 1e6:.1f} MB XML; all languages), uncompressed XML input, "
        "median of clean runs (`*`: no clean run, median of all). Quality: `quality-dev.xml` "
        f"({qd.get('articles', '?')} articles), 1 process. RSS: largest single process / PSS "
        "summed over the process tree.",
        "",
        *main_table(tools),
        "",
        "## Per language (quality-<lang>.xml, 1 process)",
        "",
        "Docs with core markup residue (core residue per 10k chars) / empty rate.",
        "",
        *language_table(tools),
        "",
        "## Lead paragraph",
        "",
        *lead_table(tools),
        "",
        "## Residue by pattern on quality-dev (share of docs / matches per 10k chars)",
        "",
        *pattern_table(tools),
        "",
        "## Speed, every configuration (median of clean runs)",
        "",
        *speed_table(),
        "",
    ]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--tools", default=",".join(TOOLS))
    parser.add_argument("--peers-python", type=Path, default=PEERS_PY)
    parser.add_argument("--repeat", type=int, default=3, help="clean speed runs per row (K)")
    parser.add_argument("--examples", type=int, default=3)
    parser.add_argument("--skip-dumps", action="store_true")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--no-bz2", action="store_true", help="skip the .bz2 / multistream rows")
    parser.add_argument("--cross-check", action="store_true", help="also time dev50.xml once")
    parser.add_argument(
        "--fresh-speed",
        choices=["yes", "no"],
        default="yes",
        help="start a new speed.jsonl (the old one is renamed)",
    )
    parser.add_argument("--force-dumps", action="store_true")
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args(argv)
    tools = [t for t in args.tools.split(",") if t]
    RESULTS.mkdir(parents=True, exist_ok=True)
    if not args.report_only:
        record_meta(args.peers_python)
        if not args.skip_dumps:
            ensure_dumps(args.force_dumps)
        if not args.skip_quality:
            run_quality(tools, args.peers_python, args.examples)
        if not args.skip_speed:
            speed_file = RESULTS / "speed.jsonl"
            if args.fresh_speed == "yes" and speed_file.exists():
                speed_file.rename(RESULTS / f"speed-{time.strftime('%Y%m%d-%H%M%S')}.jsonl")
            run_speed(tools, args.peers_python, args.repeat, args.cross_check, not args.no_bz2)
        with open(RESULTS / "run_all.log", "a", encoding="utf-8") as fh:
            fh.write("\n".join(LOG) + "\n")
    text = report(tools)
    (RESULTS / "report.md").write_text(text, "utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
