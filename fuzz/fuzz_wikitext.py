"""Coverage-guided fuzzing of the wikitext parser (goal G7): no exception, no slow input.

    python fuzz/fuzz_wikitext.py -max_total_time=60 -timeout=5 fuzz/corpus/wikitext

Seeds are real article texts (tests/data); every crash or timeout libFuzzer finds is written to
``crash-*`` / ``timeout-*`` files, to be added to ``fuzz/corpus/wikitext`` as regression inputs.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports():
    from wikipact.model.raw import SiteInfo
    from wikipact.wikitext.document import parse_wikitext

SITE = SiteInfo(dbname="enwiki", language="en")


def test_one_input(data: bytes) -> None:
    text = data.decode("utf-8", "replace")
    parsed = parse_wikitext(text, SITE, "Fuzz")
    for claim in parsed.claims:
        if parsed.text[claim.start : claim.end] != claim.text:
            raise AssertionError("claim span does not point at its text")


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
