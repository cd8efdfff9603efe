"""Generate the parser's per-wiki site tables from MediaWiki's own siteinfo data.

Reads the shared corpus' ``siteinfo/wikipedia-siteinfo.jsonl`` (one line per Wikipedia: its
namespaces, namespace aliases and magic words, as the MediaWiki siteinfo API answers them) and
writes ``src/wikipact/wikitext/sitedata/wikipedia.json.gz``: per wiki only what the parser
uses (namespace names and aliases, image options, redirect words, behaviour switches, parser
function and variable names, case rules), plus ``README.md`` beside it (source, licence).

The output is deterministic (sorted keys, gzip without a name or time stamp): running it again
on the same input gives the same bytes. Usage::

    .venv/bin/python scripts/make_site_tables.py [path/to/wikipedia-siteinfo.jsonl]
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_INPUT = Path("..") / "shared" / "corpus" / "siteinfo" / "wikipedia-siteinfo.jsonl"
OUTPUT = ROOT / "src" / "wikipact" / "wikitext" / "sitedata" / "wikipedia.json.gz"
README = OUTPUT.parent / "README.md"
FORMAT = 1
SOURCE = {
    "data": "../shared/corpus/siteinfo/wikipedia-siteinfo.jsonl",
    "origin": (
        "MediaWiki siteinfo API answers (namespaces, namespacealiases, magicwords) kept by "
        "DBpedia's extraction framework in core/src/main/settings/<db>-configuration.xml"
    ),
    "repository": "https://github.com/dbpedia/extraction-framework",
    "commit": "e3dfe8bb8dbc3e2e58d9abc188e00e5f9dd0d928",
    "updated": "2024-06-18",
}

_BEHAVIOUR_SWITCH = re.compile(r"^[_＿]{2}.+[_＿]{2}$")
# magic words that are option values or suffixes of other magic words, not functions of their own
_NOT_FUNCTIONS = re.compile(
    r"^(?:!|=|default|rawsuffix|nocommafysuffix|url_\w+|pagesincategory_\w+|\w+_noerror"
    r"|\w+_noreplace|.*/.*)$"
)


def _unique(names: list[str]) -> list[str]:
    """Names in order, each once, empty ones left out."""
    seen: dict[str, None] = {}
    for name in names:
        name = name.strip()
        if name:
            seen.setdefault(name, None)
    return list(seen)


def switch_ids(rows: list[dict[str, Any]]) -> frozenset[str]:
    """Magic words that are behaviour switches (``__NOTOC__``): written ``__X__`` on most wikis
    (a few wikis' translations give a variable such a form, or a switch another one)."""
    votes: dict[str, int] = {}
    for row in rows:
        for name, word in row["magicwords"].items():
            if any(_BEHAVIOUR_SWITCH.match(alias.strip()) for alias in word["aliases"]):
                votes[name] = votes.get(name, 0) + 1
    counts: dict[str, int] = {}
    for row in rows:
        for name in row["magicwords"]:
            counts[name] = counts.get(name, 0) + 1
    return frozenset(name for name, n in votes.items() if 2 * n > counts[name])


def wiki_tables(row: dict[str, Any], switches: frozenset[str]) -> dict[str, Any]:
    """The parser's tables of one wiki."""
    namespaces: dict[str, list[str]] = {}
    aliases = row.get("namespace_aliases") or {}
    main_case = (row["namespaces"].get("0") or {}).get("case") or "first-letter"
    namespace_case: dict[str, str] = {}
    for key, namespace in row["namespaces"].items():
        if key == "0":
            continue
        names = _unique(
            [namespace.get("name") or "", namespace.get("canonical") or "", *aliases.get(key, [])]
        )
        if names:
            namespaces[key] = names
        if (namespace.get("case") or main_case) != main_case:
            namespace_case[key] = namespace["case"]
    for key, extra in aliases.items():  # aliases of a namespace the list leaves out
        if key not in namespaces and key != "0":
            namespaces[key] = _unique(extra)
    words: list[str] = []
    patterns: list[str] = []
    alt: list[str] = []
    functions: dict[str, list[str]] = {}
    behaviour: dict[str, list[str]] = {}
    redirect: list[str] = []
    case_sensitive: list[str] = []
    for name, word in row["magicwords"].items():
        names = _unique(word["aliases"])
        if not names:
            continue
        if word.get("case_sensitive"):
            case_sensitive.append(name)
        if name.startswith(("img_", "timedmedia_")):
            for alias in names:
                if name == "img_alt" and alias.endswith("$1"):
                    alt.append(alias)
                elif "$1" in alias:
                    patterns.append(alias)
                else:
                    words.append(alias)
        elif name == "redirect":
            redirect = names
        elif name in switches:
            behaviour[name] = names
        elif not _NOT_FUNCTIONS.match(name):
            functions[name] = names
    tables: dict[str, Any] = {
        "case": main_case,
        "namespaces": namespaces,
        "image": {
            "alt": sorted(set(alt)),
            "patterns": sorted(set(patterns)),
            "words": sorted(set(words)),
        },
        "redirect": redirect,
        "switches": behaviour,
        "functions": functions,
        "case_sensitive": sorted(case_sensitive),
    }
    if namespace_case:
        tables["namespace_case"] = namespace_case
    return tables


COMMON = "enwiki"  # the names every wiki shares (MediaWiki's English ones) are kept once


def build(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Every wiki's tables; the magic words' English names, which nearly every wiki shares, are
    given once (``common``: enwiki's) and left out of each wiki's lists (``expand`` in
    ``wikipact.wikitext.sites`` puts them back)."""
    switches = switch_ids(rows)
    wikis = {row["dbname"]: wiki_tables(row, switches) for row in rows}
    common = {key: wikis[COMMON][key] for key in ("image", "switches", "functions", "redirect")}
    common["case_sensitive"] = wikis[COMMON]["case_sensitive"]
    return {
        "format": FORMAT,
        "source": SOURCE,
        "common": common,
        "wikis": {dbname: compact(tables, common) for dbname, tables in wikis.items()},
    }


def compact(tables: dict[str, Any], common: dict[str, Any]) -> dict[str, Any]:
    """A wiki's tables without what ``common`` gives."""
    out = dict(tables)
    out["image"] = {
        kind: [n for n in names if n not in common["image"][kind]]
        for kind, names in tables["image"].items()
    }
    out["redirect"] = [n for n in tables["redirect"] if n not in common["redirect"]]
    for kind in ("switches", "functions"):
        out[kind] = {
            name: extra
            for name, names in tables[kind].items()
            if (extra := [n for n in names if n not in common[kind].get(name, ())])
            or name not in common[kind]
        }
    if tables["case_sensitive"] == common["case_sensitive"]:
        del out["case_sensitive"]
    return out


def encode(tables: dict[str, Any]) -> bytes:
    """Compact JSON, sorted keys, gzip with no file name and time stamp 0: the same bytes for
    the same tables on every machine."""
    text = json.dumps(tables, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, compresslevel=9, mtime=0) as out:
        out.write(text.encode("utf-8"))
    return buffer.getvalue()


def read_rows(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines if line.strip()]
    return sorted(rows, key=lambda row: row["dbname"])


README_TEXT = """\
# Site tables of every Wikipedia

`wikipedia.json.gz` holds, for each of {count} Wikipedias (by database name, `viwiki`), what the
wikitext parser needs to know of the wiki: the names and aliases of its namespaces, the
localised image options (`nhỏ`, `trái`, `$1px`, `thế=$1` ...), redirect words, behaviour
switches (`__KHÔNG_MỤC_LỤC__`), the names of parser functions and variables, and case rules.
`wikipact.wikitext.sites` reads it.

Generated by `scripts/make_site_tables.py` from `{data}` (the shared corpus) — do not edit it by
hand; regenerate it instead (the output is byte-for-byte reproducible).

Source: {origin}, {repository} at commit `{commit}` (files last updated {updated}). The
extraction framework is a GPL-2.0 project; the names themselves are MediaWiki's and its
translators' (MediaWiki core and extensions' message files, GPL-2.0-or-later, translations by
translatewiki.net contributors). Only these names (facts about each wiki's configuration) are
kept here, not any code.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "siteinfo",
        nargs="?",
        type=Path,
        default=ROOT / DEFAULT_INPUT,
        help="the siteinfo JSON lines (default: ../shared/corpus/siteinfo/wikipedia-siteinfo.jsonl)",
    )
    args = parser.parse_args(argv)
    if not args.siteinfo.exists():
        sys.stderr.write(f"no siteinfo data at {args.siteinfo}\n")
        return 1
    rows = read_rows(args.siteinfo)
    data = encode(build(rows))
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_bytes(data)
    README.write_text(README_TEXT.format(count=len(rows), **SOURCE), encoding="utf-8")
    sys.stdout.write(f"{OUTPUT.relative_to(ROOT)}: {len(rows)} wikis, {len(data):,} bytes\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
