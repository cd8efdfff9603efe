"""Uncompressed UTF-8 dumps cut into byte ranges that workers read and parse on their own.

A plain dump has no index, but it needs none to be split: every page starts with a literal
``<page>`` start tag, and that byte string can only be markup. Inside XML text and attribute
values ``<`` is always escaped (``&lt;``), so wikitext that mentions ``<page>`` is stored as
``&lt;page&gt;`` and never matches. (Comments, CDATA sections and processing instructions could
hold it, but MediaWiki writes none between or inside pages; a file that did would fail to parse
at that range with an error, not lose pages silently.)

So the main process only seeks to every ``target_bytes`` and looks for the next ``<page>``; the
ranges between those cuts tile the file, from byte 0 (the prolog, ``<mediawiki>`` and
``<siteinfo>`` go with the first range, so damage there is reported as a whole-file read reports
it) to the end of the file (``</mediawiki>`` goes with the last). Each range is then read,
split into pages and transformed by a worker, exactly like a group of bzip2 streams.

A dump in object storage is planned the same way: each cut costs one ranged GET of a block or a
few, not a download of the file.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import BinaryIO

from wikipact import storage
from wikipact.dumps.multistream import StreamSpan

PAGE_TAG = b"<page>"
_SCAN_BLOCK = 1 << 16  # bytes read at a time looking for the next <page>


def plain_ranges(path: Path | str, size: int, target_bytes: int) -> list[StreamSpan]:
    """Ranges ``[start, end)`` of about ``target_bytes`` covering the file; one if it is small.

    Every range but the first starts at a ``<page>`` start tag and every range ends where the
    next one starts, so each page lies whole in exactly one range. A range grows past
    ``target_bytes`` to the end of the page it would otherwise cut, which bounds the bytes
    scanned here by the file size whatever the pages look like.
    """
    cuts = [0]
    with storage.open_read(path, readahead=False) as fh:
        while (cut := next_page_tag(fh, cuts[-1] + target_bytes)) is not None:
            cuts.append(cut)
    return [
        StreamSpan(start, end, 0, plain=True) for start, end in itertools.pairwise([*cuts, size])
    ]


def next_page_tag(fh: BinaryIO, offset: int) -> int | None:
    """File offset of the first ``<page>`` at or after ``offset``, or ``None`` before EOF."""
    fh.seek(offset)
    carry = b""  # the end of the previous block, in case the tag straddles two blocks
    start = offset
    while block := fh.read(_SCAN_BLOCK):
        data = carry + block
        found = data.find(PAGE_TAG)
        if found >= 0:
            return start + found
        carry = data[-(len(PAGE_TAG) - 1) :]
        start += len(data) - len(carry)
    return None
