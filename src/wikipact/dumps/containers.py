"""Open any dump container and stream its decompressed bytes, noticing damage.

Containers are recognised by their magic bytes, not their file names: plain XML, bzip2 (single or
multistream), gzip, xz, raw lzma, zstandard and 7z (through the optional ``py7zr``). Every
decompressor is driven by hand so that a truncated or corrupt file raises a ``DamagedDumpError``
naming the file, the byte offset and (for bzip2) the stream where the damage starts; the
standard-library readers either raise nothing (``BZ2Decompressor`` on a cut stream) or lose the
position.

A dump is a local file or an object at a URL (``s3://bucket/key``, ``wikipact.storage``): its
``path`` is a ``Path`` for the first and the URL string for the second, and every read goes
through ``storage``, which reads an object by ranged GETs.
"""

from __future__ import annotations

import bz2
import lzma
import os
import shutil
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from wikipact import storage
from wikipact.errors import ConfigError, DamagedDumpError, DumpLocation, UnsupportedDumpError

CHUNK = 1 << 18  # compressed bytes read at a time

MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"BZh", "bz2"),
    (b"\x1f\x8b", "gzip"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"\x5d\x00\x00", "lzma"),  # lzma-alone header: properties byte 0x5d + dictionary size
)


def detect_container(head: bytes) -> str:
    """Name of the container whose magic starts ``head``; ``"plain"`` when none does."""
    for magic, name in MAGIC:
        if head.startswith(magic):
            return name
    return "plain"


@dataclass
class ReadPosition:
    compressed_offset: int = 0
    stream_offset: int | None = None


class _Decompressor(Protocol):
    eof: bool
    unused_data: bytes

    def decompress(self, data: bytes) -> bytes: ...


def _new_decompressor(container: str) -> _Decompressor:
    if container == "bz2":
        return bz2.BZ2Decompressor()
    if container == "gzip":
        return zlib.decompressobj(wbits=31)  # type: ignore[return-value]
    if container in ("xz", "lzma"):
        return lzma.LZMADecompressor(format=lzma.FORMAT_AUTO)
    if container == "zstd":
        import zstandard

        return zstandard.ZstdDecompressor().decompressobj()  # type: ignore[return-value]
    raise AssertionError(container)


def _decompression_errors(container: str) -> tuple[type[BaseException], ...]:
    base: tuple[type[BaseException], ...] = (
        OSError,
        ValueError,
        EOFError,
        lzma.LZMAError,
        zlib.error,
    )
    if container == "zstd":
        import zstandard

        return (*base, zstandard.ZstdError)
    return base


def iter_decompressed(
    fh: BinaryIO,
    container: str,
    *,
    name: str,
    position: ReadPosition | None = None,
    start: int = 0,
    end: int | None = None,
) -> Iterator[bytes]:
    """Yield decompressed chunks of ``fh`` from byte ``start`` to ``end`` (or EOF).

    Concatenated streams (bzip2 multistream, multi-member gzip, concatenated xz/zstd frames) are
    read one after the other. ``position`` is updated as bytes are consumed. A stream that stops
    before its end marker raises ``DamagedDumpError`` (kind ``<container>_truncated``); data the
    decompressor rejects raises kind ``<container>_corrupt``.
    """
    pos = position if position is not None else ReadPosition()
    fh.seek(start)
    pos.compressed_offset = start
    if container == "plain":
        yield from _iter_plain(fh, pos, end)
        return
    decompressor = _new_decompressor(container)
    errors = _decompression_errors(container)
    stream_start = start
    pos.stream_offset = stream_start if container == "bz2" else None
    consumed_in_stream = 0
    remaining = None if end is None else end - start
    while True:
        size = CHUNK if remaining is None else min(CHUNK, remaining)
        data = fh.read(size) if size > 0 else b""
        if remaining is not None:
            remaining -= len(data)
        if not data:
            break
        offset = pos.compressed_offset
        pos.compressed_offset += len(data)
        while data:
            try:
                out = decompressor.decompress(data)
            except errors as exc:
                raise DamagedDumpError(
                    f"{container}_corrupt",
                    f"the {container} data cannot be decompressed: {exc}",
                    DumpLocation(file=name, compressed_offset=offset, stream=pos.stream_offset),
                    hint="The file is damaged; download it again and check its published checksum.",
                ) from None
            consumed_in_stream += len(data)
            if out:
                yield out
            if decompressor.eof:
                data = decompressor.unused_data
                offset = pos.compressed_offset - len(data)
                stream_start = offset
                if container == "bz2":
                    pos.stream_offset = stream_start
                decompressor = _new_decompressor(container)
                consumed_in_stream = 0
                if not data:
                    break
                if container == "gzip" and data.strip(b"\x00") == b"":
                    data = b""  # gzip files may be padded with zeros
            else:
                data = b""
    if consumed_in_stream and not decompressor.eof:
        raise DamagedDumpError(
            f"{container}_truncated",
            f"the {container} stream that starts at byte {stream_start} ends before its "
            "end-of-stream marker",
            DumpLocation(file=name, compressed_offset=pos.compressed_offset, stream=stream_start),
            hint="The file was cut short (an interrupted download?); fetch it again.",
        )


