"""A query string cut into terms, the same way for every backend (no query syntax, no database).

Any Unicode string is a valid query. Lone surrogates (which cannot be encoded as UTF-8) and
control characters (NUL included) become spaces, terms without a single letter or digit are
dropped, and at most ``MAX_TERMS`` terms of the first ``MAX_QUERY_CHARS`` characters are kept. A
term is a whitespace-separated word, with each run of CJK characters inside it a term of its
own (``cjk``); each backend turns the terms into its own query form as literals, never as
syntax (``query`` for FTS5, ``postgres_text`` for PostgreSQL's tsquery).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from wikipact.errors import ConfigError
from wikipact.search._text import CJK_RUN, is_token_char

MAX_QUERY_CHARS = 2000
MAX_TERMS = 32


@dataclass(frozen=True, slots=True)
class Term:
    text: str
    cjk: bool


def is_prefix_term(text: str) -> bool:
    """Words of scripts other than Latin also match their inflected forms (as prefixes).

    Measured on the Marathi sample (8 common words): exact terms found 45-94% of the passages
    where the word starts a token (महाराष्ट्र misses महाराष्ट्रात, महाराष्ट्रातील ...); as prefixes,
    100%, with precision still 1.00. Latin-script terms stay exact ("art" must not find
    "article").
    """
    letters = [ch for ch in text if ch.isalpha()]
    return len(letters) >= 2 and not any(ch.isascii() or _is_latin(ch) for ch in letters)


def _is_latin(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith("LATIN")


def query_terms(q: str) -> list[Term]:
    """The terms of ``q``, in order, without repeats; [] when it has none."""
    if not isinstance(q, str):
        raise ConfigError(f"a search query must be a string, not {type(q).__name__}")
    cleaned = "".join(
        " " if (ch < " " or "\ud800" <= ch <= "\udfff" or ch == "\x7f") else ch
        for ch in q[:MAX_QUERY_CHARS]
    )
    terms: dict[Term, None] = {}
    for word in cleaned.split():
        pos = 0
        for match in CJK_RUN.finditer(word):
            _add(terms, word[pos : match.start()], cjk=False)
            _add(terms, match.group(), cjk=True)
            pos = match.end()
        _add(terms, word[pos:], cjk=False)
    return list(terms)[:MAX_TERMS]


def _add(terms: dict[Term, None], text: str, *, cjk: bool) -> None:
    if text and any(is_token_char(ch) for ch in text):
        terms[Term(text, cjk)] = None
