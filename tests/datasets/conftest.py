"""Fixtures for dataset builds: a signing key and one shared build of the vendored samples."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import DATA, ENWIKI_MULTISTREAM, ENWIKI_PLAIN, MRWIKI_MULTISTREAM

# The same English pages twice (multistream and plain XML), Marathi pages, and the German
# article "Alan Smithee" at two revisions seven years apart.
SAMPLE_DUMPS = [
    ENWIKI_MULTISTREAM,
    ENWIKI_PLAIN,
    MRWIKI_MULTISTREAM,
    DATA / "dewiki-20130602-id1.xml",
    DATA / "dewiki-20200801-id1.xml",
]
SAMPLE_RECIPE = """
name: wikipact-sample
filters:
  namespaces: [0]
  min_words: 50
  blocklist: ["enwiki:Albedo", "mrwiki:1"]
columns: [sections, claims, infoboxes, references]
output:
  formats: [parquet, jsonl]
  shard_bytes: 400000
  row_group_rows: 50
"""


@pytest.fixture(scope="session")
def signing_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from wikipact.datasets.signing import init_keys

    directory = tmp_path_factory.mktemp("signing")
    init_keys(directory)
    return directory


def run_build(out: Path, signing_dir: Path, recipe_text: str = SAMPLE_RECIPE, **options):  # type: ignore[no-untyped-def]
    """Build the samples into ``out`` with the library (not the CLI); returns the BuildResult."""
    from wikipact.datasets.build import build
    from wikipact.datasets.recipe import load_recipe
    from wikipact.datasets.signing import load_signing_key
    from wikipact.datasets.sources import DumpSource
    from wikipact.dumps.reader import open_dump

    recipe_path = out.parent / f"{out.name}-recipe.yaml"
    recipe_path.write_text(recipe_text)
    dumps = options.pop("dumps", SAMPLE_DUMPS)
    source = DumpSource([open_dump(p) for p in dumps])
    return build(
        source,
        out,
        load_recipe(recipe_path),
        signing_key=load_signing_key(signing_dir),
        **options,
    )


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory: pytest.TempPathFactory, signing_dir: Path) -> Path:
    out = tmp_path_factory.mktemp("builds") / "sample"
    run_build(out, signing_dir, workers=1)
    return out
