"""Read a `snpflow export` directory with NumPy only (docs/export.md describes the format).

    from snpflow_reader import SnpflowExport, normalize_batch
    data = SnpflowExport("out/export")
    split = data.fold_split(0)                  # {"train": idx, "valid": idx, "test": idx}
    mean, std = data.fold_stats(0)              # float32 (S,), train samples of fold 0 only
    codes = data.codes(split["test"][:32])      # uint8 (32, S), codes 0..3
    x = normalize_batch(codes, mean, std)       # float32 (32, S), missing -> 0

Plain .npy files are memory-mapped (numpy.load(mmap_mode="r")), so only the rows you ask for
are read. Compressed exports (.npy.zst) need python3-zstandard and are decompressed into memory
on first use, one shard at a time.
"""

import io
import json
import os

import numpy as np

MISSING = 3
"""Genotype code of a missing call (0 hom-ref, 1 het, 2 hom-alt)."""

SUPPORTED_FORMAT_VERSION = 1


def load_npy(path, mmap=True):
    """Load a .npy (memory-mapped when mmap) or a .npy.zst (decompressed into memory)."""
    if path.endswith(".zst"):
        try:
            import zstandard
        except ImportError as e:  # pragma: no cover - depends on the system
            raise ImportError(
                "%s is zstd-compressed: install python3-zstandard (apt) or zstandard (pip)" % path
            ) from e
        with open(path, "rb") as f:
            raw = zstandard.ZstdDecompressor().stream_reader(f).read()
        return np.load(io.BytesIO(raw), allow_pickle=False)
    return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)


def unpack_codes(packed, n_snps):
    """Unpack 2-bit packed rows (uint8, ... x ceil(S/4)) into codes (uint8, ... x S).

    SNP j of a row is in byte j // 4 at bits 2*(j % 4)..2*(j % 4)+1, low bits first.
    """
    packed = np.asarray(packed, dtype=np.uint8)
    shifts = np.array([0, 2, 4, 6], dtype=np.uint8)
    codes = (packed[..., :, None] >> shifts) & 3
    codes = codes.reshape(packed.shape[:-1] + (packed.shape[-1] * 4,))
    return np.ascontiguousarray(codes[..., :n_snps])


def normalization_lut(mean, std):
    """Return the per-SNP lookup table (S x 4, float32): (code - mean) / std, and 0 for missing.

    Computed in float32 exactly as snpflow's FoldStats::Lut(), so values are bit-identical.
    """
    mean = np.asarray(mean, dtype=np.float32)
    std = np.asarray(std, dtype=np.float32)
    lut = np.zeros((mean.shape[0], 4), dtype=np.float32)
    for g in range(3):
        lut[:, g] = (np.float32(g) - mean) / std
    return lut


def normalize_batch(codes, mean, std, lut=None):
    """Map codes (B x S uint8) to float32 (code - mean) / std per SNP, missing (3) -> 0.

    Pass a precomputed `lut` (normalization_lut(mean, std)) to avoid rebuilding it per batch.
    """
    if lut is None:
        lut = normalization_lut(mean, std)
    codes = np.asarray(codes)
    columns = np.arange(codes.shape[-1])
    return lut[columns, codes.astype(np.intp)]


