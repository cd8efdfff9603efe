"""Score one tool's plain-text output (JSONL) against the dump it came from and the ground truth.

    python bench/quality.py OUT.jsonl --dump bench/data/quality-dev.xml --label hf \\
        --ref bench/results/quality/wikiextractor-quality-dev.jsonl \\
        --truth ../shared/corpus/ground-truth-lead-paragraphs.jsonl \\
        --enterprise ../shared/corpus/ground-truth-enterprise-abstracts.jsonl \\
        --examples 3 --json q.json

Standard library only (runs under either virtualenv). The input has one ``{"id", "title",
"text"}`` object per article (``abstract`` optional); the expected articles are the dump's
namespace-0 non-redirect pages, matched by id (by title when the id is unknown). Metrics, as in
``../shared/research/peer-baselines.md`` (details in bench/README.md):

* **empty rate**: expected articles with no document or only whitespace.
* **residue**: per pattern, the share of documents with at least one match and the matches per
  10,000 characters of output. *Core* patterns (their union gives "docs with markup residue" and
  their sum "residue /10k chars"): ``{{ }} [[ ]] <ref </ | thumb| &nbsp; '''``, ``==`` heading lines (each counts its two ``==`` runs),
  ``__MAGIC__`` words, URL-only lines, ``name=`` template parameters at line start,
  ``Category:``-style lines (any language's prefix) and ``formula_N``. Reported, not core:
  ``''``, empty parens ``()``/``(;``/``(,``, HTML entities, HTML tags, table markup, any URL.
* **category leak**: documents with a line equal to one of the page's category names (with or
  without its prefix).
* **list items kept** / **table cells kept**: wikitext list items (lines ``^[*#]+`` outside
  templates: infobox fields written as lists are template data) and table
  cells (``|``/``!`` lines inside ``{| |}``, split at ``||``/``!!``, attributes dropped), cleaned of
  markup by a simple regex, are kept when their first 8 word tokens (12 characters for ja/zh)
  appear contiguously in the output's tokens; items with fewer than 3 tokens (4 characters) are
  not counted.
* **lead F1**: token F1 (bag of lower-cased ``\\w+`` tokens; characters for ja/zh) between the
  tool's lead paragraph (the first paragraph of its ``abstract`` when it has one, else the first
  paragraph of its text with >= 5 tokens) and the REST-summary extract of the same title
  (``--truth``, the dump's language);
  **lead-window F1**: the best F1 of the lead or any run of consecutive paragraphs among the
  first 3; **enterprise abstract F1**: the tool's ``abstract`` (else its lead) against the
  Wikimedia Enterprise ``abstract`` of
  the same revision (title and dbname match, and the dump's revision id equals the abstract's).
* **words**: tokens per expected article; **vs ref**: total tokens over the articles that both
  this output and ``--ref`` (WikiExtractor on the same dump) have, divided by the reference's;
  **prose words**: the same without list lines (lines starting with a bullet/number marker or
  matching one of the page's list items).
"""

from __future__ import annotations

import argparse
import html
import re
import statistics
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchcommon import CHAR_LANGS, CORPUS, articles, read_jsonl, read_siteinfo, tokens, write_json

KEY_TOKENS = 8
KEY_CHARS = 12
MIN_TOKENS = 3
MIN_CHARS = 4
LEAD_MIN_TOKENS = 5

CATEGORY_PREFIXES = [
    "Category",
    "Kategorie",
    "Catégorie",
    "Categoría",
    "Categoria",
    "Categorie",
    "Kategoria",
    "Kategori",
    "Kategorija",
    "Категорія",
    "Категория",
    "カテゴリ",
    "वर्ग",
    "Κατηγορία",
]

CORE = [
    "{{",
    "}}",
    "[[",
    "]]",
    "<ref",
    "</",
    "|",
    "thumb|",
    "&nbsp;",
    "'''",
    "==",
    "__TOC__",
    "url_only_line",
    "template_param",
    "Category:",
    "formula_N",
]
EXTRA = ["''", "empty_parens", "html_entity", "html_tag", "table_markup", "url_any"]


