"""G4: whatever a damaged dump looks like, reading it raises only wikipact's own errors.

About 1,000 malformed inputs are derived from the real enwiki sample (a slice of its smallest real
pages, plus a few whole-dump cases): random truncations, byte flips, deleted and duplicated tag
runs, invalid characters, pages missing fields, a page of more than 2 MiB, UTF-16 transcoding and
bz2/gzip wrapping (itself sometimes cut). Each is read with ``on_error="skip"``: reading must
finish or raise a ``WikipactError``, and every recorded error must be a ``DumpError`` with a
``kind`` and the file's name. The kinds are tallied and printed (``pytest -s``).
"""

from __future__ import annotations

import bz2
import codecs
import functools
import gzip
import random
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wikipact.dumps import open_dump
from wikipact.errors import DumpError, WikipactError
from wikipact.model.raw import RawPage

HERE = Path(__file__).resolve()
CORPUS = HERE.parents[2].parent / "shared" / "corpus"
DATA = HERE.parents[1] / "data"
PLAIN = "sample-enwiki-pages-articles.xml"

SEEDED_CASES = 700
HYPOTHESIS_CASES = 300
TWO_MIB = 2 << 20


def real_file(name: str) -> Path:
    """A real input: the shared corpus when present, else the vendored copy in tests/data."""
    for candidate in (CORPUS / "assembled" / name, DATA / name):
        if candidate.is_file():
            return candidate
    pytest.skip(f"{name} is neither in {CORPUS} nor in {DATA}")


@dataclass(frozen=True)
class Sources:
    """The real material mutations are made of."""

    small: bytes  # header + 14 of the sample's smallest real pages + closing tag (~45 KB)
    whole: bytes  # the whole plain sample (1.6 MB)
    big_text: bytes  # real wikitext, the largest page's text repeated to more than 2 MiB


