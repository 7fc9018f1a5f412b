#!/usr/bin/env bash
# The analogue of Romero et al. 2017's Table 1 on a simulated 1000 Genomes-like set: test
# misclassification (%) mean +- std over the 5 folds and free parameters, for each Diet Network
# embedding (paper setting: no linear path, no cross-fitting, no prior, early stopping on the
# validation loss) without and with the reconstruction decoder, snpflow's default dietnet, the
# basic MLP, and PCA(10/50/100) + logistic regression (scikit-learn on `snpflow export`, C chosen
# on the validation partition), all on the same folds; the paper's 1000 Genomes figures alongside.
#   bash bench/paper_table.sh BUILD_DIR
#   SAMPLES=1300 SNPS=8000 FST_POP=0.005 JOBS=4 bash bench/paper_table.sh build   (bigger)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
SNPFLOW=$(realpath "${1:-build}/snpflow")
PY=${PY:-/usr/bin/python3}
SAMPLES=${SAMPLES:-600}
SNPS=${SNPS:-2000}
FST_POP=${FST_POP:-0.01}
SEED=${SEED:-4242}
EPOCHS=${EPOCHS:-100}
PATIENCE=${PATIENCE:-10}
GAMMA=${GAMMA:-1}      # reconstruction loss weight of the "+ reconstruction" rows
JOBS=${JOBS:-2}        # trainings in parallel (each with --threads 1)
WORK=${WORK:-/tmp/snpflow-paper-table-$SAMPLES-$SNPS-$FST_POP-$SEED}
mkdir -p "$WORK"
cd "$WORK"

if [ ! -s sim.bcf ]; then
  echo "simulating $SAMPLES x $SNPS (--fst-pop $FST_POP, seed $SEED) ..." >&2
  "$SNPFLOW" simulate --samples "$SAMPLES" --snps "$SNPS" --fst-pop "$FST_POP" --seed "$SEED" \
    -O b -o sim.bcf -q
fi
[ -s ingest/ingest.json ] || "$SNPFLOW" ingest sim.bcf --labels sim.panel -o ingest --maf 0.01 -q
[ -s export/manifest.json ] || "$SNPFLOW" export --data ingest -o export -q >/dev/null

# The paper's setting: no linear path, no cross-fitting, no shrinkage, early stopping on the loss.
PAPER="--train.linear-path false --train.cross-fit false --train.prior 0 --train.monitor valid-loss"
COMMON="--train.epochs $EPOCHS --train.patience $PATIENCE"
# row name | trainer options
ROWS=$(cat <<ROWS_END
mlp|--model mlp
raw|--model dietnet --train.embedding raw $PAPER
raw+rec|--model dietnet --train.embedding raw $PAPER --train.gamma $GAMMA
random|--model dietnet --train.embedding random $PAPER
random+rec|--model dietnet --train.embedding random $PAPER --train.gamma $GAMMA
snp2vec|--model dietnet --train.embedding snp2vec $PAPER
snp2vec+rec|--model dietnet --train.embedding snp2vec $PAPER --train.gamma $GAMMA
histogram|--model dietnet --train.embedding histogram $PAPER
histogram+rec|--model dietnet --train.embedding histogram $PAPER --train.gamma $GAMMA
default|--model dietnet
default+rec|--model dietnet --train.gamma $GAMMA
ROWS_END
)
echo "$ROWS" | while IFS='|' read -r name opts; do echo "$name $opts $COMMON"; done |
  xargs -P "$JOBS" -L 1 bash -c '
    [ -s "runs/$0/summary.json" ] && exit 0
    "'"$SNPFLOW"'" train --data ingest -o "runs/$0" --threads 1 -q "$@" >"runs-$0.log" 2>&1 ||
      { echo "$0 failed:" >&2; tail -5 "runs-$0.log" >&2; }'
[ -s pca.jsonl ] || "$PY" "$ROOT/bench/baselines.py" export --methods pca10,pca50,pca100 > pca.jsonl

"$PY" - "$WORK" "$ROWS" <<'PY'
import json, os, sys
work, rows = sys.argv[1], sys.argv[2]
labels = {
    "mlp": ("Basic MLP", "8.31 +- 1.83"),
    "raw": ("Raw end2end", None), "raw+rec": ("Raw end2end + reconstruction", None),
    "random": ("Random projection", None),
    "random+rec": ("Random projection + reconstruction", None),
    "snp2vec": ("SNP2Vec", None), "snp2vec+rec": ("SNP2Vec + reconstruction", None),
    "histogram": ("Per class histograms", "7.88 +- 1.40"),
    "histogram+rec": ("Per class histograms + reconstruction", "7.44 +- 0.45"),
    "default": ("snpflow dietnet defaults (cross-fitted, naive-Bayes path)", None),
    "default+rec": ("snpflow dietnet defaults + reconstruction", None),
}

print("%-58s %16s %12s %16s" % ("model", "misclass. %", "params", "paper (1000G) %"))
for line in rows.splitlines():
    name = line.split("|")[0]
    path = os.path.join(work, "runs", name, "summary.json")
    label, paper = labels[name]
    if not os.path.exists(path):
        print("%-58s %16s" % (label, "failed"))
        continue
    s = json.load(open(path))
    print("%-58s %7.2f +- %5.2f %12d %16s" % (label, 100 * s["mean_test_error"],
                                            100 * s["std_test_error"], s["n_params"], paper or "-"))
paper_pca = {"pca100": "10.52 +- 0.25"}
for line in open(os.path.join(work, "pca.jsonl")):
    r = json.loads(line)
    err = [100 * (1 - a) for a in r["accuracies"]]
    mean = sum(err) / len(err)
    std = (sum((e - mean) ** 2 for e in err) / (len(err) - 1)) ** 0.5
    print("%-58s %7.2f +- %5.2f %12d %16s" % ("PCA(%s) + logistic regression" % r["method"][3:],
                                            mean, std, r["params"],
                                            paper_pca.get(r["method"], "-")))
PY
n=$("$PY" -c 'import json,sys; s=json.load(open(sys.argv[1])); print(s["n_samples"], s["n_snps"], s["n_classes"])' "$WORK/runs/mlp/summary.json")
echo "# simulated: samples/SNPs/classes = $n (--fst-pop $FST_POP, seed $SEED); 5 folds; at most $EPOCHS epochs, patience $PATIENCE; reconstruction gamma $GAMMA; $WORK"