def residue_patterns(category_prefixes: list[str]) -> dict[str, re.Pattern[str]]:
    cats = "|".join(re.escape(p) for p in category_prefixes)
    return {
        "{{": re.compile(r"\{\{"),
        "}}": re.compile(r"\}\}"),
        "[[": re.compile(r"\[\["),
        "]]": re.compile(r"\]\]"),
        "<ref": re.compile(r"<ref\b|&lt;ref\b", re.IGNORECASE),
        "</": re.compile(r"</|&lt;/"),
        "|": re.compile(r"\|"),
        "thumb|": re.compile(r"\b(?:thumb|thumbnail|mini|miniatur|miniatura|vignette)\|"),
        "&nbsp;": re.compile(r"&nbsp;"),
        "'''": re.compile(r"'''"),
        "==": re.compile(r"^[ \t]*={2,}[^=\n]+={2,}[ \t]*$", re.MULTILINE),
        "__TOC__": re.compile(r"__[^\W_a-z]+(?:_[^\W_a-z]+)*__"),
        "url_only_line": re.compile(
            r"^[ \t]*(?:https?://|ftp://|//|www\.)\S+[ \t]*$", re.MULTILINE | re.IGNORECASE
        ),
        "template_param": re.compile(
            r"^[ \t]*\|?[ \t]*[^\W\d_A-Z][\w\-]*(?:[ ][\w\-]+){0,2}[ \t]*=(?!=)", re.MULTILINE
        ),
        "Category:": re.compile(rf"^[ \t]*(?:{cats})[ \t]*:[^\n]*$", re.MULTILINE | re.IGNORECASE),
        "formula_N": re.compile(r"formula_\d+"),
        "''": re.compile(r"(?<!')''(?!')"),
        "empty_parens": re.compile(r"\(\s*[;,)]"),
        "html_entity": re.compile(r"&[a-z]+;|&#\d+;"),
        "html_tag": re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>\n]*)?/?>"),
        "table_markup": re.compile(r"^[ \t]*(?:\{\||\|\}|\|-|\|\+)", re.MULTILINE),
        "url_any": re.compile(r"https?://|\bwww\.", re.IGNORECASE),
    }


# ---------------------------------------------------------------- what the wikitext holds

_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_REF = re.compile(r"<ref[^<>]*/>|<ref[^<>]*>.*?</ref\s*>", re.IGNORECASE | re.DOTALL)
_TEMPLATE = re.compile(r"\{\{[^{}]*\}\}")
_LINK = re.compile(r"\[\[(?:[^\[\]|]*\|)?([^\[\]]*)\]\]")
_EXTLINK = re.compile(r"\[(?:https?:|ftp:)?//[^\s\]]+\s*([^\]]*)\]")
_TAG = re.compile(r"<[^<>]*>")
_INLINE_TAG = re.compile(
    r"</?(?:sup|sub|small|big|span|b|i|u|s|abbr|font|em|strong)\b[^<>]*>", re.I
)
_QUOTES = re.compile(r"'{2,}")
_LIST_LINE = re.compile(r"^[*#]+(.*)$")
_BULLET = re.compile(r"^\s*(?:[*#•·▪‣◦–\-]+|\d+[.)])\s")


def clean_markup(text: str) -> str:
    """Simple regex cleaning of one wikitext line: what a human would read in it.

    Comments, <ref>s and templates that close on the line are dropped, links become their
    label, tags and bold/italic quotes go, entities are decoded; whatever does not close on the
    line (a citation template continued on the next lines) stays as words.
    """
    text = _COMMENT.sub(" ", text)
    text = _REF.sub(" ", text)
    while True:
        stripped = _TEMPLATE.sub(" ", text)
        if stripped == text:
            break
        text = stripped
    for _ in range(2):  # nested links: [[File:x|caption with [[link]]]]
        text = _LINK.sub(r"\1", text)
    text = _EXTLINK.sub(r"\1", text)
    text = _INLINE_TAG.sub("", text)  # km<sup>2</sup> reads as one word
    text = _TAG.sub(" ", text)
    text = html.unescape(_QUOTES.sub("", text))
    return text.replace("{{", " ").replace("}}", " ").replace("|", " ")


