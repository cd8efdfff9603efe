"""G11: load on the partner API (``wikipact serve``) next to nginx serving the same JSON.

Run by hand, never by pytest::

    .venv/bin/python bench/api_load.py                       # store built from tests/data
    .venv/bin/python bench/api_load.py --db my.db --clients 20 50 200 --duration 20

What it does:

1. Builds a store from the vendored English + Marathi samples (``tests/data``), unless ``--db``
   names one (a copy is used: the bench adds a partner and meters usage).
2. Adds a partner ``bench`` with an agreement on every project (on-demand), rate limit
   100,000/s and burst 100,000 (so 429s mean something is wrong), no quota, and one key.
3. Times ``Access.authenticate`` (the key check every request pays; G9) over ``--auth-calls``
   calls: a valid key, a well-formed unknown key and a malformed one, and the bare HMAC.
4. Starts ``wikipact serve --workers 2`` on loopback (``--server uvicorn-quiet``: the same app
   factory through uvicorn without the per-request access log) and drives N concurrent clients
   (one asyncio loop, ``httpx.AsyncClient`` with N connections, keep-alive) for ``--duration``
   seconds after ``--warmup`` seconds, at each ``--clients`` count, against:
   ``projects`` (GET /v2/projects: key check, rate limit, metadata) and ``article``
   (GET /v2/articles/Anarchism: key check, entitlement, rate limit, store read, metering write).
5. Serves the same article JSON bytes as a static file from nginx (temporary config and prefix,
   another loopback port, 2 workers, no access log; ``python -m http.server`` when nginx is not
   installed) and drives it the same way (``static``).

Per point: requests/s, latency p50/p95/p99/max (ms, request start to body read), non-2xx
responses other than 429, 429s, socket errors, and CPU seconds of the server tree, of this load
generator and of everything else on the machine (psutil), because the load generator, the server
and any other user share the same cores: on a 2-core machine the figures are a floor. The
results go to ``bench/results/api-load-<date>.json`` and ``.md`` and the table is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import psutil

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
RESULTS = BENCH / "results"
SAMPLES = [
    REPO / "tests" / "data" / "sample-enwiki-pages-articles-multistream.xml.bz2",
    REPO / "tests" / "data" / "sample-mrwiki-pages-articles-multistream.xml.bz2",
]
VENV_BIN = Path(sys.executable).parent
sys.path.insert(0, str(REPO))  # tests/postgres.py: a throwaway PostgreSQL server
TITLE = "Anarchism"


# -- setup ------------------------------------------------------------------------------------


def build_store(url: str) -> None:
    from wikipact.run.ingest import IngestOptions, ingest
    from wikipact.store import open_store

    store = open_store(url)
    try:
        ingest([str(p) for p in SAMPLES], store, IngestOptions(workers=1))
        store.checkpoint_wal()
    finally:
        store.close()


def bench_key(url: str) -> str:
    from wikipact.backends import open_backends

    access = open_backends(url).access()
    try:
        access.add_partner("bench", "Load bench", actor="bench")
        access.add_agreement(
            "bench",
            name="load",
            projects=["*"],
            channels=["on-demand", "snapshots"],
            rate_limit=100_000,
            burst=100_000,
            actor="bench",
        )
        return access.create_key("bench", label="load", actor="bench")[1]
    finally:
        access.close()


def time_authenticate(url: str, key: str, calls: int) -> dict[str, float]:
    """Microseconds per call of ``Access.authenticate`` (and of its HMAC alone)."""
    from wikipact.access import keys
    from wikipact.backends import open_backends
    from wikipact.errors import AuthenticationError

    access = open_backends(url).access()
    unknown = keys.new_key()[1]
    out: dict[str, float] = {"calls": calls}
    try:
        for label, raw in (("valid", key), ("unknown", unknown), ("malformed", "x" * 60)):
            start = time.perf_counter()
            for _ in range(calls):
                with contextlib.suppress(AuthenticationError):
                    access.authenticate(raw)
            out[f"{label}_us"] = (time.perf_counter() - start) / calls * 1e6
        secret = b"s" * 32
        start = time.perf_counter()
        for _ in range(calls):
            keys.digest(secret, key)
        out["hmac_only_us"] = (time.perf_counter() - start) / calls * 1e6
    finally:
        access.close()
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, headers: dict[str, str], proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited ({proc.returncode}); see {log}")
        try:
            if httpx.get(url, headers=headers, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"server not ready after 60 s; see {log}")


def start(cmd: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen(
            cmd, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )


def stop(proc: subprocess.Popen[bytes]) -> None:
    """End the process group this script started (its own session), by id."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


