"""Turn a dump's byte chunks into UTF-8, whatever encoding the XML was saved in.

MediaWiki writes UTF-8, but real files in the wild were re-saved as UTF-16 (with or without a
byte-order mark). The XML parser is always fed UTF-8, so UTF-16 input is transcoded on the fly and
its XML declaration rewritten to say so.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator

from wikipact.errors import DamagedDumpError, DumpLocation

_DECLARED_ENCODING = re.compile(rb"""^(\s*<\?xml[^>]*?encoding\s*=\s*)(["'])[^"']*\2""")


def sniff_encoding(head: bytes) -> tuple[str, int]:
    """(codec name, length of the byte-order mark) for the first bytes of an XML document."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8", 3
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", 2
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", 2
    if head.startswith(b"<\x00") and head[2:4] in (b"?\x00", b"m\x00", b"p\x00"):
        return "utf-16-le", 0
    if head.startswith(b"\x00<") and head[2:4] in (b"\x00?", b"\x00m", b"\x00p"):
        return "utf-16-be", 0
    return "utf-8", 0


def to_utf8(chunks: Iterator[bytes], *, name: str) -> Iterator[bytes]:
    """Yield the same document as UTF-8 bytes (BOM removed, declaration corrected)."""
    head = b""
    for chunk in chunks:
        head += chunk
        if len(head) >= 4:
            break
    if not head:
        return
    encoding, bom = sniff_encoding(head)
    if encoding == "utf-8":
        yield head[bom:]
        yield from chunks
        return
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    seen = 0
    first = True

    def convert(data: bytes, final: bool = False) -> bytes:
        nonlocal first
        try:
            text = decoder.decode(data, final)
        except UnicodeDecodeError as exc:
            raise DamagedDumpError(
                "invalid_unicode",
                f"the file is not valid {encoding}: {exc.reason}",
                DumpLocation(file=name, xml_offset=seen + exc.start),
            ) from None
        out = text.encode("utf-8")
        if first and out:
            first = False
            out = _DECLARED_ENCODING.sub(rb'\1"UTF-8"', out, count=1)
        return out

    out = convert(head[bom:])
    seen += len(head)
    if out:
        yield out
    for chunk in chunks:
        out = convert(chunk)
        seen += len(chunk)
        if out:
            yield out
    out = convert(b"", final=True)
    if out:
        yield out
