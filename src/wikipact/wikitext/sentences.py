"""Sentence boundaries for claims, in scripts with and without spaces.

Rules, in order: a boundary follows ``. ! ? …`` (with closing quotes or brackets) and whitespace,
or CJK ``。！？`` with or without space, or a full stop of a script without case (the Devanagari
and Bengali danda ``। ॥``, the Armenian ``։``, the Urdu ``۔``, the Arabic question mark ``؟``, the
Ethiopic ``።``, the Myanmar ``။``, the Khmer ``។``), or (Greek) the question mark ``;``/``;``.
It is not a boundary when the next word starts in lower case (scripts with case), or when the
word before the full stop is an initial, an abbreviation, or a one- or two-digit number (German
and other ordinal dates: "am 1. Januar").
"""

from __future__ import annotations

import re

# Written with one set of first characters, which the regular-expression engine skips to
# quickly (alternatives with different first characters make it try every position); the mark
# found decides, by looking back at it, which of the four kinds of boundary it may end:
#   [.!?…]+[\"'”’»)\]]*(?=\s+\S) | [。！？]+[」』”’）)]* | [।॥։۔؟።။។]+[\"'”’»)\]]* | [;;](?=\s+\S)
_BOUNDARY = re.compile(
    r"[.!?…。！？।॥։۔؟።။។;;]"
    r"(?:(?<=[.!?…])[.!?…]*[\"'”’»)\]]*(?=\s+\S)"
    r"|(?<=[。！？])[。！？]*[」』”’）)]*"
    r"|(?<=[।॥։۔؟።။។])[।॥։۔؟።။។]*[\"'”’»)\]]*"
    r"|(?<=[;;])(?=\s+\S))"
)
ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "st",
        "jr",
        "sr",
        "vs",
        "etc",
        "e.g",
        "i.e",
        "cf",
        "c",
        "ca",
        "no",
        "nos",
        "vol",
        "vols",
        "pp",
        "p",
        "fig",
        "figs",
        "gen",
        "col",
        "lt",
        "mt",
        "ft",
        "op",
        "ed",
        "eds",
        "rev",
        "approx",
        "dept",
        "est",
        "inc",
        "ltd",
        "co",
        "corp",
        "univ",
        "u.s",
        "u.k",
        "a.d",
        "b.c",
        "bc",
        "ad",
        "al",
        "et",
        "seq",
        "z.b",
        "bzw",
        "usw",
        "vgl",
        "nr",
        "dr",
        "hl",
        "geb",
        "gest",
        "jh",
        "jhd",
        "ca",
        "av",
        "j.-c",
        "apr",
        "cf",
        "mme",
        "mlle",
        "n°",
        "t",
        "éd",
        "т",
        "д",
        "р",
        "г",
        "рр",
        "с",
        "ст",
        "им",
        "тис",
        "млн",
        "ок",
        "див",
        "σ",
        "τ",
        "π.χ",
        "κ.λπ",
    ]
)


_ANY_MARK = re.compile(r"[.!?…。！？।॥։۔؟።။។;;]")


def split_sentences(text: str, language: str = "en") -> list[tuple[int, int]]:
    """(start, end) spans of the sentences of ``text`` (whitespace between them excluded)."""
    if not _ANY_MARK.search(text):  # no terminator at all: one sentence (most list items)
        start = len(text) - len(text.lstrip())
        end = len(text.rstrip())
        return [(start, end)] if end > start else []
    spans: list[tuple[int, int]] = []
    start = _skip_space(text, 0)
    greek = language == "el"
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        mark = match.group()
        if mark[0] in ";;" and not greek and mark[0] == ";":
            continue
        if end <= start:
            continue
        if mark[0] in ".!?…" and not _is_boundary(text, match.start(), end):
            continue
        spans.append((start, end))
        start = _skip_space(text, end)
    stripped_end = len(text.rstrip())
    if start < stripped_end:
        spans.append((start, stripped_end))
    return spans


def _skip_space(text: str, pos: int) -> int:
    end = len(text)
    while pos < end and text[pos] in " \n\t":
        pos += 1
    return pos


def _is_boundary(text: str, dot: int, end: int) -> bool:
    nxt = _skip_space(text, end)
    if nxt < len(text):
        following = text[nxt]
        if following.islower() or following in ",;:)":
            return False
    if text[dot] != ".":
        return True
    start = max(text.rfind(" ", 0, dot), text.rfind("\n", 0, dot)) + 1
    word = text[start:dot].lstrip("(\"'«“").rstrip(".").casefold()
    if not word:
        return True
    if len(word) == 1 and word.isalpha():
        return False  # an initial: "J. R. R. Tolkien"
    if word in ABBREVIATIONS:
        return False
    return not (word.isdigit() and len(word) <= 2)
