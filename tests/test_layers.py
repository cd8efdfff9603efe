"""The seams hold: only backends touch databases, and imports point inward (DESIGN.md).

Read with ``ast`` from the sources, so a violation fails here whatever the tests exercise.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "wikipact"

# The backends: the only modules that may open a connection, name a database driver or hold one
BACKENDS = (
    "store/",
    "search/",
    "snapshots/",
    "access/sqlite_repository.py",
    "access/postgres_repository.py",
    "access/db.py",  # the SQLite access tables
)
DRIVERS = {"sqlite3", "psycopg", "psycopg_pool"}


def modules() -> list[tuple[str, ast.Module]]:
    return [
        (str(path.relative_to(SRC)), ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted(SRC.rglob("*.py"))
    ]


def imported(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_only_backends_touch_a_database() -> None:
    offenders = []
    for name, tree in modules():
        if name.startswith(BACKENDS):
            continue
        for module in imported(tree):
            if module.split(".")[0] in DRIVERS or module == "wikipact.store.sqlite":
                offenders.append(f"{name} imports {module}")
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "conn":
                offenders.append(f"{name}:{node.lineno} uses .conn")
    assert offenders == []


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("model/", ("wikipact.dumps", "wikipact.wikitext", "wikipact.store", "wikipact.access",
                    "wikipact.datasets", "wikipact.run", "wikipact.api", "wikipact.cli")),
        ("wikitext/", ("wikipact.store", "wikipact.access", "wikipact.datasets", "wikipact.run",
                       "wikipact.api", "wikipact.cli")),
        ("dumps/", ("wikipact.store", "wikipact.access", "wikipact.datasets", "wikipact.run",
                    "wikipact.api", "wikipact.cli")),
        ("access/", ("wikipact.api", "wikipact.cli", "wikipact.run", "fastapi", "starlette")),
        ("store/", ("wikipact.api", "wikipact.cli", "wikipact.access", "wikipact.datasets")),
        ("search/", ("wikipact.api", "wikipact.cli")),
        ("snapshots/", ("wikipact.api", "wikipact.cli")),
        ("datasets/", ("wikipact.api", "wikipact.cli")),
        ("run/", ("wikipact.api", "wikipact.cli")),
        ("agents/", ("wikipact.api", "wikipact.cli", "fastapi")),
        ("enterprise/", ("wikipact.api", "wikipact.cli", "wikipact.access", "wikipact.run",
                         "fastapi", "starlette")),
        ("api/", ("wikipact.cli",)),
    ],
)  # fmt: skip
def test_imports_point_inward(layer: str, forbidden: tuple[str, ...]) -> None:
    offenders = [
        f"{name} imports {module}"
        for name, tree in modules()
        if name.startswith(layer)
        for module in imported(tree)
        if module.startswith(forbidden)
    ]
    assert offenders == []


def test_every_store_backend_has_the_whole_protocol() -> None:
    from wikipact.store.base import ArticleStore
    from wikipact.store.postgres import PostgresStore
    from wikipact.store.sqlite import SQLiteStore

    wanted = {n for n in vars(ArticleStore) if not n.startswith("_")}
    for backend in (SQLiteStore, PostgresStore):
        assert wanted - set(dir(backend)) == set(), backend.__name__


def test_every_access_repository_has_the_whole_protocol() -> None:
    from wikipact.access.postgres_repository import PostgresAccessRepository
    from wikipact.access.repository import AccessRepository
    from wikipact.access.sqlite_repository import SQLiteAccessRepository

    wanted = {n for n in vars(AccessRepository) if not n.startswith("_")} - {"secret"}
    for backend in (SQLiteAccessRepository, PostgresAccessRepository):
        assert wanted - set(dir(backend)) == set(), backend.__name__
