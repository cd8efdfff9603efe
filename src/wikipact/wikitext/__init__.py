"""Pure functions from wikitext to the article record (no I/O, no global state)."""

from wikipact.wikitext.parse import parse_article

__all__ = ["parse_article"]
