#pragma once
/// The single-pass genotype counts of an ingest (counts.npy): per SNP x partition x class x
/// genotype{0,1,2,missing}. Every fold's train-only statistics are sums over its partitions.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace snpflow::io {

/// Counts per SNP x partition x class x genotype{0,1,2,missing}, from the ingest pass. Stored in
/// chunks of kChunkSnps rows so appending 315K rows never reallocates (and copies) the whole table.
class GenotypeCounts {
 public:
  static constexpr size_t kChunkSnps = 1024;
  GenotypeCounts() = default;
  GenotypeCounts(int folds, size_t classes) : folds_(folds), classes_(classes) {}

  size_t n_snps() const { return n_snps_; }
  int folds() const { return folds_; }
  size_t classes() const { return classes_; }
  /// Counters per SNP: folds * classes * 4, C order (partition, class, genotype).
  size_t stride() const { return static_cast<size_t>(folds_) * classes_ * 4; }
  const uint16_t* of(size_t snp) const {
    return chunks_[snp / kChunkSnps].data() + (snp % kChunkSnps) * stride();
  }
  /// Append one SNP's stride() counters. Serial.
  void Append(const uint16_t* row);
  /// Set totals[g] to SNP `snp`'s count of genotype g (0, 1, 2, missing) summed over every
  /// partition and class.
  void Totals(size_t snp, uint64_t totals[4]) const;

 private:
  int folds_ = 0;
  size_t classes_ = 0;
  size_t n_snps_ = 0;
  std::vector<std::vector<uint16_t>> chunks_;
};

/// Return the dtype counts.npy is written with: "|u1" when every partition x class cell holds
/// fewer than 256 samples (so every count fits a byte), else "<u2".
std::string CountsDtype(const GenotypeCounts& counts);

/// Write `counts` to `path` atomically as a .npy of shape (SNPs, folds, classes, 4) and dtype
/// CountsDtype(). Per-fold statistics and embeddings are not written: they derive from the counts
/// in milliseconds (ComputeFoldStats), so `train` and `export` compute them when they need them.
void WriteCounts(const GenotypeCounts& counts, const std::string& path);

}  // namespace snpflow::io

namespace snpflow {
using io::GenotypeCounts;  // used unqualified by the stages that compute fold statistics
}  // namespace snpflow
