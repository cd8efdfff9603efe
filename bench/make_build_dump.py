"""Grow an XML dump into a large bzip2 multistream dump, for the memory check of a big build.

Reads every page of ``--source`` (default ``bench/data/dev50.xml``, made by
``make_quality_dump.py``) with ``wikipact.dumps.open_dump`` and repeats the pages, in order, until
the uncompressed XML reaches ``--size-mb`` MB (10^6 bytes). It uses ``make_multistream_dump.py``'s
planner and writer: every copy gets a fresh page id (1, 2, 3 …), fresh revision ids and a distinct
title (later rounds append `` (copy N)``); wikitext and the rest of each revision are unchanged.
Layout: stream 0 is the source's ``<mediawiki>`` root and ``<siteinfo>``, then one bzip2 stream per
100 pages, then ``</mediawiki>``, with a Wikimedia-style ``offset:page_id:title`` index, so
``wikipact build --workers N`` gets parallel tasks.

Writes ``<name>-multistream.xml.bz2``, ``<name>-multistream-index.txt.bz2``,
``<name>-multistream.bench.json`` and ``<name>-ATTRIBUTION.txt`` into ``bench/data/``:

    .venv/bin/python bench/make_build_dump.py --size-mb 1000
"""

from __future__ import annotations

import argparse
import bz2
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_multistream_dump as msd
from wikipact.dumps import open_dump

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = REPO / "bench" / "data" / "dev50.xml"
DEFAULT_OUT = REPO / "bench" / "data"
MB = 1_000_000


def source_header(path: Path) -> bytes:
    """The XML before the first ``<page>``: the root element and ``<siteinfo>``."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
    end = head.find(b"<page>")
    if end < 0:
        sys.exit(f"{path}: no <page> in the first MiB")
    return head[: head.rfind(b"\n", 0, end) + 1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--size-mb", type=int, default=1000, help="XML to reach (default 1000)")
    parser.add_argument(
        "--source", type=Path, default=DEFAULT_SOURCE, help=f"(default {DEFAULT_SOURCE})"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"(default {DEFAULT_OUT})")
    parser.add_argument("--name", help="file stem (default build<SIZE>mb-pages-articles)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="bzip2 processes")
    parser.add_argument(
        "--verify", action="store_true", help="read every page back with open_dump (slow)"
    )
    args = parser.parse_args(argv)
    source: Path = args.source
    if not source.exists():
        sys.exit(
            f"{source} does not exist; make it first:\n"
            "  .venv/bin/python bench/make_quality_dump.py --only dev,devrepeat"
        )
    started = time.perf_counter()
    name = args.name or f"build{args.size_mb}mb-pages-articles"
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    dump_path = out / f"{name}-multistream.xml.bz2"
    index_path = out / f"{name}-multistream-index.txt.bz2"

    header = source_header(source)
    dump = open_dump(source)
    sources = []
    for page in dump.pages():
        parts, size = msd.page_template(page)
        sources.append(
            msd.SourcePage(
                dbname=dump.site.dbname,
                title=page.title,
                url=dump.site.url_of(page.title),
                parts=parts,
                revisions=len(page.revisions),
                size=size,
            )
        )
    plan = msd.plan_pages(sources, args.size_mb * MB, len(header) + len(msd.FOOTER))
    print(f"{len(sources):,} source pages; writing {len(plan.titles):,} ({plan.rounds} rounds)")
    tmp = dump_path.with_name(dump_path.name + ".tmp")
    written = msd.write_dump(tmp, bz2.compress(header, 9), sources, plan, max(1, args.jobs))
    xml_total = written.xml_bytes + len(header)
    index_path.write_bytes(bz2.compress("".join(written.index_lines).encode("utf-8"), 9))
    os.replace(tmp, dump_path)
    built = time.perf_counter() - started
    print(
        f"{dump_path.name}: {written.pages:,} pages in {written.streams:,} streams, "
        f"{xml_total / MB:.1f} MB XML, {written.compressed_bytes / MB:.1f} MB bzip2, {built:.0f} s"
    )
    (out / f"{name}-ATTRIBUTION.txt").write_text(
        f"# {dump_path.name}: real Wikipedia text (CC BY-SA 4.0,"
        " https://creativecommons.org/licenses/by-sa/4.0/), the pages of "
        f"{source.name} repeated with synthetic ids and ' (copy N)' titles. Authors: the "
        "contributors in each page's history at the URL below.\n"
        + "".join(f"{s.title}\t{s.url}\n" for s in sources),
        encoding="utf-8",
    )
    if args.verify:
        print(f"read back {msd.verify(dump_path, written.pages):,} pages: OK")
    meta = {
        "dump": dump_path.name,
        "index": index_path.name,
        "source": source.name,
        "pages": written.pages,
        "page_streams": written.streams,
        "xml_bytes": xml_total,
        "compressed_bytes": written.compressed_bytes,
        "rounds": plan.rounds,
        "source_pages": len(sources),
        "build_seconds": round(built, 1),
    }
    meta_path = out / f"{name}-multistream.bench.json"
    meta_path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
