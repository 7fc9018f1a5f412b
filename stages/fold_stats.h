#pragma once
/// Per-fold statistics from the single-pass genotype counts: normalization (mean/std of the
/// additive code over the fold's training samples, missing excluded) and the histogram embedding.
#include <cstdint>
#include <string>
#include <vector>

#include "io/packed_store.h"
#include "pipeline/run_context.h"

namespace snpflow {

/// Counts per SNP x partition x class x genotype{0,1,2,missing}, from the ingest pass.
struct GenotypeCounts {
  size_t n_snps = 0;
  int folds = 0;
  size_t classes = 0;
  std::vector<uint16_t> data;  // n_snps * folds * classes * 4, C order

  size_t stride() const { return static_cast<size_t>(folds) * classes * 4; }
  const uint16_t* of(size_t snp) const { return data.data() + snp * stride(); }
};

/// One fold's train-only statistics.
struct FoldStats {
  int fold = 0;
  size_t n_snps = 0;
  size_t classes = 0;
  std::vector<float> mean;       // n_snps
  std::vector<float> std;        // n_snps; 1 where the SNP is constant in the training samples
  std::vector<float> embedding;  // n_snps x (4 * classes): count(j,c,g) / count(j,c,.)

  /// Return the unpacking table, n_snps x 4: (code - mean) / std, and 0 for missing.
  std::vector<float> Lut() const;
};

/// Sum the counts of fold `fold`'s training partitions (all but test = fold and valid = fold+1).
FoldStats ComputeFoldStats(const GenotypeCounts& counts, int fold);

/// An ingest output directory loaded back: everything a trainer or exporter needs.
struct Dataset {
  SampleTable samples;
  io::PackedStore store;
  GenotypeCounts counts;
};

/// Read store.snpf, samples.tsv, classes.txt and counts.npy from an ingest output directory.
/// Throws InputError/FormatError naming the file.
Dataset LoadDataset(const std::string& dir);

/// Write samples.tsv (sample, label, partition) and classes.txt atomically into `dir`.
void WriteSampleTable(const SampleTable& samples, const std::string& dir);

/// Write counts.npy, and fold_<f>/stats.npy (n_snps x 2: mean, std) and fold_<f>/embedding.npy
/// (n_snps x 4C) for every fold, into `dir`.
void WriteCountsAndFoldStats(const GenotypeCounts& counts, const std::string& dir);

}  // namespace snpflow
