"""A PyTorch Dataset/DataLoader over a `snpflow export` directory.

Batches are normalized with the fold's training statistics exactly as snpflow's own batcher does
(per-SNP lookup table, missing -> 0), so a model trained here sees the same inputs as one trained
by `snpflow train`:

    from snpflow_reader import SnpflowExport
    from torch_dataset import make_loader
    data = SnpflowExport("out/export")
    for x, y, idx in make_loader(data, fold=0, split="train", batch_size=138, seed=1):
        ...  # x: float32 (B, S); y: int64 (B,); idx: int64 sample indices (B,)

Run as a script to train a small linear classifier on one fold and print its test accuracy:
    /usr/bin/python3 torch_dataset.py EXPORT_DIR [--fold 0] [--epochs 20]
"""

import argparse
import os
import sys

import numpy as np
import torch
from torch.utils.data import BatchSampler, DataLoader, Dataset, RandomSampler, SequentialSampler

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from snpflow_reader import SnpflowExport  # noqa: E402


class SnpflowFoldDataset(Dataset):
    """The samples of one split ("train", "valid" or "test") of one fold, or explicit sample
    `indices`. Item i is (x float32 (S,), label int64, sample index int64). Indexing with a list
    of positions returns a whole batch at once (stacked), which is how make_loader uses it: one
    vectorized row read + table lookup per batch instead of one per sample."""

    def __init__(self, export, fold, split="train", indices=None):
        self.export = export
        self.fold = fold
        if indices is None:
            indices = export.fold_split(fold)[split]
        self.indices = np.asarray(indices, dtype=np.int64)
        self.lut = export.fold_lut(fold)

    def __len__(self):
        return int(self.indices.size)

    def __getitem__(self, position):
        single = np.isscalar(position) or isinstance(position, (int, np.integer))
        positions = np.asarray([position] if single else position, dtype=np.int64)
        idx = self.indices[positions]
        x = torch.from_numpy(self.export.normalized(idx, self.fold, lut=self.lut))
        y = torch.from_numpy(self.export.labels[idx].copy())
        s = torch.from_numpy(idx.copy())
        if single:
            return x[0], y[0], s[0]
        return x, y, s


def make_loader(export, fold, split="train", batch_size=138, shuffle=None, seed=0,
                indices=None, num_workers=0, drop_last=False):
    """Return a DataLoader yielding (x float32 (B, S), y int64 (B,), sample indices (B,)).

    shuffle defaults to True for "train"; the order is reproducible for a given seed (torch's
    generator, not snpflow's shuffle: use `indices` with shuffle=False to fix an exact order)."""
    dataset = SnpflowFoldDataset(export, fold, split, indices=indices)
    if shuffle is None:
        shuffle = split == "train" and indices is None
    if shuffle:
        generator = torch.Generator()
        generator.manual_seed(seed)
        base = RandomSampler(dataset, generator=generator)
    else:
        base = SequentialSampler(dataset)
    sampler = BatchSampler(base, batch_size=batch_size, drop_last=drop_last)
    # batch_size=None: the dataset already returns whole batches for the sampler's index lists.
    return DataLoader(dataset, sampler=sampler, batch_size=None, num_workers=num_workers)


def _accuracy(model, loader):
    correct = total = 0
    model.eval()
    with torch.no_grad():
        for x, y, _ in loader:
            correct += int((model(x).argmax(dim=1) == y).sum())
            total += int(y.numel())
    return correct / max(total, 1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("export_dir")
    parser.add_argument("--fold", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=138)
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    data = SnpflowExport(args.export_dir)
    train = make_loader(data, args.fold, "train", args.batch_size, seed=args.seed)
    valid = make_loader(data, args.fold, "valid", args.batch_size)
    test = make_loader(data, args.fold, "test", args.batch_size)
    model = torch.nn.Linear(data.num_snps, data.num_classes)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=1e-4)
    best = (-1.0, None)
    for epoch in range(args.epochs):
        model.train()
        for x, y, _ in train:
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
        valid_acc = _accuracy(model, valid)
        if valid_acc > best[0]:
            best = (valid_acc, {k: v.clone() for k, v in model.state_dict().items()})
    model.load_state_dict(best[1])
    print("fold %d: valid accuracy %.4f, test accuracy %.4f (chance %.4f)" % (
        args.fold, best[0], _accuracy(model, test), 1.0 / data.num_classes))


if __name__ == "__main__":
    main()
