"""The portal's server time per page on the corpus store (goal: every page under 200 ms).

Run by hand, never by pytest::

    .venv/bin/python bench/portal.py                  # store built from ../shared/corpus
    .venv/bin/python bench/portal.py --db my.db       # an existing store (a copy is used)
    .venv/bin/python bench/portal.py --repeat 30

What it does:

1. Builds a store from every multistream dump in the corpus's ``assembled/`` folder (33 wikis;
   ``$WIKIPACT_CORPUS`` or ``../shared/corpus``), unless ``--db`` names one, and the grounding
   search index over it.
2. Adds a partner ``bench`` with an agreement on every project and channel, three more keys,
   and ``--events`` metered deliveries spread over the last 60 days, every channel and every
   project (so the usage page and statements have real rows to add up); an admin key; and a
   snapshot of the largest project.
3. Starts ``wikipact serve --workers 1`` on loopback, signs in through the login form (as a
   browser does: the form's CSRF token and cookie), and requests each page ``--repeat`` times
   after one warm-up request. The time is the server's own, from the ``Server-Timing`` header
   the portal sets (request received to response started: routing, the session and key check,
   the database reads and the template), so the client's share of this 2-core machine is not
   counted.

Per page: p50, p95 and max in ms, and the size of the HTML. Results go to
``bench/results/portal-<date>.md`` and are printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
RESULTS = BENCH / "results"
CORPUS = Path(os.environ.get("WIKIPACT_CORPUS", REPO.parent / "shared" / "corpus"))
VENV_BIN = Path(sys.executable).parent
CHANNELS = ("on-demand", "snapshots", "realtime", "search", "datasets")


def build_store(url: str) -> list[Path]:
    from wikipact.run.ingest import IngestOptions, ingest
    from wikipact.store import open_store

    dumps = sorted((CORPUS / "assembled").glob("*-multistream.xml.bz2"))
    if not dumps:
        sys.exit(f"no corpus dumps under {CORPUS / 'assembled'}; pass --db or $WIKIPACT_CORPUS")
    store = open_store(url)
    try:
        ingest([str(p) for p in dumps], store, IngestOptions(workers=2))
        store.checkpoint_wal()
    finally:
        store.close()
    return dumps


def prepare(db: Path, snapshots: Path, events: int) -> dict[str, str]:
    """Partner, keys, usage, snapshot; the keys and the pages' identifiers."""
    from wikipact.access import Access
    from wikipact.snapshots.create import create_snapshot
    from wikipact.store import open_store

    store = open_store(f"sqlite:///{db}", readonly=True)
    try:
        projects = sorted(store.projects())
    finally:
        store.close()
    access = Access(db)
    try:
        access.add_partner("bench", "Bench Corp", actor="bench")
        agreement = access.add_agreement(
            "bench", name="all", projects=["*"], channels=list(CHANNELS),
            uses=["training", "retrieval", "grounding", "search"], rate_limit=100_000,
            burst=100_000, starts="2020-01-01", actor="bench",
        )  # fmt: skip
        key = access.create_key("bench", label="main", actor="bench")[1]
        for label in ("staging", "ci", "laptop"):
            access.create_key("bench", label=label, actor="bench")
        admin = access.create_key(None, label="ops", actor="bench")[1]
        principal = access.authenticate(key)
        now = dt.datetime.now(dt.UTC)
        names = projects or ["enwiki"]
        for n in range(events):
            moment = now - dt.timedelta(days=n % 60, minutes=n % 1440)
            access.record(
                f"bench-{n}", principal, channel=CHANNELS[n % len(CHANNELS)],
                project=names[n % len(names)], articles=1 + n % 7, bytes_sent=20_000 + n % 5000,
                status=200, agreement=agreement, now=moment,
            )  # fmt: skip
    finally:
        access.close()
    project = "enwiki"
    snapshot = create_snapshot(db, snapshots, project, 0)
    return {
        "key": key,
        "admin": admin,
        "snapshot": snapshot.identifier,
        "projects": ",".join(names),
    }


