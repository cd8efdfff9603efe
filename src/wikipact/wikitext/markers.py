"""Private-use characters that stand in for things removed from the text but still needed.

A ``<ref>`` is replaced by ``REF_OPEN + index + REF_CLOSE`` so that, once all markup is gone, the
position of every citation in the clean text is known (claims link sentences to them). Content that
must not be parsed as markup (``<nowiki>``, ``<math>``, ``<pre>`` ...) is replaced by
``KEEP_OPEN + index + KEEP_CLOSE`` and put back at the very end. These code points (U+E000-U+E003)
are in the Private Use Area; any that occur in the wikitext itself are removed first.
"""

from __future__ import annotations

import re

REF_OPEN = "\ue000"
REF_CLOSE = "\ue001"
KEEP_OPEN = "\ue002"
KEEP_CLOSE = "\ue003"

STRAY_CODES = (REF_OPEN, REF_CLOSE, KEEP_OPEN, KEEP_CLOSE)
STRAY = re.compile("[\ue000-\ue003]")
REF_MARKER = re.compile("\ue000(\\d+)\ue001")
KEEP_MARKER = re.compile("\ue002(\\d+)\ue003")


def ref_marker(index: int) -> str:
    return f"{REF_OPEN}{index}{REF_CLOSE}"


def keep_marker(index: int) -> str:
    return f"{KEEP_OPEN}{index}{KEEP_CLOSE}"


def strip_ref_markers(text: str) -> str:
    return REF_MARKER.sub("", text) if REF_OPEN in text else text


# what may stand between two footnote markers only to separate them
_SEPARATORS = frozenset([",", "·", "•", "&nbsp;"])


def take_ref_markers(text: str) -> tuple[str, list[tuple[int, int]]]:
    """Remove ref markers; return the clean text and (offset in clean text, ref index) pairs."""
    if REF_OPEN not in text:
        return text, []
    out: list[str] = []
    found: list[tuple[int, int]] = []
    length = 0
    last = 0
    for match in REF_MARKER.finditer(text):
        piece = text[last : match.start()]
        if found and piece and piece.strip(" \t\xa0") in _SEPARATORS:
            piece = ""  # "[1],[2]": the comma ({{,}}, {{·}}) goes with the markers it separates
        out.append(piece)
        length += len(piece)
        found.append((length, int(match.group(1))))
        last = match.end()
    out.append(text[last:])
    return "".join(out), found


# Left where a template that renders as nothing stood between two quote marks: MediaWiki reads
# ``''{{flag}}''`` as an italic around the template's text, not as ``''''`` (an apostrophe and
# bold). Quote handling treats it as a separator; ``strip_formatting`` then removes it.
QUOTE_BREAK = "\ue006"
