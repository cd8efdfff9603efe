"""Category and file namespace names that neither the site info nor the tables know, learnt
from the page.

A dump whose ``<siteinfo>`` is another wiki's (DBpedia's minidumps wrap every language in
English's) leaves the page's own namespace names to :mod:`langdata`, which lists those of a few
dozen languages. For any other language ``[[Rukuni:Birane]]`` (Hausa for a category) would stay
in the text as "Rukuni:Birane", and ``[[Hoto:Kano.jpg|thumb|Birnin Kano]]`` would leave its
caption in the prose. Two clues that hold in every language:

- categories are the links a page ends with, on lines of their own (templates and magic words
  may follow them): the last such link whose prefix is not an interlanguage link names the
  category namespace, when nothing knows it;
- a link whose target ends in a media file extension is a file, whatever its prefix; those are
  learnt on a page whose category namespace had to be learnt (its names are unknown).
"""

from __future__ import annotations

import re
from functools import lru_cache

from wikipact.model.raw import SiteInfo
from wikipact.wikitext import langdata, sites
from wikipact.wikitext.context import Context

TAIL = 4000  # characters at the end of a page where its categories stand
# MediaWiki's canonical names, valid on every wiki whatever its language
_CANONICAL = frozenset(
    [
        "media",
        "special",
        "talk",
        "user",
        "project",
        "wikipedia",
        "help",
        "portal",
        "mediawiki",
        "module",
        "draft",
        "book",
        "timedtext",
        "gadget",
        "topic",
        "image",
        "file",
        "category",
        "template",
    ]
)
# a line that is one prefixed link (and, after it, maybe more on the same line)
_LINE_LINK = re.compile(
    r"\[\[[ \t]*([^:\[\]|{}<>\n]{1,40}?)[ \t]*:[^\[\]\n]+\]\](?:\s*\[\[[^\[\]\n]*\]\])*$"
)
_MEDIA_LINK = re.compile(
    r"\[\[[ \t]*([^:\[\]|{}<>\n]{1,40}?)[ \t]*:[^\[\]|\n]{1,240}?"
    r"\.(?:jpe?g|png|svg|gif|tiff?|webp|xcf|ogg|ogv|oga|opus|webm|mp3|mp4|wav|flac|midi?|pdf"
    r"|djvu|stl)[ \t]*[|\]]",
    re.IGNORECASE,
)


def learn_prefixes(wikitext: str, ctx: Context) -> None:
    """Add to ``ctx`` the category (and then file) prefixes this page shows and nothing knew."""
    tail = wikitext[-TAIL:]
    if "[[" not in tail:
        return
    category = None
    for line in reversed(tail.split("\n")):
        line = line.strip()
        if not line or line.startswith(("{{", "}}", "__")):
            continue  # stub and navigation templates, magic words: they may follow categories
        match = _LINE_LINK.match(line)
        if match is None or _MEDIA_LINK.match(line):
            break  # the page does not end with a category
        prefix = _key(match.group(1))
        if prefix in langdata.INTERWIKI_LANGUAGE_CODES:
            continue  # older pages end with their interlanguage links
        if not _is_known(prefix, ctx) and not prefix.isdigit():
            category = prefix
        break
    if category is None:
        return
    ctx.category_prefixes = ctx.category_prefixes | {category}
    ctx.warn("category_namespace_learnt")
    files = {_key(m.group(1)) for m in _MEDIA_LINK.finditer(wikitext)} - {category}
    files = {prefix for prefix in files if not _is_known(prefix, ctx)}
    if files:
        ctx.file_prefixes = ctx.file_prefixes | files
        ctx.warn("file_namespace_learnt", len(files))


def _is_known(prefix: str, ctx: Context) -> bool:
    return (
        prefix in ctx.category_prefixes
        or prefix in ctx.file_prefixes
        or prefix in ctx.template_prefixes
        or prefix in _known(ctx.site)
    )


def _key(prefix: str) -> str:
    return " ".join(prefix.replace("_", " ").split()).casefold()


@lru_cache(maxsize=64)
def _known(site: SiteInfo) -> frozenset[str]:
    """Every prefix that already means something: the site's namespaces (as the dump names
    them, and every name and alias MediaWiki gives the wiki's namespaces), interwiki prefixes."""
    return (
        frozenset(_key(ns.name) for ns in site.namespaces if ns.name)
        | sites.tables_for(site.dbname, site.language).namespace_names
        | _CANONICAL
        | langdata.INTERWIKI_PROJECT_PREFIXES
        | langdata.INTERWIKI_LANGUAGE_CODES
    )
