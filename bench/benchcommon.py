"""Standard-library helpers shared by the peer and quality benchmark scripts.

Nothing here imports wikipact or a peer library, so every script that uses it runs under either
virtualenv (the project's ``.venv`` or ``bench/.venv-peers``).
"""

from __future__ import annotations

import bz2
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
DATA = BENCH / "data"
RESULTS = BENCH / "results"
CORPUS = REPO.parent / "shared" / "corpus"
MB = 1_000_000

# Languages written with no spaces between words: F1 and list/table matching use characters.
CHAR_LANGS = frozenset({"ja", "zh", "zh-yue", "zh-classical", "wuu", "th", "lo", "km", "my"})


def open_binary(path: str | Path) -> IO[bytes]:
    """The dump as bytes: ``.bz2`` through Python's bz2 module, anything else as is."""
    path = Path(path)
    if path.name.endswith(".bz2"):
        return bz2.open(path, "rb")
    return open(path, "rb")


@dataclass
class SiteMeta:
    """What the scripts need from <siteinfo>: the wiki and its namespace names."""

    dbname: str = ""
    namespaces: dict[int, str] = field(default_factory=dict)

    @property
    def language(self) -> str:
        return language_of(self.dbname)


def language_of(dbname: str) -> str:
    for suffix in ("wiktionary", "wikiversity", "wikivoyage", "wikiquote", "wiki"):
        if dbname.endswith(suffix):
            return dbname[: -len(suffix)].replace("_", "-") or "en"
    return "en"


_DBNAME = re.compile(rb"<dbname>([^<]*)</dbname>")
_NAMESPACE = re.compile(rb'<namespace key="(-?\d+)"[^>/]*>([^<]*)</namespace>')


def read_siteinfo(path: str | Path, limit: int = 1 << 20) -> SiteMeta:
    """dbname and namespace names from the first ``limit`` bytes of the dump."""
    with open_binary(path) as fh:
        head = fh.read(limit)
    end = head.find(b"</siteinfo>")
    if end >= 0:
        head = head[:end]
    meta = SiteMeta()
    match = _DBNAME.search(head)
    if match:
        meta.dbname = match.group(1).decode("utf-8")
    for key, name in _NAMESPACE.findall(head):
        meta.namespaces[int(key)] = name.decode("utf-8")
    return meta


@dataclass
class DumpPage:
    id: int
    title: str
    ns: int
    redirect: bool
    rev_id: int
    text: str


def iter_pages(path: str | Path) -> Iterator[DumpPage]:
    """Every <page> of an export XML dump (stdlib ElementTree), with its last revision's text."""
    with open_binary(path) as fh:
        for _event, elem in ET.iterparse(fh, events=("end",)):
            if not elem.tag.endswith("page"):
                continue
            ns_uri = elem.tag[:-4]
            revisions = elem.findall(f"{ns_uri}revision")
            revision = revisions[-1] if revisions else None
            text = revision.findtext(f"{ns_uri}text") if revision is not None else None
            rev_id = revision.findtext(f"{ns_uri}id") if revision is not None else None
            yield DumpPage(
                id=int(elem.findtext(f"{ns_uri}id") or 0),
                title=elem.findtext(f"{ns_uri}title") or "",
                ns=int(elem.findtext(f"{ns_uri}ns") or 0),
                redirect=elem.find(f"{ns_uri}redirect") is not None,
                rev_id=int(rev_id or 0),
                text=text or "",
            )
            elem.clear()


def articles(path: str | Path) -> list[DumpPage]:
    """Namespace-0 pages that are not redirects: what every tool is expected to emit."""
    return [p for p in iter_pages(path) if p.ns == 0 and not p.redirect]


_WORD = re.compile(r"\w+")
_CHAR = re.compile(r"\w")


def tokens(text: str, lang: str = "en") -> list[str]:
    """Lower-cased Unicode word tokens; single word characters for languages without spaces."""
    if lang in CHAR_LANGS:
        return _CHAR.findall(text.lower())
    return _WORD.findall(text.lower())


def read_jsonl(path: str | Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def write_json(path: str | Path, data: object) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def load_stats(dump: str | Path) -> dict[str, Any]:
    """The sidecar ``<dump>.stats.json`` written by make_quality_dump.py."""
    path = stats_path(dump)
    return json.loads(path.read_text(encoding="utf-8"))


def stats_path(dump: str | Path) -> Path:
    dump = Path(dump)
    name = dump.name
    for suffix in (".xml.bz2", ".bz2", ".xml"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    name = name.removesuffix("-multistream")
    return dump.with_name(f"{name}.stats.json")
