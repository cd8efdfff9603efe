"""Grounding search on SQLite FTS5 against PostgreSQL full-text search, on the same store.

Run by hand from the repository root (nothing asserts on it):

    .venv/bin/python bench/search_backends.py                       # a throwaway PostgreSQL server
    .venv/bin/python bench/search_backends.py --postgres postgresql://me@host/db   # an existing one

The same dumps are ingested into a new SQLite store and a new PostgreSQL store: the vendored
real samples (``tests/data``: the enwiki and mrwiki multistream samples) and, when the shared
corpus is there, its assembled multistream samples (``../shared/corpus/assembled``: 20 wikis,
Greek, Ukrainian, Japanese, Marathi, German, French, Russian ... ; ``--no-corpus`` to leave
them out). Each store gets its passage index (``build_index``: timed, and its size measured);
both hold the same passages, so a passage is named by (project, page id, position) on both.

The queries are derived from the articles, a fixed sample of ``--per-language`` articles per
wiki (evenly spaced by page id): the article's **title**, and three **lead** words of its first
passage (words of 4+ letters, in text order, chosen by a seeded generator; for Japanese and
Chinese two 2-character pieces of the lead's CJK runs). Each is run ``--repeats`` times on each
backend through ``PassageIndex`` (what the API uses: a per-thread connection on SQLite, a pool
on PostgreSQL), one at a time, top 10, after one warm-up round.

Reported, per language and overall: search latency p50/p99 of each backend (every timed run),
the top-10 overlap (Jaccard of the two passage sets per query, averaged; two empty lists count
as 1), how often the first hit is the same passage, and how often each backend has a passage
of the query's source article in its top 10 (found@10). Results are printed as Markdown and
written with the raw numbers to ``bench/results/search-backends-<date>.{md,json}``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from wikipact.run.ingest import IngestOptions, ingest  # noqa: E402
from wikipact.search import PassageIndex, build_index  # noqa: E402
from wikipact.search._text import CJK_RUN  # noqa: E402
from wikipact.search.passages import article_passages, is_indexable  # noqa: E402
from wikipact.store import open_store  # noqa: E402

DATA = REPO / "tests" / "data"
CORPUS = REPO.parent / "shared" / "corpus" / "assembled"
VENDORED = [
    DATA / "sample-enwiki-pages-articles-multistream.xml.bz2",
    DATA / "sample-mrwiki-pages-articles-multistream.xml.bz2",
]
CJK_LANGUAGES = {"ja", "zh", "ko"}
# a word: letters and combining marks (Devanagari vowel signs are marks), 4 or more of them
WORD = re.compile(r"(?:(?![\d_])[\w\u0300-\u036f\u0900-\u0dff\u1ab0-\u1aff\u20d0-\u20ff]){4,}")


@contextlib.contextmanager
def postgres(url: str | None) -> Iterator[Any]:
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


def load(url: str, paths: list[Path]) -> tuple[float, float]:
    """Ingest the dumps into the new store at ``url`` and index it: (ingest s, index s)."""
    store = open_store(url)
    try:
        started = time.perf_counter()
        for path in paths:
            ingest([path], store, IngestOptions(on_error="skip"))
        ingested = time.perf_counter() - started
    finally:
        store.close()
    started = time.perf_counter()
    build_index(url)
    return ingested, time.perf_counter() - started


def postgres_index_bytes(url: str) -> int:
    """The search tables with their indexes and TOAST."""
    import psycopg

    with psycopg.connect(url) as conn:
        return int(
            conn.execute(
                "SELECT pg_total_relation_size('search_passages') + "
                "pg_total_relation_size('search_configs') + pg_total_relation_size('search_schema')"
            ).fetchone()[0]
        )


def sqlite_index_bytes(path: Path, folder: Path) -> int:
    """The file's size with its search tables less its size without them (both vacuumed)."""
    with_index, without = folder / "with.db", folder / "without.db"
    conn = sqlite3.connect(path)
    conn.execute(f"VACUUM INTO '{with_index}'")
    conn.close()
    conn = sqlite3.connect(with_index)
    conn.execute(f"VACUUM INTO '{without}'")
    conn.close()
    conn = sqlite3.connect(without, isolation_level=None)
    for table in ("search_fts", "search_passages", "search_schema"):
        conn.execute(f"DROP TABLE IF EXISTS {table}")
    conn.execute("VACUUM")
    conn.close()
    size = with_index.stat().st_size - without.stat().st_size
    with_index.unlink()
    without.unlink()
    return size


