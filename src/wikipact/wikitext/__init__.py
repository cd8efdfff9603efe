"""Pure functions from wikitext to the article record (no I/O, no global state)."""

from wikipact.wikitext.compiled import choose

# Before any other module of the package loads: compiled modules, or their sources.
COMPILED = choose()

from wikipact.wikitext.parse import parse_article  # noqa: E402

__all__ = ["COMPILED", "parse_article"]
