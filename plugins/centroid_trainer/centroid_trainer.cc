// plugin-centroid: the example of a trainer plugin for another backend, in plain C++ (no
// LibTorch); the built-in `nearest-centroid` (stages/baseline_trainers.cc) is the one to use. It
// averages the normalized training features per class, optionally shrinks the class centroids
// towards the overall centroid, and predicts the class of the nearest centroid (Euclidean).
// Probabilities are a softmax over negative distances. Built as a plugin (.so), loaded with dlopen.
// The classifier itself is nearest_centroid.h, header-only on the installed plugin headers and
// shared with the built-in: this file is what a trainer plugin adds around its model.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "nearest_centroid.h"  // same folder: the plugin builds out of tree too
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
  static void Declare(OptionSet<NearestCentroidOptions>& o) { centroid::DeclareOptions(o); }
};

class NearestCentroidTrainer : public Trainer {
 public:
  explicit NearestCentroidTrainer(const NearestCentroidOptions& options) : options_(options) {}

  FoldResult Train(const FoldInputs& fold) override {
    const std::string who = "stage [" + label() + "] (plugin-centroid)";
    if (fold.train == nullptr || fold.test == nullptr) {
      throw ConfigError(who + ": fold " + std::to_string(fold.fold) +
                        " has no train or test batches");
    }
    const auto start = std::chrono::steady_clock::now();
    const int64_t n_features = fold.train->num_features();
    int64_t n_classes = fold.n_classes;
    if (n_classes <= 0 && fold.ctx != nullptr) {
      n_classes = static_cast<int64_t>(fold.ctx->samples.num_classes());
    }
    if (n_classes <= 0) {
      throw ConfigError(who + ": fold " + std::to_string(fold.fold) + " has no classes");
    }
    const centroid::Centroids model =
        centroid::FitCentroids(*fold.train, n_classes, n_features, options_.shrink, who);
    auto logits = [&](const Batch& b, int64_t r, double* z) {
      centroid::CheckBatch(b, n_features, who);
      model.Logits(b, r, options_.temperature, z);
    };
    auto score = [&](BatchSource& source, bool keep_predictions) {
      return centroid::ScoreSplit(source, n_classes, model.present, keep_predictions, logits);
    };

    FoldResult result;
    EpochMetrics epoch;
    epoch.epoch = 0;
    centroid::SplitScore train = score(*fold.train, /*keep_predictions=*/false);
    epoch.train_loss = train.loss();
    epoch.train_accuracy = train.accuracy();
    if (fold.valid != nullptr) {
      centroid::SplitScore valid = score(*fold.valid, /*keep_predictions=*/false);
      epoch.valid_loss = valid.loss();
      epoch.valid_accuracy = valid.accuracy();
    }
    centroid::SplitScore test = score(*fold.test, /*keep_predictions=*/true);
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
  NearestCentroidOptions options_;
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
