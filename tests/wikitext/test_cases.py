"""Data-driven wikitext cases: ``cases/*.txt`` hold wikitext and the expected parts.

Format: ``=== name`` starts a case, the wikitext follows, then ``--- text`` (expected ``text``),
optionally ``--- references`` (how many), ``--- tables`` (how many) and ``--- claims`` (one line
per claim: ``sentence|id,id``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from wikipact.model.raw import SiteInfo
from wikipact.wikitext.document import parse_wikitext

CASES = Path(__file__).parent / "cases"
SITE = SiteInfo(dbname="enwiki", language="en")


def _load() -> list[tuple[str, dict[str, str]]]:
    cases = []
    for path in sorted(CASES.glob("*.txt")):
        for chunk in path.read_text(encoding="utf-8").split("\n=== ")[1:]:
            name, _, body = chunk.partition("\n")
            sections = body.split("\n--- ")
            parts = {"wikitext": sections[0]}
            for section in sections[1:]:
                key, _, value = section.partition("\n")
                parts[key.strip()] = value.rstrip("\n")
            cases.append((f"{path.stem}: {name.strip()}", parts))
    return cases


CASE_LIST = _load()


@pytest.mark.parametrize(("name", "case"), CASE_LIST, ids=[n for n, _ in CASE_LIST])
def test_case(name: str, case: dict[str, str]) -> None:
    parsed = parse_wikitext(case["wikitext"], SITE, "Test")
    assert parsed.text == case["text"].strip()
    if "references" in case:
        assert len(parsed.references) == int(case["references"])
    if "tables" in case:
        assert len(parsed.tables) == int(case["tables"])
    if "claims" in case:
        expected = [line.split("|") for line in case["claims"].splitlines() if line.strip()]
        assert [(c.text, ",".join(c.citations)) for c in parsed.claims] == [
            (text, ids) for text, ids in expected
        ]
        for claim in parsed.claims:
            assert parsed.text[claim.start : claim.end] == claim.text


def test_links_in_captions_are_not_text_links() -> None:
    parsed = parse_wikitext(
        "[[File:X.jpg|thumb|The [[Eiffel Tower]] at night]][[Paris]] is a city.", SITE, "Test"
    )
    assert [link.name for link in parsed.links] == ["Paris"]