def start_api(url: str, port: int, workers: int, server: str, tmp: Path) -> subprocess.Popen[bytes]:
    log = tmp / "api.log"
    if server == "wikipact":
        cmd = [str(VENV_BIN / "wikipact"), "serve", "--db", url, "--port", str(port)]
        cmd += ["--snapshots", str(tmp / "snapshots")]
        return start([*cmd, "--workers", str(workers)], log)
    env = {**os.environ, "WIKIPACT_DB": url, "WIKIPACT_SNAPSHOTS": str(tmp / "snapshots")}
    cmd = [sys.executable, "-m", "uvicorn", "wikipact.api.serve:app_from_env", "--factory"]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    return start([*cmd, "--no-access-log", "--log-level", "warning"], log, env)


NGINX_CONF = """
worker_processes {workers};
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    keepalive_requests 1000000;
    sendfile on;
    types {{ application/json json; }}
    server {{
        listen 127.0.0.1:{port};
        root {tmp}/www;
        location / {{ }}
    }}
}}
"""


def start_static(body: bytes, port: int, workers: int, tmp: Path) -> tuple[Any, str]:
    """nginx (or http.server) serving ``body`` at /articles/<TITLE>.json; (process, server)."""
    www = tmp / "www" / "articles"
    www.mkdir(parents=True)
    (www / f"{TITLE}.json").write_bytes(body)
    for path in (tmp, tmp / "www", www, www / f"{TITLE}.json"):
        path.chmod(0o755 if path.is_dir() else 0o644)  # nginx workers run as an unprivileged user
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else "")
    if nginx:
        conf = tmp / "nginx.conf"
        conf.write_text(NGINX_CONF.format(tmp=tmp, port=port, workers=workers))
        proc = start([nginx, "-p", str(tmp), "-c", str(conf)], tmp / "nginx.log")
        version = subprocess.run([nginx, "-v"], capture_output=True, text=True).stderr.strip()
        return proc, version or "nginx"
    cmd = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    proc = subprocess.Popen(
        [*cmd, "--directory", str(tmp / "www")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    return proc, "python -m http.server (nginx not installed)"


# -- load -------------------------------------------------------------------------------------


def tree_cpu(pid: int) -> float:
    try:
        root = psutil.Process(pid)
        total = 0.0
        for proc in [root, *root.children(recursive=True)]:
            try:
                t = proc.cpu_times()
                total += t.user + t.system
            except psutil.NoSuchProcess:
                pass
        return total
    except psutil.NoSuchProcess:
        return 0.0


def machine_busy() -> float:
    t = psutil.cpu_times()  # guest time is already in user time
    busy = ("user", "nice", "system", "irq", "softirq", "steal")
    return float(sum(getattr(t, name, 0.0) for name in busy))


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


async def drive(
    url: str, headers: dict[str, str], clients: int, duration: float, warmup: float
) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    errors: Counter[str] = Counter()
    loop = asyncio.get_running_loop()
    began = loop.time()
    measure_from = began + warmup
    end = measure_from + duration

    async with httpx.AsyncClient(limits=limits, timeout=30.0, headers=headers) as client:

        async def one_client() -> None:
            while True:
                t0 = loop.time()
                if t0 >= end:
                    return
                try:
                    response = await client.get(url)
                    status: int | None = response.status_code
                except httpx.HTTPError as exc:
                    status = None
                    if t0 >= measure_from:
                        errors[type(exc).__name__] += 1
                if t0 >= measure_from and status is not None:
                    statuses[status] += 1
                    latencies.append(loop.time() - t0)

        await asyncio.gather(*(one_client() for _ in range(clients)))
    window = loop.time() - measure_from
    latencies.sort()
    done = sum(statuses.values())
    return {
        "requests": done,
        "seconds": round(window, 2),
        "rps": round(done / window, 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 2),
        "p95_ms": round(percentile(latencies, 95) * 1000, 2),
        "p99_ms": round(percentile(latencies, 99) * 1000, 2),
        "max_ms": round(latencies[-1] * 1000, 2) if latencies else None,
        "non_2xx_non_429": sum(n for s, n in statuses.items() if not 200 <= s < 300 and s != 429),
        "status_429": statuses.get(429, 0),
        "socket_errors": sum(errors.values()),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "errors": dict(errors),
    }


_WRK_LATENCY = re.compile(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_WRK_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def drive_wrk(
    url: str, headers: dict[str, str], clients: int, duration: float, warmup: float
) -> dict[str, Any]:
    """The same measurement with wrk (C, one thread per core): the load generator costs little
    CPU, so the server, not the client, is what is measured. wrk reports p50/p75/p90/p99."""
    header_args = [a for k, v in headers.items() for a in ("-H", f"{k}: {v}")]
    threads = str(min(2, clients))
    if warmup:
        subprocess.run(
            [
                "wrk",
                "-t",
                threads,
                "-c",
                str(clients),
                "-d",
                f"{max(1, round(warmup))}s",
                *header_args,
                url,
            ],
            capture_output=True,
            check=False,
        )
    run = subprocess.run(
        ["wrk", "-t", threads, "-c", str(clients), "-d", f"{max(1, round(duration))}s", "--latency",
         *header_args, url],
        capture_output=True,
        text=True,
        check=True,
    )  # fmt: skip
    out = run.stdout
    latency = {q: float(v) * _WRK_UNITS[u] for q, v, u in _WRK_LATENCY.findall(out)}
    requests = int(re.search(r"(\d+) requests in", out)[1])  # type: ignore[index]
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "requests": requests,
        "seconds": duration,
        "rps": round(float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1]), 1),  # type: ignore[index]
        "p50_ms": round(latency.get("50", 0.0), 2),
        "p95_ms": None,
        "p99_ms": round(latency.get("99", 0.0), 2),
        "max_ms": None,
        "non_2xx_non_429": int(non_2xx[1]) if non_2xx else 0,  # wrk does not tell 429s apart
        "status_429": None,
        "socket_errors": sum(int(x) for x in socket.groups()) if socket else 0,
        "statuses": {},
        "errors": {},
        "loadgen": "wrk",
    }


