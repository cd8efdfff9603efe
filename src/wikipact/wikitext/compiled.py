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


def _built(directory: Path) -> tuple[list[str], dict[str, str] | None]:
    """The modules of ``directory`` that have a compiled file beside them, and the manifest's
    hash of each one's source (``None``: no complete build recorded, or its library is gone)."""
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    # "links.cpython-311-x86_64-linux-gnu.so" is module "links" (a module name has no dot)
    present = sorted(
        {path.name.split(".", 1)[0] for path in directory.iterdir() if path.name.endswith(suffixes)}
    )
    if not present:
        return [], None
    try:
        manifest = json.loads((directory / MANIFEST).read_text())
        digests = dict(manifest["modules"])
        group = manifest["group"]
    except (OSError, ValueError, KeyError, TypeError):
        return present, None
    if importlib.util.find_spec(group) is None:
        return present, None
    return present, digests


def choose(directory: Path = HERE, package: str = PACKAGE) -> bool:
    """Set up the imports of the compiled modules of ``package`` (in ``directory``); returns
    whether the compiled ones are used."""
    present, digests = _built(directory)
    if not present:
        return False
    stale = [name for name in present if digests is None or name not in digests]
    for name, digest in (digests or {}).items():
        try:
            current = hashlib.sha256((directory / f"{name}.py").read_bytes()).hexdigest()
        except OSError:
            continue  # an installed wheel may ship the compiled module alone
        if current != digest:
            stale.append(name)
    pure = bool(os.environ.get("WIKIPACT_PURE_PYTHON"))
    if stale and not pure:
        why = (
            "the compiled wikitext modules have no record of a complete build (it failed or "
            "was interrupted)"
            if digests is None
            else f"{', '.join(f'{n}.py' for n in stale)} changed since the wikitext modules "
            "were compiled"
        )
        warnings.warn(
            f"wikipact: {why}; running the sources (same results, slower). Rebuild with "
            "`bash scripts/setup.sh` (or `pip install -e .`).",
            RuntimeWarning,
            stacklevel=2,
        )
    if stale or pure:
        sources = {
            f"{package}.{name}": directory / f"{name}.py"
            for name in present
            if (directory / f"{name}.py").exists()
        }
        # Just before the finder of installed modules: finders that wrap the ones after them
        # (a fuzzer's coverage instrumentation) still see these imports.
        finders = sys.meta_path
        position = next(
            (i for i, f in enumerate(finders) if f is importlib.machinery.PathFinder), len(finders)
        )
        finders.insert(position, _Sources(sources))
        return False
    return True
