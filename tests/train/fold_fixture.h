#pragma once
/// One fold of a data set wired for a trainer exactly as the runner wires it (statistics, LUT,
/// per-partition training counts, batch sources), and trainers made through the registry.
#include <memory>
#include <string>
#include <vector>

#include "pipeline/trainer.h"
#include "stages/batcher.h"
#include "stages/fold_stats.h"
#include "stages/train/register_train.h"

namespace snpflow::testing {

/// One fold of a data set wired as the runner does it.
struct FoldFixture {
  RunContext ctx;
  FoldStats stats;
  std::vector<float> lut;
  FoldSplit split;
  std::vector<int> train_parts;
  std::vector<uint16_t> train_counts;
  std::unique_ptr<StoreBatchSource> train, valid, test;
  FoldInputs in;

  FoldFixture(const Dataset& data, int fold, const std::string& dir, int batch = 32) {
    ctx.samples = data.samples;
    ctx.seed = 7;
    ctx.threads = 1;
    ctx.quiet = true;
    stats = ComputeFoldStats(data.counts, fold);
    lut = stats.Lut();
    split = SplitFold(data.samples, fold);
    BatcherOptions o;
    o.batch_size = batch;
    o.prefetch = 2;
    auto labels = [&](const std::vector<int64_t>& idx) {
      std::vector<int64_t> l;
      for (int64_t i : idx) l.push_back(data.samples.label[i]);
      return l;
    };
    train = std::make_unique<StoreBatchSource>(data.store, split.train, labels(split.train),
                                               lut.data(), o, true, ctx.seed, fold);
    valid = std::make_unique<StoreBatchSource>(data.store, split.valid, labels(split.valid),
                                               lut.data(), o, false, ctx.seed, fold);
    test = std::make_unique<StoreBatchSource>(data.store, split.test, labels(split.test),
                                              lut.data(), o, false, ctx.seed, fold);
    in.fold = fold;
    in.ctx = &ctx;
    in.n_snps = static_cast<int64_t>(stats.n_snps);
    in.n_classes = static_cast<int64_t>(data.samples.num_classes());
    in.embedding = stats.embedding.data();
    in.means = stats.mean.data();
    in.stds = stats.std.data();
    train_counts = TrainPartitionCounts(data.counts, fold, &train_parts);
    in.n_train_partitions = static_cast<int>(train_parts.size());
    in.train_partitions = train_parts.data();
    in.train_counts = train_counts.data();
    in.train = train.get();
    in.valid = valid.get();
    in.test = test.get();
    in.output_dir = dir;
  }
};

inline std::unique_ptr<Trainer> MakeTrainer(const std::string& name, const OptionValues& values) {
  StageRegistry registry;
  RegisterTrainStages(registry);
  return registry.Make<Trainer>(name, values, "train");
}

}  // namespace snpflow::testing
