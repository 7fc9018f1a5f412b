// The dietnet trainer's embeddings and regularizers: determinism, no leakage from validation or
// test samples, the early-stopping monitor and the epoch-cap warning, every embedding kind end to
// end, parameter counts per kind.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "pipeline/error.h"
#include "stages/train/register_train.h"
#include "stages/train/saved_model.h"
#include "tests/fixtures/test_util.h"
#include "tests/train/fold_fixture.h"
#include "tests/train/synthetic_data.h"

namespace snpflow {
namespace {

using testing::FoldFixture;
using testing::MakeTrainer;

testing::SyntheticSpec EasySpec() {
  testing::SyntheticSpec spec;
  spec.samples = 150;
  spec.snps = 120;
  spec.classes = 3;
  spec.signal = 0.2;
  return spec;
}

FoldResult TrainOn(const Dataset& data, int fold, const OptionValues& options,
                   const std::string& dir = "") {
  FoldFixture f(data, fold, dir, 16);
  return MakeTrainer("dietnet", options)->Train(f.in);
}

void ExpectSameTraining(const FoldResult& a, const FoldResult& b) {
  ASSERT_EQ(a.epochs.size(), b.epochs.size());
  for (size_t e = 0; e < a.epochs.size(); ++e) {
    EXPECT_EQ(a.epochs[e].train_loss, b.epochs[e].train_loss) << "epoch " << e;
    EXPECT_EQ(a.epochs[e].train_accuracy, b.epochs[e].train_accuracy) << "epoch " << e;
  }
}

TEST(DietNet, IdenticalPredictionsForASeed) {
  testing::SyntheticSpec spec = EasySpec();
  spec.signal = 0.05;  // predictions well inside (0, 1), so a different seed shows
  Dataset data = testing::MakeSyntheticDataset(spec);
  OptionValues o = {{"epochs", "4"}, {"threads", "1"}, {"seed", "3"}};
  FoldResult a = TrainOn(data, 0, o), b = TrainOn(data, 0, o);
  ASSERT_EQ(a.predictions.size(), b.predictions.size());
  ASSERT_FALSE(a.predictions.empty());
  for (size_t i = 0; i < a.predictions.size(); ++i) {
    EXPECT_EQ(a.predictions[i].sample, b.predictions[i].sample);
    EXPECT_EQ(a.predictions[i].probabilities, b.predictions[i].probabilities);
  }
  o["seed"] = "4";
  FoldResult c = TrainOn(data, 0, o);
  EXPECT_NE(a.predictions[0].probabilities, c.predictions[0].probabilities);
}

// Fold 0: test = partition 0, valid = partition 1. Scrambling the test partition's genotypes must
// change nothing but the test metrics; scrambling the validation partition must not change the
// training trajectory (it only chooses the epoch), for every embedding and with cross-fitting.
TEST(DietNet, ValidationAndTestSamplesNeverInfluenceTheWeights) {
  const std::vector<OptionValues> configs = {
      {},  // the defaults
      {{"embedding", "histogram"}, {"cross-fit", "false"}, {"linear-path", "false"}},
      {{"embedding", "log-freq"}, {"prior", "3"}, {"cross-fit", "true"}, {"gamma", "1"}},
      {{"embedding", "raw"}},
      {{"embedding", "random"}, {"embedding-dim", "8"}},
      {{"embedding", "snp2vec"}, {"embedding-dim", "8"}, {"snp2vec-epochs", "2"}},
  };
  testing::SyntheticSpec spec = EasySpec();
  Dataset clean = testing::MakeSyntheticDataset(spec);
  spec.scramble_partition = 0;
  Dataset test_scrambled = testing::MakeSyntheticDataset(spec);
  spec.scramble_partition = 1;
  Dataset valid_scrambled = testing::MakeSyntheticDataset(spec);
  for (OptionValues o : configs) {
    o["epochs"] = "3";
    o["threads"] = "1";
    SCOPED_TRACE(o.count("embedding") ? o["embedding"] : "defaults");
    testing::TempDir d1, d2;
    FoldResult a = TrainOn(clean, 0, o, d1 / "fold_0");
    FoldResult b = TrainOn(test_scrambled, 0, o, d2 / "fold_0");
    ExpectSameTraining(a, b);
    for (size_t e = 0; e < a.epochs.size(); ++e) {
      EXPECT_EQ(a.epochs[e].valid_loss, b.epochs[e].valid_loss);
      EXPECT_EQ(a.epochs[e].valid_accuracy, b.epochs[e].valid_accuracy);
    }
    EXPECT_NE(a.test_loss, b.test_loss) << "the scramble changed the test samples";
    // The saved models (weights and every buffer) are byte for byte the same.
    EXPECT_EQ(testing::ReadFile(d1 / "fold_0/model.pt"), testing::ReadFile(d2 / "fold_0/model.pt"));
    FoldResult c = TrainOn(valid_scrambled, 0, o);
    ExpectSameTraining(a, c);
    EXPECT_NE(a.epochs[0].valid_loss, c.epochs[0].valid_loss);
  }
}

TEST(DietNet, ValidAccuracyMonitorBreaksTiesOnTheLoss) {
  testing::SyntheticSpec spec = EasySpec();
  spec.signal = 0.35;  // easy: validation accuracy reaches its maximum early
  Dataset data = testing::MakeSyntheticDataset(spec);
  FoldResult r = TrainOn(data, 1, {{"monitor", "valid-accuracy"}, {"epochs", "40"},
                                   {"patience", "3"}, {"threads", "1"}});
  ASSERT_GE(r.best_epoch, 0);
  const EpochMetrics& best = r.epochs[static_cast<size_t>(r.best_epoch)];
  for (int e = 0; e < static_cast<int>(r.epochs.size()); ++e) {
    const EpochMetrics& m = r.epochs[static_cast<size_t>(e)];
    EXPECT_LE(m.valid_accuracy, best.valid_accuracy) << "epoch " << e;
    if (e < r.best_epoch && m.valid_accuracy == best.valid_accuracy)
      EXPECT_GE(m.valid_loss, best.valid_loss) << "an earlier tie has a higher loss";
    if (e > r.best_epoch && m.valid_accuracy == best.valid_accuracy)
      EXPECT_GE(m.valid_loss, best.valid_loss) << "a later tie with a lower loss would win";
  }
  if (static_cast<int>(r.epochs.size()) < 40)
    EXPECT_EQ(static_cast<int>(r.epochs.size()), r.best_epoch + 1 + 3);
  EXPECT_TRUE(r.warnings.empty());
  EXPECT_THROW(MakeTrainer("dietnet", {{"monitor", "accuracy"}}), ConfigError);
}

TEST(DietNet, WarnsWhenStoppedAtTheCapWhileImproving) {
  Dataset data = testing::MakeSyntheticDataset(EasySpec());
  FoldResult r = TrainOn(data, 2, {{"epochs", "3"}, {"patience", "5"}, {"threads", "1"},
                                   {"monitor", "valid-loss"}});
  ASSERT_EQ(r.epochs.size(), 3u);
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0],
            "fold 2 stopped at the epoch cap (3) while the validation loss was still improving; "
            "raise --train.epochs");
  FoldResult acc = TrainOn(data, 2, {{"epochs", "3"}, {"patience", "5"}, {"threads", "1"},
                                     {"monitor", "valid-accuracy"}});
  ASSERT_EQ(acc.warnings.size(), 1u);
  EXPECT_NE(acc.warnings[0].find("validation accuracy was still improving"), std::string::npos);
  // Random labels: the validation loss soon rises and training stops early, without a warning.
  testing::SyntheticSpec noise = EasySpec();
  noise.random_labels = true;
  Dataset random = testing::MakeSyntheticDataset(noise);
  FoldResult early = TrainOn(random, 2, {{"epochs", "200"}, {"patience", "3"}, {"threads", "1"},
                                         {"lr", "0.01"}, {"monitor", "valid-loss"}});
  ASSERT_LT(early.epochs.size(), 200u);
  EXPECT_TRUE(early.warnings.empty());
}

