// plugin-centroid: the example of a trainer plugin for another backend, in plain C++ (no
// LibTorch); the built-in `nearest-centroid` (stages/baseline_trainers.cc) is the one to use. It
// averages the normalized training features per class, optionally shrinks the class centroids
// towards the overall centroid, and predicts the class of the nearest centroid (Euclidean).
// Probabilities are a softmax over negative distances. Built as a plugin (.so), loaded with dlopen.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/error.h"
#include "pipeline/plugin.h"
#include "pipeline/registry.h"
#include "pipeline/trainer.h"

namespace snpflow::plugins {
namespace {

struct NearestCentroidOptions {
  static constexpr std::string_view kName = "plugin-centroid";
  double shrink = 0.0;       // 0: class means; 1: every class at the overall mean
  double temperature = 1.0;  // softmax(-distance / temperature) gives the probabilities
  static void Declare(OptionSet<NearestCentroidOptions>& o) {
    o.Add("shrink", &NearestCentroidOptions::shrink,
          "shrink each class centroid towards the overall centroid by this fraction")
        .Range(0.0, 1.0);
    o.Add("temperature", &NearestCentroidOptions::temperature,
          "probabilities are softmax(-distance / temperature)")
        .Range(OptionRange::Above(0));
  }
};

/// Scores of one split: accuracy, mean cross-entropy and (for test) the predictions.
struct SplitScore {
  int64_t n = 0;
  int64_t correct = 0;
  double loss_sum = 0;
  std::vector<Prediction> predictions;
  double accuracy() const { return n > 0 ? static_cast<double>(correct) / n : 0.0; }
  double loss() const { return n > 0 ? loss_sum / n : 0.0; }
};

class NearestCentroidTrainer : public Trainer {
 public:
  explicit NearestCentroidTrainer(const NearestCentroidOptions& options) : options_(options) {}

  FoldResult Train(const FoldInputs& fold) override {
    if (fold.train == nullptr || fold.test == nullptr) {
      throw ConfigError("stage [" + label() + "] (plugin-centroid): fold " +
                        std::to_string(fold.fold) + " has no train or test batches");
    }
    const auto start = std::chrono::steady_clock::now();
    const int64_t n_features = fold.train->num_features();
    int64_t n_classes = fold.n_classes;
    if (n_classes <= 0 && fold.ctx != nullptr) {
      n_classes = static_cast<int64_t>(fold.ctx->samples.num_classes());
    }
    if (n_classes <= 0) {
      throw ConfigError("stage [" + label() + "] (plugin-centroid): fold " +
                        std::to_string(fold.fold) + " has no classes");
    }
    Fit(*fold.train, n_classes, n_features);

    FoldResult result;
    EpochMetrics epoch;
    epoch.epoch = 0;
    SplitScore train = Score(*fold.train, /*keep_predictions=*/false);
    epoch.train_loss = train.loss();
    epoch.train_accuracy = train.accuracy();
    if (fold.valid != nullptr) {
      SplitScore valid = Score(*fold.valid, /*keep_predictions=*/false);
      epoch.valid_loss = valid.loss();
      epoch.valid_accuracy = valid.accuracy();
    }
    SplitScore test = Score(*fold.test, /*keep_predictions=*/true);
    epoch.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    epoch.wait_seconds = fold.train->wait_seconds() + fold.test->wait_seconds() +
                         (fold.valid != nullptr ? fold.valid->wait_seconds() : 0.0);
    result.epochs.push_back(epoch);
    result.best_epoch = 0;
    result.test_loss = test.loss();
    result.test_accuracy = test.accuracy();
    result.n_params = n_classes * n_features;
    result.predictions = std::move(test.predictions);
    return result;
  }

