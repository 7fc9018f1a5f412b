"""Check snpflow's naive-bayes or nearest-centroid predictions against an independent NumPy
computation on a `snpflow export` of the same ingest (same folds, train-only statistics).

    python3 check_baselines.py naive-bayes|nearest-centroid EXPORT_DIR PREDICTIONS.tsv FOLD [PRIOR]

Prints "ok N" (N test samples compared) or the first mismatch, exit status 1.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "examples", "python"))
from snpflow_reader import SnpflowExport, normalize_batch  # noqa: E402


def naive_bayes_log_likelihood(codes, labels, train, test, n_classes, prior):
    """Assignment test: per-class ALT frequency with `prior` added to each allele count, genotype
    log-likelihood under Hardy-Weinberg summed over called SNPs (binomial coefficient dropped)."""
    g = codes.astype(np.float64)
    called = codes != 3
    s = codes.shape[1]
    freq = np.zeros((n_classes, s))
    present = np.zeros(n_classes, dtype=bool)
    for c in range(n_classes):
        rows = train[labels[train] == c]
        present[c] = rows.size > 0
        alt = np.where(called[rows], g[rows], 0).sum(axis=0)
        n_alleles = 2 * called[rows].sum(axis=0)
        freq[c] = (alt + prior) / (n_alleles + 2 * prior)
    gt = np.where(called[test], g[test], 0.0)
    mask = called[test].astype(np.float64)
    ll = gt @ np.log(freq).T + (2 * mask - gt) @ np.log1p(-freq).T  # test x classes
    return ll, present


def nearest_centroid_scores(x, labels, train, test, n_classes):
    present = np.zeros(n_classes, dtype=bool)
    centroids = np.zeros((n_classes, x.shape[1]))
    for c in range(n_classes):
        rows = train[labels[train] == c]
        present[c] = rows.size > 0
        if rows.size:
            centroids[c] = x[rows].astype(np.float64).mean(axis=0)
    d = np.sqrt(((x[test][:, None, :].astype(np.float64) - centroids[None]) ** 2).sum(axis=2))
    return -d, present


def main():
    kind, export_dir, predictions, fold = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    prior = float(sys.argv[5]) if len(sys.argv) > 5 else 0.5
    data = SnpflowExport(export_dir)
    split = data.fold_split(fold)
    train, test = split["train"], split["test"]
    labels = np.asarray(data.labels)
    n = labels.size
    codes = np.asarray(data.codes(np.arange(n)))
    n_classes = len(data.classes)
    if kind == "naive-bayes":
        z, present = naive_bayes_log_likelihood(codes, labels, train, test, n_classes, prior)
    else:
        mean, std = data.fold_stats(fold)
        x = normalize_batch(codes, mean, std)
        z, present = nearest_centroid_scores(x, labels, train, test, n_classes)
    z = np.where(present[None, :], z, -np.inf)
    predicted = z.argmax(axis=1)
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)

    with open(os.path.join(export_dir, "samples.tsv")) as f:
        ids = [line.split("\t")[0] for line in f.read().splitlines()[1:]]
    index = {s: i for i, s in enumerate(ids)}
    position = {int(t): k for k, t in enumerate(test)}
    compared = 0
    with open(predictions) as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            row = line.rstrip("\n").split("\t")
            if int(row[1]) != fold:
                continue
            k = position[index[row[0]]]
            want = data.classes[predicted[k]]
            if row[3] != want:
                print("mismatch: sample %s predicted %s by snpflow, %s by numpy"
                      % (row[0], row[3], want))
                return 1
            got = np.array([float(v) for v in row[4:]])
            if not np.allclose(got, p[k], atol=2e-4):
                print("mismatch: sample %s probabilities %s vs %s" % (row[0], got[:5], p[k][:5]))
                return 1
            compared += 1
    if compared != test.size:
        print("compared %d rows, fold %d has %d test samples" % (compared, fold, test.size))
        return 1
    print("ok %d" % compared)
    return 0


if __name__ == "__main__":
    sys.exit(main())
