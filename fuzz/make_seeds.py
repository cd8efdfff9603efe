"""Write the fuzzers' seed corpora from the vendored real samples (small slices of real pages)."""

from __future__ import annotations

import hashlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(__file__).resolve().parent / "corpus"


def main() -> None:
    from wikipact import open_dump

    wikitext = OUT / "wikitext"
    dump = OUT / "dump"
    wikitext.mkdir(parents=True, exist_ok=True)
    dump.mkdir(parents=True, exist_ok=True)
    for page in list(open_dump(ROOT / "tests/data/sample-enwiki-pages-articles.xml").pages())[:40]:
        text = page.latest.text
        for start in range(0, min(len(text), 12000), 4000):
            piece = text[start : start + 4000].encode()
            (wikitext / hashlib.sha1(piece).hexdigest()).write_bytes(piece)
    for name in ("article-pyrus.xml", "pair-0.10.xml", "brwiki-test.xml"):
        data = (ROOT / "tests/data" / name).read_bytes()
        (dump / hashlib.sha1(data).hexdigest()).write_bytes(data)


if __name__ == "__main__":
    main()
