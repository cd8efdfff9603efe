"""Markup residue in wikipact's text, by class and by language, over every page of the corpus.

    .venv/bin/python bench/residue.py                 # writes bench/results/residue.{json,md}
    .venv/bin/python bench/residue.py --examples 5 --corpus DIR --out DIR

Reads every namespace-0 non-redirect page of the shared corpus: the assembled samples
(``assembled/*.xml.bz2``), every dump of ``original/`` that ``wikipact.dumps.open_dump`` reads
(the wiki of a file comes from ``inventory.jsonl``, not from its <siteinfo>: DBpedia wraps every
language in an enwiki <siteinfo>) and the wikitext of the Wikimedia Enterprise JSON articles.
A page found in several files counts once per (wiki, title): the newest revision. Each page is
parsed with ``parse_wikitext`` under the production CPU budget, with its own wiki's site
information, and its ``text`` is searched for the residue classes of ``CLASSES`` (image options,
file/category links, tables, <ref> tags, quotes, braces, brackets, heading lines, magic words,
template parameters, citation/script error text, HTML tags and entities, stray pipes). Image
option aliases and File/Category namespace names are each wiki's own (from
``siteinfo/wikipedia-siteinfo.jsonl``) plus English.

**Exemptions** (content MediaWiki itself shows as text): when an article has matches, it is
parsed again with the elements whose content MediaWiki prints literally replaced by a neutral
word (``<math>``, ``<chem>``, ``<code>``, ``<pre>``, ``<syntaxhighlight>``/``<source>``,
``<nowiki>``, ``<kbd>``/``<samp>``/``<tt>``/``<var>``, and templates that display code or
formulas: ``{{math}}``, ``{{mvar}}``, ``{{tl}}``, ``{{tag}}``, ``{{code}}`` ...). Matches that
disappear then are exempt; the kind(s) whose blanking alone removes them are the reason. What
stays is residue. "Articles with core residue" is the union over the classes marked core.

Also counts the parser's dropped templates (``ParsedPage.dropped_templates``: templates that
neither render nor are known to be droppable) per language: the top ones are what to render next.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
import warnings
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchcommon import CORPUS, RESULTS, write_json

warnings.filterwarnings("ignore", message=".*compiled.*")

from wikipact.dumps import open_dump  # noqa: E402
from wikipact.errors import DumpError  # noqa: E402
from wikipact.model.raw import SiteInfo  # noqa: E402
from wikipact.wikitext.budget import DEFAULT_BUDGET, ParseTimeout, cpu_budget  # noqa: E402
from wikipact.wikitext.document import ParsedPage, parse_wikitext  # noqa: E402

DUMP_SUFFIXES = (".xml", ".bz2", ".gz", ".xz", ".lzma", ".7z", ".zst")
ENTERPRISE_DIR = "original/wikimedia-enterprise+wikimedia-enterprise/api/main/dataset/articles"
SITEINFO = "siteinfo/wikipedia-siteinfo.jsonl"
SNIPPET = 80

# ---------------------------------------------------------------- residue classes


@dataclass(frozen=True)
class ResidueClass:
    name: str
    description: str
    core: bool = True


CLASSES = [
    ResidueClass("image_option", "image option alias followed by | (thumb|, nhỏ|, 220px|, left|)"),
    ResidueClass("file_link", "File:/Image:/localized file namespace prefix (Tập tin:, Datei:)"),
    ResidueClass("category_link", "Category:/localized category prefix followed by a name"),
    ResidueClass("table", "table markup: {| |} |- |+ lines, || cells, ! header rows"),
    ResidueClass("ref_tag", "<ref, </ref>, <references (also escaped &lt;ref)"),
    ResidueClass("bold_italic", "'' or ''' left in the text"),
    ResidueClass("braces", "{{ or }}"),
    ResidueClass("brackets", "[[ or ]]"),
    ResidueClass("heading", "== heading == line"),
    ResidueClass("magic_word", "__MAGIC__ behaviour switch"),
    ResidueClass("template_param", "template parameter name= at line start or after |"),
    ResidueClass("cite_error", "citation/script error text (Cite error, Missing or empty, CS1)"),
    ResidueClass("html_tag", "HTML or extension tag (<br>, <div>, <small>, <gallery> ...)"),
    ResidueClass("html_entity", "HTML entity (&nbsp; &amp; &#160;)"),
    ResidueClass("pipe", "any | (stray pipe: link/template/table separator)"),
]
CLASS_NAMES = [c.name for c in CLASSES]

_HTML_TAGS = (
    "ref|references|br|div|span|small|big|sup|sub|center|font|b|i|u|s|strike|del|ins|code|pre|"
    "math|chem|ce|nowiki|gallery|table|tr|td|th|tbody|thead|blockquote|p|hr|abbr|poem|"
    "syntaxhighlight|source|templatestyles|section|onlyinclude|includeonly|noinclude|timeline|"
    "score|mapframe|maplink|graph|imagemap|hiero|cite|q|tt|kbd|var|samp|ul|ol|li|dl|dt|dd|"
    "caption|h[1-6]|em|strong|wbr|bdi|bdo|ruby|rt|rp|mark|data|time|categorytree|inputbox|"
    "indicator|charinsert|templatedata|phonos|img|a|script|style|noscript|iframe|meta|link|"
    "label|input|form|button|abbr|dfn|cite|address|figure|figcaption|video|audio"
)

STATIC_PATTERNS: dict[str, re.Pattern[str]] = {
    "table": re.compile(
        r"^[ \t]*(?:\{\||\|\}|\|-|\|\+)|\|\||^[ \t]*![^\n]*(?:!!|\|)", re.MULTILINE
    ),
    "ref_tag": re.compile(r"<\s*/?\s*ref\b|&lt;/?ref\b|<references\b", re.IGNORECASE),
    "bold_italic": re.compile(r"'{2,}"),
    "braces": re.compile(r"\{\{|\}\}"),
    "brackets": re.compile(r"\[\[|\]\]"),
    "heading": re.compile(r"^[ \t]*={2,}[^=\n]+={2,}[ \t]*$", re.MULTILINE),
    "magic_word": re.compile(r"__[^\W_a-z]+(?:_[^\W_a-z]+)*__"),
    "template_param": re.compile(
        r"^[ \t]*\|?[ \t]*[^\W\d_A-Z][\w\-]*(?:[ ][\w\-]+){0,2}[ \t]*=(?!=)"
        r"|\|[ \t]*[^\W\d][\w\-]*(?:[ ][\w\-]+){0,2}[ \t]*=(?!=)",
        re.MULTILINE,
    ),
    "cite_error": re.compile(
        r"Cite error|Missing or empty|\bCS1\b|Check date values|Script error|Lua error"
        r"|Expression error|Template loop detected|Erreur de référence|Fehler bei Vorlage"
    ),
    "html_tag": re.compile(rf"</?(?:{_HTML_TAGS})(?:\s[^<>\n]*)?/?>", re.IGNORECASE),
    "html_entity": re.compile(r"&(?:[a-zA-Z][a-zA-Z0-9]{1,31}|#\d{1,7}|#[xX][0-9a-fA-F]{1,6});"),
    "pipe": re.compile(r"\|"),
}

# ---------------------------------------------------------------- per-wiki names


def load_siteinfo(corpus: Path) -> dict[str, dict[str, Any]]:
    """dbname -> the wiki's namespaces, namespace aliases and magic words."""
    out: dict[str, dict[str, Any]] = {}
    path = corpus / SITEINFO
    if path.exists():
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    row = json.loads(line)
                    out[row["dbname"]] = row
    return out


