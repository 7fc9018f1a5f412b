"""Check a `snpflow export` directory against reference values written by the C++ test.

usage: check_export.py EXPORT_DIR REF_DIR

REF_DIR holds raw little-endian arrays from snpflow's own store and statistics:
  meta.json            {"num_samples", "num_snps", "num_classes", "num_folds", "classes",
                        "batch_fold", "packed", "compression", "num_shards"}
  codes.u8             N x S codes from PackedStore::code()
  labels.i64, partitions.i64
  fold_<f>.mean.f4, fold_<f>.std.f4, fold_<f>.emb.f4, fold_<f>.lut.f4  (FoldStats, Lut())
  batch_indices.i64    sample indices of one batch
  batch.f4             StoreBatchSource's batch for those indices (fold batch_fold)
Exit status 0 and one "OK" line when everything matches; an AssertionError otherwise.
"""

import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "examples", "python"))

from snpflow_reader import SnpflowExport, load_npy, normalize_batch, unpack_codes  # noqa: E402


def raw(ref, name, dtype, shape):
    a = np.fromfile(os.path.join(ref, name), dtype=dtype)
    return a.reshape(shape)


def check_equal(what, got, want):
    got = np.asarray(got)
    want = np.asarray(want)
    assert got.shape == want.shape, "%s: shape %s, expected %s" % (what, got.shape, want.shape)
    if not np.array_equal(got, want):
        bad = np.argwhere(got != want)
        first = tuple(bad[0])
        raise AssertionError("%s: %d values differ; first at %s: %r != %r" % (
            what, len(bad), first, got[first], want[first]))


