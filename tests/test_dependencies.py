"""Every package that wikipact's code imports is declared in pyproject.toml, not merely installed
because something else needs it today: the app's in [project].dependencies (an optional feature's
in its extra), the tests', benchmarks' and fuzzers' in the `dev` extra too, setup.py's in
[build-system].requires. Which distribution provides a module is asked of the installed packages
(``importlib.metadata.packages_distributions``)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from functools import cache
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# modules that are not installed here, and the distribution that provides them
NOT_INSTALLED = {"mypyc": "mypy"}  # setup.py: in the isolated build environment only
# imported by code that runs in an environment of its own, set up as documented there
ELSEWHERE = {
    "bench/peers.py": {"mwparserfromhell", "wikitextparser"},  # bench/.venv-peers (bench/README.md)
}
# Enterprise's Python SDK: its top-level package, imported from ../shared/clients by the tests
# that run it (tests/enterprise, tests/api/test_login.py), never installed
SHARED_CLIENTS = {"modules"}
# calls that import the module named by their first argument
IMPORTING_CALLS = {"import_module", "importorskip", "find_spec"}


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def names(requirements: list[str]) -> set[str]:
    """The distribution names of PEP 508 requirements ("pyyaml>=6,<7; marker" -> "pyyaml")."""
    return {normalized(re.split(r"[\s\[<>=!~;@]", r.strip(), maxsplit=1)[0]) for r in requirements}


RUNTIME = names(PYPROJECT["project"]["dependencies"])
EXTRAS = {e: names(r) for e, r in PYPROJECT["project"]["optional-dependencies"].items()}
OPTIONAL = set().union(*(r for e, r in EXTRAS.items() if e != "dev"))
BUILD = names(PYPROJECT["build-system"]["requires"])


def imported(path: Path) -> set[str]:
    """The top-level modules that a file imports, absolutely (with `import`, `from` or a call
    such as ``importlib.util.find_spec("name")``)."""
    modules = set()
    for node in ast.walk(ast.parse(path.read_bytes(), str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) in IMPORTING_CALLS
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            modules.add(node.args[0].value)
    return {m.split(".")[0] for m in modules}


def local(path: Path) -> set[str]:
    """Modules of this repository: the packages under src/, the tests package, and the scripts
    beside the file (bench/ and fuzz/ import each other as top-level modules)."""
    return (
        {p.name for p in (ROOT / "src").iterdir() if (p / "__init__.py").exists()}
        | {"tests"}
        | {p.stem for p in path.parent.glob("*.py")}
    )


@cache
def providers() -> dict[str, list[str]]:
    return packages_distributions()


def undeclared(paths: list[Path], declared: set[str]) -> list[str]:
    problems = []
    for path in paths:
        relative = (path.relative_to(ROOT) if path.is_relative_to(ROOT) else path).as_posix()
        third_party = imported(path) - set(sys.stdlib_module_names) - {"__future__"} - local(path)
        if relative.startswith("tests/"):
            third_party -= SHARED_CLIENTS
        for module in sorted(third_party - ELSEWHERE.get(relative, set())):
            distributions = providers().get(module) or [NOT_INSTALLED.get(module, module)]
            if not {normalized(d) for d in distributions} & declared:
                problems.append(
                    f"{relative}: imports {module} (distribution {' or '.join(distributions)}), "
                    "not declared for it in pyproject.toml"
                )
    return problems


def files(*folders: str) -> list[Path]:
    """The Python files in these folders, less hidden ones (bench/.venv-peers, caches)."""
    return sorted(
        path
        for folder in folders
        for path in (ROOT / folder).rglob("*.py")
        if not any(part.startswith(".") for part in path.relative_to(ROOT).parts)
    )


def test_the_app_declares_what_it_imports() -> None:
    assert undeclared(files("src"), RUNTIME | OPTIONAL) == []


def test_the_tests_benchmarks_and_fuzzers_declare_what_they_import() -> None:
    assert undeclared(files("tests", "bench", "fuzz"), RUNTIME | EXTRAS["dev"]) == []


def test_the_build_declares_what_it_imports() -> None:
    assert undeclared([ROOT / "setup.py"], BUILD) == []


def test_optional_features_are_in_the_dev_extra_so_that_they_are_tested() -> None:
    assert OPTIONAL - EXTRAS["dev"] == set()


def test_an_undeclared_import_is_found(tmp_path: Path) -> None:
    script = tmp_path / "script.py"
    script.write_text(
        "import json\nimport yaml\n\n\ndef f():\n"
        "    from msgspec import json\n    importlib.util.find_spec('numpy.linalg')\n"
    )
    problems = undeclared([script], {"msgspec"})
    assert [p.split()[2] for p in problems] == ["numpy", "yaml"]


@pytest.mark.parametrize(
    ("module", "distributions"),
    [("yaml", {"pyyaml"}), ("fasttext", {"fasttext-predict", "fasttext-predict-v2"})],
)
def test_a_module_is_found_under_its_distributions_name(
    module: str, distributions: set[str]
) -> None:
    assert {normalized(d) for d in providers()[module]} <= distributions


def test_every_package_the_app_uses_has_upstream_tests() -> None:
    """scripts/test-newest.sh runs the tests marked ``upstream`` on the newest versions: each
    package of [project].dependencies and the optional extras is exercised by some of them
    (tests/upstream.py), or tests/upstream.py says why not; and every test named there exists."""
    from tests.upstream import NOT_COVERED, UPSTREAM

    declared = RUNTIME | OPTIONAL
    assert declared - UPSTREAM.keys() - NOT_COVERED.keys() == set()
    assert (UPSTREAM.keys() | NOT_COVERED.keys()) - declared == set()  # no stale names
    assert UPSTREAM.keys() & NOT_COVERED.keys() == set()
    for entries in UPSTREAM.values():
        for entry in entries:
            path, _, test = entry.partition("::")
            assert (ROOT / path).is_file(), entry
            if test:
                pattern = rf"^(async )?def {re.escape(test)}\("
                assert re.search(pattern, (ROOT / path).read_text(), re.M), entry
