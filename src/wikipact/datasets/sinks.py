"""Shard writers: Parquet (zstd, row groups for streaming readers) and JSON lines (zstd).

A writer receives the records of one split in order and rolls to a new shard when the current
one holds ``shard_bytes`` of text. Each shard is written to a hidden temp file beside its final
name, fsynced and renamed, so a shard on disk is always complete; a crash leaves at most a temp
file, which the next build removes. Same records in, same bytes out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq
import zstandard

from wikipact import crashpoints
from wikipact.datasets.arrow import plain, to_table
from wikipact.datasets.record import DatasetRecord
from wikipact.run.parse import fsync_replace

TEMP_SUFFIX = ".tmp"
ROW_GROUP_BYTES = 8 << 20  # a row group also ends at this much text: bounds memory per writer
EXTENSIONS = {"parquet": "parquet", "jsonl": "jsonl.zst"}
# Parquet shards go to data/ (where Hugging Face looks), JSON lines to a folder of their own, so
# each folder holds one format and loads with any reader as it is.
FOLDERS = {"parquet": "data", "jsonl": "jsonl"}


@dataclass(frozen=True)
class Shard:
    path: str  # relative to the dataset root
    split: str
    format: str  # parquet | jsonl.zst
    records: int


class ShardWriter:
    """Writes the records of one split and one format as ``<folder>/<split>-NNNNN.<ext>``."""

    def __init__(
        self,
        root: Path,
        split: str,
        fmt: str,
        schema: pa.Schema,
        *,
        shard_bytes: int,
        row_group_rows: int,
        on_shard: Callable[[Shard], None] | None = None,
    ) -> None:
        self.root = root
        self.split = split
        self.fmt = fmt
        self.schema = schema
        self.shard_bytes = shard_bytes
        self.row_group_rows = row_group_rows
        self.on_shard = on_shard
        self.shards: list[Shard] = []
        self._buffer: list[DatasetRecord] = []
        self._buffered = 0  # text bytes in the buffer
        self._bytes = 0
        self._records = 0
        self._sink: Any = None
        self._tmp: Path | None = None

    @property
    def _name(self) -> str:
        shard = f"{self.split}-{len(self.shards):05d}.{EXTENSIONS[self.fmt]}"
        return f"{FOLDERS[self.fmt]}/{shard}"

    def write(self, record: DatasetRecord) -> None:
        self._buffer.append(record)
        size = len(record.text.encode("utf-8"))
        self._bytes += size
        self._buffered += size
        if len(self._buffer) >= self.row_group_rows or self._buffered >= ROW_GROUP_BYTES:
            self._flush()
        if self._bytes >= self.shard_bytes:
            self._finish_shard()

    def close(self) -> list[Shard]:
        self._finish_shard()
        return self.shards

    def abort(self) -> None:
        if self._sink is not None:
            self._sink.close()
            self._sink = None
        if self._tmp is not None:
            self._tmp.unlink(missing_ok=True)

    def _open(self) -> None:
        final = self.root / self._name
        final.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = final.with_name(f".{final.name}{TEMP_SUFFIX}")
        if self.fmt == "parquet":
            self._sink = pq.ParquetWriter(
                self._tmp,
                self.schema,
                compression="zstd",
                compression_level=3,
                write_page_index=True,
            )
        else:
            self._sink = _JsonlZst(self._tmp, [f.name for f in self.schema])

    def _flush(self) -> None:
        if not self._buffer:
            return
        if self._sink is None:
            self._open()
        if self.fmt == "parquet":
            self._sink.write_table(to_table(self._buffer, self.schema))
        else:
            self._sink.write(self._buffer)
        self._records += len(self._buffer)
        self._buffer = []
        self._buffered = 0
        crashpoints.reached("sinks.row_group")

    def _finish_shard(self) -> None:
        self._flush()
        if self._sink is None:
            return
        self._sink.close()
        self._sink = None
        assert self._tmp is not None
        name = self._name
        fsync_replace(str(self._tmp), str(self.root / name))
        shard = Shard(name, self.split, EXTENSIONS[self.fmt], self._records)
        self.shards.append(shard)
        if self.on_shard:
            self.on_shard(shard)
        self._tmp = None
        self._bytes = 0
        self._records = 0


class _JsonlZst:
    """JSON lines with every column of the schema, in schema order, zstd-compressed."""

    def __init__(self, path: Path, columns: list[str]) -> None:
        self._fh = open(path, "wb")  # noqa: SIM115 (closed in close())
        self._writer = zstandard.ZstdCompressor(level=3).stream_writer(self._fh, closefd=False)
        self._columns = columns
        self._encoder = msgspec.json.Encoder()

    def write(self, records: list[DatasetRecord]) -> None:
        lines = []
        for record in records:
            row = plain(record)
            lines.append(self._encoder.encode({c: row[c] for c in self._columns}))
        self._writer.write(b"\n".join(lines) + b"\n")

    def close(self) -> None:
        self._writer.close()
        self._fh.close()  # fsync_replace syncs the file when the shard is moved into place


def remove_temp_files(root: Path) -> int:
    """Delete temp files a crashed build left under ``root``; returns how many."""
    removed = 0
    for path in root.rglob(f".*{TEMP_SUFFIX}"):
        if path.is_file():
            path.unlink()
            removed += 1
    return removed
