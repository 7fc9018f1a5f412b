// Tests for plugins/centroid_trainer (the `plugin-centroid` trainer plugin), loaded with dlopen
// from centroid_trainer.so and built through the registry by name, on in-memory BatchSources.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "pipeline/error.h"
#include "pipeline/plugin_loader.h"
#include "pipeline/registry.h"
#include "pipeline/trainer.h"
#include "tests/plugins/plugin_test_util.h"

namespace snpflow {
namespace {

/// A BatchSource over rows held in memory, `batch_rows` rows per batch.
class VectorSource : public BatchSource {
 public:
  VectorSource(std::vector<std::vector<float>> rows, std::vector<int64_t> labels,
               std::vector<int64_t> samples, int64_t batch_rows)
      : rows_(std::move(rows)),
        labels_(std::move(labels)),
        samples_(std::move(samples)),
        batch_rows_(batch_rows) {}
  void Start(int epoch) override {
    (void)epoch;
    next_ = 0;
    ++starts_;
  }
  bool Next(Batch* batch) override {
    if (next_ >= num_samples()) return false;
    const int64_t n = std::min(batch_rows_, num_samples() - next_);
    x_.clear();
    for (int64_t r = next_; r < next_ + n; ++r) {
      x_.insert(x_.end(), rows_[r].begin(), rows_[r].end());
    }
    batch->x = x_.data();
    batch->rows = n;
    batch->cols = num_features();
    batch->labels = labels_.data() + next_;
    batch->samples = samples_.data() + next_;
    next_ += n;
    return true;
  }
  int64_t num_samples() const override { return static_cast<int64_t>(rows_.size()); }
  int64_t num_features() const override { return static_cast<int64_t>(rows_[0].size()); }
  int starts() const { return starts_; }