def _split_top(cell: str) -> str:
    """A table cell without its attributes: what follows the first ``|`` outside links/templates."""
    depth = 0
    i = 0
    while i < len(cell) - 1:
        pair = cell[i : i + 2]
        if pair in ("[[", "{{"):
            depth += 1
            i += 2
            continue
        if pair in ("]]", "}}"):
            depth = max(0, depth - 1)
            i += 2
            continue
        if cell[i] == "|" and depth == 0:
            return cell[i + 1 :]
        i += 1
    return cell


def table_cells(wikitext: str) -> list[str]:
    cells: list[str] = []
    depth = 0
    for raw in wikitext.split("\n"):
        line = raw.strip()
        if line.startswith("{|"):
            depth += 1
            continue
        if line.startswith("|}"):
            depth = max(0, depth - 1)
            continue
        if depth == 0 or not line or line[0] not in "|!" or line.startswith(("|-", "|+")):
            continue
        for part in re.split(r"\|\||!!", line[1:]):
            cells.append(_split_top(part))
    return cells


def list_items(wikitext: str) -> list[str]:
    """List items of the article body: list lines outside templates (an infobox field written
    as a list is template data, not a list a reader sees in the text)."""
    items: list[str] = []
    depth = 0
    for line in _COMMENT.sub("", wikitext).split("\n"):
        if depth == 0 and (m := _LIST_LINE.match(line)):
            items.append(m.group(1))
        depth = max(depth + line.count("{{") - line.count("}}"), 0)
    return items


@dataclass
class Expected:
    id: str
    title: str
    rev_id: int
    list_keys: list[str]
    cell_keys: list[str]
    categories: set[str]
    category_names: list[str]


def _key(text: str, lang: str) -> str | None:
    toks = tokens(text, lang)
    char_lang = lang in CHAR_LANGS
    if len(toks) < (MIN_CHARS if char_lang else MIN_TOKENS):
        return None
    return " " + " ".join(toks[: KEY_CHARS if char_lang else KEY_TOKENS]) + " "


def _norm_line(line: str) -> str:
    return " ".join(line.replace("_", " ").split()).casefold()


def expected_articles(dump: Path, lang: str, cat_prefixes: list[str]) -> list[Expected]:
    cats_re = re.compile(
        r"\[\[\s*(" + "|".join(re.escape(p) for p in cat_prefixes) + r")\s*:\s*([^\]|\n]+)",
        re.IGNORECASE,
    )
    out: list[Expected] = []
    for page in articles(dump):
        wikitext = page.text
        list_keys = [k for item in list_items(wikitext) if (k := _key(clean_markup(item), lang))]
        cell_keys = [k for cell in table_cells(wikitext) if (k := _key(clean_markup(cell), lang))]
        categories: set[str] = set()
        names: list[str] = []
        for prefix, name in cats_re.findall(wikitext):
            norm = _norm_line(name)
            if not norm:
                continue
            names.append(name.strip())
            categories.add(norm)
            categories.add(_norm_line(f"{prefix}:{name}"))
            categories.add(_norm_line(f"Category:{name}"))
        out.append(
            Expected(str(page.id), page.title, page.rev_id, list_keys, cell_keys, categories, names)
        )
    return out


# ---------------------------------------------------------------- scoring helpers


def f1(pred: list[str], truth: list[str]) -> float:
    if not pred or not truth:
        return 0.0
    common = sum((Counter(pred) & Counter(truth)).values())
    if common == 0:
        return 0.0
    precision = common / len(pred)
    recall = common / len(truth)
    return 2 * precision * recall / (precision + recall)


def paragraphs(text: str, lang: str) -> list[str]:
    return [p.strip() for p in text.split("\n") if len(tokens(p, lang)) >= LEAD_MIN_TOKENS]


