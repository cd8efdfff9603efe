"""Pure helpers to serve snapshot files over HTTP: byte ranges, ETags and conditional requests.

Decisions (RFC 9110):

* Only single byte ranges are served: ``bytes=a-b``, ``bytes=a-`` and ``bytes=-n``; ``b`` beyond
  the end is clipped to the last byte.
* A valid request for several ranges (``bytes=0-9,20-29``) is answered with the whole file
  (``parse_range`` returns None, so the caller sends 200) when at least one of them lies in
  the file (416 otherwise): RFC 9110 lets a server ignore Range,
  it spares us ``multipart/byteranges``, and it is what large object stores do.
* A Range with another unit (``items=0-9``) is ignored (None), as RFC 9110 §14.2 requires.
* A syntactically invalid byte range (``bytes=9-3``, ``bytes=abc``, ``garbage``) raises
  :class:`MalformedRange`; one that lies beyond the file (``bytes=500-`` of 100 bytes, ``bytes=-0``)
  raises :class:`RangeNotSatisfiable`. ``MalformedRange`` is a ``RangeNotSatisfiable``, so one
  ``except`` answers 416 with ``Content-Range: bytes */size``; a server preferring to ignore
  malformed ranges can catch ``MalformedRange`` first and send the whole file.
* The ETag is strong: the file's sha256 in quotes. ``If-Range`` honours the range only for the
  same strong ETag (or the exact Last-Modified date when the caller gives it); ``If-None-Match``
  compares weakly, as RFC 9110 says.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Protocol

from wikipact.errors import StoreError, WikipactError

REMOTE_CHUNK = 4 << 20  # bytes per ranged GET when serving an object from object storage
MAX_DIGITS = 30  # longer numbers than this are treated as "very large", never parsed
_RANGE_SPEC = re.compile(r"([0-9]*)-([0-9]*)")
_ENTITY_TAG = re.compile(r'\s*(W/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*(?:,|$)')


class RangeNotSatisfiable(WikipactError):
    """The Range cannot be served: answer 416 with ``Content-Range: bytes */<size>``."""

    def __init__(self, message: str, size: int) -> None:
        super().__init__(message)
        self.size = size

    @property
    def content_range(self) -> str:
        """The ``Content-Range`` value of the 416 response."""
        return f"bytes */{self.size}"


class MalformedRange(RangeNotSatisfiable):
    """The Range header is not a valid byte range at all."""


class HasSha256(Protocol):
    """Anything with a hex sha256 (a ``Snapshot``)."""

    @property
    def sha256(self) -> str: ...


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive (first, last) byte positions a ``Range`` header asks of a ``size``-byte file.

    None means "send the whole file" (no header, another unit, or several ranges); see the module
    docstring for what raises.
    """
    if header is None or not header.strip():
        return None
    if size < 0:
        raise ValueError("size must be >= 0")
    unit, sep, spec = header.strip().partition("=")
    if not sep or not unit.strip() or not re.fullmatch(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+", unit):
        raise MalformedRange(f"not a Range header: {header[:100]!r}", size)
    if unit.lower() != "bytes":
        return None
    specs = [s.strip(" \t") for s in spec.split(",")]
    parsed = [_spec(s, header, size) for s in specs if s]  # empty list elements are allowed
    if not parsed:
        raise MalformedRange(f"no byte range in {header[:100]!r}", size)
    if len(parsed) > 1:
        satisfiable = 0
        for first, last in parsed:
            try:
                _resolve(first, last, size)
                satisfiable += 1
            except RangeNotSatisfiable:
                pass
        if not satisfiable:
            raise RangeNotSatisfiable(f"no range of {header[:100]!r} lies in the file", size)
        return None
    return _resolve(*parsed[0], size)


def _resolve(first: int | None, last: int | None, size: int) -> tuple[int, int]:
    if size == 0:
        raise RangeNotSatisfiable("the file is empty: no byte range can be served", size)
    if first is None:  # suffix: the last `last` bytes
        if not last:
            raise RangeNotSatisfiable("bytes=-0 asks for no bytes", size)
        return max(0, size - last), size - 1
    if first >= size:
        raise RangeNotSatisfiable(
            f"the range starts at byte {first}, past the end of the {size}-byte file", size
        )
    return first, (size - 1 if last is None else min(last, size - 1))


def _spec(spec: str, header: str, size: int) -> tuple[int | None, int | None]:
    match = _RANGE_SPEC.fullmatch(spec)
    if match is None or (not match[1] and not match[2]):
        raise MalformedRange(f"not a byte range: {spec[:100]!r} in {header[:100]!r}", size)
    first = _number(match[1]) if match[1] else None
    last = _number(match[2]) if match[2] else None
    if first is not None and last is not None and last < first:
        raise MalformedRange(f"the range {spec[:100]!r} ends before it starts", size)
    return first, last


def _number(digits: str) -> int:
    # Python refuses to parse very long digit strings; any of them is past any file's end.
    return int(digits) if len(digits) <= MAX_DIGITS else 10**MAX_DIGITS


def content_range(first: int, last: int, size: int) -> str:
    """The ``Content-Range`` value of a 206 response: ``bytes 0-99/1234``."""
    return f"bytes {first}-{last}/{size}"


def etag(snapshot: HasSha256 | str) -> str:
    """The strong ETag of a snapshot (or of a hex sha256): ``"<sha256>"`` with the quotes."""
    digest = snapshot if isinstance(snapshot, str) else snapshot.sha256
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise ValueError(f"not a hex sha256: {digest[:80]!r}")
    return f'"{digest}"'


def http_date(moment: datetime) -> str:
    """``Last-Modified`` style date (IMF-fixdate, GMT) of an aware datetime."""
    return format_datetime(moment, usegmt=True)


def if_range_matches(
    if_range: str | None, current_etag: str, last_modified: datetime | None = None
) -> bool:
    """Whether a Range may be honoured under ``If-Range`` (True when there is no If-Range).

    An entity tag must be strong and equal to ``current_etag``; a date must equal
    ``last_modified`` exactly (to the second). Anything else means: send the whole file.
    """
    if if_range is None:
        return True
    value = if_range.strip()
    if value.startswith('"'):
        return value == current_etag
    if value.startswith("W/") or last_modified is None:
        return False
    try:
        date = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return False
    if date is None or date.tzinfo is None:
        return False
    return int(date.timestamp()) == int(last_modified.timestamp())


def if_none_match(header: str | None, current_etag: str) -> bool:
    """Whether ``If-None-Match`` matches (answer 304 to GET/HEAD); weak comparison.

    ``*`` matches any existing file; an unparsable header matches nothing.
    """
    if header is None:
        return False
    value = header.strip()
    if value == "*":
        return True
    wanted = current_etag.removeprefix("W/")
    pos = 0
    while pos < len(value):
        match = _ENTITY_TAG.match(value, pos)
        if match is None:
            return False
        if f'"{match[2]}"' == wanted:
            return True
        pos = match.end()
    return False


def iter_file(path: Path | str, start: int, end: int, chunk: int = 1 << 16) -> Iterator[bytes]:
    """The bytes ``start`` to ``end`` (inclusive) of ``path`` (a file, or an object's URL), in
    pieces of at most ``chunk``. An object is fetched by ranged GETs of exactly these bytes
    (``REMOTE_CHUNK`` at a time), never more.

    Raises ``StoreError`` when the file is shorter than ``end + 1`` bytes (it changed under us).
    """
    from wikipact import storage

    if start < 0 or end < start - 1 or chunk <= 0:
        raise ValueError(f"bad byte span {start}-{end} (chunk {chunk})")
    remaining = end - start + 1
    if storage.is_url(path):
        chunk = max(chunk, REMOTE_CHUNK)  # one GET per piece: fewer, larger ones
    with storage.open_read(path, readahead=False) as fh:
        fh.seek(start)
        while remaining > 0:
            data = fh.read(min(chunk, remaining))
            if not data:
                raise StoreError(
                    f"{path} ended {remaining} bytes early (truncated or replaced while being "
                    "served); recreate the snapshot"
                )
            remaining -= len(data)
            yield data
