"""The dataset card (README.md) and its plots, from hand-made build stats."""

from __future__ import annotations

import fnmatch
import re
from collections import Counter
from pathlib import Path

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from wikipact.datasets.arrow import record_schema
from wikipact.datasets.card import (
    DEDUP_REASONS,
    data_files,
    front_matter,
    reason_explanations,
    render_card,
    size_category,
    write_card,
)
from wikipact.datasets.filters import REASONS
from wikipact.datasets.plots import write_plots
from wikipact.datasets.recipe import Filters, Recipe
from wikipact.datasets.record import OPTIONAL_COLUMNS
from wikipact.datasets.stats import BuildStats, FileInfo, InputInfo

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PLOTS = ["plots/words.png", "plots/tokens.png", "plots/languages.png"]
SHA = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"

# (split, language) -> (records, tokens)
COUNTS = {
    ("train", "en"): (900, 910_000),
    ("train", "el"): (150, 201_000),
    ("validation", "en"): (12, 12_300),
    ("test", "el"): (11, 13_700),
}
# path -> (split, records): the shards hold exactly the records counted above
SHARDS = {
    "data/train-00000.parquet": ("train", 600),
    "data/train-00001.parquet": ("train", 450),
    "data/validation-00000.parquet": ("validation", 12),
    "data/test-00000.parquet": ("test", 11),
}


