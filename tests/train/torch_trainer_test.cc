// The trainer stages through the registry, on in-memory data: options, early stopping with the
// best epoch restored, determinism, saving and reloading (SavedModel).
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "pipeline/error.h"
#include "stages/batcher.h"
#include "stages/train/register_train.h"
#include "stages/train/saved_model.h"
#include "tests/fixtures/test_util.h"
#include "tests/train/fold_fixture.h"
#include "tests/train/synthetic_data.h"

namespace snpflow {
namespace {

using testing::FoldFixture;
using testing::MakeTrainer;

/// Mean cross-entropy and accuracy of `model` on `samples`, unpacked by hand through its LUT.
std::pair<double, double> Score(const SavedModel& model, const Dataset& data,
                                const std::vector<int64_t>& samples) {
  std::vector<float> lut = model.Lut();
  const size_t s = data.store.num_variants();
  std::vector<uint8_t> row(data.store.row_bytes());
  std::vector<float> x(samples.size() * s);
  for (size_t r = 0; r < samples.size(); ++r) {
    data.store.ReadRow(static_cast<size_t>(samples[r]), row.data());
    UnpackRow(row.data(), s, lut.data(), x.data() + r * s);
  }
  std::vector<float> p = model.Predict(x.data(), static_cast<int64_t>(samples.size()), 1);
  const size_t c = model.class_names().size();
  double loss = 0, correct = 0;
  for (size_t r = 0; r < samples.size(); ++r) {
    int truth = data.samples.label[samples[r]];
    const float* q = p.data() + r * c;
    loss -= std::log(q[truth]);
    correct += (std::max_element(q, q + c) - q) == truth;
  }
  return {loss / samples.size(), correct / samples.size()};
}

TEST(TorchTrainer, RegistersThreeTrainersWithTheirDefaults) {
  StageRegistry registry;
  RegisterTrainStages(registry);
  for (const char* name : {"dietnet", "mlp", "mlp-improved"})
    EXPECT_EQ(registry.Get(name).role, StageRole::kTrainer) << name;
  auto default_of = [&](const std::string& stage, const std::string& option) {
    for (const auto& d : registry.Get(stage).options)
      if (d.name == option) return d.default_value;
    return std::string("<none>");
  };
  EXPECT_EQ(default_of("mlp-improved", "hidden"), "50");
  EXPECT_EQ(default_of("mlp-improved", "dropout1"), "0.2");
  EXPECT_EQ(default_of("mlp", "hidden"), "100");
  EXPECT_EQ(default_of("dietnet", "aux-hidden"), "100");
  EXPECT_EQ(default_of("dietnet", "gamma"), "0");
  EXPECT_EQ(default_of("mlp", "gamma"), "<none>") << "only dietnet has a decoder";
}

TEST(TorchTrainer, RejectsBadOptionValues) {
  try {
    MakeTrainer("dietnet", {{"lr", "0"}});
    FAIL() << "lr = 0 accepted";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "--train.lr: 0 is out of range; allowed: > 0");
  }
  EXPECT_THROW(MakeTrainer("mlp", {{"dropout1", "1"}}), ConfigError);
  EXPECT_THROW(MakeTrainer("dietnet", {{"gamma", "-1"}}), ConfigError);
  EXPECT_THROW(MakeTrainer("mlp", {{"gamma", "1"}}), ConfigError);  // unknown for mlp
  EXPECT_THROW(MakeTrainer("dietnet", {{"epochs", "ten"}}), ConfigError);
}

TEST(TorchTrainer, EarlyStoppingRestoresTheBestEpoch) {
  testing::SyntheticSpec spec;
  spec.samples = 120;
  spec.snps = 200;
  spec.classes = 3;
  spec.random_labels = true;  // nothing to learn: the validation loss soon rises
  Dataset data = testing::MakeSyntheticDataset(spec);
  testing::TempDir dir;
  FoldFixture f(data, 0, dir / "fold_0", 16);
  auto trainer = MakeTrainer("mlp", {{"epochs", "60"}, {"patience", "4"}, {"lr", "0.01"},
                                     {"dropout1", "0"}, {"dropout2", "0"}});
  FoldResult r = trainer->Train(f.in);
  ASSERT_GE(r.best_epoch, 0);
  const int n = static_cast<int>(r.epochs.size());
  ASSERT_LT(n, 60) << "stopped early";
  EXPECT_EQ(n, r.best_epoch + 1 + 4) << "patience epochs after the best one";
  for (const auto& e : r.epochs) EXPECT_GE(e.valid_loss, r.epochs[r.best_epoch].valid_loss);
  // The saved (= restored) model scores the best epoch's validation loss, not the last one's.
  SavedModel model = SavedModel::Load(dir / "fold_0");
  auto [valid_loss, valid_acc] = Score(model, data, f.split.valid);
  EXPECT_NEAR(valid_loss, r.epochs[r.best_epoch].valid_loss, 1e-4);
  EXPECT_GT(std::abs(valid_loss - r.epochs.back().valid_loss), 1e-3);
  EXPECT_NEAR(valid_acc, r.epochs[r.best_epoch].valid_accuracy, 1e-9);
  // ...and the test metrics are the restored model's.
  auto [test_loss, test_acc] = Score(model, data, f.split.test);
  EXPECT_NEAR(test_loss, r.test_loss, 1e-4);
  EXPECT_NEAR(test_acc, r.test_accuracy, 1e-9);
  EXPECT_EQ(r.predictions.size(), f.split.test.size());
  EXPECT_EQ(r.model_path, dir / "fold_0/model.pt");
  EXPECT_EQ(model.kind(), "mlp");
  EXPECT_EQ(model.class_names(), data.samples.class_names);
  EXPECT_EQ(model.mean(), f.stats.mean);
}

TEST(TorchTrainer, DeterministicForASeedOnCpu) {
  testing::SyntheticSpec spec;
  spec.samples = 100;
  spec.snps = 150;
  spec.signal = 0.05;  // losses well above 0, so a different seed shows
  Dataset data = testing::MakeSyntheticDataset(spec);
  auto run = [&](const std::string& seed) {
    FoldFixture f(data, 1, "", 16);
    return MakeTrainer("dietnet", {{"epochs", "3"}, {"seed", seed}, {"threads", "1"},
                                   {"gamma", "1"}})->Train(f.in);
  };
  FoldResult a = run("5"), b = run("5"), c = run("6");
  ASSERT_EQ(a.epochs.size(), 3u);
  ASSERT_EQ(b.epochs.size(), 3u);
  for (size_t e = 0; e < 3; ++e) {
    EXPECT_EQ(a.epochs[e].train_loss, b.epochs[e].train_loss);
    EXPECT_EQ(a.epochs[e].valid_loss, b.epochs[e].valid_loss);
  }
  EXPECT_EQ(a.test_loss, b.test_loss);
  EXPECT_NE(a.epochs[0].train_loss, c.epochs[0].train_loss);
  EXPECT_TRUE(a.model_path.empty()) << "no output dir: nothing saved";
  EXPECT_EQ(a.n_params, DietNetParameterCount(150, 4, 100, 100, /*decoder=*/true, 16,
                                                /*linear_path=*/true));
}

TEST(TorchTrainer, DietNetLearnsStructuredData) {
  testing::SyntheticSpec spec;
  spec.samples = 250;
  spec.snps = 400;
  spec.classes = 5;
  Dataset data = testing::MakeSyntheticDataset(spec);
  FoldFixture f(data, 2, "", 32);
  FoldResult r = MakeTrainer("dietnet", {{"epochs", "15"}, {"lr", "0.003"}})->Train(f.in);
  EXPECT_GT(r.test_accuracy, 0.8) << "chance is 0.2";
  EXPECT_EQ(r.n_params, DietNetParameterCount(400, 5, 100, 100, false, 20, /*linear_path=*/true));
  for (const auto& p : r.predictions) {
    ASSERT_EQ(p.probabilities.size(), 5u);
    float sum = 0;
    for (float q : p.probabilities) sum += q;
    EXPECT_NEAR(sum, 1.0f, 1e-4);
  }
}

TEST(SavedModel, MissingDirectoryIsAClearError) {
  try {
    SavedModel::Load("/nonexistent/fold_0");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/fold_0/model.txt"), std::string::npos);
  }
}

}  // namespace
}  // namespace snpflow
