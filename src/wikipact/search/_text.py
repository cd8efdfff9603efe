"""Text helpers shared by the indexers and the query sides: tokens, CJK runs and snippet marks.

SQLite's ``unicode61`` tokenizer splits on spaces and punctuation only, so a run of Chinese or
Japanese characters (written without spaces) becomes one token and a query for a word inside it
finds nothing. Both sides therefore also write CJK characters one per token, separated by
spaces, in shadow columns; a CJK query becomes a phrase of single characters on those columns.
PostgreSQL's parser does the same to runs; its index writes bigrams instead
(``wikipact.search.postgres_text``).
"""

from __future__ import annotations

import re
import unicodedata

OPEN, CLOSE, ELLIPSIS = "«", "»", "…"  # the marks of every snippet

# unicode61 with diacritics folded (café = cafe) and combining marks kept inside tokens: the
# default categories ("L* N* Co") make vowel signs separators, which cuts Devanagari words into
# fragments (मराठी -> मर + ठ); "M*" keeps them whole. Measured on the Marathi sample: see
# wikipact.search.index.
TOKENIZER = "unicode61 remove_diacritics 2 categories 'L* N* Co M*'"

_CJK_RANGES = (
    "\u3005\u3007"  # 々 〇
    "\u3040-\u30ff"  # Hiragana, Katakana (with ー)
    "\u31f0-\u31ff"  # Katakana phonetic extensions
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uac00-\ud7af"  # Hangul syllables
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\uff66-\uff9f"  # half-width Katakana
    "\U00020000-\U0003ffff"  # CJK extensions B and later
)
CJK_CHAR = re.compile(f"[{_CJK_RANGES}]")
CJK_RUN = re.compile(f"[{_CJK_RANGES}]+")


def cjk_shadow(text: str) -> str | None:
    """The CJK characters of ``text``, one per token; None when there are none."""
    chars = CJK_CHAR.findall(text)
    return " ".join(chars) if chars else None


def is_token_char(ch: str) -> bool:
    """True for characters the tokenizer keeps inside tokens (categories L*, N*, M*, Co)."""
    category = unicodedata.category(ch)
    return category[0] in "LNM" or category == "Co"


def cjk_snippet(text: str, runs: list[str], width: int = 60) -> str | None:
    """A snippet around the first CJK run found in ``text`` (neither FTS5 nor PostgreSQL's
    headline can mark those: their tokenizers see a whole run as one word)."""
    found = [(text.find(run), run) for run in runs if run in text]
    if not found:
        return None
    start, run = min(found)
    left = max(0, start - width)
    right = min(len(text), start + len(run) + width)
    pattern = "|".join(re.escape(r) for r in sorted(set(runs), key=len, reverse=True))
    window = re.sub(pattern, lambda m: f"{OPEN}{m.group()}{CLOSE}", text[left:right])
    return (ELLIPSIS if left else "") + window + (ELLIPSIS if right < len(text) else "")
