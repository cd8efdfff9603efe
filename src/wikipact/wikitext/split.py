"""Split wikitext at a separator, but not inside nested ``{{...}}`` or ``[[...]]``."""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=8)
def _tokens(separator: str) -> re.Pattern[str]:
    return re.compile(r"\{\{|\}\}|\[\[|\]\]|" + re.escape(separator))


def split_outside(text: str, separator: str) -> list[str]:
    """``text`` cut at every ``separator`` outside templates and links (one linear scan)."""
    parts: list[str] = []
    depth = 0
    last = 0
    for match in _tokens(separator).finditer(text):
        token = match.group()
        if token in ("{{", "[["):
            depth += 1
        elif token in ("}}", "]]"):
            depth = max(depth - 1, 0)
        elif depth == 0:
            parts.append(text[last : match.start()])
            last = match.end()
    parts.append(text[last:])
    return parts