def lead_of(doc: dict[str, Any] | None, lang: str) -> tuple[str, list[str]]:
    """(lead used for lead F1, first 3 paragraphs of the text).

    The lead is a lead *paragraph*, as the REST-summary truth is: the first paragraph of the
    tool's ``abstract`` when it has one (tools that build a lead get credit for it), else the
    first paragraph of its text with >= 5 tokens. The whole ``abstract`` is scored against
    Enterprise's abstracts (see ``abstract_of``).
    """
    if doc is None:
        return "", []
    paras = paragraphs(doc.get("text") or "", lang)[:3]
    abstract = doc.get("abstract")
    if isinstance(abstract, str) and abstract.strip():
        first = paragraphs(abstract, lang)
        if first:
            return first[0], paras
    return (paras[0] if paras else ""), paras


def abstract_of(doc: dict[str, Any] | None, lang: str) -> str:
    """The tool's ``abstract`` when it has one, else its lead paragraph."""
    if doc is not None:
        abstract = doc.get("abstract")
        if isinstance(abstract, str) and abstract.strip():
            return abstract.strip()
    return lead_of(doc, lang)[0]


def window_f1(lead: str, paras: list[str], truth: list[str], lang: str) -> float:
    best = f1(tokens(lead, lang), truth)
    for i in range(len(paras)):
        for j in range(i + 1, len(paras) + 1):
            best = max(best, f1(tokens(" ".join(paras[i:j]), lang), truth))
    return best


def is_list_line(line: str, list_keys: set[str], lang: str) -> bool:
    if _BULLET.match(line):
        return True
    key = _key(line, lang)
    return key is not None and key in list_keys


def prose_words(text: str, list_keys: set[str], lang: str) -> int:
    return sum(
        len(tokens(line, lang))
        for line in text.split("\n")
        if line.strip() and not is_list_line(line, list_keys, lang)
    )


def snippet(text: str, start: int, end: int, width: int = 70) -> str:
    return text[max(0, start - width) : end + width].replace("\n", "⏎")


def load_docs(path: Path) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]], int]:
    by_id: dict[str, dict[str, Any]] = {}
    by_title: dict[str, dict[str, Any]] = {}
    count = 0
    for doc in read_jsonl(path):
        count += 1
        doc_id = str(doc.get("id", ""))
        if doc_id:
            by_id.setdefault(doc_id, doc)
        by_title.setdefault(str(doc.get("title", "")), doc)
    return by_id, by_title, count


def find_doc(
    exp: Expected, by_id: dict[str, dict[str, Any]], by_title: dict[str, dict[str, Any]]
) -> dict[str, Any] | None:
    return by_id.get(exp.id) or by_title.get(exp.title)


# ---------------------------------------------------------------- the scorer


