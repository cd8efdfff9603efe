"""HTTP delivery helpers: Range parsing, ETags, conditional headers and file slices."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from wikipact.errors import StoreError
from wikipact.snapshots.ranges import (
    MalformedRange,
    RangeNotSatisfiable,
    content_range,
    etag,
    http_date,
    if_none_match,
    if_range_matches,
    iter_file,
    parse_range,
)

SIZE = 1000
HUGE = "9" * 40
VERY_LONG = "9" * 5000  # longer than Python parses by default


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("bytes=0-0", (0, 0)),
        ("bytes=0-999", (0, 999)),
        ("bytes=0-", (0, 999)),
        ("bytes=5-", (5, 999)),
        ("bytes=5-9", (5, 9)),
        ("bytes=999-", (999, 999)),
        ("bytes=-1", (999, 999)),
        ("bytes=-10", (990, 999)),
        ("bytes=-1000", (0, 999)),
        ("bytes=-5000", (0, 999)),  # suffix longer than the file: all of it
        ("bytes=10-5000", (10, 999)),  # end beyond the file: clipped
        (f"bytes=10-{HUGE}", (10, 999)),
        (f"bytes=0-{VERY_LONG}", (0, 999)),
        (f"bytes=-{HUGE}", (0, 999)),
        ("Bytes=1-2", (1, 2)),  # the unit is case-insensitive
        ("bytes= 1-2 ", (1, 2)),
        ("bytes=1-2,", (1, 2)),  # empty list elements are allowed
        ("bytes=0-1,5-6", None),  # several ranges: the whole file
        ("bytes=0-1,2000-3000", None),  # ... when at least one lies in the file
        ("bytes=-1, 0-0, 7-", None),
        ("items=0-5", None),  # another unit is ignored (RFC 9110 §14.2)
    ],
)
def test_valid_ranges(header: str | None, expected: tuple[int, int] | None) -> None:
    assert parse_range(header, SIZE) == expected


@pytest.mark.parametrize(
    "header",
    [
        "bytes=9-3",  # ends before it starts
        "garbage",
        "bytes",
        "bytes=",
        "bytes=,",
        "bytes=-",
        "bytes=a-b",
        "bytes=1-2-3",
        "bytes=+1-2",
        "bytes=1 -2",
        "bytes=0x10-",
        "bytes=١-٢",  # non-ASCII digits
        "=0-1",
        "bytes 0-1",
        "bytes=0-1,9-3",  # one malformed range spoils the list
    ],
)
def test_malformed_ranges(header: str) -> None:
    with pytest.raises(MalformedRange) as info:
        parse_range(header, SIZE)
    assert info.value.content_range == f"bytes */{SIZE}"


@pytest.mark.parametrize(
    ("header", "size"),
    [
        ("bytes=1000-", SIZE),  # starts at the end
        ("bytes=1000-1000", SIZE),
        ("bytes=5000-6000", SIZE),
        (f"bytes={HUGE}-", SIZE),
        (f"bytes={VERY_LONG}-", SIZE),
        ("bytes=-0", SIZE),  # no bytes at all
        ("bytes=2000-3000,4000-", SIZE),  # no range lies in the file
        ("bytes=0-0", 0),  # an empty file has no byte range
        ("bytes=-1", 0),
    ],
)
def test_unsatisfiable_ranges(header: str, size: int) -> None:
    with pytest.raises(RangeNotSatisfiable) as info:
        parse_range(header, size)
    assert not isinstance(info.value, MalformedRange)
    assert info.value.size == size


def test_reassembling_random_ranges_gives_the_exact_bytes(tmp_path: Path) -> None:
    rng = random.Random(20261128)
    data = rng.randbytes(200_003)
    path = tmp_path / "f.bin"
    path.write_bytes(data)
    size = len(data)
    # Cut the file at random points, fetch each piece with a random kind of range header.
    cuts = sorted({0, size, *rng.sample(range(1, size), 60)})
    pieces = []
    for start, stop in itertools.pairwise(cuts):
        last = stop - 1
        if stop == size and rng.random() < 0.5:
            header = f"bytes=-{size - start}" if rng.random() < 0.5 else f"bytes={start}-"
        else:
            header = f"bytes={start}-{last}"
        first, end = parse_range(header, size)  # type: ignore[misc]
        assert (first, end) == (start, last), header
        chunks = list(iter_file(path, first, end, chunk=rng.choice([1, 7, 4096, 1 << 16])))
        assert all(chunks) and sum(map(len, chunks)) == end - first + 1
        pieces.append(b"".join(chunks))
    assert b"".join(pieces) == data
    for _ in range(200):  # and arbitrary overlapping ranges match slices of the file
        a = rng.randrange(size)
        b = rng.randrange(a, size + 50)
        first, end = parse_range(f"bytes={a}-{b}", size)  # type: ignore[misc]
        assert b"".join(iter_file(path, first, end, chunk=997)) == data[a : min(b, size - 1) + 1]
    assert content_range(5, 9, size) == f"bytes 5-9/{size}"


def test_iter_file_notices_a_truncated_file(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"0123456789")
    assert list(iter_file(path, 2, 4)) == [b"234"]
    with pytest.raises(StoreError, match="ended 5 bytes early"):
        list(iter_file(path, 0, 14))


def test_etag_and_conditional_headers() -> None:
    sha = "ab" * 32
    tag = etag(sha)
    assert tag == f'"{sha}"'
    with pytest.raises(ValueError):
        etag('x"; evil')
    other = etag("cd" * 32)

    assert if_range_matches(None, tag)  # no If-Range: honour the Range
    assert if_range_matches(tag, tag)
    assert not if_range_matches(other, tag)
    assert not if_range_matches(f"W/{tag}", tag)  # If-Range needs a strong match
    modified = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)
    assert if_range_matches(http_date(modified), tag, modified)
    assert http_date(modified) == "Sat, 28 Nov 2026 12:00:00 GMT"
    assert not if_range_matches("Sat, 28 Nov 2026 11:59:59 GMT", tag, modified)
    assert not if_range_matches(http_date(modified), tag)  # no Last-Modified known
    assert not if_range_matches("not a date", tag, modified)

    assert not if_none_match(None, tag)
    assert if_none_match(tag, tag)
    assert if_none_match("*", tag)
    assert if_none_match(f"W/{tag}", tag)  # weak comparison
    assert if_none_match(f'{other}, W/"x", {tag}', tag)
    assert if_none_match('"a,b", ' + tag, tag)  # commas inside a tag
    assert not if_none_match(other, tag)
    assert not if_none_match(f"{other}, garbage, {tag}", tag)  # unparsable: no match
    assert not if_none_match(sha, tag)  # unquoted


def test_etag_of_a_snapshot_is_its_sha256() -> None:
    from wikipact.snapshots.registry import Snapshot

    snap = Snapshot(
        identifier="enwiki_namespace_0_20250126",
        kind="snapshot",
        name="enwiki_namespace_0",
        projects=("enwiki",),
        namespace=0,
        in_language="en",
        path="enwiki_namespace_0_20250126.tar.gz",
        size=1,
        sha256="0f" * 32,
        records=1,
        date_modified=None,
        created_at="2026-11-28T00:00:00Z",
        change_cursor=1,
    )
    assert etag(snap) == '"' + "0f" * 32 + '"'