def main():
    export_dir, ref = sys.argv[1], sys.argv[2]
    with open(os.path.join(ref, "meta.json")) as f:
        meta = json.load(f)
    n, s, c, k = meta["num_samples"], meta["num_snps"], meta["num_classes"], meta["num_folds"]

    # The manifest describes what is on disk.
    with open(os.path.join(export_dir, "manifest.json")) as f:
        manifest = json.load(f)
    assert manifest["format"] == "snpflow-export"
    assert (manifest["num_samples"], manifest["num_snps"]) == (n, s), manifest
    assert (manifest["num_classes"], manifest["num_folds"]) == (c, k), manifest
    assert manifest["classes"] == meta["classes"]
    assert manifest["compression"] == meta["compression"]
    assert manifest["genotypes"]["layout"] == ("packed" if meta["packed"] else "codes")
    shards = manifest["genotypes"]["shards"]
    assert len(shards) == meta["num_shards"], shards
    width = (s + 3) // 4 if meta["packed"] else s
    for entry in manifest["files"]:
        path = os.path.join(export_dir, entry["name"])
        assert os.path.exists(path), "manifest lists missing file %s" % entry["name"]
        if "dtype" in entry:
            array = load_npy(path)  # plain .npy files load with mmap_mode="r" as-is
            if not path.endswith(".zst"):
                assert isinstance(array, np.memmap), "%s did not memory-map" % entry["name"]
            assert array.dtype == np.dtype(entry["dtype"]), (entry, array.dtype)
            assert list(array.shape) == entry["shape"], (entry, array.shape)

    # Genotypes: every shard loads on its own; together they are snpflow's store, row for row.
    ref_codes = raw(ref, "codes.u8", np.uint8, (n, s))
    first = 0
    for shard in shards:
        array = load_npy(os.path.join(export_dir, shard["file"]))
        assert array.dtype == np.uint8 and array.shape == (shard["num_samples"], width), shard
        assert shard["first_sample"] == first
        rows = ref_codes[first:first + shard["num_samples"]]
        if meta["packed"]:
            check_equal(shard["file"] + " (unpacked)", unpack_codes(array, s), rows)
            if s % 4:
                assert not np.any(array[:, -1] >> (2 * (s % 4))), "padding bits are not zero"
        else:
            check_equal(shard["file"], array, rows)
        first += shard["num_samples"]
    assert first == n

    data = SnpflowExport(export_dir)
    check_equal("reader codes", data.codes(np.arange(n)), ref_codes)
    check_equal("reader codes (reversed)", data.codes(np.arange(n)[::-1]), ref_codes[::-1])
    check_equal("labels", data.labels, raw(ref, "labels.i64", np.int64, (n,)))
    check_equal("partitions", data.partitions, raw(ref, "partitions.i64", np.int64, (n,)))
    assert data.labels.dtype == np.int64 and data.partitions.dtype == np.int64

    for fold in range(k):
        mean, std = data.fold_stats(fold)
        assert mean.dtype == np.float32 and std.dtype == np.float32
        check_equal("fold %d mean" % fold, mean,
                    raw(ref, "fold_%d.mean.f4" % fold, np.float32, (s,)))
        check_equal("fold %d std" % fold, std, raw(ref, "fold_%d.std.f4" % fold, np.float32, (s,)))
        check_equal("fold %d embedding" % fold, data.embedding(fold),
                    raw(ref, "fold_%d.emb.f4" % fold, np.float32, (s, 4 * c)))
        check_equal("fold %d LUT" % fold, data.fold_lut(fold),
                    raw(ref, "fold_%d.lut.f4" % fold, np.float32, (s, 4)))
        split = data.fold_split(fold)
        p = data.partitions
        check_equal("fold %d test" % fold, split["test"], np.flatnonzero(p == fold))
        check_equal("fold %d valid" % fold, split["valid"], np.flatnonzero(p == (fold + 1) % k))
        assert split["train"].size + split["valid"].size + split["test"].size == n
        assert not set(split["train"]) & (set(split["valid"]) | set(split["test"]))

    # A normalized batch from the PyTorch DataLoader equals snpflow's batcher output.
    fold = meta["batch_fold"]
    indices = raw(ref, "batch_indices.i64", np.int64, (-1,))
    want = raw(ref, "batch.f4", np.float32, (indices.size, s))
    import torch  # noqa: F401  (imported late: the checks above need numpy only)
    from torch_dataset import make_loader

    loader = make_loader(data, fold, indices=indices, batch_size=indices.size, shuffle=False)
    batches = list(loader)
    assert len(batches) == 1, len(batches)
    x, y, idx = batches[0]
    assert x.dtype == torch.float32 and tuple(x.shape) == (indices.size, s)
    check_equal("DataLoader batch vs snpflow batcher", x.numpy(), want)
    check_equal("DataLoader labels", y.numpy(), data.labels[indices])
    check_equal("DataLoader sample indices", idx.numpy(), indices)

    # normalize_batch from mean/std alone gives the same values, and missing codes map to 0.
    codes = data.codes(indices)
    mean, std = data.fold_stats(fold)
    x2 = normalize_batch(codes, mean, std)
    check_equal("normalize_batch", x2, want)
    assert np.all(x2[codes == 3] == 0), "missing codes must normalize to 0"

    # A shuffled training loader covers the training split exactly once per epoch.
    seen = np.concatenate([b[2].numpy() for b in make_loader(data, fold, "train", 16, seed=3)])
    check_equal("train epoch coverage", np.sort(seen), data.fold_split(fold)["train"])

    # Text files.
    with open(os.path.join(export_dir, "samples.tsv")) as f:
        lines = f.read().splitlines()
    assert lines[0] == "sample\tlabel\tpartition" and len(lines) == n + 1, lines[:2]
    assert [l.split("\t")[1] for l in lines[1:]] == [meta["classes"][i] for i in data.labels]
    with open(os.path.join(export_dir, "classes.txt")) as f:
        assert f.read().splitlines() == meta["classes"]
    with open(os.path.join(export_dir, "variants.tsv")) as f:
        lines = f.read().splitlines()
    assert lines[0] == "chrom\tpos\tid\tref\talt\tmaf\tmissing_rate" and len(lines) == s + 1
    missing = np.mean(ref_codes == 3, axis=0)
    got_missing = np.array([float(l.split("\t")[6]) for l in lines[1:]])
    assert np.allclose(got_missing, missing, atol=1e-5), "variants.tsv missing_rate"
    dosage = np.where(ref_codes == 3, 0, ref_codes).sum(axis=0)
    alt_freq = dosage / (2.0 * (ref_codes != 3).sum(axis=0))
    maf = np.minimum(alt_freq, 1 - alt_freq)
    got_maf = np.array([float(l.split("\t")[5]) for l in lines[1:]])
    assert np.allclose(got_maf, maf, atol=1e-5), "variants.tsv maf"

    print("OK %d samples x %d SNPs, %d folds, %d shard(s), layout %s, compression %s" % (
        n, s, k, len(shards), manifest["genotypes"]["layout"], manifest["compression"]))


if __name__ == "__main__":
    main()
