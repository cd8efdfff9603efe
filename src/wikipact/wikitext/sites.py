"""Each Wikipedia's own names for what the parser looks for, from MediaWiki's data.

``sitedata/wikipedia.json.gz`` holds, for every Wikipedia (346, by database name), the names and
aliases of its namespaces, its image options (``nhỏ``, ``trái``, ``$1px``, ``thế=$1`` on
viwiki), redirect words (``#đổi``), behaviour switches (``__KHÔNG_MỤC_LỤC__``), the names of
its parser functions and variables (``{{#nếu:}}``, ``{{TÊN_TRANG}}``) and case rules.
``scripts/make_site_tables.py`` generates it from the siteinfo API answers of every Wikipedia
that DBpedia's extraction framework keeps (``dbpedia/extraction-framework`` at commit
e3dfe8bb8dbc3e2e58d9abc188e00e5f9dd0d928, files of 2024-06-18; the names are MediaWiki's and
its translators'); ``sitedata/README.md`` says more. The shared corpus carries the input
(``siteinfo/wikipedia-siteinfo.jsonl``); the package carries only the generated file.

:func:`tables_for` gives one wiki's :class:`SiteTables`, worked out once per process: the data
is read the first time a wiki is asked for. A wiki the data does not know (another project,
a new wiki) gets its language's Wikipedia's tables (``viwiktionary`` → ``viwiki``), else
English Wikipedia's, which hold MediaWiki's canonical names.
"""

from __future__ import annotations

import gzip
import re
from functools import lru_cache
from importlib import resources
from typing import Any

import msgspec

from wikipact.model.project import language_of

__all__ = ["DATA_FILE", "SiteTables", "known_wikis", "load", "tables_for", "wiki_data"]

DATA_FILE = "sitedata/wikipedia.json.gz"
DEFAULT_WIKI = "enwiki"
# what wikitext.inline removes anyway as a behaviour switch (kept in step with its _MAGIC)
_GENERIC_SWITCH = re.compile(r"__[^\W_](?:[^\s_]|_(?!_))*__", re.U)
# the value of an image option written "$1px", "右上$1": a number, a size
_NUMBER = r"\s*(?:\d+(?:[.,]\d+)?(?:\s*[x×]\s*\d+)?|[x×]\s*\d+)\s*"
# image options every wiki knows, whatever its tables say: MediaWiki's English names
_ALT_PREFIXES = ("alt=", "альт=")


@lru_cache(maxsize=1)
def load() -> dict[str, Any]:
    """The packaged data as stored: ``source``, ``common`` (the names all wikis share) and
    ``wikis`` (each wiki's own names); :func:`wiki_data` gives one wiki's whole tables."""
    raw = gzip.decompress(resources.files("wikipact.wikitext").joinpath(DATA_FILE).read_bytes())
    top = msgspec.json.decode(raw, type=dict[str, msgspec.Raw])
    data: dict[str, Any] = {
        key: msgspec.json.decode(value) for key, value in top.items() if key != "wikis"
    }
    # each wiki's tables stay undecoded JSON until that wiki is met: ~48,000 lists and dicts
    # held for the life of a process would only give the garbage collector more to walk
    data["wikis"] = msgspec.json.decode(top["wikis"], type=dict[str, msgspec.Raw])
    return data


def wiki_data(dbname: str) -> dict[str, Any]:
    """The tables of the wiki ``dbname`` (exactly; KeyError when the data has none), with the
    names all wikis share put back."""
    data = load()
    return _expand(msgspec.json.decode(data["wikis"][dbname]), data["common"])


def _expand(tables: dict[str, Any], common: dict[str, Any]) -> dict[str, Any]:
    """A wiki's tables as ``scripts/make_site_tables.py`` found them, before it compacted
    them; every wiki gets the names all wikis share (MediaWiki's English ones), also those of
    the few extensions its own data lacks (valid there too, or never met)."""
    out = dict(tables)
    out["image"] = {
        kind: sorted(set(common["image"][kind]) | set(tables["image"].get(kind, ())))
        for kind in common["image"]
    }
    out["redirect"] = list(tables["redirect"]) + [
        name for name in common["redirect"] if name not in tables["redirect"]
    ]
    for kind in ("switches", "functions"):
        merged: dict[str, list[str]] = {}
        for name in sorted(set(common[kind]) | set(tables[kind])):
            own = list(tables[kind].get(name, ()))
            merged[name] = own + [n for n in common[kind].get(name, ()) if n not in own]
        out[kind] = merged
    out.setdefault("case_sensitive", common["case_sensitive"])
    out.setdefault("namespace_case", {})
    return out


def known_wikis() -> frozenset[str]:
    """Database names the data has tables for."""
    return frozenset(load()["wikis"])


