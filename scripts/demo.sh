#!/usr/bin/env bash
# Quickstart: set up, then ingest the bundled real sample (English Wikipedia pages, bzip2
# multistream with its index) into a local SQLite store with 2 workers, and look at the result.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
db="sqlite:///${WIKIPACT_DEMO_DB:-demo/wikipact-demo.db}"
mkdir -p demo
sample=tests/data/sample-enwiki-pages-articles-multistream.xml.bz2
echo "== wikipact ingest $sample --workers 2 --db $db"
.venv/bin/wikipact ingest "$sample" --workers 2 --db "$db"
echo "== ingesting the same dump again changes nothing:"
.venv/bin/wikipact ingest "$sample" --workers 2 --db "$db"
echo "== wikipact stats"
.venv/bin/wikipact stats --db "$db"
echo "== wikipact show Anarchism"
.venv/bin/wikipact show Anarchism --project enwiki --db "$db"
echo "== wikipact parse (dump straight to JSON lines, no store) -> demo/articles.jsonl"
.venv/bin/wikipact parse "$sample" --workers 2 --namespace 0 -o demo/articles.jsonl
echo "Done. Try: .venv/bin/wikipact --help"