TEST(DietNet, EveryEmbeddingTrainsEndToEndBeatsChanceAndReloads) {
  testing::SyntheticSpec spec = EasySpec();
  spec.signal = 0.3;
  Dataset data = testing::MakeSyntheticDataset(spec);
  FoldSplit split = SplitFold(data.samples, 0);
  const int64_t s = spec.snps, c = spec.classes, n_train = static_cast<int64_t>(split.train.size());
  struct Case {
    OptionValues options;
    int64_t embedding_cols;
    bool linear_path;
  };
  const std::vector<Case> cases = {
      {{{"embedding", "histogram"}, {"linear-path", "false"}, {"cross-fit", "false"}}, 4 * c,
       false},
      {{{"embedding", "histogram"}, {"gamma", "1"}, {"prior", "2"}, {"linear-path", "true"}}, 4 * c,
       true},
      {{{"embedding", "log-freq"}, {"linear-path", "false"}}, 2 * c, false},
      {{{"embedding", "log-freq"}, {"cross-fit", "true"}, {"linear-path", "true"}}, 2 * c, true},
      {{{"embedding", "random"}, {"embedding-dim", "16"}, {"linear-path", "false"}}, 16, false},
      {{{"embedding", "raw"}, {"gamma", "1"}, {"linear-path", "false"}}, n_train, false},
      {{{"embedding", "snp2vec"}, {"embedding-dim", "16"}, {"snp2vec-epochs", "5"},
        {"linear-path", "false"}},
       16, false},
  };
  for (const Case& k : cases) {
    OptionValues o = k.options;
    o["epochs"] = "20";
    o["patience"] = "20";
    o["threads"] = "1";
    o["lr"] = "0.003";
    SCOPED_TRACE(o["embedding"] + (o.count("gamma") ? " gamma" : ""));
    testing::TempDir dir;
    FoldResult r = TrainOn(data, 0, o, dir / "fold_0");
    EXPECT_GT(r.test_accuracy, 0.6) << "chance is 1/3";
    const bool decoder = o.count("gamma") > 0;
    EXPECT_EQ(r.n_params, DietNetParameterCount(s, c, 100, 100, decoder, k.embedding_cols,
                                                k.linear_path));
    // The saved model predicts exactly what the trainer reported for the test samples.
    SavedModel model = SavedModel::Load(dir / "fold_0");
    FoldFixture f(data, 0, "", 16);
    f.test->Start(0);
    Batch b;
    size_t i = 0;
    while (f.test->Next(&b)) {
      std::vector<float> p = model.Predict(b.x, b.rows, 1);
      for (int64_t row = 0; row < b.rows; ++row, ++i) {
        ASSERT_LT(i, r.predictions.size());
        for (int64_t k2 = 0; k2 < c; ++k2)
          EXPECT_NEAR(p[static_cast<size_t>(row * c + k2)],
                      r.predictions[i].probabilities[static_cast<size_t>(k2)], 1e-5);
      }
    }
    EXPECT_EQ(i, r.predictions.size());
  }
}

TEST(DietNet, RejectsBadEmbeddingOptions) {
  EXPECT_THROW(MakeTrainer("dietnet", {{"embedding", "pca"}}), ConfigError);
  EXPECT_THROW(MakeTrainer("dietnet", {{"prior", "-1"}}), ConfigError);
  EXPECT_THROW(MakeTrainer("dietnet", {{"aux-activation", "sigmoid"}}), ConfigError);
  EXPECT_THROW(MakeTrainer("dietnet", {{"max-norm", "-1"}}), ConfigError);
}

}  // namespace
}  // namespace snpflow
