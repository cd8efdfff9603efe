#!/usr/bin/env bash
# Set up with the test extras, then lint and run the whole test suite.
# Tests on the larger shared corpus (../shared/corpus) run when it is there and skip otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev
.venv/bin/ruff check src tests bench fuzz setup.py
.venv/bin/ruff format --check src tests bench fuzz setup.py
# two processes (pytest-xdist), each taking a whole test file at a time, so that a file's
# fixtures are made once; WIKIPACT_TEST_PROCESSES=0 runs in this process (e.g. for --pdb)
.venv/bin/python -m pytest -n "${WIKIPACT_TEST_PROCESSES:-2}" --dist loadfile "$@"
if [ "$#" -eq 0 ]; then
  bash scripts/fuzz.sh
fi
