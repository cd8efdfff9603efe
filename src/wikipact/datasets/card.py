"""The dataset card: ``README.md`` in the Hugging Face dataset card format, made from a build's stats.

``render_card(stats, plots)`` is the card's text: YAML front matter (licence, languages, size,
task categories and the ``configs`` that tell ``datasets.load_dataset`` which files hold which
split), then what a training team looks for: sources, how the dataset was built, counts per
language and split, what was dropped and why, the record's columns, plots, the licence and how to
credit, and how to verify the files. The card is deterministic: the same stats give the same bytes;
it holds no date but the inputs' dump dates, and names files, never machine paths.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import msgspec
import pyarrow as pa
import yaml

import wikipact
from wikipact.datasets.arrow import record_schema
from wikipact.datasets.filters import REASONS
from wikipact.datasets.manifest import MANIFEST_NAME, SIGNATURE_NAME
from wikipact.datasets.recipe import Recipe
from wikipact.datasets.record import OPTIONAL_COLUMNS
from wikipact.datasets.signing import write_atomic
from wikipact.datasets.stats import BuildStats, FileInfo, InputInfo

CARD_NAME = "README.md"
LICENSE_URL = "https://creativecommons.org/licenses/by-sa/4.0/"
SPLIT_ORDER = ("train", "validation", "test")
DATA_FORMATS = ("parquet", "jsonl.zst", "jsonl")  # preferred first; one per config
_LOADERS = {"parquet": "parquet", "jsonl.zst": "json", "jsonl": "json"}
_FORMAT_NAMES = {"parquet": "Parquet", "jsonl": "JSON Lines (zstd)"}
DEDUP_REASONS = ("same_page", "exact_duplicate", "near_duplicate")

# Hugging Face size buckets: (upper bound, label); a dataset of n records takes the first n < bound.
SIZE_CATEGORIES = (
    (10**3, "n<1K"),
    (10**4, "1K<n<10K"),
    (10**5, "10K<n<100K"),
    (10**6, "100K<n<1M"),
    (10**7, "1M<n<10M"),
    (10**8, "10M<n<100M"),
    (10**9, "100M<n<1B"),
    (10**10, "1B<n<10B"),
    (10**11, "10B<n<100B"),
    (10**12, "100B<n<1T"),
)

# Wikimedia subdomain codes that are not language codes, as the BCP 47 codes the Hub expects
# (https://meta.wikimedia.org/wiki/Special_language_codes). The card's tables keep the wiki codes.
HUB_LANGUAGES = {
    "simple": "en",
    "als": "gsw",
    "bat-smg": "sgs",
    "be-tarask": "be",
    "be-x-old": "be",
    "cbk-zam": "cbk",
    "fiu-vro": "vro",
    "map-bms": "jv",
    "nds-nl": "nds",
    "nrm": "nrf",
    "roa-rup": "rup",
    "roa-tara": "it",
    "zh-classical": "lzh",
    "zh-min-nan": "nan",
    "zh-yue": "yue",
}

COLUMN_DESCRIPTIONS = {
    "id": "`<project>:<page id>`, e.g. `enwiki:12`; stable across builds and revisions",
    "url": "the article's URL on its wiki",
    "title": "the article's title",
    "text": "the article's plain text: paragraphs and lists, without markup",
    "abstract": "the lead section's text",
    "language": "the wiki's language code, as in its subdomain (`en`, `simple`, `zh-yue`)",
    "project": "the wiki's database name (`enwiki`)",
    "revision_id": "the revision the text comes from",
    "date_modified": "when that revision was saved (the dump's ISO 8601 timestamp, UTC)",
    "license": "the licence of the text (CC BY-SA 4.0)",
    "attribution": "a ready-to-print credit line for the article: title, wiki, URL, licence",
    "tokens": "the text's length in tokens of the build's tokenizer",
    "signals": "quality signals of this revision: words, sentences, references, "
    "citation-needed tags, sections, stub flag …",
    "sections": "the section tree flattened in reading order: name, level and own text",
    "claims": "sentences of `text` (character offsets) with the references that back them",
    "infoboxes": "infoboxes: template name and fields",
    "references": "the article's references: type, text and parsed metadata",
}

PLOT_TITLES = {
    "words.png": "Words per record",
    "tokens.png": "Tokens per record",
    "languages.png": "Records per language",
}


def write_card(root: Path, stats: BuildStats, plots: list[str]) -> str:
    """Write the card to ``root/README.md`` atomically; returns its path relative to ``root``."""
    write_atomic(Path(root) / CARD_NAME, render_card(stats, plots).encode("utf-8"))
    return CARD_NAME


def render_card(stats: BuildStats, plots: list[str]) -> str:
    """The dataset card's text: YAML front matter, then Markdown sections.

    ``plots`` are paths relative to the dataset's root (as ``write_plots`` returns them).
    """
    front = yaml.safe_dump(
        front_matter(stats), sort_keys=False, allow_unicode=True, default_flow_style=False
    )
    sections = [
        _summary(stats),
        _sources(stats.inputs),
        _how_built(stats),
        _counts(stats),
        _dropped(stats),
        _fields(stats.recipe),
        _plots(plots),
        _licence(),
        _verification(),
    ]
    return f"---\n{front}---\n\n" + "\n\n".join(s.strip("\n") for s in sections) + "\n"


# --- front matter -----------------------------------------------------------------------------


def front_matter(stats: BuildStats) -> dict[str, Any]:
    """The card's metadata, as the Hugging Face Hub reads it."""
    languages = _languages(stats)
    meta: dict[str, Any] = {"license": "cc-by-sa-4.0"}
    hub_languages = sorted({HUB_LANGUAGES.get(code, code) for code in languages})
    if hub_languages:
        meta["language"] = hub_languages
        meta["multilinguality"] = ["monolingual" if len(hub_languages) == 1 else "multilingual"]
    meta["pretty_name"] = f"{stats.recipe.name} (Wikipedia, built with wikipact)"
    meta["size_categories"] = [size_category(stats.kept)]
    meta["task_categories"] = ["text-generation", "fill-mask"]
    meta["task_ids"] = ["language-modeling", "masked-language-modeling"]
    meta["annotations_creators"] = ["no-annotation"]
    meta["language_creators"] = ["crowdsourced"]
    meta["tags"] = ["wikipedia", "wikipact"]
    fmt, files = data_files(stats.files)
    if files:
        meta["configs"] = [
            {
                "config_name": "default",
                "data_files": [
                    {"split": split, "path": paths[0] if len(paths) == 1 else paths}
                    for split, paths in files.items()
                ],
            }
        ]
    by_split = stats.by_split()
    info: dict[str, Any] = {"config_name": "default"}
    info["splits"] = [
        {"name": split, "num_examples": by_split[split]}
        for split in _ordered_splits([*by_split, *files])
    ]
    if fmt is not None:
        info["download_size"] = sum(f.bytes for f in stats.files if _is_data(f, fmt))
    meta["dataset_info"] = info
    return meta


