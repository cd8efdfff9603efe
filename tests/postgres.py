"""A throwaway PostgreSQL server for the tests: ``initdb`` into a temporary folder, started on a
free port of 127.0.0.1, stopped and removed at the end of the session.

The binaries are found on ``PATH`` or in Debian's ``/usr/lib/postgresql/<version>/bin`` (CI
installs the ``postgresql`` package). PostgreSQL refuses to run as root; as root the cluster is
made and run as the ``postgres`` system user (or ``nobody``). Without the binaries, the tests
that need a server are skipped, saying so. ``WIKIPACT_TEST_POSTGRES`` names an existing server
instead (a URL such as ``postgresql://user@host:5432/db``): each test database is created there.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ENV = "WIKIPACT_TEST_POSTGRES"


def _binaries() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=_version)
    return Path(versions[-1]).parent if versions else None


def _version(path: str) -> int:
    part = Path(path).parts[-3]
    return int(part) if part.isdigit() else 0


def unavailable() -> str | None:
    """Why no PostgreSQL server can be had (None: one can)."""
    if os.environ.get(ENV) or _binaries() is not None:
        return None
    return "no PostgreSQL server binaries (install Debian's postgresql, or set " + ENV + ")"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A running server; ``database()`` makes a new empty database and returns its URL."""

    url: str  # of the maintenance database "postgres"

    def database(self, template: str | None = None) -> str:
        """A new database: empty, or a copy of the database at URL ``template`` (which nobody
        may be connected to)."""
        import psycopg

        name = "wikipact_test_" + uuid.uuid4().hex[:12]
        copy = f' TEMPLATE "{template.rsplit("/", 1)[1]}"' if template else ""
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"{copy}')
        return self.url.rsplit("/", 1)[0] + "/" + name


def _run_as(user: str | None) -> dict[str, object]:
    if user is None:
        return {}
    entry = pwd.getpwnam(user)
    return {"user": entry.pw_uid, "group": entry.pw_gid}


@contextlib.contextmanager
def server() -> Iterator[Server]:
    existing = os.environ.get(ENV)
    if existing:
        yield Server(existing)
        return
    binaries = _binaries()
    if binaries is None:
        raise RuntimeError(unavailable())
    user = None
    if os.geteuid() == 0:
        user = next(
            (name for name in ("postgres", "nobody") if _has_user(name)),
            None,
        )
    folder = Path(tempfile.mkdtemp(prefix="wikipact-pg-"))
    data = folder / "data"
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    as_user = _run_as(user)
    port = _free_port()
    subprocess.run(
        [str(binaries / "initdb"), "-D", str(data), "-U", "wikipact", "--auth=trust",
         "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"],
        check=True, capture_output=True, **as_user,  # type: ignore[arg-type]
    )  # fmt: skip
    options = (
        f"-h 127.0.0.1 -p {port} -k {folder} -c fsync=off -c synchronous_commit=off "
        "-c full_page_writes=off -c max_connections=200"
    )
    subprocess.run(
        [str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"),
         "-w", "-t", "120", "start"],
        check=True, capture_output=True, **as_user,  # type: ignore[arg-type]
    )  # fmt: skip
    try:
        yield Server(f"postgresql://wikipact@127.0.0.1:{port}/postgres")
    finally:
        subprocess.run(
            [str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
            capture_output=True, **as_user,  # type: ignore[arg-type]
        )  # fmt: skip
        shutil.rmtree(folder, ignore_errors=True)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
