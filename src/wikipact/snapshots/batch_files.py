"""Where hourly batch files are kept once made: ``<root>/batches/<YYYY-MM-DD>/<HH>/<id>.tar.gz``
beside ``<id>.json`` (size, sha256, events); the root is the snapshots' (a folder or object
storage).

A batch is made the first time it is asked for after its hour ended and then kept, so every
later request (a HEAD, then ranged GETs from several workers) sees the same bytes. Both files
are written whole or not at all (``storage.open_write``); the description is written last, so
a batch with a description is whole. Identifiers and dates are checked before they become a path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from wikipact import storage
from wikipact.errors import ConfigError, StoreError
from wikipact.snapshots.archive import write_atomic
from wikipact.snapshots.registry import Root

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_HOUR = re.compile(r"[0-9]{2}")
_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,150}")


@dataclass(frozen=True)
class BatchFile:
    path: Path | str  # a file in the folder, or an object's URL
    size: int
    sha256: str
    events: int


def batch_file(
    root: Root, date: str, hour: str, identifier: str, make: Callable[[BinaryIO], int]
) -> BatchFile:
    """The kept batch file, made with ``make(out) -> events`` when it is not there yet."""
    if not (_DATE.fullmatch(date) and _HOUR.fullmatch(hour) and _ID.fullmatch(identifier)):
        raise ConfigError(f"no batch {date}/{hour}/{identifier}")
    folder = storage.join(root, "batches", date, hour)
    path = storage.path_or_url(storage.join(folder, f"{identifier}.tar.gz"))
    about = storage.join(folder, f"{identifier}.json")
    kept = _read(path, about)
    if kept is not None:
        return kept
    events = 0

    def write(out: BinaryIO) -> None:
        nonlocal events
        events = make(out)

    try:
        size, digest = write_atomic(path, write)
        description = {"size": size, "sha256": digest, "events": events}
        storage.put_bytes(about, json.dumps(description).encode())
    except OSError as exc:
        raise StoreError(f"cannot keep the batch file {path}: {exc}") from None
    return BatchFile(path, size, digest, events)


def _read(path: Path | str, about: str) -> BatchFile | None:
    try:
        description = json.loads(storage.get_bytes(about))
        if storage.size(path) != description["size"]:
            return None
        return BatchFile(path, description["size"], description["sha256"], description["events"])
    except (OSError, ConfigError, ValueError, KeyError, TypeError):
        return None