def score(
    out_path: Path,
    dump: Path,
    *,
    label: str,
    ref: Path | None,
    truth: Path | None,
    enterprise: Path | None,
    truth_lang: str | None,
    examples: int,
) -> dict[str, Any]:
    site = read_siteinfo(dump)
    lang = site.language
    cat_prefixes = list(CATEGORY_PREFIXES)
    local = site.namespaces.get(14)
    if local and local not in cat_prefixes:
        cat_prefixes.append(local)
    patterns = residue_patterns(cat_prefixes)
    expected = expected_articles(dump, lang, cat_prefixes)
    by_id, by_title, n_docs_file = load_docs(out_path)
    ref_docs = load_docs(ref) if ref else None

    n = len(expected)
    empty_titles: list[str] = []
    matched_ids: set[int] = set()
    pattern_docs: Counter[str] = Counter()
    pattern_hits: Counter[str] = Counter()
    worst: dict[str, list[tuple[int, str, str]]] = {p: [] for p in patterns}
    core_docs = 0
    chars = words = 0
    cat_leak_docs = 0
    cat_examples: list[tuple[str, str]] = []
    list_total = list_kept = cell_total = cell_kept = 0
    list_lost: list[tuple[int, str, str]] = []
    table_lost: list[tuple[int, str, str]] = []
    shared_words = shared_ref_words = shared_prose = shared_ref_prose = 0
    doc_ratios: list[float] = []
    shared_docs = 0
    per_doc_words: dict[str, int] = {}

    for exp in expected:
        doc = find_doc(exp, by_id, by_title)
        text = (doc or {}).get("text") or ""
        if doc is not None:
            matched_ids.add(id(doc))
        if not text.strip():
            empty_titles.append(exp.title)
        chars += len(text)
        toks = tokens(text, lang)
        words += len(toks)
        per_doc_words[exp.id] = len(toks)
        # residue
        core_hit = False
        for name, pattern in patterns.items():
            hits = list(pattern.finditer(text))
            if not hits:
                continue
            pattern_docs[name] += 1
            pattern_hits[name] += len(hits) * (2 if name == "==" else 1)  # both = runs
            core_hit = core_hit or name in CORE
            worst[name].append(
                (len(hits), exp.title, snippet(text, hits[0].start(), hits[0].end()))
            )
        core_docs += core_hit
        # category leak
        leaked = [
            ln.strip() for ln in text.split("\n") if ln.strip() and _norm_line(ln) in exp.categories
        ]
        if leaked:
            cat_leak_docs += 1
            cat_examples.append((exp.title, " / ".join(leaked[:3])))
        # lists and tables
        joined = " " + " ".join(toks) + " "
        kept = sum(1 for k in exp.list_keys if k in joined)
        list_total += len(exp.list_keys)
        list_kept += kept
        if exp.list_keys:
            list_lost.append(
                (
                    len(exp.list_keys) - kept,
                    exp.title,
                    f"{kept}/{len(exp.list_keys)} list items kept, e.g. {exp.list_keys[0].strip()!r}",
                )
            )
        kept = sum(1 for k in exp.cell_keys if k in joined)
        cell_total += len(exp.cell_keys)
        cell_kept += kept
        if exp.cell_keys:
            table_lost.append(
                (
                    len(exp.cell_keys) - kept,
                    exp.title,
                    f"{kept}/{len(exp.cell_keys)} table cells kept, e.g. {exp.cell_keys[0].strip()!r}",
                )
            )
        # words vs the reference
        if ref_docs is not None:
            rdoc = find_doc(exp, ref_docs[0], ref_docs[1])
            if doc is not None and rdoc is not None:
                rtext = rdoc.get("text") or ""
                rwords = len(tokens(rtext, lang))
                keys = set(exp.list_keys)
                shared_docs += 1
                shared_words += len(toks)
                shared_ref_words += rwords
                shared_prose += prose_words(text, keys, lang)
                shared_ref_prose += prose_words(rtext, keys, lang)
                if rwords:
                    doc_ratios.append(len(toks) / rwords)

    def share(x: int) -> float:
        return round(x / n, 4) if n else 0.0

    residue = {
        name: {
            "doc_share": share(pattern_docs[name]),
            "per_10k_chars": round(pattern_hits[name] / chars * 1e4, 3) if chars else 0.0,
            "core": name in CORE,
        }
        for name in patterns
    }
    core_per_10k = sum(pattern_hits[p] for p in CORE) / chars * 1e4 if chars else 0.0

    # leads
    leads = lead_scores(
        expected, by_id, by_title, truth, truth_lang or lang, lang, enterprise, site.dbname
    )

    result: dict[str, Any] = {
        "label": label,
        "output": str(out_path),
        "dump": dump.name,
        "dbname": site.dbname,
        "lang": lang,
        "docs": n,
        "docs_in_output": n_docs_file,
        "extra_docs": n_docs_file - len(matched_ids),
        "chars": chars,
        "words": words,
        "words_per_article": round(words / n, 1) if n else 0.0,
        "expected_articles": n,
        "empty_rate": share(len(empty_titles)),
        "empty": len(empty_titles),
        "empty_titles": empty_titles[:50],
        "residue": residue,
        "residue_any_core_doc_share": share(core_docs),
        "residue_core_per_10k_chars": round(core_per_10k, 2),
        "category_leak_doc_share": share(cat_leak_docs),
        "list_retention": round(list_kept / list_total, 4) if list_total else None,
        "list_items": list_total,
        "table_retention": round(cell_kept / cell_total, 4) if cell_total else None,
        "table_cells": cell_total,
        **leads["summary"],
    }
    if ref_docs is not None:
        result["words_vs_ref"] = {
            "ref": str(ref),
            "shared_docs": shared_docs,
            "ratio": round(shared_words / shared_ref_words, 4) if shared_ref_words else None,
            "median_doc_ratio": round(statistics.median(doc_ratios), 4) if doc_ratios else None,
            "docs_below_half": round(sum(r < 0.5 for r in doc_ratios) / len(doc_ratios), 4)
            if doc_ratios
            else None,
        }
        result["prose_words_vs_ref"] = (
            round(shared_prose / shared_ref_prose, 4) if shared_ref_prose else None
        )
    counts = count_fields(by_id)
    if counts:
        result["structure_counts"] = counts
    ex: dict[str, list[tuple[str, str]]] = {}
    if examples:
        for name, rows in worst.items():
            if rows:
                rows.sort(key=lambda r: -r[0])
                ex[name] = [(t, s) for _c, t, s in rows[:examples]]
        list_lost.sort(key=lambda r: -r[0])
        table_lost.sort(key=lambda r: -r[0])
        ex["lists_lost"] = [(t, s) for c, t, s in list_lost[:examples] if c]
        ex["tables_lost"] = [(t, s) for c, t, s in table_lost[:examples] if c]
        ex["category_leak"] = cat_examples[:examples]
        ex["low_lead_f1"] = leads["low"][:examples]
        ex["empty"] = [(t, "") for t in empty_titles[:examples]]
    result["examples"] = ex
    result["lead_details"] = leads["details"]
    return result