def _namespace_names(info: dict[str, Any] | None, key: int, site: SiteInfo) -> list[str]:
    names: set[str] = {"File", "Image"} if key == 6 else {"Category"}
    if info:
        ns = info.get("namespaces", {}).get(str(key)) or {}
        names.update(n for n in (ns.get("name"), ns.get("canonical")) if n)
        names.update(info.get("namespace_aliases", {}).get(str(key)) or [])
    local = site.namespace_name(key)
    if local:
        names.add(local)
    return sorted(names, key=len, reverse=True)


def _image_aliases(info: dict[str, Any] | None, english: dict[str, Any] | None) -> list[str]:
    aliases: set[str] = set()
    for source in (info, english):
        if not source:
            continue
        for name, word in source.get("magicwords", {}).items():
            if name.startswith("img_"):
                aliases.update(word.get("aliases") or [])
    return sorted(aliases, key=len, reverse=True)


def _alias_regex(alias: str) -> str:
    if alias == "$1px":
        return r"\d+(?:x\d+)?px"
    escaped = re.escape(alias)
    return escaped.replace(re.escape("$1"), r"[^|\n]{0,60}?")


def wiki_patterns(
    dbname: str, site: SiteInfo, siteinfo: dict[str, dict[str, Any]]
) -> dict[str, re.Pattern[str]]:
    """The static patterns plus this wiki's image options and File/Category prefixes."""
    info = siteinfo.get(dbname)
    aliases = _image_aliases(info, siteinfo.get("enwiki"))
    if not aliases:
        aliases = ["thumb", "thumbnail", "frameless", "left", "right", "center", "none", "$1px"]
    images = "|".join(_alias_regex(a) for a in aliases)
    files = "|".join(re.escape(n) for n in _namespace_names(info, 6, site))
    cats = "|".join(re.escape(n) for n in _namespace_names(info, 14, site))
    patterns = {
        "image_option": re.compile(rf"(?<![\w\-])(?:{images})[ \t]*\|"),
        "file_link": re.compile(rf"(?<!\w)(?:{files})[ \t]*:[ \t]*[^\s:|]", re.IGNORECASE),
        "category_link": re.compile(rf"(?<!\w)(?:{cats})[ \t]*:[ \t]*[^\s:|]", re.IGNORECASE),
    }
    patterns.update(STATIC_PATTERNS)
    return {name: patterns[name] for name in CLASS_NAMES}


