#pragma once
/// The trainer stage API: one fold in, metrics and predictions out. Plain buffers only, so a
/// trainer for any backend (LibTorch, a plugin in plain C++) implements it without torch headers.
#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/stage.h"

namespace snpflow {
class Communicator;
}

namespace snpflow {

/// A minibatch of normalized genotypes: rows x cols float32, row-major.
struct Batch {
  const float* x = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
  const int64_t* labels = nullptr;   // rows class indices
  const int64_t* samples = nullptr;  // rows sample indices into RunContext::samples
  /// rows x cols raw genotype codes (0, 1, 2 ALT alleles; 3 missing), row-major; filled only for
  /// a trainer whose wants_genotype_codes() is true, else nullptr. The normalized x cannot give
  /// them back: missing and a code equal to the mean both unpack to 0.
  const uint8_t* codes = nullptr;
};

/// Streams the batches of one split of one fold. One consumer; not thread-safe.
class BatchSource {
 public:
  virtual ~BatchSource() = default;
  /// Begin epoch `epoch`: training sources reshuffle with a seed from (seed, fold, epoch).
  virtual void Start(int epoch) = 0;
  /// Fill `batch` with the next batch; false at the end of the epoch. Pointers stay valid until
  /// the next call.
  virtual bool Next(Batch* batch) = 0;
  virtual int64_t num_samples() const = 0;
  virtual int64_t num_features() const = 0;
  /// Seconds the consumer spent waiting inside Next() since construction.
  virtual double wait_seconds() const { return 0; }
};

/// Everything a trainer gets for one fold. Pointers are owned by the runner and outlive Train().
struct FoldInputs {
  int fold = 0;
  const RunContext* ctx = nullptr;
  int64_t n_snps = 0;
  int64_t n_classes = 0;
  const float* embedding = nullptr;  // n_snps x (4 * n_classes), train samples only
  const float* means = nullptr;      // n_snps, train samples only
  const float* stds = nullptr;       // n_snps
  /// Genotype counts of each training partition separately, for trainers that cross-fit (a
  /// training sample's own genotypes never enter its own first-layer weights): partition
  /// train_partitions[k] has n_snps x n_classes x 4 uint16 counts (class, genotype 0/1/2/missing)
  /// at train_counts + k * n_snps * n_classes * 4. Training partitions only: no validation or test
  /// sample is counted here. Null when the runner does not provide them.
  int n_train_partitions = 0;
  const int* train_partitions = nullptr;
  const uint16_t* train_counts = nullptr;
  BatchSource* train = nullptr;
  BatchSource* valid = nullptr;
  BatchSource* test = nullptr;  // empty (0 samples) when the runner hides the test partition
  std::string output_dir;  // the fold's directory, for model files; "" on ranks other than 0
  /// Distributed data-parallel runs only (else null): train and valid yield this rank's slice of
  /// every batch; the trainer allreduces gradients and validation sums through it so every rank
  /// keeps the same model (pipeline/communicator.h, docs/distributed.md).
  Communicator* comm = nullptr;
  /// SNP-parallel runs only (--dist.parallel snp, with comm; else both 0): this rank holds SNPs
  /// [snp_begin, snp_begin + n_snps) of snp_total. embedding, means, stds, train_counts and the
  /// batches' columns cover those SNPs only; train, valid and test yield whole batches (every
  /// row) on every rank, in the same order. Only a trainer whose snp_parallel_refusal() is empty
  /// gets such a fold (docs/distributed.md).
  int64_t snp_begin = 0;
  int64_t snp_total = 0;
};

struct EpochMetrics {
  int epoch = 0;
  double train_loss = 0, train_accuracy = 0;
  double valid_loss = 0, valid_accuracy = 0;
  double seconds = 0, wait_seconds = 0;
};

struct Prediction {
  int64_t sample = 0;
  int truth = 0;
  int predicted = 0;
  std::vector<float> probabilities;
};

struct FoldResult {
  std::vector<EpochMetrics> epochs;
  int best_epoch = -1;
  double test_loss = 0;
  double test_accuracy = 0;
  int64_t n_params = 0;
  std::vector<Prediction> predictions;  // test samples
  std::string model_path;
  std::vector<std::string> warnings;  // also printed as `snpflow: warning: ...` by the trainer
};

/// A trainer stage: dietnet, mlp, or any plugin backend.
class Trainer : public Stage {
 public:
  /// Train on fold.train, early-stop on fold.valid, evaluate the best model on fold.test.
  virtual FoldResult Train(const FoldInputs& fold) = 0;
  /// True if the trainer reads Batch::codes (naive Bayes); the batcher then unpacks them too.
  virtual bool wants_genotype_codes() const { return false; }
  /// Empty if the trainer can train on a range of SNPs per rank (FoldInputs::snp_total > 0), else
  /// why not and what to use instead. Asked before ranks connect, so every rank fails alike.
  virtual std::string snp_parallel_refusal() const {
    return "this trainer cannot split its first layer over SNPs; use --model dietnet, or "
           "--dist.parallel data";
  }
};

}  // namespace snpflow
