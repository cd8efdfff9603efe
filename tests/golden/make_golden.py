"""Build the golden test set: one real article per corpus wiki, and its expected record.

    python tests/golden/make_golden.py --pick     # choose pages from ../shared/corpus (once)
    python tests/golden/make_golden.py --update   # rewrite the expected JSON after a change

``--pick`` writes ``tests/data/golden/<dbname>.xml`` (a MediaWiki export holding the wiki's
<siteinfo> and one article, text unchanged) for every wiki of the shared corpus: the smallest
article of at least 4 KB of wikitext that has references. ``--update`` parses each file and writes
``tests/golden/<dbname>.json``; review the diff before committing it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "golden"
GOLDEN = Path(__file__).resolve().parent
CORPUS = ROOT.parent / "shared" / "corpus"
EXPORT = "http://www.mediawiki.org/xml/export-0.11/"

# DBpedia minidumps carry an English <siteinfo> whatever the language: the folder names the wiki.
MINIDUMPS = {"bn": "bnwiki", "hy": "hywiki", "kn": "knwiki", "vi": "viwiki", "zh": "zhwiki"}


def _sources() -> list[tuple[Path, str | None]]:
    sources: list[tuple[Path, str | None]] = [
        (p, None) for p in sorted((CORPUS / "assembled").glob("sample-*-multistream.xml.bz2"))
    ]
    sources.append(
        (
            CORPUS / "original/pypi-gensim-4.4.0/gensim/test/test_data/"
            "bgwiki-latest-pages-articles-shortened.xml.bz2",
            None,
        )
    )
    base = CORPUS / "original/dbpedia+extraction-framework/dump/src/test/resources/minidumps"
    sources += [(base / lang / "wiki.xml.bz2", db) for lang, db in MINIDUMPS.items()]
    return sources


def pick() -> None:
    sys.path.insert(0, str(ROOT / "src"))
    from wikipact import open_dump

    DATA.mkdir(parents=True, exist_ok=True)
    for path, project in _sources():
        dump = open_dump(path, project=project)
        candidates = [
            p
            for p in dump.pages()
            if p.namespace == 0
            and p.redirect_title is None
            and len(p.latest.text) >= 4000
            and "<ref" in p.latest.text
        ]
        if not candidates:
            candidates = [p for p in dump.pages() if p.namespace == 0 and p.redirect_title is None]
        page = min(candidates, key=lambda p: len(p.latest.text))
        _write(dump.site, page, DATA / f"{dump.site.dbname}.xml")
        print(f"{dump.site.dbname}: {page.title} ({len(page.latest.text)} chars)")


def _write(site, page, target: Path) -> None:  # type: ignore[no-untyped-def]
    root = etree.Element(f"{{{EXPORT}}}mediawiki", nsmap={None: EXPORT}, version="0.11")
    root.set("{http://www.w3.org/XML/1998/namespace}lang", site.language)
    info = etree.SubElement(root, "siteinfo")
    for tag in ("sitename", "dbname", "base", "generator", "case"):
        value = getattr(site, tag, None)
        if value:
            etree.SubElement(info, tag).text = value
    namespaces = etree.SubElement(info, "namespaces")
    for ns in site.namespaces:
        node = etree.SubElement(
            namespaces, "namespace", key=str(ns.key), case=ns.case or "first-letter"
        )
        node.text = ns.name or None
    node = etree.SubElement(root, "page")
    etree.SubElement(node, "title").text = page.title
    etree.SubElement(node, "ns").text = str(page.namespace)
    etree.SubElement(node, "id").text = str(page.identifier)
    rev = page.latest
    revision = etree.SubElement(node, "revision")
    etree.SubElement(revision, "id").text = str(rev.identifier)
    etree.SubElement(revision, "timestamp").text = rev.timestamp
    if rev.contributor and rev.contributor.name:
        contributor = etree.SubElement(revision, "contributor")
        etree.SubElement(contributor, "username").text = rev.contributor.name
    etree.SubElement(revision, "model").text = "wikitext"
    etree.SubElement(revision, "format").text = "text/x-wiki"
    text = etree.SubElement(revision, "text", bytes=str(len(rev.text.encode())))
    text.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    text.text = rev.text
    etree.ElementTree(root).write(str(target), encoding="utf-8", xml_declaration=False)


def expected(path: Path) -> dict:  # type: ignore[type-arg]
    """The record of the golden file's article, without the wikitext it was parsed from."""
    from wikipact import open_dump
    from wikipact.model.codec import to_json
    from wikipact.wikitext import parse_article

    dump = open_dump(path)
    [page] = dump.pages()
    record = json.loads(to_json(parse_article(page, dump.site)))
    record["article_body"] = {"wikitext_sha256": record["provenance"]["content_sha256"]}
    return record


def update() -> None:
    sys.path.insert(0, str(ROOT / "src"))
    for path in sorted(DATA.glob("*.xml")):
        target = GOLDEN / f"{path.stem}.json"
        target.write_text(
            json.dumps(expected(path), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
        print(f"wrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pick", action="store_true")
    parser.add_argument("--update", action="store_true")
    args = parser.parse_args()
    if args.pick:
        pick()
    if args.update:
        update()
