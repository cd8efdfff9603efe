"""The compiled wikitext modules (setup.py, mypyc): same records as the sources; never stale."""

from __future__ import annotations

import hashlib
import importlib
import importlib.machinery
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import wikipact.wikitext
from tests.conftest import DATA, ENWIKI_PLAIN
from wikipact.wikitext.compiled import MANIFEST, choose

SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]


@pytest.fixture
def fake_build(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A package ``wp_fake`` with one module and a stand-in for its compiled file."""
    package = tmp_path / "wp_fake"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "hot.py").write_text("WHERE = 'source'\n")
    (package / f"hot{SUFFIX}").write_bytes(b"")  # never loaded: the test checks the source is
    (tmp_path / "wp_fake_group.py").write_text("")  # stands in for the compiled library
    sys.path.insert(0, str(tmp_path))
    finders = list(sys.meta_path)
    try:
        yield package, "wp_fake"
    finally:
        sys.meta_path[:] = finders
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n.startswith("wp_fake")]:
            del sys.modules[name]


def _manifest(package: Path, digest: str, group: str = "wp_fake_group") -> None:
    (package / MANIFEST).write_text(json.dumps({"group": group, "modules": {"hot": digest}}))


def test_a_source_edited_after_the_build_is_imported_from_the_source(
    fake_build: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    package, name = fake_build
    monkeypatch.delenv("WIKIPACT_PURE_PYTHON", raising=False)
    _manifest(package, hashlib.sha256(b"WHERE = 'before the edit'\n").hexdigest())
    with pytest.warns(RuntimeWarning, match=r"hot\.py changed since .* compiled"):
        assert choose(package, name) is False
    module = importlib.import_module(f"{name}.hot")
    assert module.__file__ == str(package / "hot.py")
    assert module.WHERE == "source"


@pytest.mark.parametrize("manifest", ["none", "no library"])
def test_compiled_files_without_a_complete_build_are_not_used(
    fake_build: tuple[Path, str], monkeypatch: pytest.MonkeyPatch, manifest: str
) -> None:
    package, name = fake_build
    monkeypatch.delenv("WIKIPACT_PURE_PYTHON", raising=False)
    if manifest == "no library":
        digest = hashlib.sha256((package / "hot.py").read_bytes()).hexdigest()
        _manifest(package, digest, group="wp_fake_missing_library")
    with pytest.warns(RuntimeWarning, match="no record of a complete build"):
        assert choose(package, name) is False
    assert importlib.import_module(f"{name}.hot").__file__ == str(package / "hot.py")


def test_a_build_matching_its_sources_is_used(
    fake_build: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    package, name = fake_build
    monkeypatch.delenv("WIKIPACT_PURE_PYTHON", raising=False)
    _manifest(package, hashlib.sha256((package / "hot.py").read_bytes()).hexdigest())
    before = list(sys.meta_path)
    assert choose(package, name) is True
    assert sys.meta_path == before  # the import system finds the compiled module itself


def test_pure_python_is_asked_for_by_the_environment(
    fake_build: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    package, name = fake_build
    monkeypatch.setenv("WIKIPACT_PURE_PYTHON", "1")
    _manifest(package, hashlib.sha256((package / "hot.py").read_bytes()).hexdigest())
    assert choose(package, name) is False
    assert importlib.import_module(f"{name}.hot").__file__ == str(package / "hot.py")


def test_without_a_build_nothing_changes(tmp_path: Path) -> None:
    before = list(sys.meta_path)
    assert choose(tmp_path, "wp_nothing") is False
    assert sys.meta_path == before


def _parse(env: dict[str, str], out: Path) -> bytes:
    code = (
        "import sys, wikipact.wikitext as w; from wikipact.cli.main import main; "
        "print(w.COMPILED, file=sys.stderr); main()"
    )
    dump = str(DATA / ENWIKI_PLAIN.name)
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code, "parse", dump, "-o", str(out)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stderr.splitlines()[0] == str("WIKIPACT_PURE_PYTHON" not in env)
    return out.read_bytes()


@pytest.mark.skipif(
    not wikipact.wikitext.COMPILED,
    reason="the wikitext modules are not compiled here (no C compiler, an edited checkout, or "
    "WIKIPACT_PURE_PYTHON); CI compiles them",
)
def test_compiled_and_source_modules_write_the_same_records(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "WIKIPACT_PURE_PYTHON"}
    compiled = _parse(env, tmp_path / "compiled.jsonl")
    source = _parse({**env, "WIKIPACT_PURE_PYTHON": "1"}, tmp_path / "source.jsonl")
    assert compiled.count(b"\n") > 40
    assert compiled == source