# ---------------------------------------------------------------- literal content (exemptions)

LITERAL_TAGS = {
    "math": ("math", "chem", "ce"),
    "code": ("code", "syntaxhighlight", "source", "kbd", "samp", "tt", "var"),
    "pre": ("pre",),
    "nowiki": ("nowiki",),
}
LITERAL_TEMPLATES = {
    "math": ("math", "mvar", "abs", "norm", "bra", "ket", "braket", "sfrac", "tmath", "mset"),
    "code": ("code", "mono", "kbd", "samp", "tl", "tlx", "tlc", "tlp", "tag", "para", "param"),
}
REASONS = {
    "math": "formula (<math>, <chem>, {{math}}): MediaWiki shows it as text",
    "code": "code sample (<code>, <syntaxhighlight>, {{tl}}, {{tag}}): shown as text",
    "pre": "<pre> block: shown as text",
    "nowiki": "<nowiki>: markup shown as text",
}


def _tag_regex(names: tuple[str, ...]) -> re.Pattern[str]:
    alt = "|".join(names)
    return re.compile(
        rf"<({alt})\b[^<>]*/>|<({alt})\b[^<>]*>.*?</\2\s*>", re.IGNORECASE | re.DOTALL
    )


_TAG_RES = {kind: _tag_regex(names) for kind, names in LITERAL_TAGS.items()}
_TEMPLATE_RES = {
    kind: re.compile(r"\{\{\s*(?:" + "|".join(names) + r")\s*[|}]", re.IGNORECASE)
    for kind, names in LITERAL_TEMPLATES.items()
}
_BRACES = re.compile(r"\{\{|\}\}")
PLACEHOLDER = " Xlit "  # upper case: never a template_param match


def _blank_templates(text: str, start_re: re.Pattern[str]) -> str:
    out: list[str] = []
    pos = 0
    while True:
        match = start_re.search(text, pos)
        if not match:
            break
        depth = 0
        end = -1
        for brace in _BRACES.finditer(text, match.start()):
            depth += 1 if brace.group() == "{{" else -1
            if depth == 0:
                end = brace.end()
                break
        if end < 0:
            break
        out.append(text[pos : match.start()])
        out.append(PLACEHOLDER)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def blank_literal(wikitext: str, kinds: tuple[str, ...]) -> str:
    """``wikitext`` with the literal content of ``kinds`` replaced by a neutral word."""
    for kind in kinds:
        if kind in _TAG_RES:
            wikitext = _TAG_RES[kind].sub(PLACEHOLDER, wikitext)
        if kind in _TEMPLATE_RES:
            wikitext = _blank_templates(wikitext, _TEMPLATE_RES[kind])
    return wikitext


def literal_kinds(wikitext: str) -> tuple[str, ...]:
    """The literal-content kinds present in ``wikitext``."""
    kinds = []
    for kind in REASONS:
        tag = _TAG_RES.get(kind)
        tmpl = _TEMPLATE_RES.get(kind)
        if (tag and tag.search(wikitext)) or (tmpl and tmpl.search(wikitext)):
            kinds.append(kind)
    return tuple(kinds)


_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_REFS = re.compile(r"<ref\b[^<>]*/>|<ref\b[^<>]*>.*?</ref\s*>", re.IGNORECASE | re.DOTALL)
_HIDDEN_TAGS = re.compile(
    r"<(gallery|imagemap|timeline|graph|mapframe|templatestyles|score|hiero|references)\b"
    r"[^<>]*(?:/>|>.*?</\1\s*>)",
    re.IGNORECASE | re.DOTALL,
)
_INNER_TEMPLATE = re.compile(r"\{\{[^{}]*\}\}")
_INNER_LINK = re.compile(r"\[\[:?([^\[\]|]*)(?:\|([^\[\]]*))?\]\]")
_EXT_LINK = re.compile(r"\[(?:https?:)?//[^\s\]]+\s*([^\]]*)\]")
_ANY_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_TABLE_LINE = re.compile(r"^[ \t]*(?:\{\||\|\}|\|-|\|\+|\||!).*$", re.MULTILINE)
_QUOTE_RUN = re.compile(r"'{2,}")
_SPACES = re.compile(r"\s+")


