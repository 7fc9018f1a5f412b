#include "stages/shard_batch_source.h"

#include <algorithm>
#include <string>

#include "pipeline/error.h"

namespace snpflow {

SnpRange SnpRangeOfRank(int64_t n_snps, int rank, int world_size) {
  const int64_t bytes = (n_snps + 3) / 4;  // ranges split the packed row's bytes
  auto start = [&](int r) {
    return std::min(n_snps, 4 * (bytes * r / static_cast<int64_t>(world_size)));
  };
  return SnpRange{start(rank), start(rank + 1)};
}

ShardedBatchSource::ShardedBatchSource(BatchSource& inner, int rank, int world_size,
                                       int64_t min_rows)
    : inner_(inner), rank_(rank), world_size_(world_size), min_rows_(min_rows) {
  if (world_size < 1 || rank < 0 || rank >= world_size)
    throw Error("ShardedBatchSource: rank " + std::to_string(rank) + " of " +
                std::to_string(world_size) + " is out of range");
}

bool ShardedBatchSource::Next(Batch* batch) {
  Batch full;
  while (inner_.Next(&full)) {
    const int64_t w = world_size_;
    const int64_t lo = full.rows * rank_ / w;
    const int64_t hi = full.rows * (rank_ + 1) / w;
    // Slices are floor(B/W) or ceil(B/W) rows; every rank computes the same floor.
    if (full.rows / w < min_rows_ || hi == lo) {
      skipped_rows_ += hi - lo;
      continue;
    }
    *batch = full;
    batch->x = full.x + lo * full.cols;
    batch->labels = full.labels + lo;
    batch->samples = full.samples + lo;
    if (full.codes != nullptr) batch->codes = full.codes + lo * full.cols;
    batch->rows = hi - lo;
    return true;
  }
  return false;
}

}  // namespace snpflow