def point(
    target: str, url: str, headers: dict[str, str], clients: int, args: Any, server_pid: int
) -> dict[str, Any]:
    me = psutil.Process()
    cpu0 = me.cpu_times()
    children0 = me.cpu_times().children_user + me.cpu_times().children_system
    server0, busy0, load0 = tree_cpu(server_pid), machine_busy(), os.getloadavg()[0]
    if args.loadgen == "wrk":
        result = drive_wrk(url, headers, clients, args.duration, args.warmup)
    else:
        result = asyncio.run(drive(url, headers, clients, args.duration, args.warmup))
    cpu1 = me.cpu_times()
    children1 = cpu1.children_user + cpu1.children_system
    client_cpu = (cpu1.user + cpu1.system) - (cpu0.user + cpu0.system) + children1 - children0
    server_cpu = tree_cpu(server_pid) - server0
    busy = machine_busy() - busy0
    wall = args.duration + args.warmup
    result.update(
        target=target,
        clients=clients,
        server_cpu_cores=round(server_cpu / wall, 2),
        loadgen_cpu_cores=round(client_cpu / wall, 2),
        others_cpu_cores=round(max(0.0, busy - server_cpu - client_cpu) / wall, 2),
        loadavg_before=round(load0, 2),
    )
    print(row(result), flush=True)
    return result


HEADER = (
    "| target | clients | req/s | p50 ms | p95 ms | p99 ms | max ms | non-2xx (not 429) | 429 "
    "| socket errors | server cores | loadgen cores | others' cores |"
)
RULE = "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"


def row(r: dict[str, Any]) -> str:
    cells = [
        r["target"], r["clients"], f"{r['rps']:,.0f}", r["p50_ms"], r["p95_ms"], r["p99_ms"],
        r["max_ms"], r["non_2xx_non_429"], r["status_429"], r["socket_errors"],
        r["server_cpu_cores"], r["loadgen_cpu_cores"], r["others_cpu_cores"],
    ]  # fmt: skip
    return "| " + " | ".join(str(c) for c in cells) + " |"