def prose_view(wikitext: str) -> str:
    """Roughly what MediaWiki shows of ``wikitext`` as plain prose, whitespace collapsed:
    comments, <ref>s, closed templates, tables and tags gone, links as their label. Markup that
    does not close (a stray ``]]``, a ``|`` in a sentence) stays, as MediaWiki shows it."""
    text = _COMMENT.sub("", wikitext)
    text = _REFS.sub(" ", text)
    text = _HIDDEN_TAGS.sub(" ", text)
    for _ in range(8):
        text, n = _INNER_TEMPLATE.subn(" ", text)
        if not n:
            break
    table_depth = 0
    lines = []
    for line in text.split("\n"):
        stripped = line.lstrip()
        if stripped.startswith("{|"):
            table_depth += 1
        if table_depth == 0:
            lines.append(line)
        if stripped.startswith("|}"):
            table_depth = max(0, table_depth - 1)
    text = "\n".join(lines)
    for _ in range(3):
        text = _INNER_LINK.sub(lambda m: m.group(2) if m.group(2) is not None else m.group(1), text)
    text = _EXT_LINK.sub(r"\1", text)
    text = _ANY_TAG.sub("", text)
    text = _QUOTE_RUN.sub("", text)
    return _SPACES.sub(" ", text)


def quote_rules_show(text: str, match: re.Match[str], wikitext: str) -> bool:
    """Whether apostrophes left in the text are what MediaWiki's quote rules show
    (``Parser::doQuotes``): the word before them is followed by four quotes in the wikitext
    (in ``(''Historia e Skënderbeut'''')`` they are an apostrophe and a bold mark, and the
    line's odd counts of bold and italic marks turn that bold mark into another apostrophe and
    an italic mark)."""
    word = re.search(r"(\w+)'*$", text[max(0, match.start() - 40) : match.start() + 1])
    if word is None:
        return False
    return re.search(re.escape(word.group(1)) + "''''", wikitext) is not None


def shown_in_source(text: str, match: re.Match[str], prose: str) -> bool:
    """Whether the match, with 8 (else 4) characters of its line on each side, is written as
    plain text in the wikitext (``prose``): MediaWiki shows it too."""
    line_start = text.rfind("\n", 0, match.start()) + 1
    line_end = text.find("\n", match.end())
    line_end = len(text) if line_end < 0 else line_end
    for width in (8, 4):
        start = max(line_start, match.start() - width)
        end = min(line_end, match.end() + width)
        context = _SPACES.sub(" ", text[start:end]).strip()
        if len(context) > len(match.group().strip()) and context in prose:
            return True
    return False


_PARAM_NAME = re.compile(r"([^\W\d][\w\-]*(?:[ ][\w\-]+){0,2})[ \t]*=")


def is_template_param(match: re.Match[str], wikitext: str) -> bool:
    """A ``name=`` match counts only when ``name`` is a template parameter of the page."""
    found = _PARAM_NAME.search(match.group())
    if not found:
        return False
    name = re.escape(found.group(1).strip())
    return re.search(rf"\|\s*{name}\s*=", wikitext) is not None


# ---------------------------------------------------------------- the corpus


@dataclass
class Page:
    dbname: str
    language: str
    title: str
    rev_id: int
    timestamp: str
    text: str
    source: str
    site: SiteInfo


@dataclass
class SourceLog:
    file: str
    dbname: str
    articles: int = 0
    errors: list[str] = field(default_factory=list)