class SiteTables:
    """One wiki's names, and what the parser derives from them (computed once per wiki).

    Name sets are case-folded, with spaces for underscores (as prefixes are compared)."""

    def __init__(self, dbname: str, tables: dict[str, Any]) -> None:
        self.dbname = dbname  # the wiki whose tables these are (may differ from the one asked)
        self.case: str = tables["case"]
        self.namespaces: dict[int, tuple[str, ...]] = {
            int(key): tuple(names) for key, names in tables["namespaces"].items()
        }
        self.namespace_case: dict[int, str] = {
            int(key): case for key, case in tables["namespace_case"].items()
        }
        image = tables["image"]
        self.image_words: frozenset[str] = frozenset(image["words"])
        self.image_patterns: tuple[str, ...] = tuple(image["patterns"])
        self.alt_patterns: tuple[str, ...] = tuple(image["alt"])
        self.redirect: tuple[str, ...] = tuple(tables["redirect"])
        self.switches: dict[str, tuple[str, ...]] = {
            name: tuple(names) for name, names in tables["switches"].items()
        }
        self.functions: dict[str, tuple[str, ...]] = {
            name: tuple(names) for name, names in tables["functions"].items()
        }
        self.case_sensitive: frozenset[str] = frozenset(tables["case_sensitive"])
        # derived
        self.namespace_names: frozenset[str] = frozenset(
            key_of(name) for names in self.namespaces.values() for name in names
        )
        self.image_option: re.Pattern[str] = _option_regex(self.image_words, self.image_patterns)
        self.alt_prefixes: tuple[str, ...] = _alt_prefixes(self.alt_patterns)
        self.redirect_words: frozenset[str] = frozenset(w.casefold() for w in self.redirect)
        self.disambiguation: tuple[str, ...] = tuple(
            dict.fromkeys((*self.switches.get("disambiguation", ()), "__DISAMBIG__"))
        )
        self.extra_switches: re.Pattern[str] | None = self._extra_switches()
        self.function_names: dict[str, str] = self._function_names()

    def names(self, *keys: int) -> frozenset[str]:
        """The case-folded names and aliases of the namespaces ``keys``."""
        return frozenset(key_of(name) for key in keys for name in self.namespaces.get(key, ()))

    def _extra_switches(self) -> re.Pattern[str] | None:
        """The wiki's behaviour switches that the generic ``__WORD__`` pattern misses
        (``＿＿目次＿＿``, ``__NOCC___``), or None (most wikis)."""
        alternatives = []
        for name, aliases in sorted(self.switches.items()):
            for alias in aliases:
                alias = alias.strip().strip("\u200c\u200b")
                if _GENERIC_SWITCH.fullmatch(alias) or not (
                    alias.startswith(("__", "＿＿")) or alias.endswith(("__", "＿＿"))
                ):
                    continue
                if name in self.case_sensitive:
                    alternatives.append(re.escape(alias))
                else:
                    alternatives.append(f"(?i:{re.escape(alias)})")
        if not alternatives:
            return None
        alternatives.sort(key=len, reverse=True)
        return re.compile("|".join(alternatives))

    def _function_names(self) -> dict[str, str]:
        """Localised parser function and variable names → MediaWiki's (case-folded, without
        the colon): ``nếu`` → ``if``, ``#nếu`` → ``#if``, ``klein`` → ``lc``. Names that
        are MediaWiki's own are left out (they map to themselves)."""
        ids = {name.casefold() for name in self.functions}
        mapping: dict[str, str] = {}
        for name in sorted(self.functions):
            target = name.casefold()
            for alias in self.functions[name]:
                key = alias.strip().rstrip(":：").strip().casefold()
                if not key or key == target or key in ids:
                    continue
                if key.startswith(("#", "＃")):
                    mapping.setdefault("#" + key[1:], "#" + target)
                else:
                    mapping.setdefault(key, target)
                    mapping.setdefault("#" + key, "#" + target)
        return mapping


def key_of(name: str) -> str:
    """A namespace name as prefixes are compared: case-folded, one space for ``_`` and runs."""
    return " ".join(name.replace("_", " ").split()).casefold()


def _option_regex(words: frozenset[str], patterns: tuple[str, ...]) -> re.Pattern[str]:
    """One expression for every image option of a wiki: its words and its ``$1`` patterns
    (``$1px``, ``upright=$1``, ``đứng_$1``, ``右上$1``). A value glued to a word, or before a
    suffix, is a number (as MediaWiki validates sizes), not any text: a caption that starts
    with the word stays a caption."""
    alternatives = [re.escape(word) for word in words]
    for pattern in patterns:
        before, _, after = pattern.partition("$1")
        if after:
            value = _NUMBER
        elif before.endswith(("=", "＝")):
            before, value = before[:-1].rstrip(), r"\s*[=＝].*"
        elif before.endswith((" ", "_")):
            value = ".+"
        else:
            value = _NUMBER
        alternatives.append(re.escape(before) + value + re.escape(after))
    alternatives.sort(key=len, reverse=True)
    return re.compile("(?:" + "|".join(alternatives) + r")\Z", re.S)


def _alt_prefixes(patterns: tuple[str, ...]) -> tuple[str, ...]:
    """``thế=$1`` → ``thế=`` (case-folded), with the English ones."""
    prefixes = dict.fromkeys(_ALT_PREFIXES)
    for pattern in patterns:
        before, dollar, after = pattern.partition("$1")
        if dollar and not after and before.strip():
            prefixes.setdefault(before.casefold(), None)
    return tuple(prefixes)


@lru_cache(maxsize=128)
def tables_for(dbname: str, language: str | None = None) -> SiteTables:
    """The tables of the wiki ``dbname`` (``viwiki``); for a wiki the data does not know, its
    language's Wikipedia's (``language`` or the code ``dbname`` starts with), else English
    Wikipedia's."""
    wikis = load()["wikis"]
    for candidate in _candidates(dbname, language):
        if candidate in wikis:
            return SiteTables(candidate, wiki_data(candidate))
    return SiteTables(DEFAULT_WIKI, wiki_data(DEFAULT_WIKI))


def _candidates(dbname: str, language: str | None) -> list[str]:
    names = [dbname, dbname.replace("_", "-")]
    code = language_of(dbname)  # viwiktionary -> vi
    if code:
        names.append(f"{code}wiki")
    if language and language != "und":
        names.append(f"{language.replace('_', '-')}wiki")
        names.append(f"{language.split('-')[0]}wiki")
    return names