# -- main -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, help="a store to copy (default: built from tests/data)")
    parser.add_argument(
        "--postgres",
        nargs="?",
        const="throwaway",
        help="serve from PostgreSQL: a URL of an empty database, or none for a throwaway server "
        "(tests/postgres.py); the store is built from tests/data",
    )
    parser.add_argument("--clients", type=int, nargs="+", default=[20, 50, 200])
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds per point")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds first")
    parser.add_argument("--targets", nargs="+", default=["projects", "article", "static"])
    parser.add_argument("--workers", type=int, default=2, help="server processes (API and nginx)")
    parser.add_argument("--server", choices=["wikipact", "uvicorn-quiet"], default="wikipact")
    parser.add_argument("--auth-calls", type=int, default=10_000)
    parser.add_argument(
        "--loadgen",
        choices=["python", "wrk"],
        default="wrk" if shutil.which("wrk") else "python",
        help="wrk (apt-get install wrk) measures the server; the Python client saturates a core",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--tmp", type=Path, default=None, help="where the temporary files go")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="wikipact-api-load-", dir=args.tmp))
    procs: list[subprocess.Popen[bytes]] = []
    postgres = contextlib.ExitStack()
    try:
        db = tmp / "bench.db"
        url = f"sqlite:///{db}"
        if args.postgres:
            url = args.postgres
            if url == "throwaway":
                from tests import postgres as throwaway

                url = postgres.enter_context(throwaway.server()).database()
        if args.db and not args.postgres:
            shutil.copy(args.db, db)
        else:
            print(f"building a store from {', '.join(p.name for p in SAMPLES)} ...", flush=True)
            build_store(url)
        key = bench_key(url)
        headers = {"Authorization": f"Bearer {key}"}

        auth = time_authenticate(url, key, args.auth_calls)
        print(
            f"Access.authenticate over {args.auth_calls:,} calls: valid {auth['valid_us']:.1f} µs, "
            f"unknown {auth['unknown_us']:.1f} µs, malformed {auth['malformed_us']:.1f} µs "
            f"(HMAC-SHA256 alone {auth['hmac_only_us']:.1f} µs)",
            flush=True,
        )

        api_port = free_port()
        api = start_api(url, api_port, args.workers, args.server, tmp)
        procs.append(api)
        base = f"http://127.0.0.1:{api_port}"
        wait_ready(f"{base}/v2/projects", headers, api, tmp / "api.log")
        article = httpx.get(f"{base}/v2/articles/{TITLE}", headers=headers, timeout=10)
        article.raise_for_status()
        urls = {"projects": f"{base}/v2/projects", "article": f"{base}/v2/articles/{TITLE}"}
        range_headers = dict(headers)
        if "range" in args.targets:
            # a snapshot of the English sample, downloaded in 64 KB ranges (byte-exactness of
            # reassembled ranges is asserted by tests/api/test_snapshots_api.py)
            from wikipact.snapshots.create import create_snapshot

            snapshot = create_snapshot(db, tmp / "snapshots", "enwiki", 0)
            urls["range"] = f"{base}/v2/snapshots/{snapshot.identifier}/download"
            range_headers["Range"] = "bytes=65536-131071"

        results: list[dict[str, Any]] = []
        print(f"\n{HEADER}\n{RULE}", flush=True)
        for target in [t for t in args.targets if t in urls]:
            for clients in args.clients:
                wanted = range_headers if target == "range" else headers
                results.append(point(target, urls[target], wanted, clients, args, api.pid))
        stop(api)

        static_server = None
        if "static" in args.targets:
            static_port = free_port()
            static, static_server = start_static(article.content, static_port, args.workers, tmp)
            procs.append(static)
            static_url = f"http://127.0.0.1:{static_port}/articles/{TITLE}.json"
            wait_ready(static_url, {}, static, tmp / "nginx.log")
            for clients in args.clients:
                results.append(point("static", static_url, {}, clients, args, static.pid))
            stop(static)

        report = {
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "machine": {
                "cpus": os.cpu_count(),
                "python": sys.version.split()[0],
                "platform": sys.platform,
            },
            "config": {
                "server": args.server,
                "workers": args.workers,
                "duration_s": args.duration,
                "warmup_s": args.warmup,
                "clients": args.clients,
                "article_bytes": len(article.content),
                "static_server": static_server,
                "db": str(args.db) if args.db else "tests/data samples (enwiki + mrwiki)",
                "backend": "postgresql" if args.postgres else "sqlite",
            },
            "authenticate": auth,
            "points": results,
        }
        args.out.mkdir(parents=True, exist_ok=True)
        backend = "-postgresql" if args.postgres else ""
        stem = args.out / f"api-load-{dt.date.today().isoformat()}{backend}"
        stem.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
        lines = [
            f"# API load, {report['date']} ({os.cpu_count()} CPUs, shared with the load "
            "generator and anything else running)",
            "",
            f"Server: `{args.server}` with {args.workers} workers; static: {static_server}; "
            f"article {TITLE} = {len(article.content):,} bytes of JSON; {args.duration:g} s "
            f"measured after {args.warmup:g} s warm-up per point.",
            "",
            f"Access.authenticate ({args.auth_calls:,} calls): valid key "
            f"{auth['valid_us']:.1f} µs, unknown key {auth['unknown_us']:.1f} µs, malformed "
            f"{auth['malformed_us']:.1f} µs; HMAC-SHA256 alone {auth['hmac_only_us']:.1f} µs.",
            "",
            HEADER,
            RULE,
            *(row(r) for r in results),
            "",
        ]
        stem.with_suffix(".md").write_text("\n".join(lines))
        print(f"\nwrote {stem}.json and .md")
    finally:
        for proc in procs:
            stop(proc)
        log = tmp / "api.log"
        if log.exists():  # the server's own account of any 5xx
            args.out.mkdir(parents=True, exist_ok=True)
            kept = args.out / f"api-load-{dt.date.today().isoformat()}-server.log"
            shutil.copy(log, kept)
            text = log.read_text(errors="replace")
            if "Traceback" in text or "ERROR" in text:
                print(f"the server logged errors: {kept}")
        shutil.rmtree(tmp, ignore_errors=True)
        postgres.close()


if __name__ == "__main__":
    main()
