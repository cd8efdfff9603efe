"""Build hook: the wikitext parser's modules are compiled with mypyc when the build can.

Everything else about the package is in ``pyproject.toml``. The compiled modules are the same
source, translated to C (about 15 % less CPU per page of wikitext). When mypyc or a C compiler is
missing, or ``WIKIPACT_PURE_PYTHON=1`` is set, the pure-Python modules are installed instead,
and behave the same. ``wikipact.wikitext.compiled`` tells which ones a process runs, and falls
back to the sources when a compiled module is older than its source (an edited checkout).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from setuptools import setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).parent
PACKAGE = "wikipact.wikitext"
# The per-page hot path; ``parse`` (CPU budget, signals) and ``langdata`` (tables) stay Python.
COMPILED = [
    "context",
    "document",
    "inline",
    "layout",
    "links",
    "markers",
    "references",
    "sentences",
    "signals",
    "split",
    "tables",
    "tags",
    "templates",
    "texmath",
    "typography",
]
MANIFEST = "_compiled.json"
# setup.py runs for metadata too: compile only for the commands that build the package
BUILD_COMMANDS = {"build", "build_ext", "bdist_wheel", "editable_wheel", "develop", "install"}


def source_of(module: str) -> Path:
    return HERE / "src" / Path(*PACKAGE.split(".")) / f"{module}.py"


def ext_modules() -> list[Any]:
    if os.environ.get("WIKIPACT_PURE_PYTHON") or not BUILD_COMMANDS & set(sys.argv):
        return []
    try:
        from mypyc.build import mypycify

        return mypycify(
            # modules they import are read for their types, not checked (nor compiled)
            ["--follow-imports=silent", "--ignore-missing-imports"]
            + [str(source_of(m).relative_to(HERE)) for m in COMPILED],
            opt_level="3",
            group_name="wikipact_wikitext",
        )
    except (Exception, SystemExit) as exc:  # mypyc exits on a type error
        sys.stderr.write(
            f"wikipact: compiling the wikitext modules failed ({exc!r}); "
            "installing them as pure Python (same behaviour, slower)\n"
        )
        return []


class BuildExt(build_ext):
    """Writes, beside the compiled modules, the hash of each one's source."""

    def run(self) -> None:
        super().run()
        if not self.extensions:
            return
        target = Path(self.get_ext_fullpath(f"{PACKAGE}.{COMPILED[0]}")).parent
        target.mkdir(parents=True, exist_ok=True)
        from hashlib import sha256

        manifest = {m: sha256(source_of(m).read_bytes()).hexdigest() for m in COMPILED}
        (target / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")


setup(ext_modules=ext_modules(), cmdclass={"build_ext": BuildExt})
