#pragma once
/// Minibatches over the packed store: a seeded per-epoch shuffle of one split's samples, 2-bit rows
/// unpacked to normalized float32 through a per-SNP lookup table, and a bounded prefetch queue so
/// the next batches are ready while the trainer computes. Torch-free; a trainer sees BatchSource.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "io/packed_store.h"
#include "pipeline/options.h"
#include "pipeline/run_context.h"
#include "pipeline/trainer.h"

namespace snpflow {

/// Options of the batcher (config section `[batcher]`, command line `--batcher.<name>`).
struct BatcherOptions {
  static constexpr std::string_view kName = "batcher";
  /// Samples per batch (the Diet Networks paper used 138).
  int batch_size = 138;
  /// Batches unpacked ahead of the consumer; 0 unpacks in the caller's thread (no producer).
  /// Each costs batch_size x SNPs floats (138 x 315K: 174 MB), released at the end of an epoch.
  int prefetch = 2;
  /// Also unpack the raw genotype codes into Batch::codes (set by the runner for a trainer whose
  /// wants_genotype_codes() is true; not a user option). One byte per genotype.
  bool codes = false;

  static void Declare(OptionSet<BatcherOptions>& o) {
    o.Add("batch-size", &BatcherOptions::batch_size, "samples per minibatch").Range(1, 1000000);
    o.Add("prefetch", &BatcherOptions::prefetch,
          "batches unpacked ahead of the trainer (0: unpack on demand)")
        .Range(0, 1000);
  }
};

/// Return the declarations of BatcherOptions (for the CLI and `snpflow stages`).
const std::vector<OptionDecl>& BatcherOptionDecls();
/// Return BatcherOptions from `values` (names without prefix); ConfigError on bad values.
BatcherOptions BuildBatcherOptions(const OptionValues& values);

/// The sample indices (into the SampleTable) of each split of fold `fold`, in table order.
struct FoldSplit {
  std::vector<int64_t> train, valid, test;
};
/// Split `samples` for fold `fold` by partition (test = fold, valid = fold+1 mod K, train = rest).
FoldSplit SplitFold(const SampleTable& samples, int fold);

/// Return the seed of the shuffle of (seed, fold, epoch) (MixSeed from pipeline/folds.h).
uint64_t ShuffleSeed(uint64_t seed, int fold, int epoch);
/// Return `order` shuffled by SeededShuffle (Fisher-Yates, mt19937_64) with ShuffleSeed(...).
/// The same arguments give the same permutation on every platform.
std::vector<int64_t> ShuffledOrder(std::vector<int64_t> order, uint64_t seed, int fold, int epoch);

/// Unpack packed 2-bit `row` (n_snps codes) into `out` through `lut` (n_snps x 4 floats).
void UnpackRow(const uint8_t* row, size_t n_snps, const float* lut, float* out);

/// Unpack packed 2-bit `row` (n_snps codes) into one byte per code (0, 1, 2, 3 = missing).
void UnpackCodes(const uint8_t* row, size_t n_snps, uint8_t* out);

/// A BatchSource with no samples: what a trainer gets for a split it must not see (the test
/// partition while tuning). Records whether anyone asked it for batches.
class EmptyBatchSource : public BatchSource {
 public:
  explicit EmptyBatchSource(int64_t n_features) : n_features_(n_features) {}
  void Start(int) override { started_ = true; }
  bool Next(Batch*) override {
    started_ = true;
    return false;
  }
  int64_t num_samples() const override { return 0; }
  int64_t num_features() const override { return n_features_; }
  bool started() const { return started_; }

 private:
  int64_t n_features_;
  bool started_ = false;
};

/// A BatchSource over one split of one fold of a PackedStore.
///
/// `store`, `lut` (store.num_variants() x 4 floats, FoldStats::Lut()) must outlive the source.
/// `samples` are store rows; `labels[i]` is the class of samples[i]. When `shuffle` is true every
/// Start(epoch) reorders the samples with ShuffledOrder(samples, seed, fold, epoch); otherwise
/// batches come in the given order. Batches are unpacked in parallel over samples (TBB), up to
/// `prefetch` batches ahead by a producer thread. The float buffers (prefetch + 1 batches) are
/// freed when an epoch ends, so idle sources (valid, test) hold no memory. One consumer; not
/// thread-safe.
class StoreBatchSource : public BatchSource {
 public:
  StoreBatchSource(const io::PackedStore& store, std::vector<int64_t> samples,
                   std::vector<int64_t> labels, const float* lut, const BatcherOptions& options,
                   bool shuffle, uint64_t seed, int fold);
  ~StoreBatchSource() override;
  StoreBatchSource(const StoreBatchSource&) = delete;
  StoreBatchSource& operator=(const StoreBatchSource&) = delete;

  /// Unpack only SNPs [begin, end) of each row (SNP-parallel training: one rank's range): batches
  /// then have end - begin columns. `begin` must be a multiple of 4 (a byte of the packed row).
  /// Call before the first Start(); throws Error on a bad range.
  void SetSnpRange(size_t begin, size_t end);
  /// Data-parallel training: unpack only rows [B*rank/W, B*(rank+1)/W) of each batch of B rows,
  /// the rows a ShardedBatchSource(*this, rank, W, ...) passes on; the other rows of Batch::x
  /// (and codes) are left unset, labels and samples cover every row. Call before the first
  /// Start(); throws Error on a bad rank.
  void SetRowSlice(int rank, int world_size);
  /// Begin epoch `epoch`, abandoning any batches of the previous epoch not yet consumed.
  void Start(int epoch) override;
  /// Fill `batch`; false at the end of the epoch. Rethrows an error of the producer.
  bool Next(Batch* batch) override;
  int64_t num_samples() const override { return static_cast<int64_t>(samples_.size()); }
  int64_t num_features() const override;
  double wait_seconds() const override { return wait_seconds_; }
  /// The sample order of the current epoch (for tests).
  const std::vector<int64_t>& order() const { return order_; }

 private:
  struct Impl;
  std::vector<int64_t> samples_;
  std::vector<int64_t> order_;
  double wait_seconds_ = 0;
  std::unique_ptr<Impl> impl_;
};

}  // namespace snpflow