def sign_in(client: httpx.Client, key: str) -> None:
    form = client.get("/portal/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf, "no CSRF token on the login form"
    client.cookies.set("wikipact_portal_login", form.cookies["wikipact_portal_login"])
    done = client.post("/portal/login", data={"key": key, "csrf": csrf[1]})
    assert done.status_code == 303, done.text
    client.cookies.set("wikipact_portal", done.cookies["wikipact_portal"])


def server_ms(response: httpx.Response) -> float:
    match = re.search(r"app;dur=([0-9.]+)", response.headers.get("server-timing", ""))
    assert match, f"no Server-Timing on {response.url}"
    return float(match[1])


def measure(client: httpx.Client, path: str, repeat: int) -> dict[str, object]:
    first = client.get(path)
    if first.status_code != 200:
        return {"path": path, "status": first.status_code}
    times = []
    for _ in range(repeat):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        times.append(server_ms(response))
    times.sort()
    return {
        "path": path,
        "status": 200,
        "p50": statistics.median(times),
        "p95": times[max(0, round(0.95 * len(times)) - 1)],
        "max": times[-1],
        "bytes": len(first.content),
    }


def wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None:
            sys.exit("wikipact serve exited")
        try:
            httpx.get(f"{base}/portal/login", timeout=5)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, help="an existing SQLite store (copied)")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--article", default="Anarchism", help="enwiki title to open")
    parser.add_argument("--query", default="language history")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="wikipact-portal-bench-"))
    db = work / "bench.db"
    started = time.perf_counter()
    if args.db:
        shutil.copy(args.db, db)
    else:
        build_store(f"sqlite:///{db}")
    subprocess.run(
        [str(VENV_BIN / "wikipact"), "index", "--db", f"sqlite:///{db}"],
        check=True, capture_output=True,
    )  # fmt: skip
    ids = prepare(db, work / "snapshots", args.events)
    print(f"store, index, usage ({args.events:,} events) ready in "
          f"{time.perf_counter() - started:.0f} s", file=sys.stderr)  # fmt: skip

    base = f"http://127.0.0.1:{args.port}"
    command = [
        str(VENV_BIN / "wikipact"), "serve", "--db", f"sqlite:///{db}", "--snapshots",
        str(work / "snapshots"), "--workers", "1", "--port", str(args.port), "--no-access-log",
    ]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    today = dt.date.today()
    month = today.strftime("%Y-%m")
    partner_pages = [
        "/portal/",
        "/portal/usage",
        f"/portal/usage?since={(today - dt.timedelta(days=59)).isoformat()}&until={today}",
        "/portal/usage.csv",
        f"/portal/statements/{month}.json",
        "/portal/catalogue",
        f"/portal/catalogue/{ids['snapshot']}",
        f"/portal/articles?q={args.query.replace(' ', '+')}",
        f"/portal/articles/enwiki/{args.article}",
        "/portal/keys",
    ]
    admin_pages = [
        "/portal/admin/",
        "/portal/admin/partners/bench",
        f"/portal/admin/usage?period={month}",
        "/portal/admin/audit",
        "/portal/admin/operations",
    ]
    rows = []
    try:
        wait_until_up(base, server)
        for key, pages in ((ids["key"], partner_pages), (ids["admin"], admin_pages)):
            with httpx.Client(base_url=base, timeout=60) as client:
                sign_in(client, key)
                rows += [measure(client, path, args.repeat) for path in pages]
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)

    lines = [
        f"# Portal server time per page ({dt.date.today()}, {args.repeat} requests each, "
        f"{args.events:,} usage events)",
        "",
        "| page | p50 ms | p95 ms | max ms | HTML bytes |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        if row["status"] != 200:
            lines.append(f"| `{row['path']}` | status {row['status']} | | | |")
        else:
            lines.append(
                f"| `{row['path']}` | {row['p50']:.1f} | {row['p95']:.1f} | {row['max']:.1f} "
                f"| {row['bytes']:,} |"
            )
    text = "\n".join(lines) + "\n"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"portal-{dt.date.today()}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
