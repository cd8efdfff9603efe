#!/usr/bin/env bash
# Run the uv that this project pins (pyproject.toml: [tool.uv] required-version, the uv that wrote
# uv.lock), installing it into ./.venv (made if missing) the first time: `bash scripts/uv.sh tree`.
# scripts/setup.sh, scripts/lock.sh and scripts/test-newest.sh use it.
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "wikipact needs Python 3.11 or newer (found: $("$python" --version 2>&1))" >&2
  exit 2
fi
version="$("$python" -c 'import tomllib
with open("pyproject.toml", "rb") as f:
    print(tomllib.load(f)["tool"]["uv"]["required-version"].removeprefix("=="))')"
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
fi
if [ "$(.venv/bin/uv --version 2>/dev/null | cut -d' ' -f2)" != "$version" ]; then
  echo "installing uv $version into .venv ..." >&2
  .venv/bin/python -m pip --version >/dev/null 2>&1 || .venv/bin/python -m ensurepip --default-pip >/dev/null
  .venv/bin/python -m pip install --quiet --disable-pip-version-check "uv==$version"
fi
# the project's environment is ./.venv whatever the caller's environment says; no Python is
# downloaded (uv would otherwise fetch one when none fits): the machine's, in .venv, is used
export UV_PROJECT_ENVIRONMENT="$PWD/.venv"
export UV_PYTHON_DOWNLOADS=never
exec .venv/bin/uv "$@"
