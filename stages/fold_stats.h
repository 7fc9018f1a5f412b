#pragma once
/// Per-fold statistics from the single-pass genotype counts: normalization (mean/std of the
/// additive code over the fold's training samples, missing excluded) and the histogram embedding.
#include <cstdint>
#include <string>
#include <vector>

#include "io/dataset.h"
#include "io/genotype_counts.h"
#include "pipeline/run_context.h"

namespace snpflow {


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

/// The counts of fold `fold`'s training partitions one by one, for cross-fitting trainers
/// (FoldInputs::train_counts): partitions->size() x n_snps x classes x 4, partition-major.
/// Memory: 2 bytes x training partitions x SNPs x 4C (3 x 315K x 104: 197 MB).
std::vector<uint16_t> TrainPartitionCounts(const GenotypeCounts& counts, int fold,
                                           std::vector<int>* partitions);


}  // namespace snpflow