def _inventory(corpus: Path) -> dict[str, str]:
    files: dict[str, str] = {}
    with open(corpus / "inventory.jsonl", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                files.setdefault(row["file"], row["dbname"])
    return files


def dump_sources(corpus: Path) -> list[tuple[Path, str]]:
    """(dump file, dbname): the assembled bz2 samples and the dumps of original/."""
    found: list[tuple[Path, str]] = []
    for path in sorted((corpus / "assembled").glob("sample-*-pages-articles-multistream.xml.bz2")):
        dbname = path.name.removeprefix("sample-").split("-pages-articles")[0]
        found.append((path, dbname))
    for name, dbname in sorted(_inventory(corpus).items()):
        if name.endswith(DUMP_SUFFIXES) and not name.endswith(".json"):
            found.append((corpus / name, dbname))
    return found


def iter_pages(corpus: Path, logs: list[SourceLog]) -> Iterator[Page]:
    sites: dict[str, SiteInfo] = {}
    for path, dbname in dump_sources(corpus):
        rel = str(path.relative_to(corpus))
        log = SourceLog(rel, dbname)
        logs.append(log)
        errors: list[DumpError] = []
        try:
            dump = open_dump(path, project=dbname)
            sites.setdefault(dbname, dump.site)
            for raw in dump.pages(on_error="skip", errors=errors):
                rev = raw.latest
                if (
                    raw.namespace != 0
                    or raw.redirect_title
                    or (rev.model or "wikitext") != ("wikitext")
                ):
                    continue
                log.articles += 1
                yield Page(
                    dbname,
                    dump.site.language,
                    raw.title,
                    rev.identifier,
                    rev.timestamp or "",
                    rev.text,
                    rel,
                    dump.site,
                )
        except (DumpError, OSError, ValueError) as exc:
            errors.append(exc)  # type: ignore[arg-type]
        log.errors = [str(e)[:200] for e in errors]
    for path in sorted((corpus / ENTERPRISE_DIR).glob("*/*.json")):
        rel = str(path.relative_to(corpus))
        data = json.loads(path.read_text("utf-8"))
        text = (data.get("article_body") or {}).get("wikitext")
        dbname = (data.get("is_part_of") or {}).get("identifier") or path.parent.name
        log = SourceLog(rel, dbname)
        logs.append(log)
        if not text or int((data.get("namespace") or {}).get("identifier", 0)) != 0:
            continue
        language = (data.get("in_language") or {}).get("identifier") or "en"
        site = sites.get(dbname) or SiteInfo(dbname=dbname, language=language)
        log.articles = 1
        yield Page(
            dbname,
            language,
            data["name"],
            int(data["version"]["identifier"]),
            data.get("date_modified") or "",
            text,
            rel,
            site,
        )


def unique_pages(pages: Iterator[Page]) -> list[Page]:
    """One page per (wiki, title): the newest revision (then the first file read)."""
    best: dict[tuple[str, str], Page] = {}
    for page in pages:
        key = (page.dbname, page.title.replace("_", " "))
        old = best.get(key)
        if old is None or (page.timestamp, page.rev_id) > (old.timestamp, old.rev_id):
            best[key] = page
    return sorted(best.values(), key=lambda p: (p.language, p.dbname, p.title))


# ---------------------------------------------------------------- scoring


def parse(wikitext: str, site: SiteInfo, title: str) -> ParsedPage | None:
    try:
        with cpu_budget(DEFAULT_BUDGET):
            return parse_wikitext(wikitext, site, title)
    except ParseTimeout:
        return None


SOURCE_TEXT = "source_text"
REASONS[SOURCE_TEXT] = "written as plain text in the wikitext (outside markup): MediaWiki shows it"
# Remaining matches looked at by hand, with what MediaWiki shows there (the wikitext is as the
# corpus has it; these are the editors' markup, not the parser's).
SEEN_IN_SOURCE = {
    ("jawiki", "人工知能", "pipe"): "seen_stray_bar",
    ("jawiki", "文脈自由文法", "pipe"): "seen_preformatted",
}
REASONS["seen_stray_bar"] = (
    "checked by hand: a stray '|' typed after a template's '}}' in the wikitext; MediaWiki shows it"
)
REASONS["seen_preformatted"] = (
    "checked by hand: bars of an ASCII-art tree in a preformatted (leading-space) block"
)
QUOTE_RULES = "quote_rules"
REASONS[QUOTE_RULES] = "apostrophes that MediaWiki's quote rules (Parser::doQuotes) show as text"


def find_residue(
    text: str, wikitext: str, patterns: dict[str, re.Pattern[str]]
) -> dict[str, list[re.Match[str]]]:
    """Class -> matches in ``text`` (``name=`` only for the page's template parameters)."""
    found: dict[str, list[re.Match[str]]] = {}
    for name, pattern in patterns.items():
        matches = list(pattern.finditer(text))
        if name == "template_param":
            matches = [m for m in matches if is_template_param(m, wikitext)]
        if matches:
            found[name] = matches
    return found


def snippet(text: str, match: re.Match[str], width: int = SNIPPET) -> str:
    half = max(0, (width - (match.end() - match.start())) // 2)
    start = max(0, match.start() - half)
    return text[start : start + width].replace("\n", "⏎")


@dataclass
class ArticleResult:
    page: Page
    chars: int
    timeout: bool
    residue: dict[str, int]  # class -> matches left after exemptions
    exempt: dict[str, int]  # class -> matches exempted
    reasons: dict[str, list[str]]  # class -> exemption kinds
    examples: dict[str, list[str]]  # class -> snippets of residue
    exempt_examples: dict[str, list[str]]
    dropped: dict[str, int]


def score_page(
    page: Page, patterns: dict[str, re.Pattern[str]], per_class: int = 2
) -> ArticleResult:
    """Residue of one page, minus the matches MediaWiki shows as text (see the docstring)."""
    parsed = parse(page.text, page.site, page.title)
    if parsed is None:
        return ArticleResult(page, 0, True, {}, {}, {}, {}, {}, {})
    text = parsed.text
    exempt: Counter[str] = Counter()
    reasons: dict[str, list[str]] = defaultdict(list)
    exempt_examples: dict[str, list[str]] = defaultdict(list)
    left: dict[str, list[re.Match[str]]] = {}
    found = find_residue(text, page.text, patterns)
    prose = prose_view(page.text) if found else ""

    def not_literal(
        where: str, matches: dict[str, list[re.Match[str]]], note: bool
    ) -> dict[str, list[re.Match[str]]]:
        out: dict[str, list[re.Match[str]]] = {}
        for name, ms in matches.items():
            kept = []
            for m in ms:
                if name == "bold_italic" and quote_rules_show(where, m, page.text):
                    if note:
                        exempt[name] += 1
                        if QUOTE_RULES not in reasons[name]:
                            reasons[name].append(QUOTE_RULES)
                        if len(exempt_examples[name]) < per_class:
                            exempt_examples[name].append(snippet(where, m))
                elif shown_in_source(where, m, prose):
                    if note:
                        exempt[name] += 1
                        if SOURCE_TEXT not in reasons[name]:
                            reasons[name].append(SOURCE_TEXT)
                        if len(exempt_examples[name]) < per_class:
                            exempt_examples[name].append(snippet(where, m))
                else:
                    kept.append(m)
            if kept:
                out[name] = kept
        return out

    left = not_literal(text, found, True)
    kinds = literal_kinds(page.text) if left else ()
    examples: dict[str, list[str]] = {}
    if kinds:
        blanked = parse(blank_literal(page.text, kinds), page.site, page.title)
        if blanked is not None:
            flat = blanked.text.replace("\n", "⏎")
            after = not_literal(
                blanked.text, find_residue(blanked.text, page.text, patterns), False
            )
            diff = {name: len(ms) - len(after.get(name, [])) for name, ms in left.items()}
            diff = {name: n for name, n in diff.items() if n > 0}
            for name, n in diff.items():
                exempt[name] += n
                exempt_examples[name] += [
                    s for m in left[name] if (s := snippet(text, m)) not in flat
                ][:per_class]
                for kind in kinds:
                    alone = parse(blank_literal(page.text, (kind,)), page.site, page.title)
                    if alone is None:
                        continue
                    if len(
                        find_residue(alone.text, page.text, {name: patterns[name]}).get(name, [])
                    ) < len(found[name]):
                        reasons[name].append(kind)
                if not any(k in reasons[name] for k in kinds):
                    reasons[name].append("+".join(kinds))
            for name, ms in left.items():
                keep = len(ms) - diff.get(name, 0)
                if keep <= 0:
                    continue
                # prefer snippets of the original text whose context survives the blanking
                same = [s for m in ms if (s := snippet(text, m)) in flat]
                examples[name] = (same or [snippet(blanked.text, m) for m in after[name]])[
                    :per_class
                ]
            residue = {
                name: len(ms) - diff.get(name, 0)
                for name, ms in left.items()
                if len(ms) > diff.get(name, 0)
            }
        else:
            residue = {name: len(ms) for name, ms in left.items()}
    else:
        residue = {name: len(ms) for name, ms in left.items()}
    for name, ms in left.items():
        if name in residue and name not in examples:
            examples[name] = [snippet(text, m) for m in ms[:per_class]]
    for name in list(residue):
        seen = SEEN_IN_SOURCE.get((page.dbname, page.title, name))
        if seen is not None:  # looked at by hand: MediaWiki shows it too
            exempt[name] += residue.pop(name)
            reasons[name].append(seen)
            exempt_examples[name] += examples.pop(name, [])[:per_class]
    return ArticleResult(
        page,
        len(text),
        False,
        residue,
        dict(exempt),
        dict(reasons),
        examples,
        dict(exempt_examples),
        dict(parsed.dropped_templates),
    )


# ---------------------------------------------------------------- report


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        )
        return out.stdout.strip()
    except OSError:
        return ""


def aggregate(results: list[ArticleResult], examples: int, top: int) -> dict[str, Any]:
    core = {c.name for c in CLASSES if c.core}
    languages: dict[str, dict[str, Any]] = {}
    by_lang: dict[str, list[ArticleResult]] = defaultdict(list)
    for r in results:
        by_lang[r.page.language].append(r)
    for lang, rs in sorted(by_lang.items()):
        languages[lang] = {
            "articles": len(rs),
            "wikis": sorted({r.page.dbname for r in rs}),
            "text_chars": sum(r.chars for r in rs),
            "timeouts": sum(r.timeout for r in rs),
            "core_residue_articles": sum(1 for r in rs if core & set(r.residue)),
            "exempt_only_articles": sum(
                1 for r in rs if not (core & set(r.residue)) and set(r.exempt)
            ),
        }
        n = len(rs)
        languages[lang]["core_residue_share"] = round(
            languages[lang]["core_residue_articles"] / n, 4
        )
    classes: dict[str, Any] = {}
    for cls in CLASSES:
        name = cls.name
        hit = [r for r in results if name in r.residue]
        ex = [r for r in results if name in r.exempt]
        per_lang: dict[str, Any] = {}
        for lang, rs in sorted(by_lang.items()):
            lh = [r for r in rs if name in r.residue]
            if lh:
                per_lang[lang] = {
                    "articles": len(lh),
                    "share": round(len(lh) / len(rs), 4),
                    "matches": sum(r.residue[name] for r in lh),
                }
        # examples: worst articles first, at most `examples` per language
        ex_list: list[dict[str, Any]] = []
        taken: Counter[str] = Counter()
        for r in sorted(hit, key=lambda r: -r.residue[name]):
            if taken[r.page.language] >= examples:
                continue
            taken[r.page.language] += 1
            for text in r.examples.get(name, [])[:1]:
                ex_list.append(_example(r, text, r.residue[name]))
        reasons: Counter[str] = Counter()
        for r in ex:
            for kind in r.reasons.get(name, []):
                reasons[REASONS.get(kind, kind)] += 1
        exempt_examples = [
            _example(r, text, r.exempt[name])
            for r in sorted(ex, key=lambda r: -r.exempt[name])[: 3 * examples]
            for text in r.exempt_examples.get(name, [])[:1]
        ]
        classes[name] = {
            "description": cls.description,
            "core": cls.core,
            "articles": len(hit),
            "share": round(len(hit) / len(results), 4) if results else 0.0,
            "matches": sum(r.residue[name] for r in hit),
            "by_language": per_lang,
            "examples": ex_list,
            "exempt": {
                "articles": len(ex),
                "matches": sum(r.exempt[name] for r in ex),
                "reasons": dict(reasons.most_common()),
                "examples": exempt_examples,
            },
        }
    dropped: dict[str, Any] = {}
    for lang, rs in sorted(by_lang.items()):
        calls: Counter[str] = Counter()
        pages: Counter[str] = Counter()
        for r in rs:
            calls.update(r.dropped)
            pages.update(r.dropped.keys())
        dropped[lang] = {
            "articles_with_drops": sum(1 for r in rs if r.dropped),
            "calls": sum(calls.values()),
            "distinct": len(calls),
            "top": [
                {"template": t, "calls": c, "articles": pages[t]} for t, c in calls.most_common(top)
            ],
        }
    total = len(results)
    core_articles = sum(1 for r in results if core & set(r.residue))
    return {
        "articles": total,
        "core_residue_articles": core_articles,
        "core_residue_share": round(core_articles / total, 4) if total else 0.0,
        "exempt_only_articles": sum(
            1 for r in results if not (core & set(r.residue)) and set(r.exempt)
        ),
        "timeouts": [{"wiki": r.page.dbname, "title": r.page.title} for r in results if r.timeout],
        "languages": languages,
        "classes": classes,
        "dropped_templates": dropped,
    }


def _example(r: ArticleResult, text: str, matches: int) -> dict[str, Any]:
    return {
        "wiki": r.page.dbname,
        "lang": r.page.language,
        "title": r.page.title,
        "matches": matches,
        "text": text,
        "source": r.page.source,
    }


def _pct(n: int, d: int) -> str:
    return f"{100 * n / d:.1f}%" if d else "-"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace("`", "'")


def markdown(report: dict[str, Any]) -> str:
    langs = report["languages"]
    classes = report["classes"]
    out = [
        "# Markup residue in wikipact's text, by class and language",
        "",
        f"Made by `bench/residue.py` on {report['generated']} (commit {report['commit']}, "
        f"parser {'compiled' if report['compiled'] else 'pure Python'}), "
        f"{report['articles']} articles of the shared corpus. Definitions: bench/README.md §8.",
        "",
        f"**Articles with core residue: {report['core_residue_articles']} / {report['articles']}"
        f" ({_pct(report['core_residue_articles'], report['articles'])})**; articles whose only "
        f"matches are exempt (content MediaWiki shows as text): "
        f"{report['exempt_only_articles']}. Parse timeouts: {len(report['timeouts'])}.",
        "",
        "## Articles per language",
        "",
        "| lang | wikis | articles | with core residue | share |",
        "|---|---|---:|---:|---:|",
    ]
    for lang, row in langs.items():
        out.append(
            f"| {lang} | {', '.join(row['wikis'])} | {row['articles']} | "
            f"{row['core_residue_articles']} | {_pct(row['core_residue_articles'], row['articles'])} |"
        )
    out += ["", "## Classes (all languages)", ""]
    out += ["| class | core | articles | share | matches | exempt articles | what |"]
    out += ["|---|---|---:|---:|---:|---:|---|"]
    for name, row in classes.items():
        out.append(
            f"| {name} | {'yes' if row['core'] else 'no'} | {row['articles']} | "
            f"{_pct(row['articles'], report['articles'])} | {row['matches']} | "
            f"{row['exempt']['articles']} | {_md_cell(row['description'])} |"
        )
    out += [
        "",
        "## Share of articles with residue, by class and language",
        "",
        "Articles with at least one match left after exemptions, as a share of the language's "
        "articles (blank: none).",
        "",
    ]
    names = [n for n, row in classes.items() if row["articles"]]
    out.append("| lang | articles | " + " | ".join(names) + " |")
    out.append("|---|---:|" + "---:|" * len(names))
    for lang, row in langs.items():
        cells = []
        for name in names:
            hit = classes[name]["by_language"].get(lang)
            cells.append(
                f"{hit['articles']} ({_pct(hit['articles'], row['articles'])})" if hit else ""
            )
        out.append(f"| {lang} | {row['articles']} | " + " | ".join(cells) + " |")
    out += ["", "## Examples", ""]
    for name, row in classes.items():
        if not row["examples"] and not row["exempt"]["examples"]:
            continue
        out += [f"### {name}", ""]
        if row["examples"]:
            out += ["| wiki | title | matches | text |", "|---|---|---:|---|"]
            for ex in row["examples"]:
                out.append(
                    f"| {ex['wiki']} | {_md_cell(ex['title'])} | {ex['matches']} | "
                    f"`{_md_cell(ex['text'])}` |"
                )
            out.append("")
        if row["exempt"]["examples"]:
            reasons = "; ".join(f"{k}: {v}" for k, v in row["exempt"]["reasons"].items())
            out += [f"Exempt ({row['exempt']['articles']} articles; {reasons}):", ""]
            out += ["| wiki | title | matches | text |", "|---|---|---:|---|"]
            for ex in row["exempt"]["examples"]:
                out.append(
                    f"| {ex['wiki']} | {_md_cell(ex['title'])} | {ex['matches']} | "
                    f"`{_md_cell(ex['text'])}` |"
                )
            out.append("")
    out += ["## Dropped templates per language (top by calls)", ""]
    for lang, row in report["dropped_templates"].items():
        if not row["top"]:
            continue
        tops = ", ".join(
            f"{_md_cell(t['template'])} ({t['calls']}/{t['articles']})" for t in row["top"]
        )
        out.append(
            f"* **{lang}** ({row['articles_with_drops']}/{langs[lang]['articles']} articles, "
            f"{row['calls']} calls, {row['distinct']} templates; calls/articles): {tops}"
        )
    out += ["", "## Sources", ""]
    out += ["| file | wiki | articles read | errors |", "|---|---|---:|---|"]
    for src in report["sources"]:
        errors = _md_cell("; ".join(src["errors"])[:150])
        out.append(f"| {src['file']} | {src['dbname']} | {src['articles']} | {errors} |")
    return "\n".join(out) + "\n"


def run(
    corpus: Path,
    examples: int,
    top: int,
    progress: Callable[[str], None] = lambda s: None,
) -> dict[str, Any]:
    import wikipact.wikitext

    siteinfo = load_siteinfo(corpus)
    logs: list[SourceLog] = []
    pages = unique_pages(iter_pages(corpus, logs))
    progress(f"{len(pages)} unique articles from {len(logs)} files")
    cache: dict[tuple[str, str], dict[str, re.Pattern[str]]] = {}
    results: list[ArticleResult] = []
    for i, page in enumerate(pages, 1):
        key = (page.dbname, page.site.namespace_name(6) or "")
        if key not in cache:
            cache[key] = wiki_patterns(page.dbname, page.site, siteinfo)
        results.append(score_page(page, cache[key]))
        if i % 500 == 0:
            progress(f"  {i}/{len(pages)}")
    report = {
        "generated": time.strftime("%Y-%m-%d %H:%M"),
        "commit": _git_commit(),
        "compiled": bool(wikipact.wikitext.COMPILED),
    }
    report.update(aggregate(results, examples, top))
    report["sources"] = [
        {"file": s.file, "dbname": s.dbname, "articles": s.articles, "errors": s.errors}
        for s in logs
    ]
    return report


def summary(report: dict[str, Any]) -> str:
    lines = [
        f"{report['articles']} articles; core residue in {report['core_residue_articles']} "
        f"({_pct(report['core_residue_articles'], report['articles'])}); exempt only: "
        f"{report['exempt_only_articles']}; timeouts: {len(report['timeouts'])}",
        "",
        f"{'lang':<8}{'articles':>9}{'residue':>9}{'share':>8}",
    ]
    for lang, row in report["languages"].items():
        lines.append(
            f"{lang:<8}{row['articles']:>9}{row['core_residue_articles']:>9}"
            f"{_pct(row['core_residue_articles'], row['articles']):>8}"
        )
    lines += ["", f"{'class':<16}{'articles':>9}{'matches':>9}{'exempt':>8}  worst languages"]
    for name, row in report["classes"].items():
        worst = sorted(row["by_language"].items(), key=lambda kv: -kv[1]["articles"])[:4]
        langs = ", ".join(f"{lang} {v['articles']}" for lang, v in worst)
        lines.append(
            f"{name:<16}{row['articles']:>9}{row['matches']:>9}"
            f"{row['exempt']['articles']:>8}  {langs}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--out", type=Path, default=RESULTS)
    ap.add_argument("--examples", type=int, default=3, help="examples per class and language")
    ap.add_argument("--top", type=int, default=20, help="dropped templates listed per language")
    args = ap.parse_args(argv)
    if not (args.corpus / "inventory.jsonl").exists():
        print(f"no corpus at {args.corpus} (--corpus DIR)", file=sys.stderr)
        return 2
    started = time.monotonic()
    report = run(args.corpus, args.examples, args.top, progress=lambda s: print(s, flush=True))
    report["seconds"] = round(time.monotonic() - started, 1)
    write_json(args.out / "residue.json", report)
    (args.out / "residue.md").write_text(markdown(report), encoding="utf-8")
    print(summary(report))
    print(f"\nwrote {args.out / 'residue.json'} and residue.md ({report['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