@functools.cache
def sources() -> Sources:
    whole = real_file(PLAIN).read_bytes()
    first = whole.index(b"  <page>\n")
    end = whole.rindex(b"</mediawiki>")
    pages = [p + b"  </page>\n" for p in whole[first:end].split(b"  </page>\n")[:-1]]
    small = whole[:first] + b"".join(sorted(pages, key=len)[:14]) + whole[end:]
    largest = max(pages, key=len)
    start = largest.index(b">", largest.index(b"<text")) + 1
    text = largest[start : largest.index(b"</text>", start)]
    big_text = text * (TWO_MIB // len(text) + 1)
    assert len(big_text) > TWO_MIB
    return Sources(small=small, whole=whole, big_text=big_text)


# --------------------------------------------------------------------------------------------
# Mutations: (operation, a, b) with a and b arbitrary non-negative integers

TAG = re.compile(rb"<[^<>]*>")
FIELDS = (
    rb"<title>.*?</title>",
    rb"<ns>.*?</ns>",
    rb"<id>.*?</id>",
    rb"<revision>.*?</revision>",
    rb"<text[^>]*>.*?</text>",
    rb"<timestamp>.*?</timestamp>",
    rb"<contributor>.*?</contributor>",
    rb"<redirect[^>]*/>",
    rb"<siteinfo>.*?</siteinfo>",
    rb"<namespaces>.*?</namespaces>",
    rb"<page>",
    rb"</page>",
    rb"</mediawiki>",
)
FIELD_PATTERNS = tuple(re.compile(pattern, re.S) for pattern in FIELDS)
INVALID = (
    b"\x01",
    b"\x00",
    b"\x0b",
    b"\x1f",
    b"\xed\xa0\x80",  # U+D800, a lone surrogate, UTF-8 encoded
    b"\xed\xbf\xbf",  # U+DFFF
    b"\xef\xbf\xbe",  # U+FFFE, not a character
    b"\xff",
    b"\xc3",  # a cut two-byte sequence
    b"\x80",
    b"&#1;",
    b"&#xD800;",
    b"&undeclared;",
    b"<",
    b"&",
    b"]]>",
    b"<![CDATA[",
)
OPERATIONS = ("truncate", "flip", "delete_tags", "duplicate_tags", "insert_invalid", "drop_field")


def mutate(data: bytes, operation: str, a: int, b: int) -> bytes:
    """``data`` changed by one ``operation``; ``a`` and ``b`` pick where and how."""
    if not data:
        return data
    if operation == "truncate":
        return data[: a % len(data)]
    if operation == "flip":
        position = a % len(data)
        return data[:position] + bytes([data[position] ^ (b % 255 + 1)]) + data[position + 1 :]
    if operation in ("delete_tags", "duplicate_tags"):
        tags = list(TAG.finditer(data))
        if not tags:
            return data
        first = a % len(tags)
        last = min(len(tags) - 1, first + b % 8)
        start, end = tags[first].start(), tags[last].end()
        if operation == "delete_tags":
            return data[:start] + data[end:]
        return data[:end] + data[start:end] + data[end:]
    if operation == "insert_invalid":
        position = a % (len(data) + 1)
        return data[:position] + INVALID[b % len(INVALID)] + data[position:]
    if operation == "drop_field":
        found = list(FIELD_PATTERNS[b % len(FIELD_PATTERNS)].finditer(data))
        if not found:
            return data
        match = found[a % len(found)]
        return data[: match.start()] + data[match.end() :]
    if operation == "big_page":
        texts = list(re.finditer(rb"(<text[^>]*>)(.*?)(</text>)", data, re.S))
        if not texts:
            return data
        match = texts[a % len(texts)]
        return data[: match.start(2)] + sources().big_text + data[match.end(2) :]
    raise AssertionError(operation)


@dataclass(frozen=True)
class Case:
    """One malformed input: mutations of a real document, then encoding and container."""

    mutations: tuple[tuple[str, int, int], ...]
    encoding: str = "utf-8"  # or "utf-16"
    wrap: str = "plain"  # or "bz2", "gzip"
    container_cut: int | None = None  # cut the compressed file too
    whole: bool = False  # start from the whole sample instead of the small slice

    def build(self) -> bytes:
        data = sources().whole if self.whole else sources().small
        for operation, a, b in self.mutations:
            data = mutate(data, operation, a, b)
        if self.encoding == "utf-16":
            text = data.decode("utf-8", "surrogateescape")
            data = codecs.BOM_UTF16_LE + text.encode("utf-16-le", "surrogatepass")
        if self.wrap == "bz2":
            data = bz2.compress(data, compresslevel=1)
        elif self.wrap == "gzip":
            data = gzip.compress(data, compresslevel=1)
        if self.container_cut is not None and data:
            data = data[: self.container_cut % len(data)]
        return data

    @property
    def suffix(self) -> str:
        return {"plain": ".xml", "bz2": ".xml.bz2", "gzip": ".xml.gz"}[self.wrap]


def check(case: Case, directory: Path, tally: Counter[str]) -> None:
    """Read ``case`` with on_error="skip": only WikipactErrors, every recorded one well formed."""
    target = directory / f"fuzz-enwiki-pages-articles{case.suffix}"
    target.write_bytes(case.build())
    errors: list[DumpError] = []
    try:
        for page in open_dump(target).pages(on_error="skip", errors=errors):
            assert isinstance(page, RawPage)
            assert isinstance(page.title, str)
            assert isinstance(page.identifier, int)
            assert page.revisions
        tally["finished"] += 1
    except WikipactError as exc:
        kind = getattr(exc, "kind", None)
        if isinstance(exc, DumpError):
            assert isinstance(kind, str) and kind, (case, exc)
        tally[f"raised {type(exc).__name__}:{kind or '-'}"] += 1
    except Exception as exc:
        raise AssertionError(f"{case} raised {exc!r}, not a WikipactError") from exc
    for error in errors:
        assert isinstance(error, DumpError), (case, error)
        assert isinstance(error.kind, str) and error.kind, (case, error)
        assert target.name in str(error), (case, error)
        tally[error.kind] += 1
    check_ranges(case, target)


RANGE_BYTES = 4096  # the 45 KB slice in about ten ranges, as workers would read a large file


def check_ranges(case: Case, target: Path) -> None:
    """The same invariants when a plain UTF-8 input is read range by range, as workers do."""
    errors: list[DumpError] = []
    try:
        dump = open_dump(target)
        for task in dump.tasks(RANGE_BYTES):
            for page in dump.task_pages(task, on_error="skip", errors=errors):
                assert isinstance(page, RawPage) and page.revisions
    except WikipactError as exc:
        if isinstance(exc, DumpError):
            assert isinstance(exc.kind, str) and exc.kind, (case, exc)
    except Exception as exc:
        raise AssertionError(f"{case} read by ranges raised {exc!r}") from exc
    for error in errors:
        assert isinstance(error, DumpError) and error.kind, (case, error)
        assert target.name in str(error), (case, error)


def kinds(tally: Counter[str]) -> set[str]:
    """Every error kind seen, recorded or raised."""
    return {key.rpartition(":")[2] for key in tally if key != "finished"}


# --------------------------------------------------------------------------------------------
# 700 seeded cases


def seeded_cases(seed: int, count: int) -> list[Case]:
    """``count`` cases from one seed: mostly the small slice, a few whole dumps and 2 MiB pages."""
    rng = random.Random(seed)
    big = 2**32
    cases = []
    for number in range(count):
        operations = [
            (rng.choice(OPERATIONS), rng.randrange(big), rng.randrange(big))
            for _ in range(rng.choice((1, 1, 2, 3)))
        ]
        whole = number % 100 == 50
        if number % 100 == 17:
            operations.insert(0, ("big_page", rng.randrange(big), 0))
        wrap = rng.choice(("plain", "plain", "plain", "bz2", "gzip"))
        cut = rng.randrange(big) if wrap != "plain" and rng.random() < 0.3 else None
        encoding = "utf-16" if rng.random() < 0.12 else "utf-8"
        cases.append(Case(tuple(operations), encoding, wrap, cut, whole))
    return cases


def test_seeded_malformed_inputs_raise_only_wikipact_errors(tmp_path: Path) -> None:
    """700 seeded malformed real dumps: no foreign exception, every recorded error well formed."""
    tally: Counter[str] = Counter()
    cases = seeded_cases(20240611, SEEDED_CASES)
    assert sum(1 for case in cases if case.mutations[0][0] == "big_page") >= 5
    for case in cases:
        check(case, tmp_path, tally)
    print(f"\nseeded fuzz, {len(cases)} inputs: {dict(sorted(tally.items()))}")
    assert sum(tally[k] for k in tally if k == "finished" or k.startswith("raised")) == len(cases)
    expected = {
        "xml_error",
        "xml_truncated",
        "page_missing_text",
        "page_missing_title",
        "page_missing_id",
        "page_missing_revision",
        "bz2_truncated",
        "gzip_truncated",
        "invalid_unicode",
    }
    assert expected <= kinds(tally), tally


# --------------------------------------------------------------------------------------------
# 300 hypothesis cases

mutations = st.tuples(st.sampled_from(OPERATIONS), st.integers(0, 2**32), st.integers(0, 2**32))
cases = st.builds(
    Case,
    mutations=st.lists(mutations, min_size=1, max_size=4).map(tuple),
    encoding=st.sampled_from(("utf-8", "utf-8", "utf-8", "utf-16")),
    wrap=st.sampled_from(("plain", "plain", "bz2", "gzip")),
    container_cut=st.none() | st.integers(0, 2**32),
    whole=st.just(False),
)


def test_hypothesis_malformed_inputs_raise_only_wikipact_errors(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """300 derandomized hypothesis cases with the same invariants (shrunk to a minimal case)."""
    directory = tmp_path_factory.mktemp("hypothesis-fuzz")
    tally: Counter[str] = Counter()
    examples = 0

    @settings(
        max_examples=HYPOTHESIS_CASES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(cases)
    def read_case(case: Case) -> None:
        nonlocal examples
        examples += 1
        check(case, directory, tally)

    read_case()
    print(f"\nhypothesis fuzz: {dict(sorted(tally.items()))}")
    assert tally["finished"] > 0
    assert sum(tally[k] for k in tally if k == "finished" or k.startswith("raised")) == examples
    assert {"xml_error", "xml_truncated"} <= kinds(tally), tally


# --------------------------------------------------------------------------------------------
# Numeric fields that str.isdigit() accepts but int() does not (found while fuzzing)


NUMERIC = {
    "page id with a doubled minus": (b"<id>12</id>", b"<id>--12</id>"),
    "page id with a superscript digit": (b"<id>12</id>", "<id>1\u00b2</id>".encode()),
    "namespace with a superscript digit": (b"<ns>0</ns>", "<ns>\u00b2</ns>".encode()),
    "revision id with a doubled minus": (b"<revision>\n      <id>", b"<revision>\n      <id>--"),
    "contributor id with a doubled minus": (
        b"</username>\n        <id>",
        b"</username>\n        <id>--",
    ),
    "siteinfo namespace key with a doubled minus": (b'key="-2"', b'key="--2"'),
}


@pytest.mark.parametrize("field", list(NUMERIC))
def test_numeric_fields_that_only_look_like_numbers_raise_only_wikipact_errors(
    tmp_path: Path, field: str
) -> None:
    """A corrupt number in one real page is a PageError (or skipped), never a ValueError."""
    old, new = NUMERIC[field]
    document = sources().whole
    assert old in document
    target = tmp_path / "numbers-enwiki-pages-articles.xml"
    target.write_bytes(document.replace(old, new, 1))
    errors: list[DumpError] = []
    try:
        pages = list(open_dump(target).pages(on_error="skip", errors=errors))
    except WikipactError:
        return
    assert len(pages) + len(errors) >= 55
