"""Build the dumps of the peer/quality benchmark from the shared developer corpus.

Writes, in ``bench/data/`` (``--out`` to change), each with a ``<name>.stats.json`` sidecar
(pages, articles, wikitext and XML bytes, sources, duplicates dropped):

* ``quality-dev.xml``: export-0.10 XML with the enwiki <siteinfo> of the assembled sample and one
  copy of every English Wikipedia (enwiki) page of the corpus: every page that
  ``wikipact.open_dump`` reads from the corpus XML dumps of enwiki (``original/`` and
  ``assembled/``; the wiki of a file comes from ``inventory.jsonl``, not from its <siteinfo>,
  because DBpedia wraps every language in an enwiki <siteinfo>), the wikitext of the Wikimedia
  Enterprise JSON articles (``article_body.wikitext``, real page id, revision id and title), and
  the loose English ``.txt`` files of ``spencermountain+wtf_wikipedia/tests/cache`` (title from the
  inventory, the synthetic page/revision id of the assembled dump's manifest). Duplicates are
  dropped by page id (the newest revision wins), then by title (real metadata beats synthetic,
  then the newest revision).
* ``quality-<lang>.xml`` for de, fr, ja, uk, el, mr, es, it, pt, ru, nl, pl: the same recipe for
  ``<lang>wiki``, keeping only namespace-0 non-redirect pages, at most ``--max-per-wiki`` (300) by
  ascending page id, with that wiki's <siteinfo> from ``assembled/siteinfo/``.
* ``speed50.xml`` (and ``speed50.xml.bz2``, one bzip2 stream, and ``speed50-multistream.xml.bz2``
  with its index): at least ``--speed-mb`` (50) MB of export-0.11 XML made of the real pages of
  every assembled sample (all languages, all namespaces), repeated with distinct ids and titles,
  exactly as ``bench/make_multistream_dump.py`` plans and renders them (its functions are
  imported; the multistream file is written by calling its ``main``).

    .venv/bin/python bench/make_quality_dump.py              # everything missing
    .venv/bin/python bench/make_quality_dump.py --force --only dev,langs
"""

from __future__ import annotations

import argparse
import bz2
import json
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import make_multistream_dump as msd
from benchcommon import CORPUS, DATA, MB, iter_pages, stats_path
from wikipact.dumps import open_dump
from wikipact.errors import DumpError
from wikipact.model.raw import RawPage

LANGS = ("de", "fr", "ja", "uk", "el", "mr", "es", "it", "pt", "ru", "nl", "pl")
DUMP_SUFFIXES = (".xml", ".bz2", ".gz", ".xz", ".lzma", ".7z", ".zst")
ENTERPRISE_DIR = "original/wikimedia-enterprise+wikimedia-enterprise/api/main/dataset/articles"
WTF_CACHE = "original/spencermountain+wtf_wikipedia/tests/cache/"
SYNTHETIC_FROM = 900_000_001
EXPORT_010 = (
    '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.10/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:schemaLocation="http://www.mediawiki.org/xml/export-0.10/ '
    'http://www.mediawiki.org/xml/export-0.10.xsd" version="0.10" xml:lang="{lang}">\n'
)
_REDIRECT = re.compile(r"^\s*#\s*REDIRECT\s*:?\s*\[\[([^\]|#]+)", re.IGNORECASE)


@dataclass
class Candidate:
    """One copy of a page found in the corpus, reduced to what the quality dumps keep."""

    dbname: str
    title: str
    ns: int
    page_id: int
    rev_id: int
    timestamp: str
    text: str
    redirect: str | None
    synthetic: bool
    source: str
    parent_id: int | None = None
    model: str | None = "wikitext"
    format: str | None = "text/x-wiki"
    sha1: str | None = None
    contributor: tuple[str, str] | None = None  # ("username", name) / ("ip", ip) / None = deleted
    contributor_id: int | None = None
    comment: str | None = None

    def newer_than(self, other: Candidate) -> bool:
        return (self.timestamp, self.rev_id) > (other.timestamp, other.rev_id)


