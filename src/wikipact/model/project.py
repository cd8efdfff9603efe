"""What a wiki's database name says: its language, its host, and its article URLs.

Pure data and string functions; no I/O. Used when a dump's <siteinfo> is missing or incomplete.
"""

from __future__ import annotations

import re
from urllib.parse import quote

# Suffix of the database name -> second-level domain of the project family.
FAMILIES: dict[str, str] = {
    "wiktionary": "wiktionary.org",
    "wikibooks": "wikibooks.org",
    "wikinews": "wikinews.org",
    "wikiquote": "wikiquote.org",
    "wikisource": "wikisource.org",
    "wikiversity": "wikiversity.org",
    "wikivoyage": "wikivoyage.org",
    "wiki": "wikipedia.org",
}

# Wikis whose database name does not follow "<lang><family>".
SPECIAL_HOSTS: dict[str, tuple[str, str]] = {
    # dbname: (host, language)
    "commonswiki": ("commons.wikimedia.org", "en"),
    "metawiki": ("meta.wikimedia.org", "en"),
    "specieswiki": ("species.wikimedia.org", "en"),
    "wikidatawiki": ("www.wikidata.org", "en"),
    "mediawikiwiki": ("www.mediawiki.org", "en"),
    "sourceswiki": ("wikisource.org", "en"),
    "incubatorwiki": ("incubator.wikimedia.org", "en"),
    "foundationwiki": ("foundation.wikimedia.org", "en"),
}

# Languages written right to left (ISO 639 codes used as Wikimedia subdomains).
RTL_LANGUAGES = frozenset(
    [
        "ar",
        "arc",
        "arz",
        "azb",
        "bcc",
        "bqi",
        "ckb",
        "dv",
        "fa",
        "glk",
        "he",
        "khw",
        "ks",
        "lrc",
        "mzn",
        "nqo",
        "pnb",
        "ps",
        "sd",
        "skr",
        "ug",
        "ur",
        "yi",
    ]
)

_DBNAME = re.compile(r"^([a-z][a-z0-9_]*?)(" + "|".join(sorted(FAMILIES, key=len)[::-1]) + r")$")
_DBNAME_IN_TEXT = re.compile(
    r"(?<![a-z])([a-z][a-z_]{1,20}?(?:" + "|".join(sorted(FAMILIES, key=len)[::-1]) + r"))(?![a-z])"
)


def split_dbname(dbname: str) -> tuple[str, str] | None:
    """``"enwiki"`` -> ``("en", "wikipedia.org")``; ``None`` if it is not a recognised name."""
    if dbname in SPECIAL_HOSTS:
        host, lang = SPECIAL_HOSTS[dbname]
        return lang, host
    match = _DBNAME.match(dbname)
    if not match:
        return None
    return match.group(1).replace("_", "-"), FAMILIES[match.group(2)]


def language_of(dbname: str) -> str | None:
    """Language code of a wiki as Wikimedia uses it in the subdomain (``simple``, ``zh-yue``)."""
    parts = split_dbname(dbname)
    return parts[0] if parts else None


def server_of(dbname: str) -> str | None:
    """``"dewiki"`` -> ``"https://de.wikipedia.org"``."""
    if dbname in SPECIAL_HOSTS:
        return "https://" + SPECIAL_HOSTS[dbname][0]
    parts = split_dbname(dbname)
    if not parts:
        return None
    lang, domain = parts
    return f"https://{lang}.{domain}"


def direction_of(language: str) -> str:
    """``"rtl"`` or ``"ltr"`` for a language code."""
    return "rtl" if language.split("-")[0] in RTL_LANGUAGES else "ltr"


def dbname_from_filename(name: str) -> str | None:
    """Best guess of the database name from a dump's file name (``dewiki-20130602-id1.xml``)."""
    match = _DBNAME_IN_TEXT.search(name.lower())
    if match and split_dbname(match.group(1)):
        return match.group(1)
    return None


_URL_SAFE = ":/(),!*'@$;"


def article_url(server: str, title: str) -> str:
    """Canonical URL of a page: spaces become underscores, the rest is percent-encoded."""
    return f"{server}/wiki/{quote(title.replace(' ', '_'), safe=_URL_SAFE)}"


def server_from_base(base: str) -> str | None:
    """``https://en.wikipedia.org/wiki/Main_Page`` -> ``https://en.wikipedia.org``."""
    match = re.match(r"^(?:https?:)?//([^/]+)", base.strip())
    return f"https://{match.group(1)}" if match else None


def dbname_from_server(server: str) -> str | None:
    """``https://fr.wikipedia.org`` -> ``frwiki``; ``None`` for hosts that do not map."""
    match = re.match(r"^(?:https?:)?//([^/:]+)", server.strip())
    if not match:
        return None
    host = match.group(1).lower()
    for dbname, (special_host, _lang) in SPECIAL_HOSTS.items():
        if host == special_host:
            return dbname
    parts = host.split(".")
    if len(parts) != 3:
        return None
    lang, domain = parts[0], ".".join(parts[1:])
    for suffix, family_domain in FAMILIES.items():
        if family_domain == domain:
            return lang.replace("-", "_") + suffix
    return None
