"""The build recipe: what goes into a dataset and how it is written (YAML, typed, hashed).

Every field has a default, so ``wikipact build`` without ``--recipe`` makes a sensible dataset of
encyclopaedic articles. The recipe's canonical JSON (defaults filled in) is hashed into the
manifest, so two builds with the same inputs and recipe are recognisably the same build.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import msgspec

from wikipact.datasets.record import OPTIONAL_COLUMNS
from wikipact.errors import ConfigError

FORMATS = ("parquet", "jsonl")


class Filters(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    namespaces: list[int] = msgspec.field(default_factory=lambda: [0])
    drop_redirects: bool = True
    drop_disambiguation: bool = True
    drop_lists: bool = True  # "List of …" and index pages (title prefixes per language)
    drop_stubs: bool = False
    min_words: int = 50
    projects: list[str] = msgspec.field(default_factory=list)  # empty: every project
    languages: list[str] = msgspec.field(default_factory=list)  # empty: every language
    min_references_per_1000_words: float = 0.0
    max_citation_needed: int | None = None
    blocklist: list[str] = msgspec.field(
        default_factory=list
    )  # "enwiki:12", "enwiki:Title", "Title"
    blocklist_file: str | None = None  # one entry per line, same forms, "#" comments


class Dedup(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    exact: bool = True
    near: bool = True
    threshold: float = 0.8  # estimated Jaccard similarity of word shingles
    num_perm: int = 128
    shingle_words: int = 5  # words per shingle (characters for scripts without spaces)


class Splits(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    train: float = 0.98
    validation: float = 0.01
    test: float = 0.01


class Output(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    formats: list[str] = msgspec.field(default_factory=lambda: ["parquet"])
    shard_bytes: int = 256 * 1024 * 1024  # target size of one shard (text bytes before compression)
    row_group_rows: int = 1000  # Parquet row group: small enough for streaming readers
    splits: Splits = msgspec.field(default_factory=Splits)
    exclusions: bool = True  # write exclusions.jsonl: every dropped record and why


class Recipe(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: str = "wikipedia"
    description: str = ""
    filters: Filters = msgspec.field(default_factory=Filters)
    dedup: Dedup = msgspec.field(default_factory=Dedup)
    tokenizer: str = "cl100k_base"
    columns: list[str] = msgspec.field(default_factory=list)  # of OPTIONAL_COLUMNS
    output: Output = msgspec.field(default_factory=Output)
    # a store build's settled view: each page at its newest revision at least this many minutes
    # older than the store's newest change and not reverted (``follow.signals``); None: current
    settled_minutes: int | None = None

    def __post_init__(self) -> None:
        if self.settled_minutes is not None and self.settled_minutes < 0:
            raise ValueError("settled_minutes must be 0 or more")

    def canonical(self) -> bytes:
        """Canonical JSON (sorted keys, every default written): what the recipe hash covers."""
        return msgspec.json.encode(msgspec.to_builtins(self), order="sorted")

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()


def load_recipe(path: str | Path | None) -> Recipe:
    """The recipe in a YAML (or JSON) file, checked; the defaults when ``path`` is None."""
    if path is None:
        return validate(Recipe())
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(f"cannot read the recipe {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"the recipe {path} is not valid YAML: {exc}") from exc
    try:
        recipe = msgspec.convert(data, Recipe)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"the recipe {path}: {exc}") from exc
    if recipe.filters.blocklist_file:
        recipe = _with_blocklist_file(recipe, path.parent / recipe.filters.blocklist_file)
    return validate(recipe, str(path))


def _with_blocklist_file(recipe: Recipe, path: Path) -> Recipe:
    """The recipe with the file's entries added to ``filters.blocklist`` (so the hash covers them)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read the blocklist {path}: {exc.strerror}") from exc
    entries = [e for e in (line.split("#", 1)[0].strip() for line in lines) if e]
    filters = msgspec.structs.replace(
        recipe.filters, blocklist=[*recipe.filters.blocklist, *entries], blocklist_file=None
    )
    return msgspec.structs.replace(recipe, filters=filters)


def validate(recipe: Recipe, where: str = "the recipe") -> Recipe:
    """Checks msgspec cannot express; raises ``ConfigError`` naming the field."""
    problems = []
    unknown = sorted(set(recipe.columns) - set(OPTIONAL_COLUMNS))
    if unknown:
        problems.append(f"columns: unknown {unknown}; choose from {list(OPTIONAL_COLUMNS)}")
    bad = sorted(set(recipe.output.formats) - set(FORMATS))
    if bad or not recipe.output.formats:
        problems.append(f"output.formats: {bad or 'empty'}; choose from {list(FORMATS)}")
    s = recipe.output.splits
    if min(s.train, s.validation, s.test) < 0 or abs(s.train + s.validation + s.test - 1) > 1e-9:
        problems.append("output.splits: fractions must be >= 0 and add up to 1")
    if not 0 < recipe.dedup.threshold <= 1:
        problems.append("dedup.threshold: must be in (0, 1]")
    if recipe.dedup.num_perm < 16 or recipe.dedup.shingle_words < 1:
        problems.append("dedup: num_perm must be >= 16 and shingle_words >= 1")
    if recipe.output.shard_bytes < 1024 or recipe.output.row_group_rows < 1:
        problems.append("output: shard_bytes must be >= 1024 and row_group_rows >= 1")
    if problems:
        raise ConfigError(f"{where}: " + "; ".join(problems))
    return recipe
