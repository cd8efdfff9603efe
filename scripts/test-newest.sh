#!/usr/bin/env bash
# CI's second run (.ci/run): the tests marked `upstream` against the newest versions that
# pyproject.toml's ranges allow, not uv.lock's, so that an upstream release that breaks wikipact
# fails CI before it reaches someone who installs wikipact as a library. Prints which versions
# differ from uv.lock. Its own ./.venv-newest, made anew each run; wikipact runs as pure Python
# (WIKIPACT_PURE_PYTHON=1): no mypyc build, and the modules compiled for .venv stay as they are.
# `upstream` (tests/upstream.py): for every package wikipact's code uses, tests that reach it
# through wikipact's code (every dump format, the CLI, a dataset build, the API on both backends,
# a real server, the follower's clients, MCP); tests/test_dependencies.py keeps the list whole.
# Arguments go to pytest instead of that selection.
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python3}"
venv=.venv-newest
export WIKIPACT_PURE_PYTHON=1
# (the OpenAPI contract test, marked slow, runs on uv.lock's versions only: it is the longest)
if [ "$#" -eq 0 ]; then
  upstream_files=$("$python" -m tests.upstream)  # (fails here if one is missing)
  # shellcheck disable=SC2086  # the test files, one word each
  set -- -m "upstream and not slow" $upstream_files
fi
echo "== the newest versions pyproject.toml allows, into $venv ..."
bash scripts/uv.sh venv --quiet --clear --python "$python" "$venv"
# wikipact itself is built anew (its metadata, not uv's cached build of it)
bash scripts/uv.sh pip install --quiet --python "$venv/bin/python" --upgrade \
  --reinstall-package wikipact -e '.[dev]'
bash scripts/uv.sh export --quiet --frozen --extra dev --no-hashes --no-emit-project --no-header \
  --no-annotate -o "$venv/locked.txt"
bash scripts/uv.sh pip freeze --quiet --python "$venv/bin/python" --exclude-editable \
  >"$venv/newest.txt"
"$venv/bin/python" - "$venv/locked.txt" "$venv/newest.txt" <<'EOF'
import re, sys

from packaging.requirements import Requirement  # pytest's


def read(path: str) -> dict[str, str]:
    versions = {}
    for line in open(path, encoding="utf-8"):
        if line.strip() and not line.startswith(("#", "-")):
            requirement = Requirement(line.strip())
            if requirement.marker is None or requirement.marker.evaluate():  # for this machine
                name = re.sub(r"[-_.]+", "-", requirement.name).lower()
                versions[name] = str(requirement.specifier).removeprefix("==")
    return versions


locked, newest = read(sys.argv[1]), read(sys.argv[2])
changed = sorted(n for n in locked.keys() | newest.keys() if locked.get(n) != newest.get(n))
if changed:
    print(f"{len(changed)} of {len(newest)} packages differ from uv.lock (uv.lock -> newest):")
    width = max(map(len, changed))
    for name in changed:
        print(f"  {name:{width}}  {locked.get(name, '(not in uv.lock)')} -> "
              f"{newest.get(name, '(not installed)')}")
else:
    print(f"the newest versions are uv.lock's, all {len(newest)} of them")
EOF
echo "== pytest $* (the newest versions, wikipact as pure Python)"
"$venv/bin/python" -m pytest "$@"
