#!/usr/bin/env bash
# Quickstart: set up, then ingest the bundled real sample (English Wikipedia pages, bzip2
# multistream with its index) into a local SQLite store with 2 workers, look at the result, and
# build a signed, deduplicated, tokenised dataset from the store and verify it.
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
keys=demo/signing
if [ ! -f "$keys/ed25519.key" ]; then
  echo "== wikipact signing init --dir $keys (a key pair to sign datasets with)"
  .venv/bin/wikipact signing init --dir "$keys"
fi
echo "== wikipact build --db $db -o demo/dataset --workers 2 (Parquet shards, card, signed manifest)"
.venv/bin/wikipact build --db "$db" -o demo/dataset --workers 2 --signing-dir "$keys"
echo "== wikipact verify demo/dataset --public-key $keys/ed25519.pub"
.venv/bin/wikipact verify demo/dataset --public-key "$keys/ed25519.pub"
echo "Done. The dataset card is demo/dataset/README.md. Try: .venv/bin/wikipact --help"
