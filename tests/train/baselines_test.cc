// The built-in baselines (naive-bayes, nearest-centroid, linear) against independent NumPy
// computations, `train --baseline`, predict's refusal of baseline models, the fold runner's
// hidden-test mode and `snpflow tune` (never reads a test partition; resumable).
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "io/atomic_file.h"
#include "pipeline/error.h"
#include "stages/baseline_trainers.h"
#include "stages/train_runner.h"
#include "stages/tuner.h"
#include "tests/fixtures/test_util.h"
#include "tests/train/synthetic_data.h"

namespace snpflow {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::RunShell;
using testing::RunSnpflow;
using testing::TempDir;

/// A small hard case: 6 populations of uneven size, missing genotypes, low Fst; ingested and
/// exported once for every test of the suite.
class Baselines : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const std::string d = dir_->path();
    auto sim = RunSnpflow("simulate -q -O b --populations 6 --super-populations 2 --min-per-pop 6 "
                          "--max-per-pop 30 --snps 400 --fst-pop 0.03 --missing-rate 0.05 "
                          "--seed 21 -o " + d + "/sim.bcf");
    ASSERT_EQ(sim.exit_code, 0) << sim.err;
    auto ingest = RunSnpflow("ingest " + d + "/sim.bcf --labels " + d + "/sim.panel -o " + d +
                             "/ingest -q --seed 4");
    ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
    auto exported = RunSnpflow("export --data " + d + "/ingest -o " + d + "/export -q");
    ASSERT_EQ(exported.exit_code, 0) << exported.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string Dir(const std::string& name) { return dir_->path() + "/" + name; }
  static std::string Check(const std::string& kind, const std::string& run, int fold,
                           const std::string& extra = "") {
    return "/usr/bin/python3 " + testing::SourceDir() + "/tests/train/check_baselines.py " + kind +
           " " + Dir("export") + " " + run + "/predictions.tsv " + std::to_string(fold) + " " +
           extra;
  }
  static TempDir* dir_;
};
TempDir* Baselines::dir_ = nullptr;

double JsonNumber(const std::string& json, const std::string& key) {
  std::smatch m;
  if (!std::regex_search(json, m, std::regex("\"" + key + "\": ([-0-9.e]+)"))) return -1;
  return std::stod(m[1]);
}

TEST_F(Baselines, NaiveBayesMatchesAnIndependentNumpyComputation) {
  TempDir out;
  auto r = RunSnpflow("train --data " + Dir("ingest") + " -o " + out / "nb" +
                      " -q --model naive-bayes --train-folds 0,3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (int fold : {0, 3}) {
    auto check = RunShell(Check("naive-bayes", out / "nb", fold));
    EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
    EXPECT_EQ(check.out.rfind("ok ", 0), 0u) << check.out;
  }
  // Another pseudo-count changes the probabilities: the check is not blind to it.
  auto prior = RunSnpflow("train --data " + Dir("ingest") + " -o " + out / "nb2" +
                          " -q --model naive-bayes --train.prior 2 --train-folds 0");
  ASSERT_EQ(prior.exit_code, 0) << prior.err;
  EXPECT_EQ(RunShell(Check("naive-bayes", out / "nb2", 0, "2")).exit_code, 0);
  EXPECT_NE(RunShell(Check("naive-bayes", out / "nb2", 0, "0.5")).exit_code, 0);
  // Model files: the allele frequencies (SNPs x classes) and what kind of model this is.
  EXPECT_TRUE(fs::exists(out / "nb/fold_0/allele_freq.npy"));
  EXPECT_EQ(ReadFile(out / "nb/fold_0/baseline.txt"), "kind = naive-bayes\nprior = 0.5\n");
  std::string summary = ReadFile(out / "nb/summary.json");
  EXPECT_GT(JsonNumber(summary, "mean_test_accuracy"), 0.5);  // 6 classes: chance ~0.17
}

