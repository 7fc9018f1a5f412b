"""Naive Bayes with the shrinkage prior of snpflow dietnet (--train.prior) on a `snpflow export`:
per-class ALT frequencies (alt + 0.5 + 2 prior pbar) / (called + 1 + 2 prior), pbar the all-class
frequency, as stages/train/snp_features.cc's AlleleFrequencies. Prints validation/test accuracy
per fold and prior: how much the pseudo-count helps when classes have few training samples.

    /usr/bin/python3 bench/nb_prior_sweep.py EXPORT_DIR [--folds 0,1] [--priors 0,1,3,10,30,100]
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples",
                                "python"))
from snpflow_reader import SnpflowExport  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("export_dir")
    ap.add_argument("--folds", default="0,1")
    ap.add_argument("--priors", default="0,1,3,10,30,100")
    args = ap.parse_args()
    data = SnpflowExport(args.export_dir)
    labels = np.asarray(data.labels)
    codes = np.asarray(data.codes(np.arange(labels.size)))
    n_classes = len(data.classes)
    called = codes != 3
    g = np.where(called, codes, 0).astype(np.float64)

    def predict(train, rows, prior):
        alt = np.zeros((n_classes, codes.shape[1]))
        n = np.zeros((n_classes, codes.shape[1]))
        for c in range(n_classes):
            r = train[labels[train] == c]
            alt[c] = g[r].sum(0)
            n[c] = 2 * called[r].sum(0)
        pbar = (alt.sum(0) + 0.5) / (n.sum(0) + 1)
        f = (alt + 0.5 + 2 * prior * pbar) / (n + 1 + 2 * prior)
        ll = g[rows] @ np.log(f).T + (2 * called[rows] - g[rows]) @ np.log1p(-f).T
        return ll.argmax(1)

    for fold in (int(f) for f in args.folds.split(",")):
        split = data.fold_split(fold)
        train, valid, test = split["train"], split["valid"], split["test"]
        cells = []
        for prior in (float(p) for p in args.priors.split(",")):
            va = (predict(train, valid, prior) == labels[valid]).mean()
            te = (predict(train, test, prior) == labels[test]).mean()
            cells.append("prior %g %.3f/%.3f" % (prior, va, te))
        print("fold %d  %s" % (fold, "  ".join(cells)))


if __name__ == "__main__":
    main()
