"""What a build saw, kept, dropped and wrote: the numbers the dataset card and manifest report."""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import MutableSequence
from dataclasses import dataclass, field

from wikipact.datasets.recipe import Recipe


@dataclass(frozen=True)
class InputInfo:
    """One input of the build: a dump file, or a store and what it held."""

    kind: str  # "dump" | "store"
    name: str  # file name (never a machine path)
    bytes: int | None = None
    sha256: str | None = None
    project: str | None = None  # dbname, e.g. enwiki
    dump_date: str | None = None  # YYYYMMDD from the dump file name, when it has one
    revisions: tuple[int, int] | None = None  # lowest and highest revision id read
    last_change_cursor: int | None = None  # store: the change-log cursor the build saw


@dataclass(frozen=True)
class FileInfo:
    """One file of the dataset, relative to its root (``data/train-00000.parquet``)."""

    path: str
    bytes: int
    sha256: str
    records: int | None = None  # shards and record files
    split: str | None = None
    format: str | None = None  # parquet | jsonl.zst | png | markdown | jsonl


@dataclass
class BuildStats:
    recipe: Recipe
    tokenizer: str
    tokenizer_sha256: str
    inputs: list[InputInfo] = field(default_factory=list)
    seen: int = 0  # records read from the inputs
    dropped: Counter[str] = field(default_factory=Counter)  # filter and dedup reason -> records
    clusters: Counter[str] = field(default_factory=Counter)  # dedup kind -> clusters
    records: Counter[tuple[str, str]] = field(default_factory=Counter)  # (split, language) -> kept
    tokens: Counter[tuple[str, str]] = field(default_factory=Counter)  # (split, language) -> tokens
    # kept records, in output order; 4-byte arrays (a list of ints costs ~36 bytes per record)
    words_per_record: MutableSequence[int] = field(default_factory=lambda: array("I"))
    tokens_per_record: MutableSequence[int] = field(default_factory=lambda: array("I"))
    files: list[FileInfo] = field(default_factory=list)

    @property
    def kept(self) -> int:
        return sum(self.records.values())

    @property
    def total_tokens(self) -> int:
        return sum(self.tokens.values())

    def by_language(self) -> Counter[str]:
        out: Counter[str] = Counter()
        for (_, language), n in self.records.items():
            out[language] += n
        return out

    def by_split(self) -> Counter[str]:
        out: Counter[str] = Counter()
        for (split, _), n in self.records.items():
            out[split] += n
        return out