 private:
  /// One pass over the training batches: per-class means, then shrinkage.
  void Fit(BatchSource& source, int64_t n_classes, int64_t n_features) {
    n_classes_ = n_classes;
    n_features_ = n_features;
    std::vector<double> sums(static_cast<size_t>(n_classes * n_features), 0.0);
    std::vector<int64_t> counts(static_cast<size_t>(n_classes), 0);
    source.Start(0);
    Batch batch;
    while (source.Next(&batch)) {
      CheckBatch(batch);
      for (int64_t r = 0; r < batch.rows; ++r) {
        const int64_t c = batch.labels[r];
        if (c < 0 || c >= n_classes) {
          throw InputError("stage [" + label() + "] (plugin-centroid): class index " +
                           std::to_string(c) + " of sample " +
                           std::to_string(batch.samples != nullptr ? batch.samples[r] : r) +
                           " is outside 0.." + std::to_string(n_classes - 1));
        }
        const float* x = batch.x + r * batch.cols;
        double* sum = sums.data() + c * n_features;
        for (int64_t j = 0; j < n_features; ++j) sum[j] += x[j];
        ++counts[c];
      }
    }
    std::vector<double> overall(static_cast<size_t>(n_features), 0.0);
    int64_t total = 0;
    for (int64_t c = 0; c < n_classes; ++c) {
      for (int64_t j = 0; j < n_features; ++j) overall[j] += sums[c * n_features + j];
      total += counts[c];
    }
    if (total == 0) {
      throw InputError("stage [" + label() +
                       "] (plugin-centroid): the training split is "
                       "empty; check the label file and the number of folds");
    }
    for (double& v : overall) v /= static_cast<double>(total);
    centroids_.assign(static_cast<size_t>(n_classes * n_features), 0.0);
    present_.assign(static_cast<size_t>(n_classes), false);
    for (int64_t c = 0; c < n_classes; ++c) {
      present_[c] = counts[c] > 0;  // a class absent from training can't be predicted
      for (int64_t j = 0; j < n_features; ++j) {
        const double mean = counts[c] > 0 ? sums[c * n_features + j] / counts[c] : overall[j];
        centroids_[c * n_features + j] = overall[j] + (1.0 - options_.shrink) * (mean - overall[j]);
      }
    }
  }

  void CheckBatch(const Batch& batch) const {
    if (batch.cols != n_features_) {
      throw InputError("stage [" + label() + "] (plugin-centroid): a batch has " +
                       std::to_string(batch.cols) + " features, expected " +
                       std::to_string(n_features_));
    }
    if (batch.rows > 0 && (batch.x == nullptr || batch.labels == nullptr)) {
      throw InputError("stage [" + label() +
                       "] (plugin-centroid): a batch has no features or "
                       "no labels; the batch source must fill Batch::x and Batch::labels");
    }
  }

  /// Classify every sample of `source`; softmax over -distance / temperature.
  SplitScore Score(BatchSource& source, bool keep_predictions) const {
    SplitScore score;
    std::vector<double> dist(static_cast<size_t>(n_classes_));
    source.Start(0);
    Batch batch;
    while (source.Next(&batch)) {
      CheckBatch(batch);
      for (int64_t r = 0; r < batch.rows; ++r) {
        const float* x = batch.x + r * batch.cols;
        int best = -1;
        for (int64_t c = 0; c < n_classes_; ++c) {
          if (!present_[c]) {
            dist[c] = std::numeric_limits<double>::infinity();
            continue;
          }
          const double* mu = centroids_.data() + c * n_features_;
          double d2 = 0;
          for (int64_t j = 0; j < n_features_; ++j) {
            const double d = x[j] - mu[j];
            d2 += d * d;
          }
          dist[c] = std::sqrt(d2);
          if (best < 0 || dist[c] < dist[best]) best = static_cast<int>(c);
        }
        // Softmax over -dist / T, shifted by the smallest distance for stability.
        std::vector<float> prob(static_cast<size_t>(n_classes_), 0.0f);
        double z = 0;
        for (int64_t c = 0; c < n_classes_; ++c) {
          const double e =
              present_[c] ? std::exp(-(dist[c] - dist[best]) / options_.temperature) : 0.0;
          prob[c] = static_cast<float>(e);
          z += e;
        }
        for (float& p : prob) p = static_cast<float>(p / z);
        const int truth = static_cast<int>(batch.labels[r]);
        const double p_truth = truth >= 0 && truth < n_classes_ ? prob[truth] : 0.0;
        score.loss_sum += -std::log(std::max(p_truth, 1e-12));
        score.correct += best == truth;
        ++score.n;
        if (keep_predictions) {
          Prediction p;
          p.sample = batch.samples != nullptr ? batch.samples[r] : score.n - 1;
          p.truth = truth;
          p.predicted = best;
          p.probabilities = std::move(prob);
          score.predictions.push_back(std::move(p));
        }
      }
    }
    return score;
  }

  NearestCentroidOptions options_;
  int64_t n_classes_ = 0;
  int64_t n_features_ = 0;
  std::vector<double> centroids_;  // n_classes x n_features
  std::vector<bool> present_;      // class seen in training
};

}  // namespace

/// Add the `plugin-centroid` trainer stage to `registry`.
void RegisterNearestCentroid(StageRegistry& registry) {
  registry.Add(MakeStageInfo<NearestCentroidTrainer, NearestCentroidOptions>(
      "nearest-centroid classifier in plain C++ (the trainer plugin example)"));
}

}  // namespace snpflow::plugins

SNPFLOW_PLUGIN("centroid", "1.0", "nearest-centroid trainer in plain C++ (plugin-centroid)") {
  snpflow::plugins::RegisterNearestCentroid(registry);
}
