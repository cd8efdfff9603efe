#!/usr/bin/env bash
# Create ./.venv and install wikipact into it (with test tools when given "dev"), every package at
# the version uv.lock pins (with its hash), by the uv that pyproject.toml pins (scripts/uv.sh).
# Safe to rerun: it reinstalls only when uv.lock, pyproject.toml or setup.py changed, and
# recompiles the wikitext modules (setup.py: mypyc) only when their sources changed.
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
# --locked: uv.lock must agree with pyproject.toml (else: bash scripts/lock.sh). With "dev", .venv
# is exactly the lock's app and test tools (anything else is removed); without it, the app's
# packages are set to the lock's versions and test tools already there stay (--inexact), so that
# the demo does not take them away from a test run
sync=(sync --locked --quiet)
if [ "$extra" = dev ]; then
  sync+=(--extra dev)
else
  sync+=(--inexact ${extra:+--extra "$extra"})
fi
failed() {
  echo "setup failed; if uv says that uv.lock needs to be updated (pyproject.toml changed)," \
    "refresh it: bash scripts/lock.sh (see the README, Development)" >&2
  exit 1
}
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ setup.py -nt "$stamp" ] ||
  [ uv.lock -nt "$stamp" ]; then
  echo "installing wikipact and the versions in uv.lock into .venv (the first time takes a few minutes) ..." >&2
  # wikipact itself is always built again (not taken from uv's cache): its modules are compiled
  # from these sources, with the build tools pinned in pyproject.toml ([tool.uv])
  bash scripts/uv.sh "${sync[@]}" --reinstall-package wikipact || failed
  touch "$stamp"
  echo "$sources" >"$compiled"
  built=1
elif [ -z "${WIKIPACT_PURE_PYTHON:-}" ] && [ "$(cat "$compiled" 2>/dev/null)" != "$sources" ]; then
  echo "recompiling the wikitext modules (their sources changed) ..." >&2
  bash scripts/uv.sh sync --locked --quiet --inexact --reinstall-package wikipact || failed
  echo "$sources" >"$compiled"
  built=1
fi
if [ -n "${built:-}" ]; then
  .venv/bin/python -W ignore -c 'import wikipact.wikitext as w
print("wikitext modules:", "compiled (mypyc)" if w.COMPILED else "pure Python (see the README, Compiled parser)")' >&2
fi
