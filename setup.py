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
import time
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
GROUP = "wikipact_wikitext"  # the shared library of the compiled modules: GROUP__mypyc
# setup.py runs for metadata too: compile only for the commands that build the package
BUILD_COMMANDS = {"build", "build_ext", "bdist_wheel", "editable_wheel", "develop", "install"}


def source_of(module: str) -> Path:
    return HERE / "src" / Path(*PACKAGE.split(".")) / f"{module}.py"


def ext_modules() -> list[Any]:
    if os.environ.get("WIKIPACT_PURE_PYTHON") or not BUILD_COMMANDS & set(sys.argv):
        return []
    try:
        from mypyc.build import mypycify

        extensions = mypycify(
            # modules they import are read for their types, not checked (nor compiled)
            ["--follow-imports=silent", "--ignore-missing-imports"]
            + [str(source_of(m).relative_to(HERE)) for m in COMPILED],
            opt_level="3",
            group_name=GROUP,
        )
    except (Exception, SystemExit) as exc:  # mypyc exits on a type error
        sys.stderr.write(
            f"wikipact: compiling the wikitext modules failed ({exc!r}); "
            "installing them as pure Python (same behaviour, slower)\n"
        )
        return []
    for extension in extensions:
        extension.optional = True  # no C compiler: the install goes on, without them
    return extensions


class BuildExt(build_ext):
    """Writes, beside the compiled modules, the hash of each one's source: only when every
    extension was built (a failed optional one leaves the sources in use)."""

    def run(self) -> None:
        target = Path(self.get_ext_fullpath(f"{PACKAGE}.{COMPILED[0]}")).parent
        manifest_path = target / MANIFEST
        manifest_path.unlink(missing_ok=True)  # until this build is known to be complete
        started = time.time() - 1
        super().run()
        if not self.extensions:
            return
        outputs = [Path(self.get_ext_fullpath(e.name)) for e in self.extensions]
        built = all(o.exists() and o.stat().st_mtime >= started for o in outputs)
        if not built:
            for output in outputs:  # left by an earlier build: not this source's
                if output.exists() and output.stat().st_mtime < started:
                    output.unlink()
            sys.stderr.write(
                "wikipact: the wikitext modules could not be compiled (is a C compiler "
                "installed?); they run as pure Python (same behaviour, slower)\n"
            )
            return
        from hashlib import sha256

        modules = {m: sha256(source_of(m).read_bytes()).hexdigest() for m in COMPILED}
        manifest = {"group": f"{GROUP}__mypyc", "modules": modules}
        target.mkdir(parents=True, exist_ok=True)
        manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")


setup(ext_modules=ext_modules(), cmdclass={"build_ext": BuildExt})
