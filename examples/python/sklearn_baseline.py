"""A scikit-learn baseline on a `snpflow export`: PCA + logistic regression on one fold's split.

Uses the same folds (test = partition f, valid = f+1 mod K, train = the rest) and the same
train-only normalization as snpflow, so its accuracy is comparable with `snpflow train`. PCA is
an IncrementalPCA fitted batch by batch on the training samples, so the genotype matrix is never
loaded as a dense float array; only the N x n_components projection is.

    /usr/bin/python3 sklearn_baseline.py EXPORT_DIR [--fold 0] [--components 20] [--json]
"""

import argparse
import json
import os
import sys
import time

import numpy as np
from sklearn.decomposition import IncrementalPCA
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from snpflow_reader import SnpflowExport  # noqa: E402


def project(data, pca, indices, fold, batch_size):
    parts = [pca.transform(x) for x, _, _ in data.iter_batches(indices, fold, batch_size)]
    return np.concatenate(parts) if parts else np.zeros((0, pca.n_components_))


def run(export_dir, fold=0, components=20, batch_size=512, c=1.0):
    """Fit PCA + logistic regression on fold `fold`'s training samples; return a result dict."""
    start = time.time()
    data = SnpflowExport(export_dir)
    split = data.fold_split(fold)
    train = split["train"]
    components = max(1, min(components, train.size, data.num_snps))
    # IncrementalPCA needs every partial_fit batch to hold at least n_components rows.
    batch_size = max(batch_size, components)
    pca = IncrementalPCA(n_components=components)
    starts = list(range(0, train.size, batch_size))
    if len(starts) > 1 and train.size - starts[-1] < components:
        starts.pop()  # merge a too-short last batch into the one before it
    ends = starts[1:] + [train.size]
    for begin, end in zip(starts, ends):
        pca.partial_fit(data.normalized(train[begin:end], fold))
    classifier = LogisticRegression(C=c, max_iter=2000)
    classifier.fit(project(data, pca, train, fold, batch_size), data.labels[train])
    result = {"fold": fold, "components": components, "chance": 1.0 / data.num_classes}
    for name in ("train", "valid", "test"):
        idx = split[name]
        if idx.size == 0:
            result[name + "_accuracy"] = float("nan")
            continue
        predicted = classifier.predict(project(data, pca, idx, fold, batch_size))
        result[name + "_accuracy"] = float(np.mean(predicted == data.labels[idx]))
    result["seconds"] = time.time() - start
    return result


def main():
    parser = argparse.ArgumentParser(description="PCA + logistic regression on a snpflow export")
    parser.add_argument("export_dir")
    parser.add_argument("--fold", type=int, default=0)
    parser.add_argument("--components", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--json", action="store_true", help="print the result as one JSON line")
    args = parser.parse_args()
    result = run(args.export_dir, args.fold, args.components, args.batch_size)
    if args.json:
        print(json.dumps(result))
    else:
        print("fold %d: PCA(%d) + logistic regression: test accuracy %.4f (valid %.4f, train %.4f, "
              "chance %.4f), %.1f s" % (result["fold"], result["components"],
                                        result["test_accuracy"], result["valid_accuracy"],
                                        result["train_accuracy"], result["chance"],
                                        result["seconds"]))


if __name__ == "__main__":
    main()
