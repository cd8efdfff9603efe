#!/usr/bin/env bash
# Goal G7: coverage-guided fuzzing of the dump reader and the wikitext parser.
# Each target runs WIKIPACT_FUZZ_SECONDS (default 60) from the seed corpus in fuzz/corpus;
# new inputs go to a temporary folder, crashes and >5 s inputs fail the run and are kept in
# fuzz/findings/ to be added to the seed corpus as regression inputs.
# atheris follows coverage in Python code only, so the search runs the wikitext sources
# (WIKIPACT_PURE_PYTHON=1); every input it kept, and every seed, is then run once more through
# the compiled modules (setup.py), which must behave the same.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${WIKIPACT_FUZZ_SECONDS:-60}"
if [ "$seconds" = "0" ]; then
  echo "fuzzing skipped (WIKIPACT_FUZZ_SECONDS=0)"
  exit 0
fi
if ! .venv/bin/python -c "import atheris" 2>/dev/null; then
  echo "fuzzing skipped: atheris is not installed (pip install atheris)"
  exit 0
fi
mkdir -p fuzz/findings
for target in wikitext dump; do
  work="$(mktemp -d)"
  echo "== fuzz_${target}: ${seconds} s"
  WIKIPACT_PURE_PYTHON=1 .venv/bin/python "fuzz/fuzz_${target}.py" -max_total_time="$seconds" \
    -timeout=5 -rss_limit_mb=2048 -artifact_prefix=fuzz/findings/ -print_final_stats=1 \
    "$work" "fuzz/corpus/${target}" 2>&1 | grep -E "^(Done|stat::number_of_executed_units|==|INFO: Seed)|ERROR|Traceback|crash|timeout" || true
  if [ "$target" = wikitext ] && ! ls fuzz/findings/* >/dev/null 2>&1; then
    echo "== fuzz_${target}: $(ls "$work" | wc -l) kept inputs and the seeds, once, compiled"
    .venv/bin/python -W ignore -c 'import wikipact.wikitext as w; print("compiled:", w.COMPILED)'
    .venv/bin/python "fuzz/fuzz_${target}.py" -runs=0 -timeout=5 -rss_limit_mb=2048 \
      -artifact_prefix=fuzz/findings/ "$work" "fuzz/corpus/${target}" 2>&1 |
      grep -E "^Done|ERROR|Traceback|crash|timeout" || true
  fi
  rm -rf "$work"
  if ls fuzz/findings/* >/dev/null 2>&1; then
    echo "fuzz_${target} found failing inputs: see fuzz/findings/" >&2
    exit 1
  fi
done
