#!/usr/bin/env bash
# Measure each anti-overfitting idea for dietnet on the same 5 folds of one ingest: one change at
# a time on top of the paper's setting (lr 1e-3, dropout 0.5/0.5, histogram embedding, early
# stopping on the validation loss, 100 epochs, patience 10), then the shipped defaults and the MLPs.
#   bash bench/dietnet_ideas.sh BUILD_DIR INGEST_DIR OUT_DIR      (JOBS=3 runs in parallel)
#   IDEAS="old linear-cross" bash bench/dietnet_ideas.sh ...      (a subset)
# Prints: idea, mean +- std test accuracy over the folds, per-fold accuracies, epochs run.
set -euo pipefail
BUILD=$(realpath "${1:?BUILD_DIR}")
DATA=$(realpath "${2:?INGEST_DIR}")
OUT=${3:?OUT_DIR}
JOBS=${JOBS:-3}
mkdir -p "$OUT"
OUT=$(realpath "$OUT")
# The paper's setting as option=value pairs; paper KEY=VALUE... prints it with those replaced
# (Boost.Program_options refuses an option given twice).
PAPER="epochs=100 patience=10 lr=0.001 dropout1=0.5 dropout2=0.5 embedding=histogram prior=0
       cross-fit=false linear-path=false monitor=valid-loss max-norm=0 aux-activation=relu
       normalize-embedding=false"
paper() {
  declare -A kv=()
  local pair
  for pair in $PAPER "$@"; do kv[${pair%%=*}]=${pair#*=}; done
  printf -- "--model dietnet"
  for k in "${!kv[@]}"; do printf -- " --train.%s %s" "$k" "${kv[$k]}"; done
}
declare -A IDEA=(
  [old]="$(paper)"
  [lr3-drop0]="$(paper lr=0.003 dropout1=0 dropout2=0)"
  [prior10]="$(paper prior=10)"
  [cross-fit]="$(paper cross-fit=true)"
  [max-norm1]="$(paper max-norm=1)"
  [tanh-aux]="$(paper aux-activation=tanh)"
  [unit-norm]="$(paper normalize-embedding=true)"
  [log-freq]="$(paper embedding=log-freq)"
  [monitor-acc]="$(paper monitor=valid-accuracy)"
  [linear]="$(paper linear-path=true)"
  [linear-cross]="$(paper linear-path=true cross-fit=true)"
  [defaults]="--model dietnet"
  [mlp]="--model mlp"
  [mlp-improved]="--model mlp-improved"
  [mlp-improved-0.8]="--model mlp-improved --train.dropout1 0.8"
  [mlp-improved-0.2]="--model mlp-improved --train.dropout1 0.2"
)
IDEAS=${IDEAS:-"old lr3-drop0 prior10 cross-fit max-norm1 tanh-aux unit-norm log-freq monitor-acc
               linear linear-cross defaults mlp mlp-improved"}
for name in $IDEAS; do
  [ -n "${IDEA[$name]+x}" ] || { echo "unknown idea $name" >&2; exit 2; }
  echo "$name" ${IDEA[$name]}  # unquoted: one line, single spaces, no trailing blank
done | xargs -P "$JOBS" -L 1 bash -c '
  name=$0
  "'"$BUILD"'/snpflow" train --data "'"$DATA"'" -o "'"$OUT"'/$name" --threads 1 -q "$@" \
    >"'"$OUT"'/$name.log" 2>&1 || { echo "$name failed" >&2; tail "'"$OUT"'/$name.log" >&2; }'
for name in $IDEAS; do
  /usr/bin/python3 - "$OUT/$name/summary.json" "$name" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
acc = [f["test_accuracy"] for f in s["folds"]]
print("%-13s %.4f +- %.4f  [%s]  epochs %s  params %d" % (
    sys.argv[2], s["mean_test_accuracy"], s["std_test_accuracy"],
    " ".join("%.3f" % a for a in acc), "/".join(str(f["epochs"]) for f in s["folds"]),
    s["n_params"]))
PY
done
