"""The speed-ups are rewrites, not changes: each fast form agrees with its plain form.

Regular expressions written for the engine's fast scan (a literal or one set of first characters,
look-behinds instead of alternatives), prefilters that skip work, and counts taken from runs of
characters are checked against the straightforward formulation on random strings over the
characters that matter (a fixed seed, so failures reproduce).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

import pytest

from wikipact.wikitext import inline, layout, links, sentences, signals, tags, templates

ROUNDS = 20_000


def _strings(pieces: list[str], seed: int, longest: int = 14) -> list[str]:
    rng = random.Random(seed)
    return [
        "".join(rng.choice(pieces) for _ in range(rng.randint(0, longest))) for _ in range(ROUNDS)
    ]


def _spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int, tuple[str | None, ...]]]:
    return [(m.start(), m.end(), m.groups()) for m in pattern.finditer(text)]


PLAIN_FORMS: dict[str, tuple[re.Pattern[str], re.Pattern[str], list[str]]] = {
    "sentence boundary": (
        sentences._BOUNDARY,
        re.compile(
            r"[.!?…]+[\"'”’»)\]]*(?=\s+\S)|[。！？]+[」』”’）)]*|[।॥։۔؟።။។]+[\"'”’»)\]]*"
            r"|[;;](?=\s+\S)"
        ),
        list(".!?…。！？।॥։۔؟።။។;; \n\t\"'”’»)]」』）xaA"),
    ),
    "simple link": (
        links._SIMPLE_LINK,
        re.compile(r"\[\[((?:[^\[\]]|\[(?!\[)|\](?!\]))*)\]\]([^\W\d_]*)"),
        ["[", "]", "[[", "]]", "a", "1", "_", " ", "é", "|", "\n"],
    ),
    "bare URL": (
        links._BARE_URL,
        re.compile(r"(?<![\w/=\"'])(?:https?|ftp)://[^\s\[\]<>\"|{}]+", re.I),
        [*"hHfFtTpPsSſ", "://", "http", "HTTPS", "ftp", *" a=\"'.|_/"],
    ),
    "prefixed link": (
        links._PREFIXED_LINK,
        re.compile(r"\[\[\s*([^:\[\]|\n]{1,40}?)\s*:\s*([^|\]\n]+)"),
        ["[[", "[", "]", "]]", ":", " ", "\n", "|", "a", "File", "b" * 39, "\t"],
    ),
    "quotes": (inline._QUOTES, re.compile(r"'{2,}"), ["'", "a", " "]),
    "space run": (inline._SPACE_RUN, re.compile(r"[ \t]{2,}"), [" ", "\t", "a"]),
}


@pytest.mark.parametrize("name", list(PLAIN_FORMS))
def test_regex_matches_its_plain_form(name: str) -> None:
    fast, plain, pieces = PLAIN_FORMS[name]
    for text in _strings(pieces, seed=len(name)):
        assert _spans(fast, text) == _spans(plain, text), repr(text)


def test_needs_work_prefilter() -> None:
    plain = re.compile(r"[{}\[\]<&\u00a0\u202f\u2007\u2009\ue000-\ue003]|''|__|://")
    pieces = list("{}[]<&\u00a0\u202f\u2007\u2009\ue000\ue003'_:/ ax")
    for text in _strings(pieces, seed=1):
        assert bool(inline._NEEDS_WORK.search(text)) == bool(plain.search(text)), repr(text)


def _plain_tidy(text: str) -> str:
    """``tidy`` without its prefilter: each pass checked on its own trigger."""
    text = " ".join(text.split())
    if ("(" in text or "（" in text) and layout._PAREN_WORK.search(text):
        text = layout._LEADING_SEP.sub(layout._keep_markers, text)
        text = layout._TRAILING_SEP.sub(r"\1", text)
        text = layout._EMPTY_PARENS.sub(
            lambda m: "".join(layout._MARKERS.findall(m.group(1))), text
        )
    if layout._NEEDS_SPACING.search(text):
        text = layout._SPACING.sub("", text)
    if ",," in text or ";;" in text or layout._DOUBLE_PUNCT.search(text):
        text = layout._DOUBLE_PUNCT.sub("", text)
    return text


def test_tidy_prefilter_skips_only_blocks_without_work() -> None:
    pieces = list(" \t\n\u00a0\u3000\u2003,.;:!?%)]»”。、，；：！？(（）[«“ab")
    pieces += ["\ue0001\ue001", "\ue00012\ue001", "  "]
    for text in _strings(pieces, seed=3):
        assert layout.tidy(text) == _plain_tidy(text), repr(text)


def _plain_count(text: str) -> int:
    cjk = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
    return len(re.findall(f"[{cjk}]|[^\\W_]+", text))


def test_cjk_word_count_is_one_match_per_word() -> None:
    pieces = list(" \n\t_a1.é-\u3040\u30fb\u3099\u4e00\uac00\u3400\u3000\u30ff\u4dbf\ud7af")
    pieces += ["\n\n", "ab", "漢字", "2010年"]
    for text in _strings(pieces, seed=5):
        if signals._CJK.search(text):
            assert signals.count_words(text) == _plain_count(text), repr(text)


def _plain_scan(text: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    stack: list[int] = []
    pairs: list[tuple[int, int]] = []
    stray: list[tuple[int, int]] = []
    for match in re.finditer(r"\{\{|\}\}", text):
        if match.group() == "{{":
            stack.append(match.start())
        elif stack:
            pairs.append((stack.pop(), match.end()))
        else:
            stray.append(match.span())
    stray.extend((pos, pos + 2) for pos in stack)
    top: list[tuple[int, int]] = []
    end = -1
    for start, stop in sorted(pairs):
        if start >= end:
            top.append((start, stop))
            end = stop
    inside = [s for s in stray if not any(a <= s[0] < b for a, b in top)]
    return top, sorted(inside)


def test_brace_scan_pairs_as_one_token_search() -> None:
    for text in _strings(["{", "}", "{{", "}}", "a", "|", "{{{", "}}}"], seed=7):
        assert templates.scan(text) == _plain_scan(text), repr(text)


def _plain_template(params: list[str]) -> tuple[list[str], dict[str, str]]:
    positional: list[str] = []
    named: dict[str, str] = {}
    for part in params:
        eq = part.find("=")
        if eq > 0 and part.find("{{", 0, eq) < 0 and part.find("[[", 0, eq) < 0:
            named[part[:eq].strip().casefold()] = part[eq + 1 :].strip()
        else:
            positional.append(part)
    return positional, named


def test_template_parameters_named_and_positional() -> None:
    rng = random.Random(9)
    pieces = ["=", "a", " ", "B", "{{", "}}", "[[", "]]", "x=y", "\n"]
    for _ in range(ROUNDS):
        params = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 6))) for _ in range(3)]
        call = templates.make_template("T", params)
        assert (call.positional, call.named) == _plain_template(params), params


def test_ref_attributes_values() -> None:
    plain = re.compile(r"""(\w+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'/>]+))""")
    pieces = ["name", "group", "=", " ", '"', "'", "a", "/", ">", "NAME", "x y", "_"]
    for text in _strings(pieces, seed=11, longest=12):
        expected = {
            m.group(1).lower(): next(g for g in m.groups()[1:] if g is not None)
            for m in plain.finditer(text)
        }
        assert tags.attributes(text) == expected, repr(text)


def test_stray_markers_removed() -> None:
    strip: Callable[[str], str] = tags.strip_comments
    assert strip("a\ue000b\ue001c\ue002d\ue003e") == "abcde"
    assert strip("plain <!-- note --> text") == "plain  text"
