#!/usr/bin/env bash
# The demo: simulate a small 1000 Genomes-like data set (if not there yet), then run
# configs/demo.ini (ingest + Diet Networks over 5 folds) and print the summary.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
SNPFLOW="$BUILD/snpflow"
DATA=examples/data/generated
mkdir -p "$DATA"
if [ ! -s "$DATA/demo.bcf" ]; then
  "$SNPFLOW" simulate --samples 600 --snps 5000 --missing-rate 0.01 --multiallelic-rate 0.01 \
    --indel-rate 0.01 --seed 1 -O b -o "$DATA/demo.bcf"
fi
"$SNPFLOW" run configs/demo.ini --threads "$(nproc)"
echo
echo "demo: outputs in out/demo (summary.json, metrics.jsonl, predictions.tsv, confusion.tsv, *.svg)"
