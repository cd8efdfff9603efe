"""Build a large, real-content bzip2 multistream dump for benchmarks.

The pages are the real Wikipedia pages of the shared corpus (``../shared/corpus/assembled``: the
``sample-*-pages-articles-multistream.xml.bz2`` files of elwiki, jawiki, mrwiki, ukwiki, enwiki,
dewiki, frwiki ...), read with ``wikipact.dumps.open_dump(path).pages()`` and repeated until the
uncompressed XML reaches the requested size. Every copy gets a fresh page id, a fresh revision id
and a distinct title (the first copy keeps the original title, later ones get `` (copy N)``); the
wikitext and the rest of the revision metadata are unchanged.

The output follows Wikimedia's multistream layout exactly:

* stream 0: the export-0.11 ``<mediawiki>`` root and one ``<siteinfo>``: the enwiki sample's first
  stream (the bytes before its first index offset), copied verbatim;
* one bzip2 stream per 100 pages;
* a final stream holding ``</mediawiki>\\n``;
* ``<name>-multistream-index.txt.bz2`` next to ``<name>-multistream.xml.bz2``, one
  ``offset:page_id:title`` line per page (title XML-escaped, ``&`` -> ``&amp;``).

Streams are compressed in parallel worker processes. Next to the dump the script writes
``<name>-ATTRIBUTION.txt`` (the text is CC BY-SA 4.0) and ``<name>-multistream.bench.json`` (page
count, XML size ...), and it checks that ``open_dump(dump).pages()`` reads back every page written.

    .venv/bin/python bench/make_multistream_dump.py --size-mb 200
"""

from __future__ import annotations

import argparse
import bz2
import hashlib
import json
import multiprocessing
import os
import sys
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.pool import AsyncResult
from pathlib import Path

from wikipact.dumps import open_dump
from wikipact.dumps.multistream import MultistreamIndex
from wikipact.model.raw import RawPage, RawRevision

REPO = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = REPO.parent / "shared" / "corpus" / "assembled"
DEFAULT_OUT = REPO / "bench" / "data"
SOURCE_GLOB = "sample-*-pages-articles-multistream.xml.bz2"
HEADER_SOURCE = "sample-enwiki-pages-articles-multistream.xml.bz2"
PAGES_PER_STREAM = 100
FOOTER = b"</mediawiki>\n"
MB = 1_000_000  # sizes are given in decimal megabytes
FIRST_REVISION_ID = 1_000_001  # fresh revision ids: ascending, unique, apart from page ids

# Placeholders in a page template, between NUL bytes (NUL can never appear in XML text).
_TITLE, _PAGE_ID, _REV_ID = b"T", b"P", b"R"


def xml_escape(text: str) -> str:
    """Escape like MediaWiki's exporter (htmlspecialchars): & < > and "."""
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


@dataclass(frozen=True)
class SourcePage:
    """One corpus page, pre-serialised as export-0.11 XML with slots for id, title, revision id."""

    dbname: str
    title: str
    url: str
    parts: tuple[bytes, ...]  # even items: literal XML; odd items: placeholder names
    revisions: int
    size: int  # bytes of the literal parts (placeholders excluded)


def _revision_xml(rev: RawRevision) -> str:
    lines = ["    <revision>", "      <id>\x00R\x00</id>"]
    if rev.parent_identifier is not None:
        lines.append(f"      <parentid>{rev.parent_identifier}</parentid>")
    lines.append(f"      <timestamp>{xml_escape(rev.timestamp)}</timestamp>")
    contributor = rev.contributor
    if contributor is not None:
        if contributor.deleted:
            lines.append('      <contributor deleted="deleted" />')
        else:
            lines.append("      <contributor>")
            if contributor.ip is not None:
                lines.append(f"        <ip>{xml_escape(contributor.ip)}</ip>")
            else:
                if contributor.name is not None:
                    lines.append(f"        <username>{xml_escape(contributor.name)}</username>")
                if contributor.identifier is not None:
                    lines.append(f"        <id>{contributor.identifier}</id>")
            lines.append("      </contributor>")
    if rev.minor:
        lines.append("      <minor />")
    if rev.comment is not None:
        lines.append(f"      <comment>{xml_escape(rev.comment)}</comment>")
    if rev.model is not None:
        lines.append(f"      <model>{xml_escape(rev.model)}</model>")
    if rev.format is not None:
        lines.append(f"      <format>{xml_escape(rev.format)}</format>")
    size = len(rev.text.encode("utf-8"))
    sha1 = f' sha1="{xml_escape(rev.sha1)}"' if rev.sha1 else ""
    if rev.text_deleted:
        lines.append(f'      <text bytes="{size}"{sha1} deleted="deleted" />')
    else:
        lines.append(
            f'      <text bytes="{size}"{sha1} xml:space="preserve">{xml_escape(rev.text)}</text>'
        )
    if rev.sha1:
        lines.append(f"      <sha1>{xml_escape(rev.sha1)}</sha1>")
    lines.append("    </revision>")
    return "\n".join(lines)


