#pragma once
/// The fold runner: for each fold, per-fold statistics, LUT and batch sources over the packed
/// store, then the trainer; then metrics, predictions, confusion matrix, summary and plots.
/// Torch-free: works with any Trainer (built-in or plugin).
#include <cstdint>
#include <string>
#include <vector>

#include "pipeline/communicator.h"
#include "pipeline/run_context.h"
#include "pipeline/trainer.h"
#include "stages/batcher.h"
#include "stages/fold_stats.h"

namespace snpflow {

struct TrainRunOptions {
  /// Name of the trainer stage, for reports ("dietnet").
  std::string model = "dietnet";
  BatcherOptions batcher;
  /// Folds to run; empty: all of them.
  std::vector<int> folds;
  /// Write training_curves.svg and confusion.svg with gnuplot (skipped with a warning if absent).
  bool plots = true;
  /// A distributed data-parallel run (else null): each rank trains on its slice of every
  /// minibatch (ShardedBatchSource) and only rank 0 writes files (docs/distributed.md).
  Communicator* comm = nullptr;
  /// With comm: SNP-parallel instead (--dist.parallel snp): rank r holds SNPs SnpRangeOfRank(r)
  /// (stages/shard_batch_source.h), unpacks only those columns of every batch and gets every
  /// row; the trainer must support it (CheckSnpParallel), else ConfigError.
  bool snp_parallel = false;
  /// Tuning: the trainer gets an empty test source (EmptyBatchSource) and the test partition is
  /// never read; no predictions.tsv or confusion.tsv, and summary.json has no test metrics.
  bool hide_test = false;
  /// --baseline: trained after the model on the same folds, into <output>/baseline/; its
  /// accuracies are reported beside the model's (table and summary.json "baseline"). Not owned.
  Trainer* baseline = nullptr;
  std::string baseline_model;  // its stage name ("linear")
};

/// One fold's outcome, as reported in summary.json.
struct FoldSummary {
  int fold = 0;
  int epochs = 0;
  int best_epoch = -1;
  double test_loss = 0;
  double test_accuracy = 0;
  double valid_loss = 0;      // at the best epoch (the restored model)
  double valid_accuracy = 0;  // at the best epoch
  int64_t n_params = 0;
  double epoch_seconds = 0;  // mean seconds per epoch
  double wait_fraction = 0;  // share of epoch time spent waiting for batches
  int64_t n_train = 0, n_valid = 0, n_test = 0;
  std::string model_path;
};

struct TrainSummary {
  std::vector<FoldSummary> folds;
  double mean_accuracy = 0;
  double std_accuracy = 0;  // sample standard deviation over folds (0 for one fold)
  double mean_valid_accuracy = 0;  // at each fold's best epoch
  double std_valid_accuracy = 0;
  double mean_valid_loss = 0;
  double mean_epoch_seconds = 0;
  double wait_fraction = 0;
  int64_t n_params = 0;
  std::string model;
  /// The --baseline run on the same folds: empty, or one summary.
  std::vector<TrainSummary> baseline;
};

/// Train `trainer` on each fold of `data` and write into ctx.output_dir: variants.tsv,
/// classes.txt, metrics.jsonl, summary.json, predictions.tsv, confusion.tsv, fold_<f>/ (model
/// files from the trainer), and training_curves.svg / confusion.svg. Every file is written
/// atomically, under the lock of the directory, and manifest.json (every file with its checksum)
/// last. Prints a summary table to stdout unless ctx.quiet. With options.baseline, trains it the
/// same way into <output>/baseline/ and reports both. Returns the summary. With options.comm,
/// every rank must call this with the same data and options; ranks other than 0 write nothing.
/// --dist.parallel snp: throws ConfigError("--dist.parallel snp: <why>") unless `trainer` can
/// train on a range of SNPs per rank (Trainer::snp_parallel_refusal).
void CheckSnpParallel(const Trainer& trainer);

TrainSummary RunTraining(const Dataset& data, Trainer& trainer, const TrainRunOptions& options,
                         RunContext& ctx);

/// Verify the manifest of a training run before `snpflow predict` uses it: `model_dir` is the
/// run directory OUT or one of its fold_<f>/ (the manifest is in OUT), `fold_dirs` the fold
/// directories to load. Each listed file must match; variants.tsv and each fold's model.pt,
/// model.txt and classes.txt must be listed. Throws InputError (no manifest) or FormatError
/// naming the file, saying to re-run `snpflow train`.
void VerifyTrainOutput(const std::string& model_dir, const std::vector<std::string>& fold_dirs);


}  // namespace snpflow