def load_inventory(corpus: Path) -> dict[str, dict[str, object]]:
    """file -> {dbname, titles} for every page-holding file in original/."""
    files: dict[str, dict[str, object]] = {}
    with open(corpus / "inventory.jsonl", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            entry = files.setdefault(row["file"], {"dbname": row["dbname"], "titles": []})
            entry["titles"].append(row["title"])  # type: ignore[union-attr]
    return files


def manifest_loose(corpus: Path) -> dict[str, dict[str, object]]:
    """path -> manifest entry for the loose wikitext files of the assembled dumps."""
    manifest = json.loads((corpus / "assembled" / "assemble-manifest.json").read_text("utf-8"))
    out: dict[str, dict[str, object]] = {}
    for output in manifest["outputs"]:
        for item in output["inputs"]:
            if item.get("kind") == "wikitext_file":
                out[item["path"]] = item
    return out


def dump_files(corpus: Path, inventory: dict[str, dict[str, object]], dbname: str) -> list[Path]:
    """Every XML dump of ``dbname`` in original/ (per the inventory) and assembled/."""
    found = [
        corpus / name
        for name, entry in sorted(inventory.items())
        if entry["dbname"] == dbname and name.endswith(DUMP_SUFFIXES)
    ]
    assembled = corpus / "assembled"
    found += sorted(assembled.glob(f"sample-{dbname}-pages-articles.xml"))
    found += sorted(assembled.glob(f"sample-{dbname}-pages-articles-multistream.xml.bz2"))
    return found


def from_raw(page: RawPage, dbname: str, source: str) -> Candidate:
    rev = page.latest
    contributor: tuple[str, str] | None = None
    contributor_id = None
    if rev.contributor is not None and not rev.contributor.deleted:
        if rev.contributor.ip is not None:
            contributor = ("ip", rev.contributor.ip)
        elif rev.contributor.name is not None:
            contributor = ("username", rev.contributor.name)
            contributor_id = rev.contributor.identifier
    return Candidate(
        dbname=dbname,
        title=page.title,
        ns=page.namespace,
        page_id=page.identifier,
        rev_id=rev.identifier,
        timestamp=rev.timestamp,
        text=rev.text,
        redirect=page.redirect_title,
        synthetic=page.identifier >= SYNTHETIC_FROM,
        source=source,
        parent_id=rev.parent_identifier,
        model=rev.model or "wikitext",
        format=rev.format or "text/x-wiki",
        sha1=rev.sha1,
        contributor=contributor,
        contributor_id=contributor_id,
        comment=rev.comment,
    )


def collect(corpus: Path, dbname: str) -> tuple[list[Candidate], dict[str, object]]:
    """Every copy of every page of ``dbname`` in the corpus, and a log of where they came from."""
    inventory = load_inventory(corpus)
    loose = manifest_loose(corpus)
    found: list[Candidate] = []
    log: dict[str, object] = {}
    for path in dump_files(corpus, inventory, dbname):
        rel = str(path.relative_to(corpus))
        errors: list[DumpError] = []
        count = 0
        try:
            dump = open_dump(path, project=dbname)
            for page in dump.pages(on_error="skip", errors=errors):
                found.append(from_raw(page, dbname, rel))
                count += 1
        except DumpError as exc:  # unreadable container etc.: note it and go on
            errors.append(exc)
        log[rel] = {"pages": count, "errors": [str(e)[:200] for e in errors]}
    enterprise = corpus / ENTERPRISE_DIR / dbname
    for path in sorted(enterprise.glob("*.json")):
        data = json.loads(path.read_text("utf-8"))
        text = (data.get("article_body") or {}).get("wikitext")
        if not text:
            continue
        found.append(
            Candidate(
                dbname=dbname,
                title=data["name"],
                ns=int((data.get("namespace") or {}).get("identifier", 0)),
                page_id=int(data["identifier"]),
                rev_id=int(data["version"]["identifier"]),
                timestamp=data.get("date_modified") or "",
                text=text,
                redirect=None,
                synthetic=False,
                source=str(path.relative_to(corpus)),
                comment=(data.get("version") or {}).get("comment"),
            )
        )
        log[str(path.relative_to(corpus))] = {"pages": 1, "errors": []}
    next_synthetic = 910_000_001
    for name, entry in sorted(inventory.items()):
        if entry["dbname"] != dbname or not name.startswith(WTF_CACHE) or not name.endswith(".txt"):
            continue
        text = (corpus / name).read_text("utf-8")
        titles = entry["titles"]
        item = loose.get(name)
        if item is not None:
            page_id = int(item["page_id"])  # type: ignore[arg-type]
            timestamp = str(item["timestamp"])
        else:
            page_id, next_synthetic = next_synthetic, next_synthetic + 1
            timestamp = "2000-01-01T00:00:00Z"
        redirect = _REDIRECT.match(text)
        found.append(
            Candidate(
                dbname=dbname,
                title=str(titles[0]),  # type: ignore[index]
                ns=0,
                page_id=page_id,
                rev_id=page_id,
                timestamp=timestamp,
                text=text,
                redirect=redirect.group(1).strip() if redirect else None,
                synthetic=True,
                source=name,
            )
        )
        log[name] = {"pages": 1, "errors": []}
    return found, log


def dedupe(found: list[Candidate]) -> tuple[list[Candidate], dict[str, int]]:
    """One copy per page id (newest revision), then one per title (real, then newest)."""
    by_id: dict[int, Candidate] = {}
    for cand in found:
        kept = by_id.get(cand.page_id)
        if kept is None or cand.newer_than(kept):
            by_id[cand.page_id] = cand
    by_title: dict[tuple[int, str], Candidate] = {}
    for cand in by_id.values():
        key = (cand.ns, cand.title)
        kept = by_title.get(key)
        if (
            kept is None
            or (kept.synthetic and not cand.synthetic)
            or (kept.synthetic == cand.synthetic and cand.newer_than(kept))
        ):
            by_title[key] = cand
    pages = sorted(by_title.values(), key=lambda c: c.page_id)
    dropped = {
        "copies_read": len(found),
        "dropped_same_id": len(found) - len(by_id),
        "dropped_same_title": len(by_id) - len(by_title),
    }
    return pages, dropped


def esc(text: str) -> str:
    return msd.xml_escape(text)


def page_xml(cand: Candidate) -> str:
    lines = [
        "  <page>",
        f"    <title>{esc(cand.title)}</title>",
        f"    <ns>{cand.ns}</ns>",
        f"    <id>{cand.page_id}</id>",
    ]
    if cand.redirect is not None:
        lines.append(f'    <redirect title="{esc(cand.redirect)}" />')
    lines += ["    <revision>", f"      <id>{cand.rev_id}</id>"]
    if cand.parent_id is not None:
        lines.append(f"      <parentid>{cand.parent_id}</parentid>")
    lines.append(f"      <timestamp>{esc(cand.timestamp)}</timestamp>")
    if cand.contributor is None:
        lines.append('      <contributor deleted="deleted" />')
    else:
        kind, name = cand.contributor
        lines += ["      <contributor>", f"        <{kind}>{esc(name)}</{kind}>"]
        if cand.contributor_id is not None:
            lines.append(f"        <id>{cand.contributor_id}</id>")
        lines.append("      </contributor>")
    if cand.comment:
        lines.append(f"      <comment>{esc(cand.comment)}</comment>")
    lines.append(f"      <model>{esc(cand.model or 'wikitext')}</model>")
    lines.append(f"      <format>{esc(cand.format or 'text/x-wiki')}</format>")
    size = len(cand.text.encode("utf-8"))
    lines.append(f'      <text xml:space="preserve" bytes="{size}">{esc(cand.text)}</text>')
    if cand.sha1:
        lines.append(f"      <sha1>{esc(cand.sha1)}</sha1>")
    lines += ["    </revision>", "  </page>"]
    return "\n".join(lines) + "\n"


def write_quality_dump(
    path: Path, corpus: Path, dbname: str, pages: list[Candidate], extra: dict[str, object]
) -> dict[str, object]:
    siteinfo = (corpus / "assembled" / "siteinfo" / f"{dbname}.xml").read_text("utf-8")
    lang = dbname.removesuffix("wiki")
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8", newline="\n") as out:
        out.write(EXPORT_010.format(lang=lang))
        out.write(siteinfo.rstrip("\n") + "\n")
        for cand in pages:
            out.write(page_xml(cand))
        out.write("</mediawiki>\n")
    tmp.replace(path)
    stats = dump_stats(path)
    stats.update(dbname=dbname, **extra)
    sources = Counter(c.source for c in pages)
    stats["sources"] = dict(sorted(sources.items()))
    stats_path(path).write_text(json.dumps(stats, indent=1, ensure_ascii=False) + "\n", "utf-8")
    return stats


def dump_stats(path: Path) -> dict[str, object]:
    """Counts and sizes read back from the written XML (which also checks it parses)."""
    pages = ns0 = redirects = other = arts = 0
    text_bytes = art_bytes = 0
    for page in iter_pages(path):
        size = len(page.text.encode("utf-8"))
        pages += 1
        text_bytes += size
        if page.ns != 0:
            other += 1
            continue
        ns0 += 1
        if page.redirect:
            redirects += 1
        else:
            arts += 1
            art_bytes += size
    return {
        "dump": path.name,
        "pages": pages,
        "ns0_pages": ns0,
        "redirects": redirects,
        "other_ns_pages": other,
        "articles": arts,
        "wikitext_bytes": text_bytes,
        "article_wikitext_bytes": art_bytes,
        "xml_bytes": path.stat().st_size,
    }


def build_dev(corpus: Path, out: Path) -> None:
    found, log = collect(corpus, "enwiki")
    pages, dropped = dedupe(found)
    stats = write_quality_dump(
        out / "quality-dev.xml", corpus, "enwiki", pages, {"dropped": dropped, "read": log}
    )
    print(
        f"quality-dev.xml: {stats['pages']} pages, {stats['articles']} articles, "
        f"{int(stats['article_wikitext_bytes']) / MB:.1f} MB article wikitext "  # type: ignore[call-overload]
        f"({dropped})"
    )


def build_lang(corpus: Path, out: Path, lang: str, limit: int) -> None:
    dbname = f"{lang}wiki"
    found, log = collect(corpus, dbname)
    pages, dropped = dedupe(found)
    arts = [c for c in pages if c.ns == 0 and c.redirect is None]
    kept = arts[:limit]
    stats = write_quality_dump(
        out / f"quality-{lang}.xml",
        corpus,
        dbname,
        kept,
        {"dropped": dropped, "articles_available": len(arts), "max_per_wiki": limit, "read": log},
    )
    print(
        f"quality-{lang}.xml: {stats['articles']} articles (of {len(arts)}), "
        f"{int(stats['article_wikitext_bytes']) / MB:.1f} MB wikitext"  # type: ignore[call-overload]
    )


def build_speed(corpus: Path, out: Path, size_mb: int) -> None:
    """speed<N>.xml (+ .bz2) with make_multistream_dump's pages, then its multistream twin."""
    assembled = corpus / "assembled"
    name = f"speed{size_mb}"
    header_raw, header_len = msd.header_stream(assembled)
    header = bz2.decompress(header_raw)
    assert len(header) == header_len
    sources = msd.load_sources(assembled)
    plan = msd.plan_pages(sources, size_mb * MB, header_len + len(msd.FOOTER))
    xml_path = out / f"{name}.xml"
    tmp = xml_path.with_name(xml_path.name + ".tmp")
    revs = iter(range(msd.FIRST_REVISION_ID, 1 << 62))
    with open(tmp, "wb") as fh:
        fh.write(header)
        for k, title in enumerate(plan.titles):
            fh.write(msd.render(sources[plan.sources[k]], title, k + 1, revs))
        fh.write(msd.FOOTER)
    tmp.replace(xml_path)
    print(f"{xml_path.name}: {len(plan.titles):,} pages, {xml_path.stat().st_size / MB:.1f} MB")
    bz2_path = out / f"{name}.xml.bz2"
    started = time.perf_counter()
    if shutil.which("bzip2"):
        with open(bz2_path, "wb") as fh:
            subprocess.run(["bzip2", "-9", "-c", str(xml_path)], stdout=fh, check=True)
    else:
        bz2_path.write_bytes(bz2.compress(xml_path.read_bytes(), 9))
    print(
        f"{bz2_path.name}: {bz2_path.stat().st_size / MB:.1f} MB ({time.perf_counter() - started:.0f} s)"
    )
    code = msd.main(["--size-mb", str(size_mb), "--name", name, "--out", str(out)])
    if code:
        sys.exit(code)
    stats = dump_stats(xml_path)
    meta = json.loads((out / f"{name}-multistream.bench.json").read_text("utf-8"))
    if meta["pages"] != stats["pages"] or meta["xml_bytes"] != stats["xml_bytes"]:
        sys.exit(f"multistream twin differs: {meta['pages']} pages, {meta['xml_bytes']} bytes")
    wikis = Counter(sources[i].dbname for i in plan.sources)
    stats.update(
        dbname="enwiki (siteinfo); pages of every assembled wiki",
        bz2_bytes=bz2_path.stat().st_size,
        multistream_bz2_bytes=meta["compressed_bytes"],
        rounds=plan.rounds,
        source_pages=len(sources),
        pages_by_wiki=dict(sorted(wikis.items())),
    )
    stats_path(xml_path).write_text(json.dumps(stats, indent=1) + "\n", "utf-8")
    print(
        f"{name}: {stats['articles']:,} articles, "
        f"{int(stats['article_wikitext_bytes']) / MB:.1f} MB article wikitext"  # type: ignore[call-overload]
    )


def build_dev_repeat(out: Path, copies: int) -> None:
    """dev50.xml: ``copies`` copies of quality-dev.xml's pages, fresh ids, ``(copy N)`` titles.

    The English-only cross-check dump of peer-baselines.md (``dev50``: 6 copies, ~47 MB of
    article wikitext), comparable with its numbers; speed50 is the multilingual headline.
    """
    source = out / "quality-dev.xml"
    head = source.read_text("utf-8")
    header = head[: head.index("  <page>")]
    pages = list(iter_pages(source))
    page_xml_re = re.compile(r"  <page>\n.*?\n  </page>\n", re.DOTALL)
    blocks = page_xml_re.findall(head)
    assert len(blocks) == len(pages)
    name = "dev50" if copies == 6 else f"dev-x{copies}"
    path = out / f"{name}.xml"
    tmp = path.with_name(path.name + ".tmp")
    new_id = 0
    with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(header)
        for copy in range(1, copies + 1):
            for page, block in zip(pages, blocks, strict=True):
                new_id += 1
                title = page.title if copy == 1 else f"{page.title} (copy {copy})"
                block = block.replace(
                    f"<title>{esc(page.title)}</title>", f"<title>{esc(title)}</title>", 1
                )
                block = block.replace(f"<id>{page.id}</id>", f"<id>{new_id}</id>", 1)
                block = block.replace(
                    f"<id>{page.rev_id}</id>", f"<id>{1_000_000_000 + new_id}</id>", 1
                )
                fh.write(block)
        fh.write("</mediawiki>\n")
    tmp.replace(path)
    stats = dump_stats(path)
    stats.update(dbname="enwiki", copies=copies, source_pages=len(pages), source=source.name)
    stats_path(path).write_text(json.dumps(stats, indent=1) + "\n", "utf-8")
    print(
        f"{path.name}: {stats['pages']:,} pages, {stats['articles']:,} articles, "
        f"{int(stats['article_wikitext_bytes']) / MB:.1f} MB article wikitext"  # type: ignore[call-overload]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--out", type=Path, default=DATA)
    parser.add_argument(
        "--only",
        default="dev,langs,speed,devrepeat",
        help="comma list of dev,langs,speed,devrepeat (default: all)",
    )
    parser.add_argument(
        "--dev-copies",
        type=int,
        default=6,
        help="copies of quality-dev in the English cross-check dump dev50.xml (dev-xN.xml for N != 6) (default 6)",
    )
    parser.add_argument("--langs", default=",".join(LANGS))
    parser.add_argument("--max-per-wiki", type=int, default=300)
    parser.add_argument("--speed-mb", type=int, default=50)
    parser.add_argument("--force", action="store_true", help="rebuild dumps that exist")
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    parts = set(args.only.split(","))
    if "dev" in parts and (args.force or not (out / "quality-dev.xml").exists()):
        build_dev(args.corpus, out)
    if "langs" in parts:
        for lang in args.langs.split(","):
            if args.force or not (out / f"quality-{lang}.xml").exists():
                build_lang(args.corpus, out, lang, args.max_per_wiki)
    speed = out / f"speed{args.speed_mb}.xml"
    if "speed" in parts and (args.force or not stats_path(speed).exists()):
        build_speed(args.corpus, out, args.speed_mb)
    dev_repeat = out / ("dev50.xml" if args.dev_copies == 6 else f"dev-x{args.dev_copies}.xml")
    if "devrepeat" in parts and (args.force or not stats_path(dev_repeat).exists()):
        build_dev_repeat(out, args.dev_copies)
    return 0


if __name__ == "__main__":
    sys.exit(main())
