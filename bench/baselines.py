"""Independent baselines on a `snpflow export`, on snpflow's folds (test = partition f, valid =
f+1 mod K, train = the rest) and its train-only normalization:

  logreg       L2 logistic regression (scikit-learn), C chosen on the validation partition
  centroid     nearest centroid (Euclidean, normalized genotypes)
  naive-bayes  per-class allele frequencies, pseudo-count 0.5, Hardy-Weinberg likelihood
  pca<K>       PCA(K) fitted on the training samples + logistic regression (C chosen on valid)

Prints one JSON line per method: {"method", "accuracies" (per fold), "mean", "std", "params"}.

    /usr/bin/python3 bench/baselines.py EXPORT_DIR [--methods logreg,centroid,naive-bayes,pca10]
"""

import argparse
import json
import os
import sys
import warnings

import numpy as np
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples",
                                "python"))
from snpflow_reader import SnpflowExport, MISSING  # noqa: E402

C_GRID = (1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0)


def logreg_on_valid(xtr, ytr, xva, yva, xte):
    """Fit L2 logistic regression for each C of C_GRID; keep the best on valid (ties: smaller C).
    Return (test predictions, chosen C, parameter count)."""
    best = None
    for c in C_GRID:
        model = LogisticRegression(C=c, max_iter=500)
        model.fit(xtr, ytr)
        acc = float(np.mean(model.predict(xva) == yva))
        if best is None or acc > best[0]:
            best = (acc, c, model)
    model = best[2]
    return model.predict(xte), best[1], int(model.coef_.size + model.intercept_.size)


def naive_bayes(codes_tr, ytr, codes_te, classes, prior=0.5):
    """The population-genetics assignment test: allele frequency per class with a pseudo-count,
    genotype likelihood under Hardy-Weinberg, missing genotypes skipped."""
    s = codes_tr.shape[1]
    alt = np.zeros((classes, s))
    called = np.zeros((classes, s))
    for c in range(classes):
        g = codes_tr[ytr == c]
        ok = g != MISSING
        alt[c] = np.where(ok, g, 0).sum(0)
        called[c] = 2 * ok.sum(0)
    p = (alt + prior) / (called + 2 * prior)
    lp, lq = np.log(p), np.log1p(-p)
    ok = codes_te != MISSING
    d = np.where(ok, codes_te, 0).astype(np.float64)
    n = ok.astype(np.float64)
    scores = d @ lp.T + (2 * n - d) @ lq.T
    return scores.argmax(1)


def run(export_dir, methods):
    data = SnpflowExport(export_dir)
    results = {m: [] for m in methods}
    params = {}
    chosen = {m: [] for m in methods}
    for fold in range(data.num_folds):
        split = data.fold_split(fold)
        tr, va, te = split["train"], split["valid"], split["test"]
        lut = data.fold_lut(fold)
        x = {k: data.normalized(v, fold, lut=lut) for k, v in split.items()}
        y = {k: data.labels[v] for k, v in split.items()}
        for m in methods:
            if m == "logreg":
                pred, c, params[m] = logreg_on_valid(x["train"], y["train"], x["valid"], y["valid"],
                                                     x["test"])
                chosen[m].append(c)
            elif m == "centroid":
                cent = np.stack([x["train"][y["train"] == c].mean(0)
                                 for c in range(data.num_classes)])
                d = ((x["test"][:, None, :] - cent[None]) ** 2).sum(-1)
                pred = d.argmin(1)
                params[m] = int(cent.size)
            elif m == "naive-bayes":
                pred = naive_bayes(data.codes(tr), y["train"], data.codes(te), data.num_classes)
                params[m] = 2 * data.num_snps * data.num_classes
            elif m.startswith("pca"):
                k = int(m[3:])
                pca = PCA(n_components=min(k, tr.size, data.num_snps), random_state=0)
                ztr = pca.fit_transform(x["train"])
                pred, c, p = logreg_on_valid(ztr, y["train"], pca.transform(x["valid"]), y["valid"],
                                             pca.transform(x["test"]))
                chosen[m].append(c)
                params[m] = p
            else:
                raise SystemExit("unknown method " + m)
            results[m].append(float(np.mean(pred == y["test"])))
    for m in methods:
        acc = np.array(results[m])
        print(json.dumps({"method": m, "accuracies": results[m], "mean": float(acc.mean()),
                          "std": float(acc.std(ddof=1)) if acc.size > 1 else 0.0,
                          "params": params[m], "chosen_c": chosen[m]}))
        sys.stdout.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export_dir")
    parser.add_argument("--methods", default="logreg,centroid,naive-bayes")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # lbfgs convergence notes at large C; the result is used as is
    run(args.export_dir, args.methods.split(","))


if __name__ == "__main__":
    main()