def size_category(n: int) -> str:
    """The Hugging Face size bucket of ``n`` records (``1K<n<10K`` …)."""
    for bound, label in SIZE_CATEGORIES:
        if n < bound:
            return label
    return "n>1T"


def data_files(files: list[FileInfo]) -> tuple[str | None, dict[str, list[str]]]:
    """The data format and, per split, the globs (or paths) of its shards.

    One format for all splits (Parquet when there is any, else JSON Lines). A split's shards are
    matched by globs made by putting ``*`` for the digits of their names
    (``data/train-00000.parquet`` -> ``data/train-*.parquet``); if a glob would also match
    another split's files, that split lists its files by name instead.
    """
    fmt = next((f for f in DATA_FORMATS if any(_is_data(i, f) for i in files)), None)
    if fmt is None:
        return None, {}
    by_split: dict[str, list[str]] = {}
    for info in files:
        if _is_data(info, fmt):
            by_split.setdefault(info.split or "", []).append(info.path)
    out: dict[str, list[str]] = {}
    for split in _ordered_splits(by_split):
        paths = sorted(by_split[split])
        others = [p for s, ps in by_split.items() if s != split for p in ps]
        globs = sorted({_glob(p) for p in paths})
        clash = any(fnmatch.fnmatchcase(p, g) for g in globs for p in others)
        out[split] = paths if clash else globs
    return fmt, out