def count_fields(by_id: dict[str, dict[str, Any]]) -> dict[str, int]:
    """Sums of wikipact's n_tables / n_references / n_sections when the output has them."""
    sums: Counter[str] = Counter()
    for doc in by_id.values():
        for key in ("n_tables", "n_references", "n_sections"):
            if isinstance(doc.get(key), int):
                sums[key] += doc[key]
    return dict(sums)


def lead_scores(
    expected: list[Expected],
    by_id: dict[str, dict[str, Any]],
    by_title: dict[str, dict[str, Any]],
    truth: Path | None,
    truth_lang: str,
    lang: str,
    enterprise: Path | None,
    dbname: str,
) -> dict[str, Any]:
    by_exp_title = {e.title: e for e in expected}
    lead_f1s: list[float] = []
    window_f1s: list[float] = []
    ent_f1s: list[float] = []
    low: list[tuple[float, str, str]] = []
    details: list[dict[str, Any]] = []
    if truth is not None and truth.exists():
        for row in read_jsonl(truth):
            if row.get("lang") != truth_lang:
                continue
            exp = by_exp_title.get(row["title"])
            if exp is None:
                continue
            truth_toks = tokens(row["extract"], lang)
            doc = find_doc(exp, by_id, by_title)
            lead, paras = lead_of(doc, lang)
            score_ = f1(tokens(lead, lang), truth_toks)
            lead_f1s.append(score_)
            window_f1s.append(window_f1(lead, paras, truth_toks, lang))
            low.append((score_, exp.title, f"F1={score_:.2f} lead: {lead[:160]}"))
            details.append({"title": exp.title, "truth": "lead", "f1": round(score_, 4)})
    if enterprise is not None and enterprise.exists():
        for row in read_jsonl(enterprise):
            if row.get("dbname") != dbname or not row.get("wikitext_of_same_revision_in_file"):
                continue
            exp = by_exp_title.get(row["title"])
            if exp is None or exp.rev_id != int(row.get("rev_id") or -1):
                continue
            doc = find_doc(exp, by_id, by_title)
            lead = abstract_of(doc, lang)
            score_ = f1(tokens(lead, lang), tokens(row["abstract"], lang))
            ent_f1s.append(score_)
            details.append({"title": exp.title, "truth": "enterprise", "f1": round(score_, 4)})
    low.sort()
    summary = {
        "lead_f1": round(statistics.fmean(lead_f1s), 4) if lead_f1s else None,
        "lead_window_f1": round(statistics.fmean(window_f1s), 4) if window_f1s else None,
        "lead_n": len(lead_f1s),
        "enterprise_f1": round(statistics.fmean(ent_f1s), 4) if ent_f1s else None,
        "enterprise_n": len(ent_f1s),
    }
    return {"summary": summary, "low": [(t, s) for _f, t, s in low], "details": details}


