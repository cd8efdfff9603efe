"""Where hourly batch files are kept once made: ``<root>/batches/<YYYY-MM-DD>/<HH>/<id>.tar.gz``
beside ``<id>.json`` (size, sha256, events).

A batch is made the first time it is asked for after its hour ended and then kept, so every
later request (a HEAD, then ranged GETs from several workers) sees the same bytes. Both files
are written to a temp file and renamed into place; the description is written last, so a batch
with a description is whole. Identifiers and dates are checked before they become a path.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from wikipact.errors import ConfigError, StoreError

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_HOUR = re.compile(r"[0-9]{2}")
_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,150}")


@dataclass(frozen=True)
class BatchFile:
    path: Path
    size: int
    sha256: str
    events: int


def batch_file(
    root: Path, date: str, hour: str, identifier: str, make: Callable[[BinaryIO], int]
) -> BatchFile:
    """The kept batch file, made with ``make(out) -> events`` when it is not there yet."""
    if not (_DATE.fullmatch(date) and _HOUR.fullmatch(hour) and _ID.fullmatch(identifier)):
        raise ConfigError(f"no batch {date}/{hour}/{identifier}")
    folder = Path(root) / "batches" / date / hour
    path, about = folder / f"{identifier}.tar.gz", folder / f"{identifier}.json"
    kept = _read(path, about)
    if kept is not None:
        return kept
    try:
        folder.mkdir(parents=True, exist_ok=True)
        digest, size, events = _write(path, make)
        description = {"size": size, "sha256": digest, "events": events}
        _write(about, _json_writer(description))
    except OSError as exc:
        raise StoreError(f"cannot keep the batch file {path}: {exc}") from None
    return BatchFile(path, size, digest, events)


def _read(path: Path, about: Path) -> BatchFile | None:
    try:
        description = json.loads(about.read_bytes())
        if path.stat().st_size != description["size"]:
            return None
        return BatchFile(path, description["size"], description["sha256"], description["events"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _json_writer(data: dict[str, object]) -> Callable[[BinaryIO], int]:
    def write(out: BinaryIO) -> int:
        out.write(json.dumps(data).encode())
        return 0

    return write


class _Hashing:
    def __init__(self, out: BinaryIO) -> None:
        self.out, self.digest, self.size = out, hashlib.sha256(), 0

    def write(self, data: bytes) -> int:
        self.out.write(data)
        self.digest.update(data)
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        self.out.flush()


def _write(path: Path, make: Callable[[BinaryIO], int]) -> tuple[str, int, int]:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            hashing = _Hashing(fh)
            events = make(hashing)  # type: ignore[arg-type]
            fh.flush()
            os.fsync(fh.fileno())
            os.fchmod(fh.fileno(), 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return hashing.digest.hexdigest(), hashing.size, events