def _iter_plain(fh: BinaryIO, pos: ReadPosition, end: int | None) -> Iterator[bytes]:
    remaining = None if end is None else end - pos.compressed_offset
    while True:
        size = CHUNK * 4 if remaining is None else min(CHUNK * 4, remaining)
        data = fh.read(size) if size > 0 else b""
        if not data:
            return
        if remaining is not None:
            remaining -= len(data)
        pos.compressed_offset += len(data)
        yield data


@dataclass
class OpenedFile:
    """A dump file on disk or in object storage, readable as a sequence of decompressed chunks."""

    path: Path | str  # a local Path, or the URL of an object (storage.path_or_url)
    container: str
    size: int
    _extracted: Path | None = None

    @property
    def name(self) -> str:
        return self.path.name if isinstance(self.path, Path) else storage.name_of(self.path)

    def chunks(self, position: ReadPosition | None = None) -> Iterator[bytes]:
        if self.container == "7z":
            target = self._extract_7z()
            with open(target, "rb") as fh:
                yield from iter_decompressed(fh, "plain", name=self.name, position=position)
            return
        with storage.open_read(self.path) as fh:
            yield from iter_decompressed(fh, self.container, name=self.name, position=position)

    def _extract_7z(self) -> Path:
        """7z archives are extracted once to a temporary file (py7zr cannot stream)."""
        if self._extracted is not None and self._extracted.exists():
            return self._extracted
        try:
            import py7zr
        except ImportError:
            raise ConfigError(
                f"{self.path} is a 7z archive; install the extra with "
                "`pip install 'wikipact[7z]'` or extract it first (`7z x -so FILE > dump.xml`)."
            ) from None
        tmpdir = Path(tempfile.mkdtemp(prefix="wikipact-7z-"))
        try:
            with py7zr.SevenZipFile(self.path, mode="r") as archive:
                names = [n for n in archive.getnames() if not n.endswith("/")]
                if len(names) != 1:
                    raise UnsupportedDumpError(
                        "unsupported_container",
                        f"the 7z archive holds {len(names)} files; expected exactly one dump",
                        DumpLocation(file=self.name),
                    )
                archive.extractall(path=tmpdir)
        except (py7zr.exceptions.Bad7zFile, py7zr.exceptions.ArchiveError, EOFError) as exc:
            shutil.rmtree(tmpdir, ignore_errors=True)
            raise DamagedDumpError(
                "7z_corrupt", f"the 7z archive cannot be read: {exc}", DumpLocation(file=self.name)
            ) from None
        extracted = next(p for p in tmpdir.rglob("*") if p.is_file())
        self._extracted = extracted
        return extracted

    def cleanup(self) -> None:
        if self._extracted is not None:
            shutil.rmtree(self._extracted.parent, ignore_errors=True)
            self._extracted = None


def open_file(path: str | os.PathLike[str]) -> OpenedFile:
    """Recognise the container of ``path`` (a file or a URL); raises ``ConfigError`` if it
    cannot be opened."""
    if storage.is_url(path):
        return _open_object(os.fspath(path))
    p = Path(storage.local_path(path))
    try:
        with open(p, "rb") as fh:
            head = fh.read(8)
        size = p.stat().st_size
    except FileNotFoundError:
        raise ConfigError(f"{p}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"{p} is a directory; pass the dump file itself") from None
    except PermissionError:
        raise ConfigError(f"{p}: permission denied") from None
    return OpenedFile(path=p, container=detect_container(head), size=size)


def _open_object(url: str) -> OpenedFile:
    """An object in storage: its size and first bytes cost a HEAD and one small ranged GET."""
    size = storage.size(url)
    container = detect_container(storage.read_range(url, 0, 8))
    if container == "7z":
        raise ConfigError(
            f"{url} is a 7z archive, which wikipact reads from a local file only (py7zr needs "
            "the whole archive); download it first, or recompress it as .bz2 or .zst"
        )
    return OpenedFile(path=url, container=container, size=size)
