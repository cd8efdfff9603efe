"""Whether this process runs the wikitext modules compiled by mypyc, or their sources.

The build (``setup.py``) compiles the parser's hot modules when it can and writes, beside them,
the hash of each one's source (``_compiled.json``). At import, before any of those modules
loads, ``choose`` compares those hashes with the sources on disk. A compiled module is only
used when every compiled module matches its source: in a checkout edited since the last
install, the sources are imported instead (with a warning saying how to rebuild), so an edit
always takes effect. ``WIKIPACT_PURE_PYTHON=1`` asks for the sources whatever the build.

Compiled or not, the modules are the same code and give the same records.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

PACKAGE = __name__.rpartition(".")[0]
HERE = Path(__file__).parent
MANIFEST = "_compiled.json"  # written by setup.py beside the compiled modules


class _Sources(importlib.abc.MetaPathFinder):
    """Imports the named modules from their ``.py`` files, whatever else sits beside them."""

    def __init__(self, modules: dict[str, Path]) -> None:
        self.modules = modules

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        source = self.modules.get(fullname)
        if source is None:
            return None
        return importlib.util.spec_from_file_location(fullname, source)


def _compiled_modules(directory: Path) -> dict[str, str]:
    """Compiled module name -> hash of the source it was compiled from (empty: none built)."""
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
    except (OSError, ValueError):
        return {}
    suffixes = importlib.machinery.EXTENSION_SUFFIXES
    return {
        name: digest
        for name, digest in manifest.items()
        if any((directory / f"{name}{suffix}").exists() for suffix in suffixes)
    }


def choose(directory: Path = HERE, package: str = PACKAGE) -> bool:
    """Set up the imports of the compiled modules of ``package`` (in ``directory``); returns
    whether the compiled ones are used."""
    built = _compiled_modules(directory)
    if not built:
        return False
    stale = []
    for name, digest in built.items():
        try:
            current = hashlib.sha256((directory / f"{name}.py").read_bytes()).hexdigest()
        except OSError:
            continue  # an installed wheel may ship the compiled module alone
        if current != digest:
            stale.append(name)
    pure = bool(os.environ.get("WIKIPACT_PURE_PYTHON"))
    if stale and not pure:
        warnings.warn(
            f"wikipact: {', '.join(f'{n}.py' for n in stale)} changed since the wikitext modules "
            "were compiled; running the sources (same results, slower). Rebuild with "
            "`bash scripts/setup.sh` (or `pip install -e .`).",
            RuntimeWarning,
            stacklevel=2,
        )
    if stale or pure:
        sources = {f"{package}.{name}": directory / f"{name}.py" for name in built}
        # Just before the finder of installed modules: finders that wrap the ones after them
        # (a fuzzer's coverage instrumentation) still see these imports.
        finders = sys.meta_path
        position = next(
            (i for i, f in enumerate(finders) if f is importlib.machinery.PathFinder), len(finders)
        )
        finders.insert(position, _Sources(sources))
        return False
    return True
