#pragma once
/// Header-only core of the nearest-centroid classifier, shared by the built-in `nearest-centroid`
/// trainer (stages/baseline_trainers.cc) and the `plugin-centroid` example plugin. It uses only
/// the installed plugin headers (pipeline/trainer.h), so an out-of-tree plugin can copy it.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/error.h"
#include "pipeline/options.h"
#include "pipeline/trainer.h"

namespace snpflow::centroid {

/// Declare `shrink` and `temperature` for an options struct O with members of those names (each
/// trainer has its own struct: its own stage name).
template <class O>
void DeclareOptions(OptionSet<O>& o) {
  o.Add("shrink", &O::shrink,
        "shrink each class centroid towards the overall centroid by this fraction")
      .Range(0.0, 1.0);
  o.Add("temperature", &O::temperature, "probabilities are softmax(-distance / temperature)")
      .Range(OptionRange::Above(0));
}

/// Scores of one split: accuracy, mean cross-entropy and (if asked) the predictions.
struct SplitScore {
  int64_t n = 0;
  int64_t correct = 0;
  double loss_sum = 0;
  std::vector<Prediction> predictions;
  double accuracy() const { return n > 0 ? static_cast<double>(correct) / n : 0.0; }
  double loss() const { return n > 0 ? loss_sum / n : 0.0; }
};

/// Classify every sample of `source`: `logits(batch, row, z)` fills one score per class; the
/// class probabilities are their softmax over the classes present in training (`present`).
template <class Logits>
SplitScore ScoreSplit(BatchSource& source, int64_t n_classes, const std::vector<bool>& present,
                      bool keep_predictions, Logits&& logits) {
  SplitScore score;
  std::vector<double> z(static_cast<size_t>(n_classes));
  source.Start(0);
  Batch batch;
  while (source.Next(&batch)) {
    for (int64_t r = 0; r < batch.rows; ++r) {
      logits(batch, r, z.data());
      int best = -1;
      for (int64_t c = 0; c < n_classes; ++c)
        if (present[c] && (best < 0 || z[c] > z[best])) best = static_cast<int>(c);
      std::vector<float> prob(static_cast<size_t>(n_classes), 0.0f);
      double sum = 0;
      for (int64_t c = 0; c < n_classes; ++c)
        if (present[c]) sum += std::exp(z[c] - z[best]);
      for (int64_t c = 0; c < n_classes; ++c)
        if (present[c]) prob[c] = static_cast<float>(std::exp(z[c] - z[best]) / sum);
      const int truth = static_cast<int>(batch.labels[r]);
      // log p(truth) computed in log space, so a confident miss costs its real loss.
      const double log_p =
          truth >= 0 && truth < n_classes && present[truth] ? z[truth] - z[best] - std::log(sum)
                                                            : std::log(1e-12);
      score.loss_sum += -std::max(log_p, std::log(1e-12));
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

/// Per-class means of the features (Batch::x), each shrunk toward the overall mean.
struct Centroids {
  int64_t n_classes = 0;
  int64_t n_features = 0;
  std::vector<double> mu;     // n_classes x n_features
  std::vector<bool> present;  // class seen in training (an absent class is never predicted)

  /// -distance / temperature to each centroid (Euclidean) of row `r` of `batch`.
  void Logits(const Batch& batch, int64_t r, double temperature, double* z) const {
    const float* x = batch.x + r * n_features;
    for (int64_t c = 0; c < n_classes; ++c) {
      const double* m = mu.data() + c * n_features;
      double d2 = 0;
      for (int64_t j = 0; j < n_features; ++j) {
        const double d = static_cast<double>(x[j]) - m[j];
        d2 += d * d;
      }
      z[c] = -std::sqrt(d2) / temperature;
    }
  }
};

/// Throw InputError unless `batch` has `n_features` columns and (when it has rows) features and
/// labels. `who` names the stage in the message.
inline void CheckBatch(const Batch& batch, int64_t n_features, const std::string& who) {
  if (batch.cols != n_features)
    throw InputError(who + ": a batch has " + std::to_string(batch.cols) + " features, expected " +
                     std::to_string(n_features));
  if (batch.rows > 0 && (batch.x == nullptr || batch.labels == nullptr))
    throw InputError(who + ": a batch has no features or no labels; the batch source must fill "
                     "Batch::x and Batch::labels");
}

/// Throw InputError unless class index `c` of row `r` is in 0..n_classes-1.
inline void CheckLabel(int64_t c, int64_t n_classes, const Batch& batch, int64_t r,
                       const std::string& who) {
  if (c < 0 || c >= n_classes)
    throw InputError(who + ": class index " + std::to_string(c) + " of sample " +
                     std::to_string(batch.samples != nullptr ? batch.samples[r] : r) +
                     " is outside 0.." + std::to_string(n_classes - 1));
}

/// One pass over `source`: the class means, each moved toward the overall mean by `shrink`
/// (0: class means, 1: every class at the overall mean). A class without a training sample sits
/// at the overall mean and is marked absent. `who` names the stage in error messages.
inline Centroids FitCentroids(BatchSource& source, int64_t n_classes, int64_t n_features,
                              double shrink, const std::string& who) {
  std::vector<double> sums(static_cast<size_t>(n_classes * n_features), 0.0);
  std::vector<int64_t> counts(static_cast<size_t>(n_classes), 0);
  source.Start(0);
  Batch batch;
  while (source.Next(&batch)) {
    CheckBatch(batch, n_features, who);
    for (int64_t r = 0; r < batch.rows; ++r) {
      const int64_t c = batch.labels[r];
      CheckLabel(c, n_classes, batch, r, who);
      const float* x = batch.x + r * n_features;
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
  if (total == 0)
    throw InputError(who + ": the training split is empty; check the label file and the number "
                     "of folds");
  for (double& v : overall) v /= static_cast<double>(total);
  Centroids model;
  model.n_classes = n_classes;
  model.n_features = n_features;
  model.mu.resize(static_cast<size_t>(n_classes * n_features));
  model.present.resize(static_cast<size_t>(n_classes));
  for (int64_t c = 0; c < n_classes; ++c) {
    model.present[c] = counts[c] > 0;
    for (int64_t j = 0; j < n_features; ++j) {
      const double mean = counts[c] > 0 ? sums[c * n_features + j] / counts[c] : overall[j];
      model.mu[c * n_features + j] = overall[j] + (1.0 - shrink) * (mean - overall[j]);
    }
  }
  return model;
}

}  // namespace snpflow::centroid
