"""Parse CPU time per MB of article wikitext, in one process, with no I/O in the timed part.

    .venv/bin/python bench/parse_cpu.py                     # bench/data/speed50.xml
    .venv/bin/python bench/parse_cpu.py --dump D --repeats 5

The dump's namespace-0, non-redirect pages are read once into memory (with
``wikipact.open_dump``, so each page gets its wiki's site info); the first page is parsed once
and timed apart (what a process loads once: its wiki's site tables, compiled patterns); then all
are parsed ``--repeats`` times with ``parse_wikitext``; each repeat's CPU time (``time.process_time``) is divided by the UTF-8
megabytes (10^6 bytes) of the wikitext parsed. Prints every repeat, the median and whether the
wikitext modules ran compiled (mypyc) or as sources.

To compare two checkouts in the same run, start it once per checkout with ``PYTHONPATH`` set to
that checkout's ``src`` (a checkout without compiled modules runs its sources; set
``WIKIPACT_PURE_PYTHON=1`` so that both run their sources), alternating the two.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import warnings
from pathlib import Path

import wikipact.wikitext as wikitext
from benchcommon import DATA, MB
from wikipact.dumps import open_dump
from wikipact.wikitext.document import parse_wikitext


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--dump", type=Path, default=DATA / "speed50.xml")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    if not args.dump.exists():
        print(f"{args.dump} is missing: run bench/make_quality_dump.py first", file=sys.stderr)
        return 2
    warnings.simplefilter("ignore", RuntimeWarning)  # "sources changed since compiled"
    dump = open_dump(args.dump)
    pages = [
        (page.latest.text, page.title)
        for page in dump.pages(on_error="skip")
        if page.namespace == 0 and page.redirect_title is None
    ]
    site = dump.site
    megabytes = sum(len(text.encode("utf-8")) for text, _ in pages) / MB
    # what a process pays once (its wiki's site tables, compiled patterns, first-use caches)
    # is timed apart: the repeats measure the steady cost per MB
    started = time.process_time()
    parse_wikitext(pages[0][0], site, pages[0][1])
    first = time.process_time() - started
    print(f"first page, with what a process loads once: {first:.3f} CPU s", flush=True)
    runs = []
    for repeat in range(args.repeats):
        started = time.process_time()
        for text, title in pages:
            parse_wikitext(text, site, title)
        seconds = time.process_time() - started
        runs.append(seconds / megabytes)
        print(f"run {repeat + 1}: {seconds:.2f} CPU s, {runs[-1]:.4f} CPU s/MB", flush=True)
    figures = {
        "dump": args.dump.name,
        "articles": len(pages),
        "megabytes": round(megabytes, 2),
        "compiled": wikitext.COMPILED,
        "first_page_cpu_seconds": round(first, 3),
        "cpu_seconds_per_mb": [round(r, 4) for r in runs],
        "median_cpu_seconds_per_mb": round(statistics.median(runs), 4),
        "checkout": str(Path(wikitext.__file__).parents[3]),
    }
    print(json.dumps(figures))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
