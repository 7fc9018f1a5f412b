"""Independent baselines on a `snpflow export`, on the same folds as `snpflow train`:
scikit-learn's LogisticRegression (L2, C chosen on the validation partition from the grid that
matches snpflow linear's lambdas: C = 1 / (lambda * n_train)), scikit-learn's NearestCentroid on
the same train-only standardized genotypes, and naive Bayes (assignment test) in a few NumPy lines.

    /usr/bin/python3 bench/baselines_sklearn.py EXPORT_DIR [--lambdas 1,0.1,0.01,0.001,0.0001]

Prints one JSON line: {"sklearn-logreg": [acc per fold], "sklearn-centroid": [...],
"numpy-naive-bayes": [...]}.
"""
import argparse
import json
import os
import sys
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import NearestCentroid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples",
                                "python"))
from snpflow_reader import SnpflowExport, normalize_batch  # noqa: E402


def naive_bayes(codes, labels, train, test, n_classes, prior=0.5):
    g = codes.astype(np.float64)
    called = codes != 3
    freq = np.full((n_classes, codes.shape[1]), 0.5)
    present = np.zeros(n_classes, dtype=bool)
    for c in range(n_classes):
        rows = train[labels[train] == c]
        present[c] = rows.size > 0
        alt = np.where(called[rows], g[rows], 0).sum(axis=0)
        freq[c] = (alt + prior) / (2 * called[rows].sum(axis=0) + 2 * prior)
    gt = np.where(called[test], g[test], 0.0)
    ll = gt @ np.log(freq).T + (2 * called[test] - gt) @ np.log1p(-freq).T
    ll[:, ~present] = -np.inf
    return ll.argmax(axis=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("export_dir")
    ap.add_argument("--lambdas", default="1,0.1,0.01,0.001,0.0001")
    ap.add_argument("--max-iter", type=int, default=300)
    args = ap.parse_args()
    lambdas = sorted((float(v) for v in args.lambdas.split(",")), reverse=True)
    data = SnpflowExport(args.export_dir)
    labels = np.asarray(data.labels)
    codes = np.asarray(data.codes(np.arange(labels.size)))
    out = {"sklearn-logreg": [], "sklearn-centroid": [], "numpy-naive-bayes": [],
           "sklearn-logreg-C": []}
    for fold in range(data.num_folds):
        split = data.fold_split(fold)
        train, valid, test = split["train"], split["valid"], split["test"]
        mean, std = data.fold_stats(fold)
        x = normalize_batch(codes, mean, std)
        best = None
        model = LogisticRegression(penalty="l2", solver="lbfgs", max_iter=args.max_iter,
                                   warm_start=True)
        for lam in lambdas:  # largest penalty first, warm-started like snpflow's linear
            model.set_params(C=1.0 / (lam * train.size))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(x[train], labels[train])
            acc = float((model.predict(x[valid]) == labels[valid]).mean())
            if best is None or acc > best[0]:
                best = (acc, float((model.predict(x[test]) == labels[test]).mean()), lam)
        out["sklearn-logreg"].append(best[1])
        out["sklearn-logreg-C"].append(1.0 / (best[2] * train.size))
        nc = NearestCentroid().fit(x[train], labels[train])
        out["sklearn-centroid"].append(float((nc.predict(x[test]) == labels[test]).mean()))
        pred = naive_bayes(codes, labels, train, test, len(data.classes))
        out["numpy-naive-bayes"].append(float((pred == labels[test]).mean()))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
