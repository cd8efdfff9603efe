"""The ``wikipact`` command, run as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DATA, ENWIKI_MULTISTREAM, MRWIKI_MULTISTREAM


def wikipact(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wikipact", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def test_ingest_show_stats_changes(db_url: str) -> None:
    run = wikipact("ingest", str(ENWIKI_MULTISTREAM), "--db", db_url, "--workers", "2")
    assert run.returncode == 0, run.stderr
    assert "completed" in run.stdout and "56 pages" in run.stdout
    assert "created 56" in run.stdout and "redirects 1 " in run.stdout
    again = wikipact("ingest", str(ENWIKI_MULTISTREAM), "--db", db_url)
    assert "created 0" in again.stdout and "unchanged 56" in again.stdout
    stats = wikipact("stats", "--db", db_url)
    assert stats.returncode == 0 and "enwiki" in stats.stdout and "56" in stats.stdout
    show = wikipact("show", "Ambrosiaster", "--db", db_url, "--json")
    record = json.loads(show.stdout)
    assert record["identifier"] == 1718
    assert record["url"] == "https://en.wikipedia.org/wiki/Ambrosiaster"
    assert record["license"][0]["identifier"] == "CC-BY-SA-4.0"
    changes = wikipact("changes", "--db", db_url, "--after", "50")
    events = [json.loads(line) for line in changes.stdout.splitlines()]
    assert [e["cursor"] for e in events] == list(range(51, 57))
    assert {e["kind"] for e in events} == {"create"}


def test_parse_writes_one_record_per_page_and_filters_namespaces(tmp_path: Path) -> None:
    out = tmp_path / "out" / "mr.jsonl"
    run = wikipact("parse", str(MRWIKI_MULTISTREAM), "-o", str(out), "--workers", "2")
    assert run.returncode == 0, run.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(records) == 1820
    redirects = [r for r in records if "redirect_target" in r]
    assert len(redirects) == 167
    assert all(
        r["redirect_target"]["url"].startswith("https://mr.wikipedia.org/wiki/") for r in redirects
    )
    only_main = tmp_path / "ns0.jsonl"
    run = wikipact("parse", str(MRWIKI_MULTISTREAM), "-o", str(only_main), "-n", "0")
    ns0 = [json.loads(line) for line in only_main.read_text().splitlines()]
    assert {r["namespace"]["identifier"] for r in ns0} == {0}
    assert len(ns0) == sum(r["namespace"]["identifier"] == 0 for r in records)
    assert not list(tmp_path.glob("out/.*.tmp")), "temporary file left behind"


def test_parse_to_stdout_is_identical_for_one_and_two_workers() -> None:
    one = wikipact("parse", str(MRWIKI_MULTISTREAM), "--workers", "1")
    two = wikipact("parse", str(MRWIKI_MULTISTREAM), "--workers", "2")
    assert one.returncode == two.returncode == 0
    assert one.stdout == two.stdout and one.stdout.count("\n") == 1820


def test_fetch_by_title_and_id() -> None:
    by_title = json.loads(wikipact("fetch", str(ENWIKI_MULTISTREAM), "--title", "Anarchism").stdout)
    by_id = json.loads(wikipact("fetch", str(ENWIKI_MULTISTREAM), "--id", "12").stdout)
    assert by_title == by_id
    assert by_title["name"] == "Anarchism"


def test_schema_is_json_schema() -> None:
    schema = json.loads(wikipact("schema").stdout)
    assert schema["x-schema-version"]
    assert "Article" in schema["$defs"]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["ingest", "no-such-file.xml.bz2"], 2, "no such file"),
        (["ingest", str(DATA)], 2, "is a directory"),
        (["ingest", str(DATA / "ATTRIBUTION.md")], 1, "not_mediawiki_xml"),
        (["ingest", str(ENWIKI_MULTISTREAM), "--db", "postgresql://x/y"], 2, "PostgreSQL"),
        (["ingest", str(ENWIKI_MULTISTREAM), "--on-error", "ignore"], 2, "--on-error"),
        (["fetch", str(ENWIKI_MULTISTREAM)], 2, "exactly one of --title or --id"),
        (["fetch", str(ENWIKI_MULTISTREAM), "--title", "Nope nope"], 1, "is not in"),
    ],
)
def test_errors_are_one_readable_line_with_an_exit_code(
    args: list[str], code: int, message: str, tmp_path: Path
) -> None:
    run = (
        wikipact(*args, "--db", f"sqlite:///{tmp_path / 'x.db'}")
        if args[0] == "ingest" and "--db" not in args
        else wikipact(*args)
    )
    assert run.returncode == code, run.stderr
    assert message in run.stderr
    assert "Traceback" not in run.stderr


def test_a_truncated_dump_keeps_its_pages_and_fails_clearly(tmp_path: Path, db_url: str) -> None:
    cut = tmp_path / "cut.xml"
    raw = (DATA / "sample-enwiki-pages-articles.xml").read_bytes()
    cut.write_bytes(raw[: raw.index(b"<title>Ambrosiaster</title>") + 200])
    run = wikipact("ingest", str(cut), "--db", db_url, "--project", "enwiki")
    assert run.returncode == 1
    assert "xml_truncated" in run.stderr and "cut.xml" in run.stderr
    assert "after page 'Alabama'" in run.stderr or "after page" in run.stderr
    shown = wikipact("stats", "--db", db_url)
    assert "enwiki" in shown.stdout
    skipped = wikipact(
        "ingest", str(cut), "--db", db_url, "--project", "enwiki", "--on-error", "skip"
    )
    assert skipped.returncode == 0 and "completed_with_errors" in skipped.stdout


def test_help_lists_every_command() -> None:
    run = wikipact("--help")
    for command in ("ingest", "parse", "show", "stats", "changes", "fetch", "schema"):
        assert command in run.stdout


def test_a_dump_without_index_is_parsed_by_the_workers_identically() -> None:
    """Whole-file dumps are split into pages here and parsed in the workers, in order."""
    one = wikipact("parse", str(DATA / "sample-enwiki-pages-articles.xml"), "--workers", "1")
    two = wikipact("parse", str(DATA / "sample-enwiki-pages-articles.xml"), "--workers", "2")
    assert one.returncode == two.returncode == 0, two.stderr
    assert one.stdout == two.stdout and one.stdout.count("\n") == 56


def test_a_plain_dump_read_by_the_workers_in_ranges_gives_the_same_records() -> None:
    """--task-bytes cuts the 1.6 MB plain sample into 14 ranges that the workers read."""
    plain = str(DATA / "sample-enwiki-pages-articles.xml")
    whole = wikipact("parse", plain, "--workers", "1")
    assert whole.returncode == 0 and whole.stdout.count("\n") == 56
    for workers in ("1", "2"):
        ranges = wikipact("parse", plain, "--workers", workers, "--task-bytes", "50000")
        assert ranges.returncode == 0, ranges.stderr
        assert ranges.stdout == whole.stdout


def test_a_truncated_plain_dump_read_in_ranges_names_the_last_page(
    tmp_path: Path, db_url: str
) -> None:
    from wikipact import open_dump

    raw = (DATA / "sample-enwiki-pages-articles.xml").read_bytes()
    cut = tmp_path / "cut.xml"
    cut.write_bytes(raw[: raw.index(b"<title>Ambrosiaster</title>") + 200])
    titles = [page.title for page in open_dump(DATA / "sample-enwiki-pages-articles.xml").pages()]
    before = titles[titles.index("Ambrosiaster") - 1]
    args = ("ingest", str(cut), "--db", db_url, "--project", "enwiki", "--task-bytes", "50000")
    run = wikipact(*args, "--workers", "2")
    assert run.returncode == 1
    assert "xml_truncated" in run.stderr and "cut.xml" in run.stderr
    assert f"after page '{before}'" in run.stderr
    assert f"file byte {cut.stat().st_size}" in run.stderr
    skipped = wikipact(*args, "--workers", "2", "--on-error", "skip")
    assert skipped.returncode == 0 and "completed_with_errors" in skipped.stdout


def test_usage_errors_are_reported_without_a_traceback() -> None:
    """A missing argument or an unknown option: click's message and exit status 2, whichever
    copy of click raised it (typer 0.29 and later carry their own)."""
    for args, message in (
        (("ingest",), "Missing argument"),
        (("--no-such-option",), "No such option"),
        (("build", "--recipe"), "requires an argument"),
    ):
        run = wikipact(*args)
        assert run.returncode == 2, (args, run.stderr)
        assert message in run.stderr and "Traceback" not in run.stderr, run.stderr