def _is_data(info: FileInfo, fmt: str) -> bool:
    return bool(info.split) and info.format == fmt


def _glob(path: str) -> str:
    folder, _, name = path.rpartition("/")
    name = re.sub(r"\d+", "*", name)
    return f"{folder}/{name}" if folder else name


def _ordered_splits(splits: Any) -> list[str]:
    names = set(splits)
    return [s for s in SPLIT_ORDER if s in names] + sorted(names - set(SPLIT_ORDER))


def _languages(stats: BuildStats) -> list[str]:
    """Wiki language codes of the kept records, most records first (then by code)."""
    counts = stats.by_language()
    return sorted((code for code, n in counts.items() if n > 0), key=lambda c: (-counts[c], c))


# --- sections ---------------------------------------------------------------------------------


def _summary(stats: BuildStats) -> str:
    recipe = stats.recipe
    languages = _languages(stats)
    splits = stats.by_split()
    lines = [f"# {recipe.name}", ""]
    if recipe.description.strip():
        lines += [recipe.description.strip(), ""]
    if stats.kept == 0:
        lines.append("This build kept **no records**: every article read was dropped (see below).")
    else:
        split_text = ", ".join(f"{s} {splits[s]:,}" for s in _ordered_splits(splits))
        lines.append(
            f"Articles from Wikipedia as plain text with their metadata, ready for training: "
            f"**{stats.kept:,} records** and **{stats.total_tokens:,} tokens** "
            f"({_name(stats.tokenizer)}) in {_plural(len(languages), 'language')} "
            f"({', '.join(f'`{c}`' for c in languages)}); splits: {split_text}."
        )
    lines += [
        "",
        f"Built by [wikipact](https://github.com/wikipact/wikipact) {wikipact.__version__} from "
        f"{_plural(len(stats.inputs), 'input')}: {stats.seen:,} pages read, "
        f"{sum(stats.dropped.values()):,} dropped by filters and deduplication. "
        "The text is Wikipedia's, written by its contributors and licensed CC BY-SA 4.0: "
        "see [Licence and attribution](#licence-and-attribution).",
    ]
    fmt, files = data_files(stats.files)
    if fmt is not None:
        spec = json.dumps({split: p[0] if len(p) == 1 else p for split, p in files.items()})
        lines += [
            "",
            "Load it with 🤗 `datasets` from this folder (or by its name on the Hub):",
            "",
            "```python",
            "from datasets import load_dataset",
            "",
            f'ds = load_dataset("{_LOADERS[fmt]}", data_files={spec})',
            "```",
        ]
    return "\n".join(lines)


def _sources(inputs: list[InputInfo]) -> str:
    lines = ["## Sources", ""]
    if not inputs:
        return "\n".join([*lines, "No inputs were recorded."])
    lines += [
        "| Kind | Name | Project | Dump date | Size | sha256 | Revisions | Change cursor |",
        "|---|---|---|---|--:|---|---|--:|",
    ]
    for i in inputs:
        revisions = f"{i.revisions[0]}–{i.revisions[1]}" if i.revisions else "—"
        lines.append(
            _row(
                i.kind,
                f"`{_name(i.name)}`",
                i.project or "—",
                _date(i.dump_date),
                _bytes(i.bytes),
                f"`{i.sha256[:16]}…`" if i.sha256 else "—",
                revisions,
                "—" if i.last_change_cursor is None else str(i.last_change_cursor),
            )
        )
    lines += [
        "",
        "Dumps are Wikimedia's XML dumps (https://dumps.wikimedia.org/); a store is wikipact's "
        "local article store, and its change cursor names the last change the build saw.",
    ]
    return "\n".join(lines)