TEST_F(Baselines, NearestCentroidMatchesAnIndependentNumpyComputation) {
  TempDir out;
  auto r = RunSnpflow("train --data " + Dir("ingest") + " -o " + out / "nc" +
                      " -q --model nearest-centroid --train-folds 1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto check = RunShell(Check("nearest-centroid", out / "nc", 1));
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_EQ(check.out.rfind("ok ", 0), 0u) << check.out;
  EXPECT_TRUE(fs::exists(out / "nc/fold_1/centroids.npy"));
}

TEST_F(Baselines, LinearIsDeterministicAndPicksItsLambdaOnValidation) {
  TempDir out;
  for (const char* run : {"a", "b"}) {
    auto r = RunSnpflow("train --data " + Dir("ingest") + " -o " + out / run +
                        " -q --model linear --train.lambdas 1,0.01 --train.max-iter 50 "
                        "--train-folds 0");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  EXPECT_EQ(ReadFile(out / "a/predictions.tsv"), ReadFile(out / "b/predictions.tsv"));
  // One metrics line per lambda; the chosen one has the best validation accuracy.
  std::istringstream metrics(ReadFile(out / "a/metrics.jsonl"));
  std::vector<double> valid;
  for (std::string line; std::getline(metrics, line);)
    valid.push_back(JsonNumber(line, "valid_accuracy"));
  ASSERT_EQ(valid.size(), 2u);
  const std::string summary = ReadFile(out / "a/summary.json");
  const int best = static_cast<int>(JsonNumber(summary, "best_epoch"));
  ASSERT_TRUE(best == 0 || best == 1) << summary;
  EXPECT_GE(valid[best], valid[1 - best]);
  EXPECT_NE(ReadFile(out / "a/fold_0/baseline.txt")
                .find(best == 0 ? "lambda = 1\n" : "lambda = 0.01\n"),
            std::string::npos);
  EXPECT_GT(JsonNumber(summary, "mean_test_accuracy"), 0.5);
}

TEST_F(Baselines, TrainWithBaselineReportsBothSideBySide) {
  TempDir out;
  auto r = RunSnpflow("train --data " + Dir("ingest") + " -o " + out / "run" +
                      " --model naive-bayes --baseline nearest-centroid "
                      "--baseline.shrink 0.1 --train-folds 0,1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("nearest-centro"), std::string::npos) << r.out;  // table column
  EXPECT_NE(r.out.find("baseline nearest-centroid: test accuracy"), std::string::npos) << r.out;
  const std::string summary = ReadFile(out / "run/summary.json");
  const size_t block = summary.find("\"baseline\": {\"model\": \"nearest-centroid\"");
  ASSERT_NE(block, std::string::npos) << summary;
  const std::string base = ReadFile(out / "run/baseline/summary.json");
  EXPECT_NEAR(JsonNumber(summary.substr(block), "mean_test_accuracy"),
              JsonNumber(base, "mean_test_accuracy"), 1e-12);
  EXPECT_NE(ReadFile(out / "run/baseline/fold_0/baseline.txt").find("shrink = 0.1"),
            std::string::npos);
  auto bad = RunSnpflow("train --data " + Dir("ingest") + " -o " + out / "x" +
                        " -q --baseline filter");
  EXPECT_EQ(bad.exit_code, 2);  // a usage error
  EXPECT_NE(bad.err.find("--baseline 'filter' is not a trainer stage"), std::string::npos)
      << bad.err;
}

TEST_F(Baselines, PredictSaysItDoesNotLoadBaselineModels) {
  TempDir out;
  ASSERT_EQ(RunSnpflow("train --data " + Dir("ingest") + " -o " + out / "nb" +
                       " -q --model naive-bayes --train-folds 0")
                .exit_code,
            0);
  auto r = RunSnpflow("predict --model " + out / "nb" + " --vcf " + Dir("sim.bcf") + " -o " +
                      out / "p.tsv");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("holds a naive-bayes baseline model; `snpflow predict` loads only "
                       "dietnet, mlp and mlp-improved"),
            std::string::npos)
      << r.err;
}

/// A trainer that reads every batch of every source and records the samples it saw.
class RecordingTrainer : public Trainer {
 public:
  FoldResult Train(const FoldInputs& fold) override {
    test_sizes.push_back(fold.test->num_samples());
    for (BatchSource* s : {fold.train, fold.valid, fold.test}) {
      s->Start(0);
      Batch b;
      while (s->Next(&b))
        for (int64_t r = 0; r < b.rows; ++r) seen.insert(b.samples[r]);
    }
    FoldResult result;
    EpochMetrics e;
    e.valid_accuracy = 0.5;
    result.epochs.push_back(e);
    result.best_epoch = 0;
    return result;
  }
  std::set<int64_t> seen;
  std::vector<int64_t> test_sizes;
};

TEST(RunTraining, HiddenTestGivesTheTrainerNoTestSample) {
  testing::SyntheticSpec spec;
  spec.samples = 100;
  spec.snps = 20;
  Dataset data = testing::MakeSyntheticDataset(spec);
  for (bool hide : {false, true}) {
    TempDir dir;
    RunContext ctx;
    ctx.samples = data.samples;
    ctx.output_dir = dir / "run";
    ctx.quiet = true;
    TrainRunOptions options;
    options.folds = {2};
    options.plots = false;
    options.hide_test = hide;
    RecordingTrainer trainer;
    RunTraining(data, trainer, options, ctx);
    size_t test_seen = 0;
    for (int64_t s : trainer.seen) test_seen += data.samples.partition[s] == 2;
    ASSERT_EQ(trainer.test_sizes.size(), 1u);
    if (hide) {
      EXPECT_EQ(test_seen, 0u);
      EXPECT_EQ(trainer.test_sizes[0], 0);
      EXPECT_FALSE(fs::exists(dir / "run/predictions.tsv"));
      const std::string summary = ReadFile(dir / "run/summary.json");
      EXPECT_NE(summary.find("\"test_hidden\": true"), std::string::npos) << summary;
      EXPECT_EQ(summary.find("test_accuracy"), std::string::npos) << summary;
    } else {
      EXPECT_GT(test_seen, 10u);  // the recorder does see test samples when they are given
      EXPECT_GT(trainer.test_sizes[0], 10);
    }
  }
}

TEST(Tuner, ParsesSpacesAndMakesGridAndSeededRandomTrials) {
  auto space = ParseSearchSpace("train.lr=1e-3, 3e-3;train.dropout1=0,0.5\nbatcher.batch-size=32");
  ASSERT_EQ(space.size(), 3u);
  EXPECT_EQ(space[0].values, (std::vector<std::string>{"1e-3", "3e-3"}));
  auto grid = MakeTrials(space, "grid", 0, 1);
  ASSERT_EQ(grid.size(), 4u);
  EXPECT_EQ(grid[0].Key(), "batcher.batch-size=32;train.dropout1=0;train.lr=1e-3");
  EXPECT_EQ(grid[1].Key(), "batcher.batch-size=32;train.dropout1=0.5;train.lr=1e-3");
  EXPECT_EQ(grid[3].Key(), "batcher.batch-size=32;train.dropout1=0.5;train.lr=3e-3");
  EXPECT_EQ(MakeTrials(space, "grid", 3, 1).size(), 3u);
  auto keys = [](const std::vector<Trial>& t) {
    std::vector<std::string> k;
    for (const auto& x : t) k.push_back(x.Key());
    return k;
  };
  auto big = ParseSearchSpace("train.lr=1,2,3,4,5,6,7,8;train.hidden=10,20,30");
  auto r1 = keys(MakeTrials(big, "random", 6, 7));
  EXPECT_EQ(r1, keys(MakeTrials(big, "random", 6, 7)));
  EXPECT_NE(r1, keys(MakeTrials(big, "random", 6, 8)));
  EXPECT_EQ(std::set<std::string>(r1.begin(), r1.end()).size(), 6u);  // distinct points
  EXPECT_THROW(ParseSearchSpace("lr=1"), ConfigError);
  EXPECT_THROW(ParseSearchSpace("train.lr=1;train.lr=2"), ConfigError);
  EXPECT_THROW(ParseSearchSpace("train.lr"), ConfigError);
  EXPECT_THROW(MakeTrials(space, "bayes", 0, 1), ConfigError);

  TempDir dir;
  io::WriteFileAtomic(dir / "space.ini", "# a search\n[space]\ntrain.lr = 1e-3, 3e-3\n\n"
                                         "train.dropout1 = 0,0.5\n");
  auto from_file = ReadSearchSpaceFile(dir / "space.ini");
  ASSERT_EQ(from_file.size(), 2u);
  EXPECT_EQ(from_file[0].key, "train.lr");
  EXPECT_EQ(from_file[1].values, (std::vector<std::string>{"0", "0.5"}));
  io::WriteFileAtomic(dir / "bad.ini", "[space]\ntrain.lr 1e-3\n");
  try {
    ReadSearchSpaceFile(dir / "bad.ini");
    ADD_FAILURE() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.ini line 2: 'train.lr 1e-3' has no '='"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(Baselines, TuneRanksTrialsOnValidationWritesARunnableConfigAndResumes) {
  TempDir out;
  const std::string base = "tune --data " + Dir("ingest") + " -o " + out / "tune" +
                           " --model naive-bayes --space 'train.prior=0.1,0.5,2' "
                           "--train-folds 0,1";
  auto first = RunSnpflow(base + " --trials 2");
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_NE(first.err.find("tune: trial 2/2 valid"), std::string::npos) << first.err;
  auto lines = [](const std::string& text) {
    size_t n = 0;
    for (char c : text) n += c == '\n';
    return n;
  };
  EXPECT_EQ(lines(ReadFile(out / "tune/tune.tsv")), 2u + 2u);  // signature, header, 2 trials
  // The rerun with the whole grid runs only the missing trial.
  auto second = RunSnpflow(base);
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.err.find("tune: 2 of 3 trials were already in"), std::string::npos)
      << second.err;
  EXPECT_NE(second.err.find("tune: trial 3/3 valid"), std::string::npos) << second.err;
  EXPECT_EQ(second.err.find("trial 1/3"), std::string::npos) << second.err;
  const std::string results = ReadFile(out / "tune/tune.tsv");
  EXPECT_EQ(lines(results), 3u + 2u);
  EXPECT_NE(second.out.find("3 trials (1 run now, 2 resumed)"), std::string::npos) << second.out;
  // A third run has nothing to do and changes nothing.
  auto third = RunSnpflow(base + " -q");
  ASSERT_EQ(third.exit_code, 0) << third.err;
  EXPECT_EQ(ReadFile(out / "tune/tune.tsv"), results);

  // The trials never saw a test partition: no predictions, no test metrics.
  for (int t = 0; t < 3; ++t) {
    const std::string trial = out / ("tune/trials/" + std::to_string(t));
    EXPECT_FALSE(fs::exists(trial + "/predictions.tsv")) << trial;
    EXPECT_EQ(ReadFile(trial + "/summary.json").find("test_accuracy"), std::string::npos);
  }
  // The best trial is rank 1 of the table and its options are in best.ini, which `run` accepts.
  std::smatch m;
  ASSERT_TRUE(std::regex_search(second.out, m, std::regex("\n1 +[0-9.]+ \\+- [0-9.]+ +[0-9.]+ +"
                                                          "[0-9.]+  train\\.prior=([0-9.]+)")))
      << second.out;
  const std::string ini = ReadFile(out / "tune/best.ini");
  EXPECT_NE(ini.find("[train]\nprior = " + m[1].str() + "\n"), std::string::npos) << ini;
  auto run = RunSnpflow("run " + out / "tune/best.ini" + " -q --train-folds 0");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(ReadFile(out / "tune/best/summary.json").find("\"model\": \"naive-bayes\""),
            std::string::npos);

  // Another search in the same directory is refused rather than mixed in.
  auto other = RunSnpflow("tune --data " + Dir("ingest") + " -o " + out / "tune" +
                          " --model naive-bayes --space 'train.prior=1' -q");
  EXPECT_EQ(other.exit_code, 2);
  EXPECT_NE(other.err.find("holds the results of another search"), std::string::npos)
      << other.err;
  auto bad = RunSnpflow("tune --data " + Dir("ingest") + " -o " + out / "t2" +
                        " --model naive-bayes --space 'train.prio=1' -q");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("did you mean 'train.prior'?"), std::string::npos) << bad.err;
  EXPECT_EQ(RunSnpflow("tune --data " + Dir("ingest") + " -o " + out / "t3").exit_code, 2);
}

TEST_F(Baselines, TuneRunsATorchTrainerWithTheTestPartitionHidden) {
  TempDir out;
  auto r = RunSnpflow("tune --data " + Dir("ingest") + " -o " + out / "tune" +
                      " --model mlp --train.epochs 2 --train.hidden 8 --search random "
                      "--trials 2 --space 'train.lr=0.001,0.01,0.1' --train-folds 0 -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string ini = ReadFile(out / "tune/best.ini");
  EXPECT_NE(ini.find("epochs = 2\n"), std::string::npos) << ini;
  EXPECT_NE(ini.find("trainer = mlp\n"), std::string::npos) << ini;
}

}  // namespace
}  // namespace snpflow
