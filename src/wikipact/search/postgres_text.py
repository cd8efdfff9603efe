"""How passages and queries become PostgreSQL text search values (pure functions, no database).

**Languages.** Each passage is indexed with the text search configuration of its article's
language where PostgreSQL has one (``LANGUAGE_CONFIGS``: Snowball stemmers and stop words,
e.g. ``en`` -> ``english``: "societies" and "society" are one lexeme, "the" is not indexed),
and with ``simple`` (lower-cased words, no stemming, no stop words: what FTS5's ``unicode61``
does) for every other language, Marathi for one. A configuration the server lacks falls back to
``simple`` too (``config_for``). A query is parsed once per configuration present in the index,
so each passage is matched by the query in its own language's form.

**CJK.** PostgreSQL's parser, like FTS5's ``unicode61``, makes a whole run of Han, Kana or
Hangul one word, so a word inside a run is never found. CJK runs are therefore taken out of the
text given to ``to_tsvector`` and written as a *shadow* of overlapping character bigrams
(東京都 -> 東京, 京都), plus the last character of each run alone (都), at consecutive positions,
with a gap between runs. A query run is the phrase of its bigrams (東京都 -> 東京 <-> 京都; a
two-character word is one bigram) and a single character is a prefix (京:* finds 京都 and a
final 京), so every occurrence is found and runs never match across each other. Why bigrams
rather than FTS5's single characters: the GIN index is looked up per lexeme, and a bigram is
about as selective as the word itself, whereas single characters (日, 本) each occur in most
passages of a CJK wiki, so a phrase of them would make PostgreSQL recheck nearly every row.
The shadow costs one lexeme per CJK character, as FTS5's shadow columns do.

**Queries.** A term is never written as tsquery syntax: it becomes one quoted operand (inner
``'`` doubled, ``\\`` doubled), which ``to_tsquery`` parses with the passage's configuration
into lexemes (a phrase when the term holds several words, nothing when it is a stop word),
joined with ``&`` (every term) or ``|`` (any term). Non-Latin words are prefixes (``:*``) in
``simple``, as on SQLite; a stemming configuration finds inflected forms itself. CJK bigrams
are written directly as a tsquery value.
"""

from __future__ import annotations

from collections.abc import Iterable

from wikipact.search._text import CJK_RUN
from wikipact.search.terms import Term, is_prefix_term

SIMPLE = "simple"
TITLE_WEIGHT, TEXT_WEIGHT = "A", "D"
MAX_POSITION = 16383  # PostgreSQL's largest word position
MAX_POSITIONS = 256  # PostgreSQL keeps at most this many positions of one lexeme

# wikipact language code (ISO 639-1, or the part before "-") -> a configuration PostgreSQL
# ships (``SELECT cfgname FROM pg_ts_config``; hindi, nepali, tamil, yiddish ... are in recent
# versions only, and are then used only where the server has them).
LANGUAGE_CONFIGS = {
    "ar": "arabic",
    "ca": "catalan",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "eu": "basque",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "hi": "hindi",
    "hu": "hungarian",
    "hy": "armenian",
    "id": "indonesian",
    "it": "italian",
    "lt": "lithuanian",
    "nb": "norwegian",
    "ne": "nepali",
    "nl": "dutch",
    "nn": "norwegian",
    "no": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
    "yi": "yiddish",
}


def config_for(language: str, available: Iterable[str]) -> str:
    """The text search configuration of a language: its own when the server has it, else simple."""
    config = LANGUAGE_CONFIGS.get(language.lower().split("-")[0])
    return config if config is not None and config in set(available) else SIMPLE


def without_cjk(text: str) -> str:
    """``text`` with each CJK run replaced by a space (those go to the shadow instead)."""
    return CJK_RUN.sub(" ", text) if CJK_RUN.search(text) else text


def cjk_shadow(title: str, text: str) -> str:
    """The CJK shadow of a passage as a tsvector literal (title weight A, text D); '' if none."""
    positions: dict[str, list[str]] = {}
    end = _shadow(title, TITLE_WEIGHT, 1, positions)
    _shadow(text, TEXT_WEIGHT, end + 1, positions)
    return " ".join(
        f"{_quote(lexeme)}:{','.join(found[:MAX_POSITIONS])}" for lexeme, found in positions.items()
    )


def _shadow(text: str, weight: str, position: int, out: dict[str, list[str]]) -> int:
    """Add the bigrams and run-final characters of ``text`` from ``position``; returns the next
    free position (one is left empty after each run)."""
    for match in CJK_RUN.finditer(text):
        run = match.group()
        for i in range(len(run)):
            lexeme = run[i : i + 2]  # the last one is the run's final character alone
            at = min(position + i, MAX_POSITION)
            out.setdefault(lexeme, []).append(f"{at}{weight}")
        position += len(run) + 1
    return position


def tsquery_text(terms: list[Term], operator: str, *, prefixes: bool) -> str:
    """The ``to_tsquery`` input for the non-CJK terms: quoted operands joined by ``operator``
    (``&`` or ``|``); non-Latin words as prefixes when ``prefixes``. '' when there are none."""
    operands = []
    for term in terms:
        if term.cjk:
            continue
        operand = _quote(term.text)
        operands.append(f"{operand}:*" if prefixes and is_prefix_term(term.text) else operand)
    return f" {operator} ".join(operands)


def cjk_tsquery(terms: list[Term], operator: str) -> str:
    """The CJK terms as a tsquery value (bigram phrases; a single character as a prefix),
    joined by ``operator``; '' when there are none."""
    parts = []
    for term in terms:
        if not term.cjk:
            continue
        run = term.text
        if len(run) == 1:
            parts.append(f"{_quote(run)}:*")
        else:
            bigrams = " <-> ".join(_quote(run[i : i + 2]) for i in range(len(run) - 1))
            parts.append(f"( {bigrams} )")
    return f" {operator} ".join(parts)


def _quote(value: str) -> str:
    """A tsquery/tsvector operand: single-quoted, with ``'`` and ``\\`` doubled."""
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"