def _how_built(stats: BuildStats) -> str:
    recipe = stats.recipe
    d = recipe.dedup
    steps = [
        "1. **Read** every page of the inputs as an article: plain text, sections, claims, "
        "infoboxes, references and quality signals, parsed from its wikitext.",
        "2. **Filter** by the recipe's rules (namespaces, redirects, disambiguation and list "
        "pages, length, reference density …); each dropped page gets one named reason.",
        "3. **Deduplicate**: one record per page"
        + (", then exact copies of the normalised text" if d.exact else "")
        + (
            f", then near-duplicates (MinHash LSH, {d.num_perm} permutations, "
            f"{d.shingle_words}-word shingles, Jaccard ≥ {d.threshold})"
            if d.near
            else ""
        )
        + "; the best copy of each group is kept.",
        f"4. **Count tokens** with `{_name(stats.tokenizer)}`.",
        "5. **Split** by a hash of the record id into "
        + _split_fractions(recipe)
        + " (a record keeps its split in every build with these fractions, so evaluation "
        "records never leak into a later training set), and write "
        + " and ".join(_FORMAT_NAMES.get(f, f) for f in recipe.output.formats)
        + " shards.",
    ]
    lines = [
        "## How it was built",
        "",
        *steps,
        "",
        "| | |",
        "|---|---|",
        _row("wikipact version", f"`{wikipact.__version__}`"),
        _row("Recipe", f"`{recipe.name}`"),
        _row("Recipe sha256", f"`{recipe.sha256}`"),
        _row("Tokenizer", f"`{_name(stats.tokenizer)}`"),
        _row("Tokenizer vocabulary sha256", f"`{stats.tokenizer_sha256}`"),
        _row("Pages read", f"{stats.seen:,}"),
        _row("Records kept", f"{stats.kept:,}"),
        _row("Tokens", f"{stats.total_tokens:,}"),
        "",
        "The recipe, with every default filled in (its sha256 above covers exactly this, the "
        "blocklist's entries included; the card counts them but does not repeat them):",
        "",
        "```yaml",
        _recipe_yaml(recipe).rstrip("\n"),
        "```",
    ]
    return "\n".join(lines)


def _recipe_yaml(recipe: Recipe) -> str:
    data = msgspec.to_builtins(recipe)
    blocklist = data["filters"].get("blocklist") or []
    if blocklist:
        data["filters"]["blocklist"] = f"{_plural(len(blocklist), 'entry', 'entries')} (not listed)"
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)


def _split_fractions(recipe: Recipe) -> str:
    s = recipe.output.splits
    return ", ".join(f"{name} {fraction:g}" for name, fraction in msgspec.structs.asdict(s).items())


def _counts(stats: BuildStats) -> str:
    splits = _ordered_splits({s for s, _ in stats.records} | {s for s, _ in stats.tokens})
    languages = _languages(stats)
    lines = ["## Counts per language and split", ""]
    if not languages:
        return "\n".join([*lines, "No records."])
    header = ["Language", "Records", "Tokens"]
    for split in splits:
        header += [f"{split} records", f"{split} tokens"]
    lines += [_row(*header), "|---|" + "--:|" * (len(header) - 1)]
    by_language = stats.by_language()
    tokens_by_language: Counter[str] = Counter()
    for (_, language), n in stats.tokens.items():
        tokens_by_language[language] += n
    for language in languages:
        cells = [f"`{language}`", f"{by_language[language]:,}", f"{tokens_by_language[language]:,}"]
        for split in splits:
            cells += [
                f"{stats.records[(split, language)]:,}",
                f"{stats.tokens[(split, language)]:,}",
            ]
        lines.append(_row(*cells))
    total = ["**Total**", f"**{stats.kept:,}**", f"**{stats.total_tokens:,}**"]
    by_split = stats.by_split()
    for split in splits:
        split_tokens = sum(n for (s, _), n in stats.tokens.items() if s == split)
        total += [f"**{by_split[split]:,}**", f"**{split_tokens:,}**"]
    lines.append(_row(*total))

    fmt, files = data_files(stats.files)
    if fmt is not None:
        lines += ["", f"Files ({fmt}):", "", "| Split | Files | Size | Path |", "|---|--:|--:|---|"]
        for split, paths in files.items():
            infos = [f for f in stats.files if f.split == split and f.format == fmt]
            lines.append(
                _row(
                    split,
                    str(len(infos)),
                    _bytes(sum(f.bytes for f in infos)),
                    ", ".join(f"`{p}`" for p in paths),
                )
            )
    return "\n".join(lines)


