#!/usr/bin/env bash
# Refresh uv.lock: the versions (with hashes, for every platform) that scripts/setup.sh installs,
# so the demo, the tests and CI. With the uv pinned in pyproject.toml (scripts/uv.sh).
#   bash scripts/lock.sh                        after editing pyproject.toml: the fewest changes
#   bash scripts/lock.sh --upgrade              everything to the newest versions the ranges allow
#   bash scripts/lock.sh --upgrade-package lxml one package (and what it needs)
# The pins of the build of wikipact itself (pyproject.toml: [tool.uv] build-constraint-dependencies,
# the closure of [build-system].requires: setuptools, mypy for mypyc, ...) are resolved the same
# way first. Then run bash scripts/test.sh, and commit pyproject.toml and uv.lock together.
set -euo pipefail
cd "$(dirname "$0")/.."
upgrade=()
for ((i = 1; i <= $#; i++)); do
  case "${!i}" in
    -U | --upgrade) upgrade+=(--upgrade) ;;
    -P | --upgrade-package) j=$((i + 1)) && upgrade+=(--upgrade-package "${!j}") ;;
    --upgrade-package=*) upgrade+=("${!i}") ;;
  esac
done
bash scripts/uv.sh --version >/dev/null # installs the pinned uv into .venv when it is not there
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# the build's pins: resolved from [build-system].requires, preferring the current pins
.venv/bin/python - "$work" <<'EOF'
import re, sys, tomllib
from pathlib import Path

work = Path(sys.argv[1])
project = tomllib.loads(Path("pyproject.toml").read_text())
(work / "build.in").write_text("\n".join(project["build-system"]["requires"]) + "\n")
pins = project["tool"]["uv"].get("build-constraint-dependencies", [])
(work / "build.txt").write_text("".join(pin + "\n" for pin in pins))
lowest = re.match(r">=\s*([0-9.]+)", project["project"]["requires-python"]).group(1)
(work / "python").write_text(lowest)
EOF
bash scripts/uv.sh pip compile --quiet --universal --python-version "$(cat "$work/python")" \
  --no-header --no-annotate "${upgrade[@]}" "$work/build.in" -o "$work/build.txt"
.venv/bin/python - "$work" <<'EOF'
import re, sys
from pathlib import Path

work = Path(sys.argv[1])
pins = [
    re.sub(r"\s*;\s*", "; ", line.strip())
    for line in (work / "build.txt").read_text().splitlines()
    if line.strip() and not line.startswith("#")
]
path = Path("pyproject.toml")
text = path.read_text()
array = "build-constraint-dependencies = [\n" + "".join(f'  "{pin}",\n' for pin in pins) + "]"
new, count = re.subn(r"build-constraint-dependencies = \[\n(?:[^\]]*\n)?\]", array, text)
if count != 1:
    sys.exit("pyproject.toml: [tool.uv] build-constraint-dependencies = [...] not found")
if new != text:
    path.write_text(new)
    print("pyproject.toml: the build's pins changed:", *pins, sep="\n  ", file=sys.stderr)
EOF

bash scripts/uv.sh lock "$@"
echo "uv.lock refreshed; now run bash scripts/test.sh, and commit pyproject.toml and uv.lock" >&2
