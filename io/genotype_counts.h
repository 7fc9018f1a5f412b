#pragma once
/// The single-pass genotype counts of an ingest (counts.npy): per SNP x partition x class x
/// genotype{0,1,2,missing}. Every fold's train-only statistics are sums over its partitions.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "io/atomic_file.h"

namespace snpflow::io {

/// Counts per SNP x partition x class x genotype{0,1,2,missing}, from the ingest pass. Stored in
/// chunks of kChunkSnps rows so appending 315K rows never reallocates (and copies) the whole table.
class GenotypeCounts {
 public:
  static constexpr size_t kChunkSnps = 1024;
  GenotypeCounts() = default;
  /// `narrow`: hold the counts as uint8, for tables whose every partition x class cell has fewer
  /// than 256 samples (no count can exceed its cell's size): half the memory (164 MB instead of
  /// 327 MB at 315K SNPs x 5 folds x 26 classes).
  GenotypeCounts(int folds, size_t classes, bool narrow = false)
      : folds_(folds), classes_(classes), narrow_(narrow) {}

  size_t n_snps() const { return n_snps_; }
  int folds() const { return folds_; }
  size_t classes() const { return classes_; }
  /// Counters per SNP: folds * classes * 4, C order (partition, class, genotype).
  size_t stride() const { return static_cast<size_t>(folds_) * classes_ * 4; }
  /// True when the counts are held as uint8 (see the constructor).
  bool narrow() const { return narrow_; }
  /// SNP `snp`'s stride() counters of a wide table (Error for a narrow one: use Visit or Row).
  const uint16_t* of(size_t snp) const {
    if (narrow_) ThrowNarrow();
    return chunks_[snp / kChunkSnps].data() + (snp % kChunkSnps) * stride();
  }
  /// Call f(row) with SNP `snp`'s counters: a const uint8_t* (narrow) or a const uint16_t*.
  template <class F>
  void Visit(size_t snp, F&& f) const {
    const size_t at = (snp % kChunkSnps) * stride();
    if (narrow_) f(narrow_chunks_[snp / kChunkSnps].data() + at);
    else f(chunks_[snp / kChunkSnps].data() + at);
  }
  /// Copy SNP `snp`'s stride() counters to `out`.
  void Row(size_t snp, uint16_t* out) const;
  /// Append one SNP's stride() counters. Serial. A narrow table refuses a count above 255
  /// (Error: it cannot happen for cells of fewer than 256 samples).
  void Append(const uint16_t* row);
  /// Append one SNP's counters as bytes (a narrow table, e.g. read from a "|u1" counts.npy).
  void AppendNarrow(const uint8_t* row);
  /// Set totals[g] to SNP `snp`'s count of genotype g (0, 1, 2, missing) summed over every
  /// partition and class.
  void Totals(size_t snp, uint64_t totals[4]) const;

 private:
  [[noreturn]] static void ThrowNarrow();
  int folds_ = 0;
  size_t classes_ = 0;
  bool narrow_ = false;
  size_t n_snps_ = 0;
  std::vector<std::vector<uint16_t>> chunks_;       // wide tables
  std::vector<std::vector<uint8_t>> narrow_chunks_;  // narrow tables
};

/// Return the dtype counts.npy is written with: "|u1" for a narrow table, or when every partition x
/// class cell holds fewer than 256 samples (so every count fits a byte), else "<u2".
std::string CountsDtype(const GenotypeCounts& counts);

/// Set totals[g] to the count of genotype g (0, 1, 2, missing) summed over one SNP's `n`
/// counters (a row of stride() counters: partition, class, genotype).
void RowTotals(const uint16_t* row, size_t n, uint64_t totals[4]);

/// Writes counts.npy row by row as the SNPs arrive, never holding the table: the same file as
/// WriteCounts of a table built with the same `narrow` (whose dtype follows from it, as the cell
/// sizes decide both), the row count set in the header at Commit.
class CountsNpyStream {
 public:
  CountsNpyStream(const std::string& path, int folds, size_t classes, bool narrow);
  ~CountsNpyStream();
  /// Append one SNP's folds * classes * 4 counters. A narrow stream refuses a count above 255.
  void Add(const uint16_t* row);
  /// Write the rows still buffered, set the header's row count and rename into place (with
  /// `on_written` beside the fsync, see AtomicFile::Commit).
  void Commit(const OnWritten& on_written = nullptr);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Write `counts` to `path` atomically as a .npy of shape (SNPs, folds, classes, 4) and dtype
/// CountsDtype(). Per-fold statistics and embeddings are not written: they derive from the counts
/// in milliseconds (ComputeFoldStats), so `train` and `export` compute them when they need them.
void WriteCounts(const GenotypeCounts& counts, const std::string& path);

}  // namespace snpflow::io

namespace snpflow {
using io::GenotypeCounts;  // used unqualified by the stages that compute fold statistics
}  // namespace snpflow
