"""Names Wikimedia Enterprise's metadata carries that a dump does not: a project's code (its
family: ``wiki``, ``wiktionary`` ...), the family's name, a language's English name, a
namespace's Enterprise name.

Pure data and string functions; no I/O.
"""

from __future__ import annotations

import langcodes

from wikipact.model.project import FAMILIES, SPECIAL_HOSTS, split_dbname

# Enterprise's project codes (GET /v2/codes): the family suffix of a database name.
CODES: dict[str, tuple[str, str]] = {
    # code: (name, description)
    "wiki": ("Wikipedia", "The free encyclopedia."),
    "wiktionary": ("Wiktionary", "The free dictionary."),
    "wikibooks": ("Wikibooks", "Free textbooks and manuals."),
    "wikinews": ("Wikinews", "The free news source."),
    "wikiquote": ("Wikiquote", "The free quote compendium."),
    "wikisource": ("Wikisource", "The free library."),
    "wikiversity": ("Wikiversity", "Free learning resources."),
    "wikivoyage": ("Wikivoyage", "The free travel guide."),
    "commons": ("Wikimedia Commons", "Free media repository."),
    "wikidata": ("Wikidata", "The free knowledge base."),
    "other": ("Other Wikimedia projects", "Meta-Wiki, Wikispecies, MediaWiki.org and others."),
}

# Wikimedia language codes that are not BCP 47 tags (or whose tag names another language);
# names as the wikis themselves give them in English.
_WIKI_LANGUAGES: dict[str, str] = {
    "simple": "Simple English",
    "als": "Alemannic",
    "bat-smg": "Samogitian",
    "be-tarask": "Belarusian (Taraškievica)",
    "be-x-old": "Belarusian (Taraškievica)",
    "cbk-zam": "Chavacano",
    "fiu-vro": "Võro",
    "map-bms": "Banyumasan",
    "nds-nl": "Dutch Low Saxon",
    "roa-rup": "Aromanian",
    "roa-tara": "Tarantino",
    "zh-classical": "Classical Chinese",
    "zh-min-nan": "Min Nan Chinese",
    "zh-yue": "Cantonese",
}

# Enterprise's names for the namespaces its snapshots cover; others use the canonical name.
_NAMESPACES: dict[int, str] = {0: "Articles", 6: "File", 10: "Template", 14: "Category"}


def project_code(dbname: str) -> str:
    """``enwiki`` -> ``wiki``; ``enwiktionary`` -> ``wiktionary``; ``commonswiki`` -> ``commons``."""
    special = {"commonswiki": "commons", "wikidatawiki": "wikidata"}
    if dbname in special:
        return special[dbname]
    if dbname in SPECIAL_HOSTS:
        return "other"
    for family in sorted(FAMILIES, key=len, reverse=True):
        if dbname.endswith(family) and split_dbname(dbname) is not None:
            return family
    return "other"


def code_of(identifier: str) -> dict[str, str] | None:
    """The ``/v2/codes/{identifier}`` record, or None for an unknown code."""
    if identifier not in CODES:
        return None
    name, description = CODES[identifier]
    return {"identifier": identifier, "name": name, "description": description}


def language_name(code: str) -> str | None:
    """The English name of a Wikimedia language code (``mr`` -> ``Marathi``), or None."""
    if code in _WIKI_LANGUAGES:
        return _WIKI_LANGUAGES[code]
    try:
        name = langcodes.Language.get(code).display_name()
    except (ValueError, LookupError):
        return None
    return None if name.lower().startswith("unknown") else name


def language_autonym(code: str) -> str | None:
    """A language's name for itself (``mr`` -> ``मराठी``), or None when not known."""
    if code in _WIKI_LANGUAGES:
        return None
    try:
        name = langcodes.Language.get(code).autonym()
    except (ValueError, LookupError):
        return None
    return None if name.lower().startswith("unknown") else name


# What the namespaces Enterprise delivers hold (GET /v2/namespaces).
NAMESPACE_DESCRIPTIONS: dict[int, str] = {
    0: "The main namespace: the articles themselves.",
    6: "Pages describing media files (images, audio, video) and their licences.",
    10: "Templates: pages transcluded into other pages.",
    14: "Categories: pages that group other pages by topic.",
}


def namespace_name(identifier: int, canonical: str | None) -> str:
    """Enterprise's name for a namespace: ``Articles`` for 0, else its canonical name."""
    return _NAMESPACES.get(identifier) or canonical or str(identifier)
