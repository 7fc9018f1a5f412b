#!/usr/bin/env bash
# Baselines on hard simulated cases (issue 9): many classes, few samples per class, low Fst.
#   A: 40 populations x 30 samples (8 super-populations), fst-pop 0.005, fst-super 0.05
#   B: 60 populations of uneven size 3..50 (6 super-populations), same Fst
#   H1: 26 populations x 50 samples, 8,000 SNPs, fst-pop 0.005 (simulation seed 9101)
#   H2: 26 populations x ~30 samples, 6,000 SNPs, fst-pop 0.004, fst-super 0.06 (seed 9202)
# (A and B: SNPS SNPs, seed SEED, no filters; H1 and H2: the sets dietnet's defaults were first
# chosen on, their own sizes and seeds, ingested with --maf 0.01 --max-missing 0.1 and seed 1.)
# For each, one ingest (5 folds) and on all 5 folds: snpflow dietnet and mlp (current defaults),
# naive-bayes, nearest-centroid, linear; and on `snpflow export` of the same ingest (same folds,
# same train-only standardization) scikit-learn's LogisticRegression (L2, C chosen on validation)
# and NearestCentroid, and naive Bayes in NumPy. Prints test accuracy, mean +- std over 5 folds.
# A finished run (its summary.json, sklearn.json) is reused: rerunning prints the table again;
# FORCE=1 retrains everything.
#   bash bench/baselines.sh [BUILD_DIR]     SNPS=8000 THREADS=2 MODELS="..." SETTINGS="A B H1 H2"
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=${1:-build}
SNPFLOW=$(realpath "$BUILD/snpflow")
PY=${PY:-/usr/bin/python3}
SNPS=${SNPS:-8000}
THREADS=${THREADS:-2}
SEED=${SEED:-101}  # a seed used nowhere else in the repository
MODELS=${MODELS:-"dietnet mlp naive-bayes nearest-centroid linear"}
SETTINGS=${SETTINGS:-"A B H1 H2"}
WORK=${WORK:-/tmp/snpflow-baselines}
FORCE=${FORCE:-0}
for setting in $SETTINGS; do
  case $setting in A|B|H1|H2) ;; *) echo "unknown setting '$setting' (A, B, H1, H2)" >&2; exit 2 ;; esac
done
mkdir -p "$WORK"
cd "$WORK"

simulate_args() {
  case $1 in
    A) echo "--populations 40 --super-populations 8 --samples 1200 --snps $SNPS --fst-pop 0.005" \
            "--fst-super 0.05 --seed $SEED" ;;
    B) echo "--populations 60 --super-populations 6 --min-per-pop 3 --max-per-pop 50" \
            "--snps $SNPS --fst-pop 0.005 --fst-super 0.05 --seed $SEED" ;;
    H1) echo "--samples 1300 --snps 8000 --fst-pop 0.005 --seed 9101" ;;
    H2) echo "--samples 800 --snps 6000 --fst-pop 0.004 --fst-super 0.06 --seed 9202" ;;
  esac
}

ingest_args() {
  case $1 in
    A|B) echo "--seed $SEED" ;;
    H1|H2) echo "--maf 0.01 --max-missing 0.1 --seed 1" ;;
  esac
}

stats() {  # summary.json -> "mean +- std"
  "$PY" -c 'import json,sys; s=json.load(open(sys.argv[1])); print("%.3f +- %.3f" % (s["mean_test_accuracy"], s["std_test_accuracy"]))' "$1"
}

declare -A RESULT
for setting in $SETTINGS; do
  dir="$WORK/$setting"
  mkdir -p "$dir"
  if [ ! -s "$dir/sim.bcf" ]; then
    echo "simulate $setting ..." >&2
    # shellcheck disable=SC2046
    "$SNPFLOW" simulate $(simulate_args "$setting") -O b -o "$dir/sim.bcf" -q
  fi
  # shellcheck disable=SC2046
  "$SNPFLOW" ingest "$dir/sim.bcf" --labels "$dir/sim.panel" -o "$dir/ingest" \
    $(ingest_args "$setting") --threads "$THREADS" -q
  classes=$(wc -l < "$dir/ingest/classes.txt")
  samples=$(($(wc -l < "$dir/ingest/samples.tsv") - 1))
  RESULT[$setting,shape]="$samples samples, $classes classes"
  for model in $MODELS; do
    if [ "$FORCE" = 1 ] || [ ! -s "$dir/$model/summary.json" ]; then
      echo "$setting: train $model ..." >&2
      "$SNPFLOW" train --data "$dir/ingest" -o "$dir/$model" --model "$model" \
        --threads "$THREADS" -q
    fi
    RESULT[$setting,$model]=$(stats "$dir/$model/summary.json")
  done
  if [ "$FORCE" = 1 ] || [ ! -s "$dir/sklearn.json" ]; then
    echo "$setting: export + scikit-learn ..." >&2
    "$SNPFLOW" export --data "$dir/ingest" -o "$dir/export" -q
    "$PY" "$ROOT/bench/baselines_sklearn.py" "$dir/export" > "$dir/sklearn.json.tmp"
    mv "$dir/sklearn.json.tmp" "$dir/sklearn.json"
  fi
  for name in sklearn-logreg sklearn-centroid numpy-naive-bayes; do
    RESULT[$setting,$name]=$("$PY" -c 'import json,sys,statistics as st; a=json.load(open(sys.argv[1]))[sys.argv[2]]; print("%.3f +- %.3f" % (st.mean(a), st.stdev(a)))' "$dir/sklearn.json" "$name")
  done
done

echo
echo "Test accuracy, mean +- std over 5 folds (A: 40 populations x 30, B: 60 populations of 3-50,"
echo "both $SNPS SNPs, fst-pop 0.005, fst-super 0.05, seed $SEED; H1, H2: see bench/README.md)"
printf "%-20s" "model"
for setting in $SETTINGS; do printf " | %-24s" "$setting (${RESULT[$setting,shape]})"; done
echo
for name in $MODELS sklearn-logreg sklearn-centroid numpy-naive-bayes; do
  printf "%-20s" "$name"
  for setting in $SETTINGS; do printf " | %-24s" "${RESULT[$setting,$name]}"; done
  echo
done
