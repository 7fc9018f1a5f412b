#pragma once
/// Data-parallel batches: rank r of W sees rows [r*B/W, (r+1)*B/W) of every batch B of another
/// source. Every rank wraps a source that yields the same batches in the same order (the same
/// seeded permutation), so the ranks' slices partition each minibatch. Zero-copy.
#include <cstdint>

#include "pipeline/trainer.h"

namespace snpflow {

/// SNP-parallel runs: rank r of W holds SNPs [begin, end) of n_snps, contiguous ranges that
/// partition the SNPs in rank order, each starting at a multiple of 4 (a byte of a packed row)
/// and as equal as that allows. A range is empty when n_snps < 4 W.
struct SnpRange {
  int64_t begin = 0;
  int64_t end = 0;
};
SnpRange SnpRangeOfRank(int64_t n_snps, int rank, int world_size);

/// A BatchSource yielding this rank's slice of each batch of `inner` (which must outlive it).
///
/// A batch whose smallest slice (floor(B/W) rows) has fewer than `min_rows` rows is skipped on
/// every rank alike, since all ranks see the same B: training passes 2 (batch norm needs two
/// rows); evaluation passes 0, and then only an empty slice is skipped, on its own rank.
class ShardedBatchSource : public BatchSource {
 public:
  ShardedBatchSource(BatchSource& inner, int rank, int world_size, int64_t min_rows);

  void Start(int epoch) override { inner_.Start(epoch); }
  bool Next(Batch* batch) override;
  /// The whole split's sample count (all ranks), as the trainer's size checks expect.
  int64_t num_samples() const override { return inner_.num_samples(); }
  int64_t num_features() const override { return inner_.num_features(); }
  double wait_seconds() const override { return inner_.wait_seconds(); }
  /// Rows of `inner` skipped so far because a slice would have been smaller than min_rows.
  int64_t skipped_rows() const { return skipped_rows_; }

 private:
  BatchSource& inner_;
  int rank_;
  int world_size_;
  int64_t min_rows_;
  int64_t skipped_rows_ = 0;
};

}  // namespace snpflow