class SnpflowExport:
    """A `snpflow export` directory: manifest, genotypes (possibly sharded/packed/compressed),
    labels, partitions, per-fold statistics and embedding."""

    def __init__(self, directory, mmap=True):
        self.directory = directory
        self.mmap = mmap
        with open(os.path.join(directory, "manifest.json")) as f:
            self.manifest = json.load(f)
        m = self.manifest
        if m.get("format") != "snpflow-export":
            raise ValueError("%s/manifest.json is not a snpflow export" % directory)
        if m.get("format_version", 0) > SUPPORTED_FORMAT_VERSION:
            raise ValueError(
                "%s was written with export format %s; this reader knows %d: "
                "update snpflow_reader.py" % (directory, m.get("format_version"),
                                              SUPPORTED_FORMAT_VERSION)
            )
        self.num_samples = m["num_samples"]
        self.num_snps = m["num_snps"]
        self.num_classes = m["num_classes"]
        self.num_folds = m["num_folds"]
        self.classes = list(m["classes"])
        self.packed = m["genotypes"]["layout"] == "packed"
        self._ext = ".npy.zst" if m["compression"] == "zstd" else ".npy"
        self._shards = m["genotypes"]["shards"]
        self._starts = np.array([s["first_sample"] for s in self._shards], dtype=np.int64)
        self._cache = {}
        self._zst_shard = None
        self.labels = np.asarray(self._load("labels" + self._ext), dtype=np.int64)
        self.partitions = np.asarray(self._load("partitions" + self._ext), dtype=np.int64)

    def _load(self, name):
        if name not in self._cache:
            self._cache[name] = load_npy(os.path.join(self.directory, name), self.mmap)
        return self._cache[name]

    def fold_split(self, fold):
        """Return {"train", "valid", "test"} sample indices (sorted int64) of fold `fold`:
        test = partition fold, valid = partition (fold + 1) mod K, train = the rest."""
        if not 0 <= fold < self.num_folds:
            raise ValueError("fold %d is out of range 0..%d" % (fold, self.num_folds - 1))
        p = self.partitions
        test = p == fold
        valid = p == (fold + 1) % self.num_folds
        train = ~(test | valid)
        return {
            "train": np.flatnonzero(train).astype(np.int64),
            "valid": np.flatnonzero(valid).astype(np.int64),
            "test": np.flatnonzero(test).astype(np.int64),
        }

    def fold_stats(self, fold):
        """Return (mean, std), float32 arrays of S, over fold `fold`'s training samples."""
        d = "fold_%d/" % fold
        return (np.asarray(self._load(d + "mean" + self._ext)),
                np.asarray(self._load(d + "std" + self._ext)))

    def fold_lut(self, fold):
        """Return the S x 4 float32 normalization table of fold `fold`."""
        return normalization_lut(*self.fold_stats(fold))

    def embedding(self, fold):
        """Return fold `fold`'s histogram embedding, float32 S x 4C:
        embedding[j, 4*c + g] = P(genotype g | class c) at SNP j over the training samples."""
        return np.asarray(self._load("fold_%d/embedding%s" % (fold, self._ext)))

    def genotype_shard(self, shard):
        """Return shard `shard`'s raw genotype array (codes, or packed bytes when packed).

        Memory-mapped shards are kept open; a compressed shard is decompressed into memory and
        only the most recently used one is kept."""
        name = self._shards[shard]["file"]
        if not name.endswith(".zst"):
            return self._load(name)
        if self._zst_shard is None or self._zst_shard[0] != shard:
            self._zst_shard = None  # free the previous shard before decompressing the next
            self._zst_shard = (shard, load_npy(os.path.join(self.directory, name)))
        return self._zst_shard[1]

    def codes(self, indices):
        """Return the genotype codes (uint8, len(indices) x S) of the given sample indices, in
        the given order. Reads only those rows (from mmapped shards)."""
        indices = np.asarray(indices, dtype=np.int64).reshape(-1)
        if indices.size and (indices.min() < 0 or indices.max() >= self.num_samples):
            raise IndexError("sample index out of range 0..%d" % (self.num_samples - 1))
        width = (self.num_snps + 3) // 4 if self.packed else self.num_snps
        rows = np.empty((indices.size, width), dtype=np.uint8)
        shard_of = np.searchsorted(self._starts, indices, side="right") - 1
        for shard in np.unique(shard_of):
            where = np.flatnonzero(shard_of == shard)
            local = indices[where] - self._starts[shard]
            rows[where] = self.genotype_shard(int(shard))[local]
        if self.packed:
            return unpack_codes(rows, self.num_snps)
        return rows

    def normalized(self, indices, fold, lut=None):
        """Return float32 normalized genotypes (len(indices) x S) for fold `fold`'s statistics."""
        if lut is None:
            lut = self.fold_lut(fold)
        return normalize_batch(self.codes(indices), None, None, lut=lut)

    def iter_batches(self, indices, fold, batch_size=256):
        """Yield (x float32 B x S, y int64 B, indices) over `indices` in order, batch by batch."""
        lut = self.fold_lut(fold)
        indices = np.asarray(indices, dtype=np.int64)
        for start in range(0, indices.size, batch_size):
            idx = indices[start:start + batch_size]
            yield self.normalized(idx, fold, lut=lut), self.labels[idx], idx


if __name__ == "__main__":
    import sys

    if len(sys.argv) != 2:
        sys.exit("usage: snpflow_reader.py EXPORT_DIR")
    data = SnpflowExport(sys.argv[1])
    print("%d samples x %d SNPs, %d classes, %d folds (%s%s)" % (
        data.num_samples, data.num_snps, data.num_classes, data.num_folds,
        "packed" if data.packed else "codes", ", zstd" if data._ext.endswith("zst") else ""))
    for fold in range(data.num_folds):
        split = data.fold_split(fold)
        print("fold %d: %d train, %d valid, %d test" % (
            fold, split["train"].size, split["valid"].size, split["test"].size))
