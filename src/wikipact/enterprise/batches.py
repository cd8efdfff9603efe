"""Hourly batches, as Wikimedia Enterprise publishes them: for each hour (UTC) that has ended,
one file per project and namespace (``enwiki_namespace_0``) holding that hour's article events
(the realtime stream's records, in change-log order) as a tar.gz with one NDJSON member.

The bytes are deterministic for the events and records they hold (gzip mtime 0, the member's
mtime the hour's start, no owner names), so a batch made twice from the same store is the same
file. ``store`` is any article store (``store.base``); nothing here knows where files live.
"""

from __future__ import annotations

import gzip
import io
import re
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO

import msgspec

from wikipact.enterprise.records import event_record
from wikipact.errors import ConfigError
from wikipact.store import records
from wikipact.store.base import ChangeEvent

Allows = Callable[[str, int], bool]
_BATCH_ID = re.compile(r"([a-z0-9_-]{1,100})_namespace_(-?[0-9]{1,6})")


@dataclass(frozen=True)
class Hour:
    """One hour (UTC): its start and its end in the change log's time form."""

    start: datetime

    @classmethod
    def parse(cls, date: str, hour: str) -> Hour:
        """``2026-12-07``, ``09`` -> the hour; ``ConfigError`` for anything else."""
        try:
            start = datetime.strptime(f"{date} {hour}", "%Y-%m-%d %H").replace(tzinfo=UTC)
            start + timedelta(hours=1)  # the hour must end within the calendar (not 9999-12-31 23)
        except (ValueError, OverflowError):
            raise ConfigError(
                f"no hour {date}/{hour}: give the date as YYYY-MM-DD and the hour as 00 to 23"
            ) from None
        return cls(start)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(hours=1)

    def ended(self, now: datetime) -> bool:
        return self.end <= now

    @property
    def stamps(self) -> tuple[str, str]:
        return records.stamp(self.start), records.stamp(self.end)


@dataclass(frozen=True)
class BatchInfo:
    """What one batch holds, before its file is made."""

    identifier: str  # enwiki_namespace_0
    project: str
    namespace: int
    events: int
    newest: str  # the last event's time


def batch_identifier(project: str, namespace: int) -> str:
    return f"{project}_namespace_{namespace}"


def parse_identifier(identifier: str) -> tuple[str, int] | None:
    match = _BATCH_ID.fullmatch(identifier)
    return (match.group(1), int(match.group(2))) if match else None


def changes_in(store: Any, hour: Hour) -> Iterator[ChangeEvent]:
    """The change-log events recorded in ``hour``, in cursor order."""
    first, end = hour.stamps
    position = store.cursor_before(first)
    while True:
        changes = list(store.changes(after=position, limit=1000))
        if not changes:
            return
        for change in changes:
            if change.recorded_at >= end:
                return
            yield change
        position = changes[-1].cursor


def batches_in(store: Any, hour: Hour, allows: Allows) -> list[BatchInfo]:
    """The hour's batches the caller may receive, by identifier."""
    found: dict[tuple[str, int], list[Any]] = {}
    for change in changes_in(store, hour):
        if allows(change.project, change.namespace):
            entry = found.setdefault((change.project, change.namespace), [0, ""])
            entry[0] += 1
            entry[1] = change.recorded_at
    return [
        BatchInfo(batch_identifier(p, ns), p, ns, count, newest)
        for (p, ns), (count, newest) in sorted(found.items())
    ]


def write_batch(store: Any, hour: Hour, project: str, namespace: int, out: BinaryIO) -> int:
    """Write the batch of ``project``'s ``namespace`` for ``hour`` to ``out``; its events."""
    lines = [
        msgspec.json.encode(event_record(store, change)) + b"\n"
        for change in changes_in(store, hour)
        if change.project == project and change.namespace == namespace
    ]
    body = b"".join(lines)
    info = tarfile.TarInfo(f"{batch_identifier(project, namespace)}.ndjson")
    info.size = len(body)
    info.mtime = int(hour.start.timestamp())
    info.mode = 0o644
    info.uname = info.gname = ""
    with (
        gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,  # type: ignore[call-overload]
    ):
        tar.addfile(info, io.BytesIO(body))
    return len(lines)