def page_template(page: RawPage) -> tuple[tuple[bytes, ...], int]:
    """The page as export-0.11 XML, split at its title, page id and revision id slots."""
    lines = [
        "  <page>",
        "    <title>\x00T\x00</title>",
        f"    <ns>{page.namespace}</ns>",
        "    <id>\x00P\x00</id>",
    ]
    if page.redirect_title is not None:
        lines.append(f'    <redirect title="{xml_escape(page.redirect_title)}" />')
    lines.extend(_revision_xml(rev) for rev in page.revisions)
    lines.append("  </page>\n")
    parts = tuple("\n".join(lines).encode("utf-8").split(b"\x00"))
    return parts, sum(len(p) for p in parts[::2])


def load_sources(corpus: Path) -> list[SourcePage]:
    paths = sorted(corpus.glob(SOURCE_GLOB))
    if not paths:
        sys.exit(f"no {SOURCE_GLOB} files in {corpus}")
    sources: list[SourcePage] = []
    for path in paths:
        dump = open_dump(path)
        for page in dump.pages():
            parts, size = page_template(page)
            sources.append(
                SourcePage(
                    dbname=dump.site.dbname,
                    title=page.title,
                    url=dump.site.url_of(page.title),
                    parts=parts,
                    revisions=len(page.revisions),
                    size=size,
                )
            )
    return sources


def header_stream(corpus: Path) -> tuple[bytes, int]:
    """The enwiki sample's first bzip2 stream (root + <siteinfo>), verbatim, and its XML size."""
    path = corpus / HEADER_SOURCE
    index_path = path.with_name(HEADER_SOURCE.replace(".xml.bz2", "-index.txt.bz2"))
    first_offset = MultistreamIndex.load(index_path).offsets[0]
    with open(path, "rb") as fh:
        raw = fh.read(first_offset)
    xml = bz2.decompress(raw)
    if b'xmlns="http://www.mediawiki.org/xml/export-0.11/"' not in xml or not xml.rstrip().endswith(
        b"</siteinfo>"
    ):
        sys.exit(f"{path.name}: the first stream is not an export-0.11 root + <siteinfo>")
    return raw, len(xml)


@dataclass
class Plan:
    """Pages chosen for the dump, in order, with their new ids and titles."""

    titles: list[str] = field(default_factory=list)
    sources: list[int] = field(default_factory=list)  # index into the source list
    xml_bytes: int = 0
    rounds: int = 0
    next_rev: int = 0


def plan_pages(sources: list[SourcePage], target_xml: int, fixed_xml: int) -> Plan:
    """Repeat the source pages until the XML reaches ``target_xml`` bytes (whole pages)."""
    plan = Plan(xml_bytes=fixed_xml, next_rev=FIRST_REVISION_ID)
    used: set[str] = set()
    while plan.xml_bytes < target_xml:
        plan.rounds += 1
        for number, source in enumerate(sources):
            copy = plan.rounds
            title = source.title if copy == 1 else f"{source.title} (copy {copy})"
            while title in used:
                copy += 1
                title = f"{source.title} (copy {copy})"
            used.add(title)
            page_id = len(plan.titles) + 1
            plan.titles.append(title)
            plan.sources.append(number)
            plan.xml_bytes += _rendered_size(source, title, page_id, plan.next_rev)
            plan.next_rev += source.revisions
            if plan.xml_bytes >= target_xml:
                break
    return plan


def _rendered_size(source: SourcePage, title: str, page_id: int, first_rev: int) -> int:
    slots = len(xml_escape(title).encode("utf-8")) + len(str(page_id))
    slots += sum(len(str(first_rev + k)) for k in range(source.revisions))
    return source.size + slots


