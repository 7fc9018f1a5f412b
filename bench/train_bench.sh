#!/usr/bin/env bash
# Training benchmark: simulate 3,450 samples x SNPS (default 50,000; SNPS=315000 for full 1000
# Genomes size), ingest once, then on fold 0 of the same ingest:
#   snpflow train --model dietnet | mlp | mlp-improved   (EPOCHS epochs at most, PATIENCE)
#   PCA + logistic regression (examples/python/sklearn_baseline.py on a `snpflow export`)
# Prints one table: test accuracy, free parameters, mean seconds per epoch, the fraction of
# trainer time spent waiting for batches (target ~0), and peak RSS (/usr/bin/time -v).
#   bash bench/train_bench.sh [BUILD_DIR]      e.g. EPOCHS=5 SNPS=20000 THREADS=2 bash ...
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=${1:-build}
SNPFLOW=$(realpath "$BUILD/snpflow")
PY=${PY:-/usr/bin/python3}  # Debian's interpreter: has python3-numpy and python3-sklearn
SAMPLES=${SAMPLES:-3450}
SNPS=${SNPS:-50000}
THREADS=${THREADS:-2}
EPOCHS=${EPOCHS:-10}
PATIENCE=${PATIENCE:-5}
BATCH=${BATCH:-138}             # the paper's minibatch size
COMPONENTS=${COMPONENTS:-20}    # PCA components of the baseline
MODELS=${MODELS:-"dietnet mlp mlp-improved"}
WORK=${WORK:-/tmp/snpflow-bench-$SAMPLES-$SNPS}  # shared with bench/ingest_bench.sh
LOAD0=$(cut -d' ' -f1 /proc/loadavg)
mkdir -p "$WORK"
cd "$WORK"

if [ ! -s sim.bcf ] || [ ! -s sim.panel ]; then
  echo "simulating $SAMPLES x $SNPS ..." >&2
  "$SNPFLOW" simulate --samples "$SAMPLES" --snps "$SNPS" --chroms 22 --seed 1 -O b -o sim.bcf --threads "$THREADS" -q
fi

RUN=${RUN:-train-bench}  # run directory inside WORK (removed first)
rm -rf "$RUN"
mkdir -p "$RUN"

measure() {  # name command...: runs under /usr/bin/time -v; prints "wall_seconds peak_rss_mb"
  local name=$1
  shift
  /usr/bin/time -v -o "$RUN/$name.time" "$@" >"$RUN/$name.out" 2>"$RUN/$name.err" ||
    { echo "$name failed:" >&2; cat "$RUN/$name.err" >&2; exit 1; }
  awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; wall=s}
              /Maximum resident set size/ {rss=$2/1024}
              END {printf "%.1f %.0f\n", wall, rss}' "$RUN/$name.time"
}

echo "ingest ..." >&2
read -r secs rss < <(measure ingest "$SNPFLOW" ingest sim.bcf --labels sim.panel -o "$RUN/ingest" \
  --maf 0.01 --max-missing 0.1 --threads "$THREADS" -q)
echo "  ${secs} s, ${rss} MB" >&2

: > "$RUN/results.tsv"
for model in $MODELS; do
  echo "train $model (at most $EPOCHS epochs) ..." >&2
  read -r secs rss < <(measure "train-$model" "$SNPFLOW" train --data "$RUN/ingest" -o "$RUN/$model" \
    --model "$model" --train-folds 0 --threads "$THREADS" -q --train.epochs "$EPOCHS" \
    --train.patience "$PATIENCE" --batcher.batch-size "$BATCH")
  "$PY" - "$RUN/$model/summary.json" "$model" "$secs" "$rss" >>"$RUN/results.tsv" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
f = s["folds"][0]
print("\t".join([sys.argv[2], "%.4f" % f["test_accuracy"], str(s["n_params"]),
                 "%d/%d" % (f["epochs"], f["best_epoch"]), "%.2f" % s["mean_epoch_seconds"],
                 "%.4f" % s["wait_fraction"], sys.argv[3], sys.argv[4]]))
EOF
  echo "  ${secs} s, ${rss} MB" >&2
done

echo "export + PCA($COMPONENTS) + logistic regression ..." >&2
measure export "$SNPFLOW" export --data "$RUN/ingest" -o "$RUN/export" -q >/dev/null
read -r secs rss < <(measure baseline "$PY" "$ROOT/examples/python/sklearn_baseline.py" "$RUN/export" \
  --fold 0 --components "$COMPONENTS" --json)
"$PY" - "$RUN/baseline.out" "$secs" "$rss" >>"$RUN/results.tsv" <<'EOF'
import json, sys
r = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
print("\t".join(["pca%d+logreg" % r["components"], "%.4f" % r["test_accuracy"], "-", "-", "-", "-",
                 sys.argv[2], sys.argv[3]]))
EOF

n_snps=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["n_snps"])' \
  "$RUN/${MODELS%% *}/summary.json" 2>/dev/null || echo "?")
echo "# $SAMPLES samples x $SNPS simulated SNPs ($n_snps after --maf 0.01 --max-missing 0.1), fold 0 of 5,"
echo "# --threads $THREADS on $(nproc) cores, at most $EPOCHS epochs (patience $PATIENCE), batch $BATCH; $WORK/$RUN"
blas=$(ldd "$SNPFLOW" | awk '$1=="libblas.so.3" {print $3}')
echo "# BLAS: $(realpath "$blas" 2>/dev/null || echo "${blas:-?}"), OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-unset}, 1-min load average $LOAD0 at start, $(cut -d' ' -f1 /proc/loadavg) at end"
printf "%-14s %9s %10s %11s %8s %6s %8s %8s\n" model test_acc params epochs/best s/epoch wait wall_s peak_MB
awk -F'\t' '{printf "%-14s %9s %10s %11s %8s %6s %8s %8s\n", $1, $2, $3, $4, $5, $6, $7, $8}' "$RUN/results.tsv"