def reason_explanations(recipe: Recipe) -> dict[str, str]:
    """One line per drop reason (filters, then deduplication), with the recipe's thresholds."""
    f, d = recipe.filters, recipe.dedup
    return {
        "blocklist": "listed in the recipe's blocklist (takedowns, exclusions); checked first",
        "project": "not from the chosen projects"
        + (f" ({', '.join(f.projects)})" if f.projects else ""),
        "language": "not in the chosen languages"
        + (f" ({', '.join(f.languages)})" if f.languages else ""),
        "namespace": "not in the chosen namespaces"
        + (f" ({', '.join(map(str, f.namespaces))})" if f.namespaces else ""),
        "redirect": "a redirect: no text of its own",
        "disambiguation": "a disambiguation page: a list of links, not an article",
        "list_page": "a list or index page (“List of …” and its equivalents per language)",
        "stub": "tagged as a stub by its editors",
        "too_short": f"fewer than {f.min_words:,} words",
        "low_reference_density": (
            f"fewer than {f.min_references_per_1000_words:g} references per 1,000 words"
        ),
        "citation_needed": (
            "more than "
            + (
                "the allowed number of"
                if f.max_citation_needed is None
                else str(f.max_citation_needed)
            )
            + " “citation needed” tags"
        ),
        "same_page": "the same page (project and page id) read twice, e.g. from two dumps; "
        "the best copy is kept",
        "exact_duplicate": "the same text as a better copy after normalisation "
        "(Unicode NFKC, case-folded, words only)",
        "near_duplicate": f"estimated Jaccard similarity ≥ {d.threshold:g} to a better copy "
        f"({d.shingle_words}-word shingles, MinHash with {d.num_perm} permutations)",
    }


def _dropped(stats: BuildStats) -> str:
    explain = reason_explanations(stats.recipe)
    known = [*REASONS, *DEDUP_REASONS]
    reasons = [r for r in known if stats.dropped[r] > 0]
    reasons += sorted(r for r, n in stats.dropped.items() if n > 0 and r not in known)
    lines = ["## What was filtered and deduplicated, and why", ""]
    if reasons:
        lines += ["| Reason | Step | Records | Why |", "|---|---|--:|---|"]
        for reason in reasons:
            step = "deduplication" if reason in DEDUP_REASONS else "filter"
            why = explain.get(reason, "see the exclusion list")
            lines.append(_row(f"`{reason}`", step, f"{stats.dropped[reason]:,}", why))
        lines.append(_row("**Total**", "", f"**{sum(stats.dropped.values()):,}**", ""))
    else:
        lines.append("Nothing was dropped.")
    lines += [
        "",
        "Each dropped page has exactly one reason: the first rule that drops it, with the "
        "blocklist checked first so a takedown always wins.",
    ]
    exclusions = [f.path for f in stats.files if "exclusion" in f.path.rsplit("/", 1)[-1]]
    if exclusions:
        lines.append(
            f"{', '.join(f'`{p}`' for p in exclusions)} lists every dropped page and its reason."
        )
    clusters = [k for k in DEDUP_REASONS if stats.clusters[k] > 0]
    clusters += sorted(k for k, n in stats.clusters.items() if n > 0 and k not in DEDUP_REASONS)
    lines += ["", "### Deduplication", ""]
    if clusters:
        lines += ["| Kind | Groups | Copies dropped |", "|---|--:|--:|"]
        for kind in clusters:
            lines.append(_row(f"`{kind}`", f"{stats.clusters[kind]:,}", f"{stats.dropped[kind]:,}"))
        lines.append("")
    else:
        lines += ["No duplicates were found.", ""]
    listed = [f.path for f in stats.files if "cluster" in f.path.rsplit("/", 1)[-1]]
    if listed:
        lines += [
            f"{', '.join(f'`{p}`' for p in listed)} lists every group: the kept record's id and "
            "the ids of the copies dropped.",
            "",
        ]
    lines.append(
        "A group is a set of copies of one article: the same page read twice, identical "
        "normalised text, or (near duplicates) the connected pairs of similar texts. "
        "**The best copy** of a group is kept: the newest revision (`date_modified`, then "
        "revision id), then the one with more references, then the smaller id, so the choice "
        "never depends on the order of the inputs."
    )
    return "\n".join(lines)


