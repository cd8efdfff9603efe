"""A dataset built from the store is the same on SQLite and on PostgreSQL, shard for shard."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import DATA, ENWIKI_MULTISTREAM


def wikipact(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wikipact", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )


def test_the_same_store_gives_byte_identical_shards_on_both_backends(
    tmp_path: Path, signing_dir: Path, postgres_url: str
) -> None:
    import os

    env = {**os.environ, "WIKIPACT_SIGNING_DIR": str(signing_dir)}
    dumps = [ENWIKI_MULTISTREAM, DATA / "dewiki-20130602-id1.xml", DATA / "dewiki-20200801-id1.xml"]
    outputs = {}
    for name, url in (("sqlite", f"sqlite:///{tmp_path / 'w.db'}"), ("postgresql", postgres_url)):
        for dump in dumps:
            done = wikipact("ingest", str(dump), "--db", url, env=env)
            assert done.returncode == 0, done.stderr
        out = tmp_path / name
        built = wikipact("build", "--db", url, "-o", str(out), env=env)
        assert built.returncode == 0, built.stderr
        outputs[name] = out
    shards = {
        name: {
            str(p.relative_to(out)): p.read_bytes()
            for p in sorted(out.rglob("*"))
            if p.is_file()
            and p.suffix in (".parquet", ".jsonl")
            and ".wikipact-build" not in p.parts
        }
        for name, out in outputs.items()
    }
    assert shards["sqlite"], "no shards were written"
    assert shards["sqlite"] == shards["postgresql"]
