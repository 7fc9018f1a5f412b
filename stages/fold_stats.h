#pragma once
/// Per-fold statistics from the single-pass genotype counts: normalization (mean/std of the
/// additive code over the fold's training samples, missing excluded) and the histogram embedding.
#include <cstdint>
#include <string>
#include <vector>

#include "io/packed_store.h"
#include "pipeline/run_context.h"

namespace snpflow {

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

 private:
  int folds_ = 0;
  size_t classes_ = 0;
  size_t n_snps_ = 0;
  std::vector<std::vector<uint16_t>> chunks_;
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

/// Check that the parts of `data` agree (samples of the table and the store, label and partition
/// ranges, the counts' shape); throws InputError prefixed with `who` ("export") otherwise.
void CheckDataset(const Dataset& data, const std::string& who);

/// Write samples.tsv (sample, label, partition) and classes.txt atomically into `dir`.
void WriteSampleTable(const SampleTable& samples, const std::string& dir);

/// Write variants.tsv to `path` atomically: chrom, pos, id, ref, alt, maf, missing_rate, with
/// maf and missing rate over all samples from `counts` (row j describes sites[j]).
void WriteVariantTable(const std::vector<io::SiteInfo>& sites, const GenotypeCounts& counts,
                       const std::string& path);
/// Read the site columns (chrom, pos, id, ref, alt) of a variants.tsv; throws InputError or
/// FormatError naming the file and line.
std::vector<io::SiteInfo> ReadVariantTable(const std::string& path);

/// Write counts.npy, and fold_<f>/stats.npy (n_snps x 2: mean, std) and fold_<f>/embedding.npy
/// (n_snps x 4C) for every fold, into `dir`.
void WriteCountsAndFoldStats(const GenotypeCounts& counts, const std::string& dir);

}  // namespace snpflow