def render(source: SourcePage, title: str, page_id: int, rev_ids: Iterator[int]) -> bytes:
    out: list[bytes] = []
    for i, part in enumerate(source.parts):
        if i % 2 == 0:
            out.append(part)
        elif part == _TITLE:
            out.append(xml_escape(title).encode("utf-8"))
        elif part == _PAGE_ID:
            out.append(str(page_id).encode("ascii"))
        elif part == _REV_ID:
            out.append(str(next(rev_ids)).encode("ascii"))
        else:
            raise AssertionError(part)
    return b"".join(out)


def compress(payload: bytes) -> bytes:
    """Worker: one bzip2 stream (level 9, like Wikimedia's dumps)."""
    return bz2.compress(payload, 9)


@dataclass
class Written:
    pages: int
    streams: int
    xml_bytes: int
    compressed_bytes: int
    index_lines: list[str]


def write_dump(
    dump_path: Path,
    header: bytes,
    sources: list[SourcePage],
    plan: Plan,
    jobs: int,
) -> Written:
    """Write header, page streams and footer to ``dump_path``; returns the index lines."""
    rev_counter = iter(range(FIRST_REVISION_ID, 1 << 62))

    def payloads() -> Iterator[tuple[bytes, list[tuple[int, str]]]]:
        for start in range(0, len(plan.titles), PAGES_PER_STREAM):
            chunk: list[bytes] = []
            entries: list[tuple[int, str]] = []
            for k in range(start, min(start + PAGES_PER_STREAM, len(plan.titles))):
                page_id = k + 1
                title = plan.titles[k]
                chunk.append(render(sources[plan.sources[k]], title, page_id, rev_counter))
                entries.append((page_id, title))
            yield b"".join(chunk), entries

    index_lines: list[str] = []
    xml_bytes = 0
    streams = 0
    context = multiprocessing.get_context("spawn")
    with open(dump_path, "wb") as out, context.Pool(processes=jobs) as pool:
        out.write(header)
        offset = len(header)
        pending: deque[tuple[AsyncResult[bytes], list[tuple[int, str]]]] = deque()
        source_iter = payloads()

        def submit() -> bool:
            item = next(source_iter, None)
            if item is None:
                return False
            nonlocal xml_bytes
            xml_bytes += len(item[0])
            pending.append((pool.apply_async(compress, (item[0],)), item[1]))
            return True

        for _ in range(jobs * 3):
            submit()
        while pending:
            result, entries = pending.popleft()
            data = result.get()
            for page_id, title in entries:
                index_lines.append(f"{offset}:{page_id}:{xml_escape(title)}\n")
            out.write(data)
            offset += len(data)
            streams += 1
            submit()
        footer = bz2.compress(FOOTER, 9)
        out.write(footer)
        offset += len(footer)
        out.flush()
        os.fsync(out.fileno())
    return Written(
        pages=len(index_lines),
        streams=streams,
        xml_bytes=xml_bytes + len(FOOTER),
        compressed_bytes=offset,
        index_lines=index_lines,
    )


