"""Golden records: one real article per corpus wiki, parsed and compared field by field.

After a deliberate change, regenerate with ``python tests/golden/make_golden.py --update`` and
review the diff of ``tests/golden/*.json`` like code.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.golden.make_golden import DATA, GOLDEN, expected

CASES = sorted(DATA.glob("*.xml"))


def test_every_corpus_language_has_a_golden_record() -> None:
    assert len(CASES) >= 20
    assert {p.stem for p in CASES} >= {
        "enwiki",
        "dewiki",
        "frwiki",
        "jawiki",
        "ukwiki",
        "elwiki",
        "mrwiki",
    }


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_record_matches_golden(path: Path) -> None:
    golden = json.loads((GOLDEN / f"{path.stem}.json").read_text(encoding="utf-8"))
    actual = expected(path)
    for field in sorted(set(golden) | set(actual)):
        assert actual.get(field) == golden.get(field), f"{path.stem}: field {field!r} differs"


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_golden_record_is_sound(path: Path) -> None:
    record = expected(path)
    text = record["text"]
    assert text and record["abstract"]
    assert "{{" not in text and "[[" not in text and "<ref" not in text
    for claim in record.get("claims", []):
        assert text[claim["start"] : claim["end"]] == claim["text"]
    identifiers = {r["identifier"] for r in record.get("references", [])}
    for claim in record.get("claims", []):
        assert set(claim["citations"]) <= identifiers
