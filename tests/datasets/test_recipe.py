"""The build recipe: defaults, YAML checks that name the bad field, the blocklist file, the hash."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.datasets.conftest import SAMPLE_RECIPE
from wikipact.datasets.recipe import FORMATS, Recipe, load_recipe, validate
from wikipact.datasets.record import OPTIONAL_COLUMNS
from wikipact.errors import ConfigError


def _recipe(tmp_path: Path, text: str, name: str = "recipe.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_defaults_validate_and_describe_an_encyclopaedic_dataset() -> None:
    recipe = load_recipe(None)
    assert recipe == validate(Recipe())
    assert recipe.filters.namespaces == [0]
    assert recipe.filters.drop_redirects and recipe.filters.drop_disambiguation
    assert recipe.filters.min_words == 50 and recipe.filters.blocklist == []
    assert recipe.dedup.threshold == 0.8 and recipe.dedup.exact and recipe.dedup.near
    assert recipe.tokenizer == "cl100k_base"
    assert recipe.columns == [] and recipe.output.formats == ["parquet"]
    splits = recipe.output.splits
    assert splits.train + splits.validation + splits.test == pytest.approx(1)


def test_the_sample_recipe_of_the_build_tests_loads(tmp_path: Path) -> None:
    recipe = load_recipe(_recipe(tmp_path, SAMPLE_RECIPE))
    assert recipe.name == "wikipact-sample"
    assert recipe.filters.blocklist == ["enwiki:Albedo", "mrwiki:1"]
    assert recipe.columns == list(OPTIONAL_COLUMNS)
    assert recipe.output.formats == list(FORMATS)
    assert recipe.output.row_group_rows == 50
    # fields the file leaves out keep their defaults
    assert recipe.dedup == Recipe().dedup and recipe.tokenizer == "cl100k_base"


def test_an_empty_file_is_the_default_recipe(tmp_path: Path) -> None:
    assert load_recipe(_recipe(tmp_path, "")).sha256 == Recipe().sha256


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("nmae: typo\n", ["nmae"]),
        ("filters:\n  min_word: 10\n", ["min_word", "$.filters"]),
        ("dedup:\n  treshold: 0.9\n", ["treshold", "$.dedup"]),
        ("output:\n  splits:\n    training: 1.0\n", ["training", "$.output.splits"]),
        ("filters:\n  min_words: many\n", ["$.filters.min_words"]),
        ("dedup:\n  threshold: high\n", ["$.dedup.threshold"]),
        (
            "output:\n  splits: {train: 0.9, validation: 0.1, test: 0.1}\n",
            ["output.splits", "add up to 1"],
        ),
        (
            "output:\n  splits: {train: 1.1, validation: -0.1, test: 0.0}\n",
            ["output.splits", ">= 0"],
        ),
        ("columns: [sections, summary]\n", ["columns", "summary", "infoboxes"]),
        ("output:\n  formats: [parquet, csv]\n", ["output.formats", "csv", "jsonl"]),
        ("output:\n  formats: []\n", ["output.formats", "empty"]),
        ("dedup:\n  threshold: 0\n", ["dedup.threshold", "(0, 1]"]),
        ("dedup:\n  threshold: 1.5\n", ["dedup.threshold"]),
        ("dedup:\n  num_perm: 8\n", ["dedup", "num_perm"]),
        ("output:\n  shard_bytes: 10\n", ["output", "shard_bytes"]),
        ("name: [unclosed\n", ["not valid YAML"]),
    ],
)
def test_a_bad_recipe_raises_a_config_error_naming_the_field(
    tmp_path: Path, text: str, names: list[str]
) -> None:
    path = _recipe(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_recipe(path)
    message = str(caught.value)
    assert str(path) in message
    for name in names:
        assert name in message


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = _recipe(tmp_path, "columns: [nope]\ndedup: {threshold: 2}\noutput: {formats: [xml]}\n")
    with pytest.raises(ConfigError, match=r"columns.*output\.formats.*dedup\.threshold"):
        load_recipe(path)


def test_a_missing_recipe_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the recipe"):
        load_recipe(tmp_path / "absent.yaml")


def test_the_blocklist_file_is_read_relative_to_the_recipe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recipes = tmp_path / "recipes"
    (recipes / "lists").mkdir(parents=True)
    (recipes / "lists" / "takedowns.txt").write_text(
        "# takedown requests\n"
        "enwiki:12   # Anarchism, by page id\n"
        "\n"
        "   dewiki:Alan_Smithee\n"
        "Albedo\n"
        "#enwiki:303 commented out\n",
        encoding="utf-8",
    )
    path = _recipe(
        recipes,
        "filters:\n  blocklist: [mrwiki:1]\n  blocklist_file: lists/takedowns.txt\n",
    )
    # the working directory does not matter: the file is found next to the recipe
    monkeypatch.chdir(tmp_path)
    recipe = load_recipe(path)
    # inline entries first, then the file's, comments and blank lines dropped
    assert recipe.filters.blocklist == ["mrwiki:1", "enwiki:12", "dewiki:Alan_Smithee", "Albedo"]
    # the entries are in the recipe itself (so the hash covers them), the file name is not
    assert recipe.filters.blocklist_file is None
    assert b"enwiki:12" in recipe.canonical() and b"takedowns" not in recipe.canonical()


def test_the_recipe_hash_changes_when_the_blocklist_file_changes(tmp_path: Path) -> None:
    blocklist = tmp_path / "blocklist.txt"
    path = _recipe(tmp_path, "filters:\n  blocklist_file: blocklist.txt\n")
    blocklist.write_text("enwiki:12\n", encoding="utf-8")
    first = load_recipe(path).sha256
    assert load_recipe(path).sha256 == first
    blocklist.write_text("enwiki:12\n# a comment changes nothing\n", encoding="utf-8")
    assert load_recipe(path).sha256 == first
    blocklist.write_text("enwiki:12\nenwiki:39\n", encoding="utf-8")
    assert load_recipe(path).sha256 != first


def test_a_missing_blocklist_file_is_a_config_error(tmp_path: Path) -> None:
    path = _recipe(tmp_path, "filters:\n  blocklist_file: nowhere.txt\n")
    with pytest.raises(ConfigError, match=r"cannot read the blocklist .*nowhere\.txt"):
        load_recipe(path)


def test_canonical_json_is_stable_sorted_and_complete(tmp_path: Path) -> None:
    default = Recipe().canonical()
    # every default is written, keys sorted at every level
    data = json.loads(default)
    assert list(data) == sorted(data)
    assert list(data["filters"]) == sorted(data["filters"])
    assert data["dedup"]["threshold"] == 0.8 and data["output"]["splits"]["test"] == 0.01
    assert data["filters"]["max_citation_needed"] is None
    # the same recipe written differently (key order, explicit defaults, JSON) hashes the same
    spelled_out = _recipe(
        tmp_path,
        "output:\n  formats: [parquet]\n"
        "tokenizer: cl100k_base\n"
        "dedup: {shingle_words: 5, threshold: 0.8}\n"
        "name: wikipedia\n",
    )
    as_json = _recipe(tmp_path, json.dumps({"name": "wikipedia"}), "recipe.json")
    for path in (spelled_out, as_json):
        recipe = load_recipe(path)
        assert recipe.canonical() == default
        assert recipe.sha256 == Recipe().sha256 == hashlib.sha256(default).hexdigest()
    # and any change to a setting changes it
    changed = load_recipe(_recipe(tmp_path, "dedup: {threshold: 0.81}\n", "changed.yaml"))
    assert changed.sha256 != Recipe().sha256
