#!/usr/bin/env bash
# Distributed training on one machine: 1 process vs WORLD processes (torchrun-style environment
# on 127.0.0.1), each with --threads 1, dietnet on fold 0 of a simulated 1000 Genomes-like set,
# data-parallel and SNP-parallel (--dist.parallel data / snp). Prints seconds per epoch (median
# over epochs 1.., epoch 0 warms up), speed-up, scaling efficiency and the bytes rank 0 passes to
# collectives per training step (the whole run's bytes, evaluation and saving included, divided
# by the training steps), and the CPU seconds of each process's whole run (user + sys, all threads;
# for the ranks, the slowest one): on a machine shared with other jobs the wall times are skewed
# by the load, the CPU seconds much less, so their ratio estimates the speed-up on idle cores.
#
#   bench/dist_bench.sh [BUILD_DIR]      env: SAMPLES (3450) SNPS (50000) EPOCHS (4) WORLD (2)
#                                        MODEL (dietnet) BATCH (138) PARALLEL ("data snp")
#                                        WORK (/tmp/snpflow-bench-...)
set -euo pipefail
BUILD=${1:-build}
SNPFLOW=$(cd "$BUILD" && pwd)/snpflow
SAMPLES=${SAMPLES:-3450}
SNPS=${SNPS:-50000}
EPOCHS=${EPOCHS:-4}
WORLD=${WORLD:-2}
MODEL=${MODEL:-dietnet}
BATCH=${BATCH:-138}
PARALLEL=${PARALLEL:-data snp}
WORK=${WORK:-/tmp/snpflow-bench-$SAMPLES-$SNPS}
mkdir -p "$WORK"
if [ ! -f "$WORK/sim.bcf" ]; then
  "$SNPFLOW" simulate --samples "$SAMPLES" --snps "$SNPS" --seed 1 -O b -q -o "$WORK/sim.bcf"
fi
DATA=$WORK/dist-bench/ingest
"$SNPFLOW" ingest "$WORK/sim.bcf" --labels "$WORK/sim.panel" --label-column pop -q --threads 2 \
  -o "$DATA"
# Not -q: rank 0's summary line reports the bytes it passed to collectives.
COMMON=(train --data "$DATA" --model "$MODEL" --train-folds 0 --threads 1
        --train.epochs "$EPOCHS" --train.patience 1000 --batcher.batch-size "$BATCH")

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# Median seconds per epoch, skipping epoch 0, from a run's metrics.jsonl.
epoch_seconds() {
  python3 - "$1/metrics.jsonl" <<'PY'
import json, statistics, sys
s = [json.loads(l)["seconds"] for l in open(sys.argv[1])][1:]
print(f"{statistics.median(s):.3f}")
PY
}

OUT=$WORK/dist-bench
rm -rf "$OUT/w1"
# CPU seconds of the command, appended to the log by /usr/bin/time.
timed() { /usr/bin/time -f "cpu-seconds %U %S" "$@"; }
cpu_seconds() {  # the largest user + sys over the logs given
  cat "$@" | awk '$1 == "cpu-seconds" { c = $2 + $3; if (c > m) m = c } END { printf "%.1f", m }'
}
timed "$SNPFLOW" "${COMMON[@]}" -o "$OUT/w1" > "$OUT/w1.log" 2>&1
for mode in $PARALLEL; do
  rm -rf "$OUT/w$WORLD-$mode"
  PORT=$(free_port)
  for ((r = 0; r < WORLD; r++)); do
    MASTER_ADDR=127.0.0.1 MASTER_PORT=$PORT WORLD_SIZE=$WORLD RANK=$r \
      timed "$SNPFLOW" "${COMMON[@]}" --dist.parallel "$mode" -o "$OUT/w$WORLD-$mode" \
      > "$OUT/w$WORLD-$mode.rank$r.log" 2>&1 &
  done
  wait
done

N_TRAIN=$(python3 -c "import json; print(json.load(open('$OUT/w1/summary.json'))['folds'][0]['n_train'])")
STEPS=$(( (N_TRAIN + BATCH - 1) / BATCH ))
acc() { python3 -c "import json; print(json.load(open('$1/summary.json'))['folds'][0]['test_accuracy'])"; }
T1=$(epoch_seconds "$OUT/w1")
C1=$(cpu_seconds "$OUT/w1.log")
echo "| processes | parallel | s/epoch | speed-up | efficiency | CPU s (slowest) | CPU speed-up | test acc | KB per step (rank 0) |"
echo "|---|---|---|---|---|---|---|---|---|"
printf "| 1 | - | %.3f | 1.00 | 1.00 | %s | 1.00 | %.3f | 0 |\n" "$T1" "$C1" "$(acc "$OUT/w1")"
for mode in $PARALLEL; do
  RUN=$OUT/w$WORLD-$mode
  TW=$(epoch_seconds "$RUN")
  MB=$(sed -n 's/.*rank 0 passed \([0-9.]*\) MB.*/\1/p' "$RUN.rank0.log")
  EPOCHS_RUN=$(wc -l < "$RUN/metrics.jsonl")
  CW=$(cpu_seconds "$RUN".rank*.log)
  python3 - "$T1" "$TW" "$WORLD" "$MB" "$EPOCHS_RUN" "$STEPS" "$(acc "$RUN")" "$mode" "$C1" "$CW" \
    <<'PY'
import sys
t1, tw, w, mb, epochs, steps, acc, mode, c1, cw = sys.argv[1:]
t1, tw, w, mb, epochs, steps = float(t1), float(tw), int(w), float(mb), int(epochs), int(steps)
c1, cw = float(c1), float(cw)
kb = mb * 1e3 / (epochs * steps) if epochs * steps else 0
print(f"| {w} | {mode} | {tw:.3f} | {t1 / tw:.2f} | {t1 / tw / w:.2f} | {cw:.1f} | {c1 / cw:.2f} "
      f"| {float(acc):.3f} | {kb:.1f} |")
PY
done
