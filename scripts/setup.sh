#!/usr/bin/env bash
# Create ./.venv and install wikipact into it (with test tools when given "dev").
# Safe to rerun: it reinstalls only when pyproject.toml or setup.py changed, and recompiles the
# wikitext modules (setup.py: mypyc) only when their sources changed.
set -euo pipefail
cd "$(dirname "$0")/.."
extra="${1:-}"
python="${PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "wikipact needs Python 3.11 or newer (found: $("$python" --version 2>&1))" >&2
  exit 2
fi
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
stamp=".venv/.wikipact-installed${extra:+-$extra}"
compiled=".venv/.wikipact-compiled"
sources="$(cat setup.py src/wikipact/wikitext/*.py | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ setup.py -nt "$stamp" ]; then
  echo "installing wikipact into .venv (the first time takes a few minutes) ..." >&2
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".${extra:+[$extra]}"
  touch "$stamp"
  echo "$sources" >"$compiled"
  built=1
elif [ -z "${WIKIPACT_PURE_PYTHON:-}" ] && [ "$(cat "$compiled" 2>/dev/null)" != "$sources" ]; then
  echo "recompiling the wikitext modules (their sources changed) ..." >&2
  .venv/bin/python -m pip install --quiet --no-deps -e .
  echo "$sources" >"$compiled"
  built=1
fi
if [ -n "${built:-}" ]; then
  .venv/bin/python -W ignore -c 'import wikipact.wikitext as w
print("wikitext modules:", "compiled (mypyc)" if w.COMPILED else "pure Python (see the README, Compiled parser)")' >&2
fi
