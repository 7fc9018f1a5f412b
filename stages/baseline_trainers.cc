// Built-in baseline trainers in plain C++ (no LibTorch), one pass over the training samples:
//   naive-bayes       per-class allele frequencies with a pseudo-count, genotype likelihood under
//                     Hardy-Weinberg, missing genotypes ignored: the population-genetics
//                     assignment test (DESIGN.md section 5).
//   nearest-centroid  the class of the nearest per-class mean of the normalized genotypes (its
//                     core, and the split scoring both use, is plugins/centroid_trainer/
//                     nearest_centroid.h, shared with the plugin-centroid example).
// Both write fold_<f>/baseline.txt and their parameters as .npy; `snpflow predict` does not load
// them (it says so).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "io/atomic_file.h"
#include "io/npy.h"
#include "pipeline/error.h"
#include "pipeline/registry.h"
#include "pipeline/trainer.h"
#include "plugins/centroid_trainer/nearest_centroid.h"
#include "stages/baseline_trainers.h"

namespace snpflow {
namespace {

using centroid::CheckLabel;
using centroid::ScoreSplit;
using centroid::SplitScore;

/// What both baselines check before training.
int64_t CheckFold(const FoldInputs& fold, const std::string& who) {
  if (fold.train == nullptr || fold.valid == nullptr || fold.test == nullptr)
    throw ConfigError(who + ": fold " + std::to_string(fold.fold) +
                      " has no train/valid/test batches");
  if (fold.n_classes <= 0)
    throw ConfigError(who + ": fold " + std::to_string(fold.fold) + " has no classes");
  return fold.n_classes;
}

/// Fill `result` from the three splits' scores (one "epoch": the fit).
FoldResult OneEpochResult(const SplitScore& train, const SplitScore& valid, SplitScore test,
                          const FoldInputs& fold, double seconds, int64_t n_params) {
  FoldResult result;
  EpochMetrics e;
  e.epoch = 0;
  e.train_loss = train.loss();
  e.train_accuracy = train.accuracy();
  e.valid_loss = valid.loss();
  e.valid_accuracy = valid.accuracy();
  e.seconds = seconds;
  e.wait_seconds = fold.train->wait_seconds() + fold.valid->wait_seconds() +
                   fold.test->wait_seconds();
  result.epochs.push_back(e);
  result.best_epoch = 0;
  result.test_loss = test.loss();
  result.test_accuracy = test.accuracy();
  result.n_params = n_params;
  result.predictions = std::move(test.predictions);
  return result;
}

/// fold_<f>/baseline.txt: what `snpflow predict` reads to say it does not load baselines.
void WriteBaselineInfo(const std::string& dir, const std::string& kind, const std::string& extra) {
  io::MakeDirs(dir);
  io::WriteFileAtomic(dir + "/" + kBaselineInfoFile, "kind = " + kind + "\n" + extra);
}

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// ---- naive-bayes ------------------------------------------------------------------------------

struct NaiveBayesOptions {
  static constexpr std::string_view kName = "naive-bayes";
  double prior = 0.5;  // pseudo-count added to each allele count (a Beta(prior, prior) prior)
  static void Declare(OptionSet<NaiveBayesOptions>& o) {
    o.Add("prior", &NaiveBayesOptions::prior,
          "pseudo-count added to the ALT and REF allele counts of each class")
        .Range(OptionRange::Above(0));
  }
};

class NaiveBayesTrainer : public Trainer {
 public:
  explicit NaiveBayesTrainer(const NaiveBayesOptions& options) : options_(options) {}

  bool wants_genotype_codes() const override { return true; }

  FoldResult Train(const FoldInputs& fold) override {
    const std::string who = "stage [" + label() + "] (naive-bayes)";
    const int64_t n_classes = CheckFold(fold, who);
    const auto start = std::chrono::steady_clock::now();
    const int64_t n_snps = fold.train->num_features();

    // One pass: ALT alleles and called alleles per class and SNP, from the raw codes.
    std::vector<uint64_t> alt(static_cast<size_t>(n_snps * n_classes), 0);
    std::vector<uint64_t> called(static_cast<size_t>(n_snps * n_classes), 0);
    std::vector<bool> present(static_cast<size_t>(n_classes), false);
    fold.train->Start(0);
    Batch batch;
    while (fold.train->Next(&batch)) {
      RequireCodes(batch, n_snps, who);
      for (int64_t r = 0; r < batch.rows; ++r) {
        const int64_t c = batch.labels[r];
        CheckLabel(c, n_classes, batch, r, who);
        present[c] = true;
        const uint8_t* g = batch.codes + r * n_snps;
        for (int64_t j = 0; j < n_snps; ++j) {
          if (g[j] == 3) continue;
          alt[j * n_classes + c] += g[j];
          called[j * n_classes + c] += 2;
        }
      }
    }
    // p = (alt + prior) / (called + 2 prior); per genotype g: g log p + (2 - g) log(1 - p), the
    // binomial coefficient being the same for every class. Stored as slope and intercept.
    freq_.resize(alt.size());
    slope_.resize(alt.size());
    intercept_.resize(alt.size());
    for (size_t k = 0; k < alt.size(); ++k) {
      const double p = (static_cast<double>(alt[k]) + options_.prior) /
                       (static_cast<double>(called[k]) + 2.0 * options_.prior);
      freq_[k] = static_cast<float>(p);
      slope_[k] = std::log(p) - std::log1p(-p);
      intercept_[k] = 2.0 * std::log1p(-p);
    }
    n_snps_ = n_snps;
    n_classes_ = n_classes;

    auto logits = [&](const Batch& b, int64_t r, double* z) {
      RequireCodes(b, n_snps_, who);
      std::fill(z, z + n_classes_, 0.0);
      const uint8_t* g = b.codes + r * n_snps_;
      for (int64_t j = 0; j < n_snps_; ++j) {
        if (g[j] == 3) continue;  // missing: no evidence
        const double gj = g[j];
        const double* s = slope_.data() + j * n_classes_;
        const double* i = intercept_.data() + j * n_classes_;
        for (int64_t c = 0; c < n_classes_; ++c) z[c] += gj * s[c] + i[c];
      }
    };
    SplitScore train = ScoreSplit(*fold.train, n_classes, present, false, logits);
    SplitScore valid = ScoreSplit(*fold.valid, n_classes, present, false, logits);
    SplitScore test = ScoreSplit(*fold.test, n_classes, present, true, logits);
    FoldResult result = OneEpochResult(train, valid, std::move(test), fold, Seconds(start),
                                       n_snps * n_classes);
    WriteBaselineInfo(fold.output_dir, "naive-bayes",
                      "prior = " + FormatDoubleOption(options_.prior) + "\n");
    io::WriteNpy(fold.output_dir + "/allele_freq.npy", "<f4",
                 {static_cast<uint64_t>(n_snps), static_cast<uint64_t>(n_classes)}, freq_.data(),
                 freq_.size() * sizeof(float));
    result.model_path = fold.output_dir + "/allele_freq.npy";
    return result;
  }

