"""How fast does the article store take pages: SQLite against PostgreSQL, on the same pages.

Run by hand from the repository root (nothing asserts on it):

    .venv/bin/python bench/store_ingest.py                       # a throwaway PostgreSQL server
    .venv/bin/python bench/store_ingest.py --postgres postgresql://me@host/db   # an existing one

The pages are the vendored real samples (``tests/data``: the enwiki and mrwiki multistream
samples, the two dewiki revisions of one page) and, when the shared corpus is there, its
assembled multistream samples (``../shared/corpus/assembled``, 20 wikis). They are parsed once,
up front; then, for each backend, into a new empty store:

* **load**: ``apply`` the pages in batches of ``--batch`` (as ``ingest`` hands them over), every
  page new: revisions, records, change log;
* **again**: the same batches once more, every page unchanged (a re-ingest: nothing written);
* **ingest**: ``wikipact.run.ingest.ingest`` of the vendored dump files (parsing included, with
  ``--workers``) into another new store: what a user sees.

Pages per second of each; the best of ``--repeats``. The throwaway server (``tests/postgres.py``)
runs with ``fsync=off``, as the tests do: a real server's commit costs more; SQLite here uses
its production settings (WAL, ``synchronous=NORMAL``).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from wikipact import open_dump  # noqa: E402
from wikipact.model.article import Article  # noqa: E402
from wikipact.model.raw import RawPage  # noqa: E402
from wikipact.run.ingest import IngestOptions, ingest  # noqa: E402
from wikipact.store import open_store  # noqa: E402
from wikipact.wikitext import parse_article  # noqa: E402

DATA = REPO / "tests" / "data"
CORPUS = REPO.parent / "shared" / "corpus" / "assembled"
VENDORED = [
    DATA / "sample-enwiki-pages-articles-multistream.xml.bz2",
    DATA / "dewiki-20130602-id1.xml",
    DATA / "dewiki-20200801-id1.xml",
    DATA / "sample-mrwiki-pages-articles-multistream.xml.bz2",
]

Item = tuple[RawPage, Article]


def parse(paths: list[Path]) -> list[Item]:
    items = []
    for path in paths:
        dump = open_dump(path)
        items += [(page, parse_article(page, dump.site)) for page in dump.pages()]
    return items


@contextlib.contextmanager
def postgres(url: str | None) -> Iterator[object]:
    """``database()`` makes a new empty database: on ``url``'s server, or a throwaway one."""
    from tests import postgres as throwaway

    if url:
        yield throwaway.Server(url)
        return
    reason = throwaway.unavailable()
    if reason:
        raise SystemExit(f"no PostgreSQL: {reason}; pass --postgres URL")
    with throwaway.server() as server:
        yield server


def timed_apply(url: str, items: list[Item], batch: int) -> tuple[float, float]:
    """Seconds to load the pages into a new store, then to apply them again (unchanged)."""
    store = open_store(url)
    try:
        batches = [items[i : i + batch] for i in range(0, len(items), batch)]
        started = time.perf_counter()
        for chunk in batches:
            store.apply(chunk, source="bench")
        load = time.perf_counter() - started
        started = time.perf_counter()
        for chunk in batches:
            result = store.apply(chunk, source="bench")
            assert result.changed == 0
        again = time.perf_counter() - started
    finally:
        store.close()
    return load, again


def timed_ingest(url: str, paths: list[Path], workers: int) -> float:
    store = open_store(url)
    try:
        started = time.perf_counter()
        for path in paths:
            ingest([path], store, IngestOptions(workers=workers))
        return time.perf_counter() - started
    finally:
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", help="an existing server's URL (each run: a new database)")
    parser.add_argument("--batch", type=int, default=500, help="pages per apply (default 500)")
    parser.add_argument("--workers", type=int, default=2, help="ingest worker processes")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-corpus", action="store_true", help="the vendored samples only")
    args = parser.parse_args()

    sets = {"vendored": VENDORED}
    corpus = sorted(CORPUS.glob("sample-*-pages-articles-multistream.xml.bz2"))
    if corpus and not args.no_corpus:
        sets["corpus"] = corpus
    parsed = {}
    for name, paths in sets.items():
        started = time.perf_counter()
        parsed[name] = parse(paths)
        mb = sum(len(r.text.encode()) for p, _ in parsed[name] for r in p.revisions) / 1e6
        print(
            f"{name}: {len(parsed[name])} pages, {mb:.1f} MB of wikitext, parsed in "
            f"{time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )

    rows = []
    with postgres(args.postgres) as server, tempfile.TemporaryDirectory() as folder:
        counter = 0

        def new_url(backend: str) -> str:
            nonlocal counter
            counter += 1
            if backend == "sqlite":
                return f"sqlite:///{Path(folder) / f'bench{counter}.db'}"
            return server.database()  # type: ignore[attr-defined,no-any-return]

        for name, items in parsed.items():
            for backend in ("sqlite", "postgresql"):
                runs = [
                    timed_apply(new_url(backend), items, args.batch) for _ in range(args.repeats)
                ]
                load = min(r[0] for r in runs)
                again = min(r[1] for r in runs)
                ingest_s = None
                if name == "vendored":
                    ingest_s = min(
                        timed_ingest(new_url(backend), VENDORED, args.workers)
                        for _ in range(args.repeats)
                    )
                rows.append((name, backend, len(items), load, again, ingest_s))

    print()
    print(f"pages/s (best of {args.repeats}; apply batches of {args.batch} pages; ingest with "
          f"{args.workers} workers, parsing included)")  # fmt: skip
    header = f"{'pages':<9} {'backend':<11} {'n':>6} {'load':>9} {'again':>9} {'ingest':>9}"
    print(header)
    print("-" * len(header))
    for name, backend, n, load, again, ingest_s in rows:
        ingest_rate = f"{n / ingest_s:9,.0f}" if ingest_s else f"{'':>9}"
        print(f"{name:<9} {backend:<11} {n:>6} {n / load:9,.0f} {n / again:9,.0f} {ingest_rate}")


if __name__ == "__main__":
    main()
