#!/usr/bin/env bash
# Set up with the test extras, then lint and run the whole test suite.
# Tests on the larger shared corpus (../shared/corpus) run when it is there and skip otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev
.venv/bin/ruff check src tests bench fuzz setup.py
.venv/bin/ruff format --check src tests bench fuzz setup.py
.venv/bin/python -m pytest "$@"
if [ "$#" -eq 0 ]; then
  bash scripts/fuzz.sh
fi