 private:
  static void RequireCodes(const Batch& b, int64_t n_snps, const std::string& who) {
    if (b.rows > 0 && b.codes == nullptr)
      throw ConfigError(who + ": the batch source gives no genotype codes (Batch::codes); run it "
                        "through `snpflow train`, whose batcher provides them");
    if (b.cols != n_snps)
      throw InputError(who + ": a batch has " + std::to_string(b.cols) + " SNPs, expected " +
                       std::to_string(n_snps));
  }

  NaiveBayesOptions options_;
  int64_t n_snps_ = 0, n_classes_ = 0;
  std::vector<float> freq_;         // n_snps x n_classes ALT allele frequencies
  std::vector<double> slope_;       // log p - log(1 - p)
  std::vector<double> intercept_;   // 2 log(1 - p)
};

// ---- nearest-centroid -------------------------------------------------------------------------

struct NearestCentroidOptions {
  static constexpr std::string_view kName = "nearest-centroid";
  double shrink = 0.0;       // 0: class means; 1: every class at the overall mean
  double temperature = 1.0;  // softmax(-distance / temperature) gives the probabilities
  static void Declare(OptionSet<NearestCentroidOptions>& o) { centroid::DeclareOptions(o); }
};

class NearestCentroidTrainer : public Trainer {
 public:
  explicit NearestCentroidTrainer(const NearestCentroidOptions& options) : options_(options) {}

  FoldResult Train(const FoldInputs& fold) override {
    const std::string who = "stage [" + label() + "] (nearest-centroid)";
    const int64_t n_classes = CheckFold(fold, who);
    const auto start = std::chrono::steady_clock::now();
    const int64_t n = fold.train->num_features();

    // Per-class means of the normalized genotypes (missing = 0 = the training mean).
    const centroid::Centroids model =
        centroid::FitCentroids(*fold.train, n_classes, n, options_.shrink, who);
    const std::vector<bool>& present = model.present;
    auto logits = [&](const Batch& b, int64_t r, double* z) {
      centroid::CheckBatch(b, n, who);
      model.Logits(b, r, options_.temperature, z);
    };
    SplitScore train = ScoreSplit(*fold.train, n_classes, present, false, logits);
    SplitScore valid = ScoreSplit(*fold.valid, n_classes, present, false, logits);
    SplitScore test = ScoreSplit(*fold.test, n_classes, present, true, logits);
    FoldResult result =
        OneEpochResult(train, valid, std::move(test), fold, Seconds(start), n_classes * n);
    WriteBaselineInfo(fold.output_dir, "nearest-centroid",
                      "shrink = " + FormatDoubleOption(options_.shrink) + "\ntemperature = " +
                          FormatDoubleOption(options_.temperature) + "\n");
    const std::vector<float> saved(model.mu.begin(), model.mu.end());
    io::WriteNpy(fold.output_dir + "/centroids.npy", "<f4",
                 {static_cast<uint64_t>(n_classes), static_cast<uint64_t>(n)}, saved.data(),
                 saved.size() * sizeof(float));
    result.model_path = fold.output_dir + "/centroids.npy";
    return result;
  }

 private:
  NearestCentroidOptions options_;
};

}  // namespace

void RegisterBaselineTrainers(StageRegistry& registry) {
  registry.Add(MakeStageInfo<NaiveBayesTrainer, NaiveBayesOptions>(
      "naive Bayes on per-class allele frequencies under Hardy-Weinberg (assignment test)"));
  registry.Add(MakeStageInfo<NearestCentroidTrainer, NearestCentroidOptions>(
      "nearest-centroid classifier on the normalized genotypes"));
}

}  // namespace snpflow