 private:
  std::vector<std::vector<float>> rows_;
  std::vector<int64_t> labels_, samples_;
  int64_t batch_rows_;
  int64_t next_ = 0;
  int starts_ = 0;
  std::vector<float> x_;
};

std::unique_ptr<Trainer> MakeTrainer(StageRegistry& registry, const OptionValues& values) {
  LoadPlugin(registry, SNPFLOW_CENTROID_TRAINER_SO);
  return registry.Make<Trainer>("plugin-centroid", values, "plugin-centroid");
}

FoldInputs Fold(BatchSource* train, BatchSource* valid, BatchSource* test, int64_t classes) {
  FoldInputs fold;
  fold.train = train;
  fold.valid = valid;
  fold.test = test;
  fold.n_classes = classes;
  fold.n_snps = train->num_features();
  return fold;
}

TEST(NearestCentroidTrainer, HandCheckedOneFeature) {
  // Centroids: class 0 = mean(0, 2) = 1, class 1 = 10. x = 4: distances 3 and 6.
  VectorSource train({{0}, {2}, {10}}, {0, 0, 1}, {0, 1, 2}, 2);
  VectorSource test({{4}, {9}}, {0, 1}, {3, 4}, 2);
  StageRegistry registry;
  auto trainer = MakeTrainer(registry, {});
  FoldResult r = trainer->Train(Fold(&train, nullptr, &test, 2));
  ASSERT_EQ(r.predictions.size(), 2u);
  EXPECT_EQ(r.predictions[0].sample, 3);
  EXPECT_EQ(r.predictions[0].predicted, 0);
  EXPECT_NEAR(r.predictions[0].probabilities[0], 1.0 / (1.0 + std::exp(-3.0)), 1e-6);
  EXPECT_NEAR(r.predictions[0].probabilities[1], 1.0 / (1.0 + std::exp(3.0)), 1e-6);
  EXPECT_EQ(r.predictions[1].predicted, 1);  // distances 8 and 1
  EXPECT_DOUBLE_EQ(r.test_accuracy, 1.0);
  const double loss =
      -(std::log(1.0 / (1.0 + std::exp(-3.0))) + std::log(1.0 / (1.0 + std::exp(-7.0)))) / 2;
  EXPECT_NEAR(r.test_loss, loss, 1e-6);
  EXPECT_EQ(r.n_params, 2);
  EXPECT_EQ(r.best_epoch, 0);
  ASSERT_EQ(r.epochs.size(), 1u);
  EXPECT_DOUBLE_EQ(r.epochs[0].train_accuracy, 1.0);
}

TEST(NearestCentroidTrainer, ShrinkMovesCentroidsToTheOverallMean) {
  // Overall mean 4; shrink 0.5 gives centroids 2.5 and 7: x = 5 is now nearer class 1.
  VectorSource train({{0}, {2}, {10}}, {0, 0, 1}, {0, 1, 2}, 3);
  VectorSource test({{4}, {5}}, {0, 1}, {3, 4}, 1);
  StageRegistry registry;
  auto trainer = MakeTrainer(registry, {{"shrink", "0.5"}});
  FoldResult r = trainer->Train(Fold(&train, nullptr, &test, 2));
  ASSERT_EQ(r.predictions.size(), 2u);
  EXPECT_EQ(r.predictions[0].predicted, 0);  // distances 1.5 and 3
  EXPECT_EQ(r.predictions[1].predicted, 1);  // distances 2.5 and 2
}

TEST(NearestCentroidTrainer, SeparatesThreeSyntheticClasses) {
  std::mt19937 rng(7);
  std::normal_distribution<float> noise(0.0f, 0.3f);
  auto make = [&](int n, int64_t first_sample, std::vector<int64_t>* labels,
                  std::vector<int64_t>* samples) {
    std::vector<std::vector<float>> rows;
    for (int i = 0; i < n; ++i) {
      const int c = i % 3;
      std::vector<float> x(6);
      for (int j = 0; j < 6; ++j) x[j] = (j % 3 == c ? 2.0f : -1.0f) + noise(rng);
      rows.push_back(x);
      labels->push_back(c);
      samples->push_back(first_sample + i);
    }
    return rows;
  };
  std::vector<int64_t> ytr, str, yva, sva, yte, ste;
  auto xtr = make(60, 0, &ytr, &str);
  auto xva = make(15, 60, &yva, &sva);
  auto xte = make(15, 75, &yte, &ste);
  VectorSource train(xtr, ytr, str, 8), valid(xva, yva, sva, 8), test(xte, yte, ste, 8);
  StageRegistry registry;
  auto trainer = MakeTrainer(registry, {});
  FoldResult r = trainer->Train(Fold(&train, &valid, &test, 3));
  EXPECT_DOUBLE_EQ(r.test_accuracy, 1.0);
  EXPECT_DOUBLE_EQ(r.epochs[0].valid_accuracy, 1.0);
  EXPECT_EQ(r.n_params, 18);
  ASSERT_EQ(r.predictions.size(), 15u);
  for (size_t i = 0; i < r.predictions.size(); ++i) {
    const Prediction& p = r.predictions[i];
    EXPECT_EQ(p.sample, 75 + static_cast<int64_t>(i));
    EXPECT_EQ(p.truth, p.predicted);
    double sum = 0;
    for (float q : p.probabilities) sum += q;
    EXPECT_NEAR(sum, 1.0, 1e-5);
    EXPECT_GT(p.probabilities[p.predicted], 0.5f);
  }
  EXPECT_GE(train.starts(), 1);
}

TEST(NearestCentroidTrainer, RejectsBadOptions) {
  VectorSource train({{0}}, {0}, {0}, 1), test({{0}}, {0}, {1}, 1);
  StageRegistry registry;
  try {
    MakeTrainer(registry, {{"shrink", "2"}});
    FAIL() << "no ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "plugin 'centroid' (" +
                                         testing::Canonical(SNPFLOW_CENTROID_TRAINER_SO) +
                                         "): --plugin-centroid.shrink: 2 is out of range; "
                                         "allowed: [0, 1]");
  }
  EXPECT_THROW(MakeTrainer(registry, {{"temperature", "0"}}), ConfigError);
  EXPECT_THROW(MakeTrainer(registry, {{"shrinkage", "0.1"}}), ConfigError);  // unknown option
}

}  // namespace
}  // namespace snpflow