def make_stats(*, reverse: bool = False, recipe: Recipe | None = None) -> BuildStats:
    """Realistic small stats; ``reverse`` fills every counter in the opposite order."""
    counts = list(COUNTS.items())
    if reverse:
        counts.reverse()
    words = [40 + (i * 37) % 3000 for i in range(1073)]
    dropped = [("redirect", 300), ("too_short", 120), ("near_duplicate", 5), ("same_page", 2)]
    clusters = [("near_duplicate", 4), ("same_page", 2)]
    files = [
        FileInfo(path, 1000 + n, "a" * 64, n, split, "parquet")
        for path, (split, n) in SHARDS.items()
    ]
    files += [
        FileInfo("exclusions.jsonl", 5000, "b" * 64, 427, None, "jsonl"),
        FileInfo("dedup-clusters.jsonl", 500, "b" * 64, 6, None, "jsonl"),
        FileInfo("plots/words.png", 20000, "c" * 64, None, None, "png"),
    ]
    if reverse:
        dropped.reverse()
        clusters.reverse()
    return BuildStats(
        recipe=recipe or Recipe(),
        tokenizer="cl100k_base",
        tokenizer_sha256=SHA,
        inputs=[
            InputInfo(
                kind="dump",
                name="enwiki-20260101-pages-articles.xml.bz2",
                bytes=123_456_789,
                sha256="ab" * 32,
                project="enwiki",
                dump_date="20260101",
                revisions=(100, 2000),
            ),
            InputInfo(
                kind="dump",
                name="elwiki-20260120-pages-articles.xml.bz2",
                bytes=9_876_543,
                sha256="cd" * 32,
                project="elwiki",
                dump_date="20260120",
                revisions=(7, 900),
            ),
        ],
        seen=1500,
        dropped=Counter(dict(dropped)),
        clusters=Counter(dict(clusters)),
        records=Counter({key: n for key, (n, _) in counts}),
        tokens=Counter({key: t for key, (_, t) in counts}),
        words_per_record=words,
        tokens_per_record=[w * 4 // 3 for w in words],
        files=files,
    )


def empty_stats() -> BuildStats:
    return BuildStats(recipe=Recipe(), tokenizer="cl100k_base", tokenizer_sha256=SHA, seen=3)


def split_card(text: str) -> tuple[dict, str]:
    """The front matter (parsed) and the Markdown body of a card."""
    assert text.startswith("---\n")
    front, sep, body = text[4:].partition("\n---\n")
    assert sep
    return yaml.safe_load(front), body


# --- front matter -----------------------------------------------------------------------------


def test_front_matter_has_licence_languages_size_and_configs() -> None:
    stats = make_stats()
    meta, _ = split_card(render_card(stats, PLOTS))
    assert meta["license"] == "cc-by-sa-4.0"
    assert meta["language"] == ["el", "en"]
    assert meta["size_categories"] == ["1K<n<10K"]
    assert meta["task_categories"] == ["text-generation", "fill-mask"]
    assert {"wikipedia", "wikipact"} <= set(meta["tags"])
    [config] = meta["configs"]
    assert config["config_name"] == "default"
    assert config["data_files"] == [
        {"split": "train", "path": "data/train-*.parquet"},
        {"split": "validation", "path": "data/validation-*.parquet"},
        {"split": "test", "path": "data/test-*.parquet"},
    ]
    assert meta["dataset_info"]["splits"] == [
        {"name": "train", "num_examples": 1050},
        {"name": "validation", "num_examples": 12},
        {"name": "test", "num_examples": 11},
    ]


def test_data_file_globs_match_exactly_their_splits_files() -> None:
    stats = make_stats()
    meta, _ = split_card(render_card(stats, PLOTS))
    for entry in meta["configs"][0]["data_files"]:
        globs = entry["path"] if isinstance(entry["path"], list) else [entry["path"]]
        matched = {
            f.path for f in stats.files if any(fnmatch.fnmatchcase(f.path, g) for g in globs)
        }
        assert matched == {p for p, (split, _) in SHARDS.items() if split == entry["split"]}


def test_front_matter_is_accepted_by_huggingface_hub() -> None:
    from huggingface_hub import DatasetCard

    card = DatasetCard(render_card(make_stats(), PLOTS))
    assert card.data.license == "cc-by-sa-4.0"
    assert card.data.language == ["el", "en"]
    assert card.data.size_categories == ["1K<n<10K"]
    assert card.data.configs[0]["data_files"][0] == {
        "split": "train",
        "path": "data/train-*.parquet",
    }
    assert "## Licence and attribution" in card.text


def test_datasets_loads_the_splits_the_card_declares(tmp_path: Path) -> None:
    """``load_dataset`` on the folder reads the card's configs and checks its split sizes."""
    datasets = pytest.importorskip("datasets")
    root = tmp_path / "ds"
    for path, (split, n) in SHARDS.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        table = pa.table({"id": [f"{split}:{i}" for i in range(n)]})
        pq.write_table(table, root / path)
    write_card(root, make_stats(), [])
    loaded = datasets.load_dataset(str(root), cache_dir=str(tmp_path / "cache"))
    assert {name: len(split) for name, split in loaded.items()} == {
        "train": 1050,
        "validation": 12,
        "test": 11,
    }


def test_hub_language_codes_replace_wikimedia_codes() -> None:
    stats = make_stats()
    stats.records = Counter({("train", "simple"): 5, ("train", "zh-yue"): 3, ("train", "en"): 1})
    meta = front_matter(stats)
    assert meta["language"] == ["en", "yue"]
    _, body = split_card(render_card(stats, PLOTS))
    assert "| `zh-yue` | 3 |" in body  # the tables keep the wiki's own codes


@pytest.mark.parametrize(
    ("n", "category"),
    [
        (0, "n<1K"),
        (999, "n<1K"),
        (1000, "1K<n<10K"),
        (99_999, "10K<n<100K"),
        (1_000_000, "1M<n<10M"),
        (123_456_789, "100M<n<1B"),
        (10**12, "n>1T"),
    ],
)
def test_size_category(n: int, category: str) -> None:
    assert size_category(n) == category


def test_jsonl_shards_are_used_when_there_is_no_parquet() -> None:
    files = [
        FileInfo("data/train-00000.jsonl.zst", 10, "a" * 64, 5, "train", "jsonl.zst"),
        FileInfo("data/test-00000.jsonl.zst", 10, "a" * 64, 1, "test", "jsonl.zst"),
        FileInfo("exclusions.jsonl", 10, "a" * 64, 3, None, "jsonl"),
    ]
    assert data_files(files) == (
        "jsonl.zst",
        {"train": ["data/train-*.jsonl.zst"], "test": ["data/test-*.jsonl.zst"]},
    )
    both = [*files, FileInfo("data/train-00000.parquet", 10, "a" * 64, 5, "train", "parquet")]
    assert data_files(both) == ("parquet", {"train": ["data/train-*.parquet"]})


def test_a_glob_that_would_catch_another_splits_files_becomes_a_list_of_paths() -> None:
    files = [
        FileInfo("data/train-0.parquet", 10, "a" * 64, 5, "train", "parquet"),
        FileInfo("data/train-1.parquet", 10, "a" * 64, 5, "train", "parquet"),
        FileInfo("data/train-extra-0.parquet", 10, "a" * 64, 5, "train_extra", "parquet"),
    ]
    assert data_files(files)[1] == {
        "train": ["data/train-0.parquet", "data/train-1.parquet"],
        "train_extra": ["data/train-extra-*.parquet"],
    }


# --- body -------------------------------------------------------------------------------------


def test_counts_per_language_and_split_table() -> None:
    _, body = split_card(render_card(make_stats(), PLOTS))
    section = body.split("## Counts per language and split", 1)[1].split("\n## ", 1)[0]
    assert "| `en` | 912 | 922,300 | 900 | 910,000 | 12 | 12,300 | 0 | 0 |" in section
    assert "| `el` | 161 | 214,700 | 150 | 201,000 | 0 | 0 | 11 | 13,700 |" in section
    assert (
        "| **Total** | **1,073** | **1,137,000** | **1,050** | **1,111,000** | **12** | "
        "**12,300** | **11** | **13,700** |"
    ) in section
    assert section.index("| `en` |") < section.index("| `el` |")  # most records first


def test_summary_counts_and_sources() -> None:
    _, body = split_card(render_card(make_stats(), PLOTS))
    assert "**1,073 records** and **1,137,000 tokens**" in body
    sources = body.split("## Sources", 1)[1].split("\n## ", 1)[0]
    assert "`enwiki-20260101-pages-articles.xml.bz2` | enwiki | 2026-01-01" in sources
    assert "`abababababababab…`" in sources and "100–2000" in sources
    assert "`elwiki-20260120-pages-articles.xml.bz2` | elwiki | 2026-01-20" in sources


def test_how_it_was_built_names_recipe_tokenizer_and_version() -> None:
    import wikipact

    recipe = Recipe(name="encyclopaedia", columns=["claims"])
    _, body = split_card(render_card(make_stats(recipe=recipe), PLOTS))
    section = body.split("## How it was built", 1)[1].split("\n## ", 1)[0]
    assert f"| wikipact version | `{wikipact.__version__}` |" in section
    assert f"| Recipe sha256 | `{recipe.sha256}` |" in section
    assert f"| Tokenizer vocabulary sha256 | `{SHA}` |" in section
    block = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    assert yaml.safe_load(block) == msgspec.to_builtins(recipe)


def test_blocklist_entries_are_counted_not_listed() -> None:
    recipe = Recipe(filters=Filters(blocklist=["enwiki:Taken Down Page", "enwiki:12"]))
    text = render_card(make_stats(recipe=recipe), PLOTS)
    assert "Taken Down Page" not in text
    assert "blocklist: 2 entries (not listed)" in text


def test_drop_reasons_table_and_dedup() -> None:
    stats = make_stats()
    _, body = split_card(render_card(stats, PLOTS))
    section = body.split("## What was filtered and deduplicated, and why", 1)[1]
    section = section.split("\n## ", 1)[0]
    assert "| `redirect` | filter | 300 | a redirect: no text of its own |" in section
    assert "| `too_short` | filter | 120 | fewer than 50 words |" in section
    assert "| `near_duplicate` | deduplication | 5 |" in section
    assert "| **Total** |  | **427** |  |" in section
    assert "| `near_duplicate` | 4 | 5 |" in section  # groups, copies dropped
    assert "| `same_page` | 2 | 2 |" in section
    assert "newest revision" in section and "never depends on the order" in section
    assert "`exclusions.jsonl` lists every dropped page" in section
    assert "`dedup-clusters.jsonl` lists every group" in section
    assert "`stub`" not in section  # reasons that dropped nothing are left out


def test_every_reason_has_an_explanation() -> None:
    explain = reason_explanations(Recipe())
    assert set(explain) == {*REASONS, *DEDUP_REASONS}
    assert all(line.strip() for line in explain.values())


def test_record_fields_table_has_optional_columns_only_when_chosen() -> None:
    _, body = split_card(render_card(make_stats(recipe=Recipe(columns=["claims"])), PLOTS))
    section = body.split("## Record fields", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \| `([^`]+)` \| (.+) \|$", section, re.MULTILINE)
    names = [name for name, _, _ in rows]
    assert names == [f.name for f in record_schema(["claims"])]
    assert "claims" in names and "sections" not in names
    assert all(description.strip() for _, _, description in rows)
    assert ("attribution", "string") in [(n, t) for n, t, _ in rows]


def test_every_column_has_a_description() -> None:
    _, body = split_card(render_card(make_stats(recipe=Recipe(columns=[*OPTIONAL_COLUMNS])), []))
    rows = re.findall(r"^\| `(\w+)` \| `[^`]+` \| (.*) \|$", body, re.MULTILINE)
    assert len(rows) == len(record_schema(OPTIONAL_COLUMNS))
    assert all(not description.startswith(" (optional") and description for _, description in rows)


def test_plots_are_embedded() -> None:
    _, body = split_card(render_card(make_stats(), PLOTS))
    assert "![Words per record](plots/words.png)" in body
    assert "![Tokens per record](plots/tokens.png)" in body
    assert "![Records per language](plots/languages.png)" in body


def test_licence_and_attribution_section() -> None:
    _, body = split_card(render_card(make_stats(), PLOTS))
    section = body.split("## Licence and attribution", 1)[1].split("\n## ", 1)[0]
    assert "https://creativecommons.org/licenses/by-sa/4.0/" in section
    assert "CC BY-SA 4.0" in section
    assert "`attribution` column" in section
    assert "**share alike**" in section and "**credit**" in section
    assert "Wikipedia's contributors" in section


def test_verification_section() -> None:
    _, body = split_card(render_card(make_stats(), PLOTS))
    section = body.split("## Verification", 1)[1]
    assert "wikipact verify DIR --public-key" in section
    assert "`manifest.json`" in section and "`manifest.json.sig`" in section


def test_no_machine_paths_in_the_card() -> None:
    stats = make_stats()
    stats.tokenizer = "/home/someone/tokenizers/tokenizer.json"
    stats.inputs = [InputInfo(kind="dump", name="/srv/dumps/enwiki-20260101-pages-articles.xml")]
    text = render_card(stats, PLOTS)
    assert "/home/" not in text and "/srv/" not in text
    assert "`tokenizer.json`" in text
    assert "`enwiki-20260101-pages-articles.xml`" in text


def test_table_cells_escape_pipes() -> None:
    stats = make_stats()
    stats.inputs = [InputInfo(kind="dump", name="odd|name.xml")]
    assert "`odd\\|name.xml`" in render_card(stats, PLOTS)


# --- determinism, files, empty builds ---------------------------------------------------------


def test_card_is_deterministic() -> None:
    first = render_card(make_stats(), PLOTS)
    assert render_card(make_stats(), PLOTS) == first
    assert render_card(make_stats(reverse=True), PLOTS) == first  # counter order does not matter
    assert not re.search(r"\b20\d\d-\d\d-\d\dT", first)  # no timestamps


def test_write_card(tmp_path: Path) -> None:
    stats = make_stats()
    assert write_card(tmp_path, stats, PLOTS) == "README.md"
    data = (tmp_path / "README.md").read_bytes()
    assert data == render_card(stats, PLOTS).encode("utf-8")
    assert write_card(tmp_path, stats, PLOTS) == "README.md"
    assert (tmp_path / "README.md").read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md"]  # no temp files left
    assert (tmp_path / "README.md").stat().st_mode & 0o777 == 0o644  # readable by all


def test_plots_are_valid_pngs_and_byte_identical(tmp_path: Path) -> None:
    stats = make_stats()
    first = write_plots(tmp_path / "a", stats)
    assert first == PLOTS
    again = write_plots(tmp_path / "b", stats)
    assert again == first
    for path in first:
        data = (tmp_path / "a" / path).read_bytes()
        assert data.startswith(PNG_SIGNATURE)
        assert b"Software" not in data and b"tIME" not in data
        assert (tmp_path / "b" / path).read_bytes() == data
    write_plots(tmp_path / "a", stats)  # rewritten in place: same bytes, nothing left behind
    for path in first:
        assert (tmp_path / "a" / path).read_bytes() == (tmp_path / "b" / path).read_bytes()
    assert sorted(p.name for p in (tmp_path / "a" / "plots").iterdir()) == sorted(
        p.rsplit("/", 1)[1] for p in PLOTS
    )
    assert all((tmp_path / "a" / p).stat().st_mode & 0o777 == 0o644 for p in PLOTS)


def test_plots_follow_the_stats(tmp_path: Path) -> None:
    stats = make_stats()
    write_plots(tmp_path / "a", stats)
    stats.words_per_record = [w * 2 for w in stats.words_per_record]
    stats.records[("train", "de")] = 3
    write_plots(tmp_path / "b", stats)
    for name, changed in [("words", True), ("tokens", False), ("languages", True)]:
        same = (tmp_path / "a" / f"plots/{name}.png").read_bytes() == (
            tmp_path / "b" / f"plots/{name}.png"
        ).read_bytes()
        assert same is not changed, name


def test_many_languages_are_summed_into_others(tmp_path: Path) -> None:
    stats = make_stats()
    stats.records = Counter({("train", f"l{i:02d}"): 100 - i for i in range(60)})
    [_, _, languages] = write_plots(tmp_path, stats)
    assert (tmp_path / languages).read_bytes().startswith(PNG_SIGNATURE)


def test_empty_stats(tmp_path: Path) -> None:
    stats = empty_stats()
    plots = write_plots(tmp_path, stats)
    assert plots == PLOTS
    for path in plots:
        assert (tmp_path / path).read_bytes().startswith(PNG_SIGNATURE)
    text = render_card(stats, plots)
    meta, body = split_card(text)
    assert meta["license"] == "cc-by-sa-4.0"
    assert meta["size_categories"] == ["n<1K"]
    assert "language" not in meta and "configs" not in meta
    assert "kept **no records**" in body
    assert "## Licence and attribution" in body
    from huggingface_hub import DatasetCard

    assert DatasetCard(text).data.license == "cc-by-sa-4.0"
    assert write_card(tmp_path, stats, plots) == "README.md"


def test_a_single_value_histogram(tmp_path: Path) -> None:
    stats = empty_stats()
    stats.records = Counter({("train", "en"): 1})
    stats.words_per_record = [0]
    stats.tokens_per_record = [7]
    for path in write_plots(tmp_path, stats):
        assert (tmp_path / path).read_bytes().startswith(PNG_SIGNATURE)