def write_attribution(path: Path, dump_name: str, sources: list[SourcePage], corpus: Path) -> None:
    lines = [
        f"# {dump_name} and its index: real Wikipedia text, licensed CC BY-SA 4.0",
        "#",
        "# This benchmark dump repeats the real pages of the shared wikipact corpus",
        f"# ({corpus.name}/{SOURCE_GLOB}); the wikitext of every page is unchanged.",
        "# Copies carry synthetic page and revision ids, and every copy after the first has",
        '# " (copy N)" appended to its title. The text is available under the Creative Commons',
        "# Attribution-ShareAlike 4.0 licence, https://creativecommons.org/licenses/by-sa/4.0/",
        "# (revisions saved before mid-2023 also under CC BY-SA 3.0 and the GFDL; see the corpus",
        "# ATTRIBUTION.txt). Authors: the contributors listed in each page's history at the URL",
        "# below. The <siteinfo> block is the enwiki sample's, copied verbatim.",
        "#",
        "# One line per source page: wiki, original title, URL.",
    ]
    lines.extend(f"{s.dbname}\t{s.title}\t{s.url}\tCC BY-SA 4.0" for s in sources)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def verify(dump_path: Path, expected_pages: int) -> int:
    """Read the dump back with wikipact: every page, in order, with the ids written."""
    count = 0
    for page in open_dump(dump_path).pages():
        count += 1
        if page.identifier != count:
            sys.exit(f"read back page id {page.identifier}, expected {count}")
    if count != expected_pages:
        sys.exit(f"read back {count} pages, wrote {expected_pages}")
    return count


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def default_name(size_mb: int) -> str:
    return f"wikipact-bench{size_mb}mb-pages-articles"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--size-mb",
        type=int,
        default=200,
        help="uncompressed XML to reach, in MB of 10^6 bytes (default 200)",
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})"
    )
    parser.add_argument(
        "--name",
        default=None,
        help="file name stem; writes NAME-multistream.xml.bz2 and NAME-multistream-index.txt.bz2 "
        "(default wikipact-bench<SIZE>mb-pages-articles)",
    )
    parser.add_argument(
        "--corpus", type=Path, default=DEFAULT_CORPUS, help=f"corpus folder ({DEFAULT_CORPUS})"
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=os.cpu_count() or 1,
        help="compression processes (default: all CPUs)",
    )
    args = parser.parse_args(argv)
    if args.size_mb <= 0:
        parser.error("--size-mb must be positive")

    started = time.perf_counter()
    name = args.name or default_name(args.size_mb)
    out_dir: Path = args.out
    out_dir.mkdir(parents=True, exist_ok=True)
    dump_path = out_dir / f"{name}-multistream.xml.bz2"
    index_path = out_dir / f"{name}-multistream-index.txt.bz2"
    meta_path = out_dir / f"{name}-multistream.bench.json"
    attribution_path = out_dir / f"{name}-ATTRIBUTION.txt"

    header, header_xml = header_stream(args.corpus)
    sources = load_sources(args.corpus)
    source_bytes = sum(s.size for s in sources)
    print(
        f"{len(sources):,} source pages ({source_bytes / MB:.1f} MB of page XML) from "
        f"{len({s.dbname for s in sources})} wikis in {args.corpus}"
    )
    plan = plan_pages(sources, args.size_mb * MB, header_xml + len(FOOTER))
    print(f"writing {len(plan.titles):,} pages ({plan.rounds} rounds) to {dump_path}")

    tmp_dump = dump_path.with_name(dump_path.name + ".tmp")
    tmp_index = index_path.with_name(index_path.name + ".tmp")
    written = write_dump(tmp_dump, header, sources, plan, max(1, args.jobs))
    xml_total = written.xml_bytes + header_xml
    if xml_total != plan.xml_bytes:
        sys.exit(f"internal error: planned {plan.xml_bytes} XML bytes, wrote {xml_total}")
    tmp_index.write_bytes(bz2.compress("".join(written.index_lines).encode("utf-8"), 9))
    os.replace(tmp_dump, dump_path)
    os.replace(tmp_index, index_path)
    built = time.perf_counter() - started
    print(
        f"wrote {written.pages:,} pages in {written.streams:,} page streams: "
        f"{xml_total / MB:.1f} MB XML, {written.compressed_bytes / MB:.1f} MB bzip2 "
        f"in {built:.1f} s"
    )

    write_attribution(attribution_path, dump_path.name, sources, args.corpus)
    print(f"verifying with open_dump(...).pages() ({written.pages:,} pages expected) ...")
    check_started = time.perf_counter()
    read_back = verify(dump_path, written.pages)
    print(f"read back {read_back:,} pages == {written.pages:,} written: OK")
    meta = {
        "dump": dump_path.name,
        "index": index_path.name,
        "attribution": attribution_path.name,
        "pages": written.pages,
        "page_streams": written.streams,
        "pages_per_stream": PAGES_PER_STREAM,
        "xml_bytes": xml_total,
        "compressed_bytes": written.compressed_bytes,
        "index_compressed_bytes": index_path.stat().st_size,
        "sha256": sha256_of(dump_path),
        "rounds": plan.rounds,
        "source_pages": len(sources),
        "source_wikis": sorted({s.dbname for s in sources}),
        "size_mb_requested": args.size_mb,
        "build_seconds": round(built, 2),
        "verify_seconds": round(time.perf_counter() - check_started, 2),
        "verified_pages": read_back,
    }
    meta_path.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    print(f"metadata: {meta_path}\nattribution: {attribution_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