# ---------------------------------------------------------------- output


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def num(value: float | None, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


MD_HEADER = (
    "| tool | docs | empty rate | docs with markup residue | residue /10k chars | category lines "
    "left | list items kept | table cells kept | words/article | words vs WikiExtractor | prose "
    "words vs WikiExtractor | lead F1 (n) | lead-window F1 | enterprise abstract F1 (n) |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def markdown_row(r: dict[str, Any]) -> str:
    ratio = (r.get("words_vs_ref") or {}).get("ratio")
    return (
        f"| {r['label']} | {r['docs']} | {pct(r['empty_rate'])} ({r['empty']}) | "
        f"{pct(r['residue_any_core_doc_share'])} | {r['residue_core_per_10k_chars']:.2f} | "
        f"{pct(r['category_leak_doc_share'])} | {pct(r['list_retention'])} | "
        f"{pct(r['table_retention'])} | {r['words_per_article']:.0f} | "
        f"{num(ratio, 2)}× | {num(r.get('prose_words_vs_ref'), 2)}× | "
        f"{num(r['lead_f1'])} ({r['lead_n']}) | {num(r['lead_window_f1'])} | "
        f"{num(r['enterprise_f1'])} ({r['enterprise_n']}) |"
    )


def print_report(r: dict[str, Any]) -> None:
    print(f"== {r['label']}: {r['docs']} articles in {r['dump']}, {r['words']} words")
    for key in (
        "empty_rate",
        "residue_any_core_doc_share",
        "residue_core_per_10k_chars",
        "category_leak_doc_share",
        "list_retention",
        "table_retention",
        "words_per_article",
        "lead_f1",
        "lead_window_f1",
        "lead_n",
        "enterprise_f1",
        "enterprise_n",
        "words_vs_ref",
        "prose_words_vs_ref",
        "structure_counts",
    ):
        if key in r:
            print(f"  {key}: {r[key]}")
    parts = [
        f"{name} {v['doc_share']:.2f}/{v['per_10k_chars']:.2f}"
        for name, v in r["residue"].items()
        if v["doc_share"]
    ]
    print("  residue (doc share / per 10k chars): " + ", ".join(parts))
    for name, rows in r["examples"].items():
        if not rows:
            continue
        print(f"  examples {name}:")
        for title, text in rows:
            print(f"    [{title}] {text}")
    print(MD_HEADER)
    print(markdown_row(r))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("output", type=Path, help="the tool's JSONL")
    parser.add_argument("--dump", type=Path, required=True)
    parser.add_argument("--label", default=None)
    parser.add_argument("--ref", type=Path, default=None, help="WikiExtractor JSONL, same dump")
    parser.add_argument("--truth", type=Path, default=CORPUS / "ground-truth-lead-paragraphs.jsonl")
    parser.add_argument("--truth-lang", default=None, help="default: the dump's language")
    parser.add_argument(
        "--enterprise", type=Path, default=CORPUS / "ground-truth-enterprise-abstracts.jsonl"
    )
    parser.add_argument("--examples", type=int, default=0, help="worst K examples per pattern")
    parser.add_argument("--json", type=Path, default=None, help="write the summary here")
    parser.add_argument("--quiet", action="store_true", help="print only the Markdown row")
    args = parser.parse_args(argv)
    result = score(
        args.output,
        args.dump,
        label=args.label or args.output.stem,
        ref=args.ref,
        truth=args.truth,
        enterprise=args.enterprise,
        truth_lang=args.truth_lang,
        examples=args.examples,
    )
    result["markdown_row"] = markdown_row(result)
    if args.json:
        write_json(args.json, result)
    if args.quiet:
        print(result["markdown_row"])
    else:
        print_report(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
