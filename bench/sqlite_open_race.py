"""How often read-only store connections opened together meet "database is locked".

The first connection to a WAL database after every other one closed rebuilds its shared-memory
index under an exclusive lock; readers (busy timeout 0) opening at that moment were refused.
Snapshot chunk tasks do exactly that: several processes open the store just after the driver
closed it. This opens ``--processes`` read-only stores at once, ``--rounds`` times, each time
right after a writer closed a fresh copy of the store, and counts the outcomes::

    .venv/bin/python bench/sqlite_open_race.py STORE.db [--rounds 300] [--processes 4]

A race, so a rate, not a test: see bench/README.md.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sqlite3
import tempfile
from collections import Counter
from pathlib import Path


def _open(path: str) -> str:
    from wikipact.errors import StoreError
    from wikipact.store.sqlite import SQLiteStore

    try:
        SQLiteStore(Path(path), readonly=True).close()
    except StoreError as exc:
        return "refused: " + str(exc).rsplit("(", 1)[-1].rstrip(")")
    return "opened"


def _fresh_copy(source: Path, target: Path) -> None:
    """A copy of the store, then one writer that opens and closes it (as a driver does)."""
    from wikipact.store.sqlite import SQLiteStore

    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()
    SQLiteStore(target).close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("store", type=Path, help="a wikipact SQLite store (copied, not changed)")
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--processes", type=int, default=4)
    args = parser.parse_args()
    outcomes: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as folder, multiprocessing.Pool(args.processes) as pool:
        for round_ in range(args.rounds):
            target = Path(folder) / f"w{round_ % 3}.db"
            _fresh_copy(args.store, target)
            outcomes.update(pool.map(_open, [str(target)] * args.processes))
    for outcome, count in outcomes.most_common():
        print(f"{count:6,}  {outcome}")


if __name__ == "__main__":
    main()