def _fields(recipe: Recipe) -> str:
    schema = record_schema(recipe.columns)
    lines = ["## Record fields", "", "| Column | Type | Description |", "|---|---|---|"]
    for field in schema:
        optional = (
            " (optional column, chosen in the recipe)" if field.name in OPTIONAL_COLUMNS else ""
        )
        description = COLUMN_DESCRIPTIONS.get(field.name, "")
        lines.append(_row(f"`{field.name}`", f"`{_type(field.type)}`", description + optional))
    not_chosen = [c for c in OPTIONAL_COLUMNS if c not in recipe.columns]
    if not_chosen:
        lines += [
            "",
            "Not in this build (optional columns a recipe can add): "
            + ", ".join(f"`{c}`" for c in not_chosen)
            + ".",
        ]
    return "\n".join(lines)


def _type(t: pa.DataType) -> str:
    """A short name of an Arrow type (structs are described, not spelled out)."""
    if pa.types.is_list(t):
        return f"list<{_type(t.value_type)}>"
    if pa.types.is_map(t):
        return f"map<{_type(t.key_type)}, {_type(t.item_type)}>"
    if pa.types.is_struct(t):
        return "struct"
    return str(t)


def _plots(plots: list[str]) -> str:
    lines = ["## Plots", ""]
    if not plots:
        return "\n".join([*lines, "No plots were made."])
    for path in plots:
        name = path.rsplit("/", 1)[-1]
        title = PLOT_TITLES.get(name, name.rsplit(".", 1)[0])
        lines += [f"![{title}]({path})", ""]
    return "\n".join(lines)


def _licence() -> str:
    return "\n".join(
        [
            "## Licence and attribution",
            "",
            "The text of this dataset is from **Wikipedia** and was written by Wikipedia's "
            "contributors. It is licensed under the "
            f"[Creative Commons Attribution-ShareAlike 4.0 International licence]({LICENSE_URL}) "
            "(CC BY-SA 4.0). wikipact only built the dataset; it claims no rights in the text.",
            "",
            "If you share or adapt the records, you must:",
            "",
            "- **credit** Wikipedia and its contributors: every record has an `attribution` "
            "column with a ready-to-print credit line (title, wiki, URL, licence), and the page "
            "history at the record's `url` names the authors;",
            f"- **link the licence** ({LICENSE_URL}) and say whether you changed the text;",
            "- **share alike**: distribute adaptations under CC BY-SA 4.0 or a compatible licence.",
            "",
            "Wikipedia® is a registered trademark of the Wikimedia Foundation; this dataset is "
            "not endorsed by it. Images, media and their licences are not part of the dataset.",
        ]
    )


def _verification() -> str:
    return "\n".join(
        [
            "## Verification",
            "",
            f"`{MANIFEST_NAME}` lists every file of the dataset with its size and sha256; "
            f"`{SIGNATURE_NAME}` is its Ed25519 signature. Check that nothing was changed "
            "or lost with:",
            "",
            "```sh",
            "wikipact verify DIR --public-key PUBLIC_KEY",
            "```",
            "",
            "where `DIR` is this folder and `PUBLIC_KEY` the publisher's public key, obtained "
            "from the publisher and not from this folder.",
        ]
    )


# --- helpers ----------------------------------------------------------------------------------


def _row(*cells: str) -> str:
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _name(text: str) -> str:
    """A file's name without its folder: the card never shows machine paths."""
    return text.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]


def _date(yyyymmdd: str | None) -> str:
    if yyyymmdd and len(yyyymmdd) == 8 and yyyymmdd.isdigit():
        return f"{yyyymmdd[:4]}-{yyyymmdd[4:6]}-{yyyymmdd[6:]}"
    return yyyymmdd or "—"


def _bytes(n: int | None) -> str:
    if n is None:
        return "—"
    if n < 1000:
        return f"{n:,} B"
    size = n / 1000
    for unit in ("KB", "MB", "GB"):
        if size < 1000:
            return f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:,.1f} TB"


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n:,} {one if n == 1 else (many or one + 's')}"