def derive_queries(url: str, per_language: int, seed: int) -> list[dict[str, Any]]:
    """Title and lead-word queries of a fixed sample of each wiki's indexed articles."""
    rng = random.Random(seed)
    store = open_store(url, readonly=True)
    queries: list[dict[str, Any]] = []
    try:
        for project in store.projects():
            articles = [
                a
                for first, last in store.page_id_chunks(project, 1000)
                for a in store.articles_between(project, first, last)
                if is_indexable(a) and article_passages(a)
            ]
            if not articles:
                continue
            step = max(1, len(articles) // per_language)
            for article in articles[::step][:per_language]:
                language = article.in_language.identifier
                base = {"project": project, "language": language, "page_id": article.identifier}
                queries.append(base | {"kind": "title", "q": article.name})
                lead = article_passages(article)[0].text
                words = lead_words(lead, language, rng)
                if words:
                    queries.append(base | {"kind": "lead", "q": words})
    finally:
        store.close()
    return queries


def lead_words(text: str, language: str, rng: random.Random) -> str:
    if language in CJK_LANGUAGES:
        runs = [r for r in CJK_RUN.findall(text) if len(r) >= 2]
        pieces = []
        for run in rng.sample(runs, min(2, len(runs))):
            start = rng.randrange(len(run) - 1)
            pieces.append(run[start : start + 2])
        return " ".join(pieces)
    words = list(dict.fromkeys(WORD.findall(text)))[:40]
    if not words:
        return ""
    chosen = sorted(rng.sample(range(len(words)), min(3, len(words))))
    return " ".join(words[i] for i in chosen)


def run(index: PassageIndex, queries: list[dict[str, Any]], repeats: int) -> list[dict[str, Any]]:
    """Each query's top 10 (as passage keys) and its timings."""
    for query in queries:  # warm-up round: caches, plans, the pool's connections
        index.search(query["q"], limit=10)
    results = [{"hits": [], "seconds": []} for _ in queries]
    for _ in range(repeats):
        for query, result in zip(queries, results, strict=True):
            started = time.perf_counter()
            hits = index.search(query["q"], limit=10)
            result["seconds"].append(time.perf_counter() - started)
            result["hits"] = [(h.project, h.page_id, h.position) for h in hits]
    return results


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def jaccard(a: list[Any], b: list[Any]) -> float:
    sa, sb = set(a), set(b)
    return 1.0 if not sa and not sb else len(sa & sb) / len(sa | sb)


def summarise(
    queries: list[dict[str, Any]], sqlite: list[dict[str, Any]], pg: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for i, query in enumerate(queries):
        groups[query["language"]].append(i)
        groups["all"].append(i)
    rows = []
    for language in sorted(groups, key=lambda g: (g == "all", g)):
        members = groups[language]

        def found(results: list[dict[str, Any]], members: list[int] = members) -> float:
            return statistics.mean(
                any((p, i) == (queries[m]["project"], queries[m]["page_id"])
                    for p, i, _ in results[m]["hits"])
                for m in members
            )  # fmt: skip

        s_times = [t * 1000 for m in members for t in sqlite[m]["seconds"]]
        p_times = [t * 1000 for m in members for t in pg[m]["seconds"]]
        rows.append(
            {
                "language": language,
                "queries": len(members),
                "sqlite_p50_ms": percentile(s_times, 50),
                "sqlite_p99_ms": percentile(s_times, 99),
                "pg_p50_ms": percentile(p_times, 50),
                "pg_p99_ms": percentile(p_times, 99),
                "jaccard10": statistics.mean(
                    jaccard(sqlite[m]["hits"], pg[m]["hits"]) for m in members
                ),
                "same_top1": statistics.mean(
                    sqlite[m]["hits"][:1] == pg[m]["hits"][:1] for m in members
                ),
                "sqlite_found10": found(sqlite),
                "pg_found10": found(pg),
            }
        )
    return rows


def markdown(rows: list[dict[str, Any]], setup: dict[str, Any]) -> str:
    lines = [
        f"# Search backends, {setup['date']}",
        "",
        f"Store: {setup['passages']:,} passages of {setup['articles']:,} articles in "
        f"{setup['projects']} wikis ({setup['sets']}); {setup['queries']} queries x "
        f"{setup['repeats']} runs per backend, top 10, one at a time.",
        "",
        "| backend | ingest s | index build s | index size MB |",
        "|---|---:|---:|---:|",
    ]
    for name in ("sqlite", "postgresql"):
        b = setup["backends"][name]
        lines.append(
            f"| {name} | {b['ingest_s']:.1f} | {b['index_s']:.1f} | {b['index_bytes'] / 1e6:.1f} |"
        )
    lines += [
        "",
        "| language | queries | SQLite p50 ms | SQLite p99 ms | PG p50 ms | PG p99 ms | "
        "Jaccard@10 | same top 1 | SQLite found@10 | PG found@10 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['language']} | {r['queries']} | {r['sqlite_p50_ms']:.2f} | "
            f"{r['sqlite_p99_ms']:.2f} | {r['pg_p50_ms']:.2f} | {r['pg_p99_ms']:.2f} | "
            f"{r['jaccard10']:.2f} | {r['same_top1']:.2f} | {r['sqlite_found10']:.2f} | "
            f"{r['pg_found10']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", help="an existing server's URL (a new database is made)")
    parser.add_argument("--no-corpus", action="store_true", help="the vendored samples only")
    parser.add_argument("--per-language", type=int, default=25, help="articles sampled per wiki")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261128)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    args = parser.parse_args()

    paths = list(VENDORED)
    corpus = sorted(CORPUS.glob("sample-*-pages-articles-multistream.xml.bz2"))
    if corpus and not args.no_corpus:
        paths += [p for p in corpus if p.name not in {v.name for v in VENDORED}]
    sets = "vendored samples" + (" + shared corpus" if len(paths) > len(VENDORED) else "")

    with postgres(args.postgres) as server, tempfile.TemporaryDirectory() as folder:
        sqlite_file = Path(folder) / "bench.db"
        urls = {"sqlite": f"sqlite:///{sqlite_file}", "postgresql": server.database()}
        backends: dict[str, dict[str, Any]] = {}
        for name, url in urls.items():
            ingested, indexed = load(url, paths)
            print(
                f"{name}: ingested in {ingested:.1f} s, indexed in {indexed:.1f} s", file=sys.stderr
            )
            backends[name] = {"ingest_s": ingested, "index_s": indexed}
        backends["postgresql"]["index_bytes"] = postgres_index_bytes(urls["postgresql"])
        backends["sqlite"]["index_bytes"] = sqlite_index_bytes(sqlite_file, Path(folder))

        queries = derive_queries(urls["sqlite"], args.per_language, args.seed)
        print(f"{len(queries)} queries", file=sys.stderr)
        results = {}
        for name, url in urls.items():
            index = PassageIndex(url if name == "postgresql" else sqlite_file)
            try:
                results[name] = run(index, queries, args.repeats)
            finally:
                index.close()
        conn = sqlite3.connect(sqlite_file)
        passages, articles, projects = conn.execute(
            "SELECT COUNT(*), COUNT(DISTINCT project || ':' || page_id), COUNT(DISTINCT project) "
            "FROM search_passages"
        ).fetchone()
        conn.close()

    rows = summarise(queries, results["sqlite"], results["postgresql"])
    date = datetime.now(UTC).strftime("%Y-%m-%d")
    setup = {
        "date": date,
        "sets": sets,
        "passages": passages,
        "articles": articles,
        "projects": projects,
        "queries": len(queries),
        "repeats": args.repeats,
        "backends": backends,
    }
    text = markdown(rows, setup)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"search-backends-{date}.md").write_text(text, encoding="utf-8")
    raw = {
        "setup": setup,
        "rows": rows,
        "queries": [
            q | {"sqlite": results["sqlite"][i], "postgresql": results["postgresql"][i]}
            for i, q in enumerate(queries)
        ],
    }
    (args.out / f"search-backends-{date}.json").write_text(
        json.dumps(raw, ensure_ascii=False, indent=1), encoding="utf-8"
    )


if __name__ == "__main__":
    main()
