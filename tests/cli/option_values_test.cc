// Bad option values through the real CLI: NaN, inf, negative, out-of-range, overflowing and
// non-integer values are usage errors (exit status 2) whose message names the option and the
// allowed range, and nothing is written. One row per case.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/fixtures/test_util.h"

namespace snpflow {
namespace {

using testing::RunShell;
using testing::TempDir;

struct BadValue {
  const char* name;
  std::string args;     // after `snpflow`; run in a fresh directory (nothing there exists)
  std::string message;  // the whole error line after "snpflow <command>: error: "
  bool needs_torch = false;
};

void PrintTo(const BadValue& b, std::ostream* os) { *os << b.name; }

const std::string kIngest = "ingest in.vcf --labels in.panel -o out ";
const std::string kTrain = "train --data in -o out ";
const std::string kSimulate = "simulate -o out/sim.vcf.gz ";
const std::string kExport = "export --data in -o out ";
const std::string kPredict = "predict --model in --vcf in.vcf -o out/p.tsv ";

std::vector<BadValue> Cases() {
  return {
      // General pipeline options (cli/pipeline_config.cc) and their shorthands.
      {"MafNan", kIngest + "--maf nan", "--maf: 'nan' is not a finite number; allowed: [0, 0.5]"},
      {"MafAboveHalf", kIngest + "--maf 0.6", "--maf: 0.6 is out of range; allowed: [0, 0.5]"},
      {"MaxMissingNegative", kIngest + "--max-missing -0.1",
       "--max-missing: -0.1 is out of range; allowed: [0, 1]"},
      {"MinMafInf", kIngest + "--filter.min-maf inf",
       "--filter.min-maf: 'inf' is not a finite number; allowed: [0, 0.5]"},
      {"MinMafText", kIngest + "--filter.min-maf 0.1x",
       "--filter.min-maf: '0.1x' is not a number; allowed: [0, 0.5]"},
      {"BlocksInFlightNegative", kIngest + "--blocks-in-flight -1",
       "--blocks-in-flight: -1 is out of range; allowed: 0..65536"},
      {"ThreadsZero", kIngest + "--threads 0", "--threads: 0 is out of range; allowed: 1..4096"},
      {"ThreadsNegative", kIngest + "--threads -3",
       "--threads: -3 is out of range; allowed: 1..4096"},
      {"ThreadsFraction", kIngest + "--threads 1.5",
       "--threads: '1.5' is not an integer; allowed: 1..4096"},
      {"ThreadsOverflowsInt", kIngest + "--threads 4294967297",
       "--threads: 4294967297 is out of range; allowed: 1..4096"},
      {"FoldsOne", kIngest + "--folds 1", "--folds: 1 is out of range; allowed: 3..1000"},
      {"SeedNegative", kIngest + "--seed -1", "--seed: -1 is out of range; allowed: >= 0"},
      {"SeedOverflows", kIngest + "--seed 99999999999999999999",
       "--seed: 99999999999999999999 is out of range; allowed: >= 0"},
      {"ZstdLevel", kIngest + "--store.zstd-level 40",
       "--store.zstd-level: 40 is out of range; allowed: 1..19"},
      {"ZstdLevelBlank", kIngest + "--store.zstd-level ' 3'",
       "--store.zstd-level: ' 3' is not an integer; allowed: 1..19"},
      // Trainer and batcher options (declared ranges in stages/train/register_train.h).
      {"EpochsOverflow", kTrain + "--train.epochs 99999999999",
       "--train.epochs: 99999999999 is out of range; allowed: 1..1000000", true},
      {"HiddenFraction", kTrain + "--train.hidden 0.5",
       "--train.hidden: '0.5' is not an integer; allowed: 1..100000000", true},
      {"DropoutOne", kTrain + "--train.dropout1 1",
       "--train.dropout1: 1 is out of range; allowed: [0, 1)", true},
      {"LearningRateZero", kTrain + "--train.lr 0",
       "--train.lr: 0 is out of range; allowed: > 0", true},
      {"WeightDecayNan", kTrain + "--train.weight-decay nan",
       "--train.weight-decay: 'nan' is not a finite number; allowed: >= 0", true},
      {"TrainSeedNegative", kTrain + "--train.seed -5",
       "--train.seed: -5 is out of range; allowed: >= 0", true},
      {"BatchSizeZero", kTrain + "--batcher.batch-size 0",
       "--batcher.batch-size: 0 is out of range; allowed: 1..1000000", true},
      {"TrainFoldsNegative", kTrain + "--train-folds 0,-1",
       "--train-folds: -1 is out of range; allowed: 0..999", true},
      // The commands' own flags (cli/*_command.cc).
      {"SimulateSamplesZero", kSimulate + "--samples 0",
       "--samples: 0 is out of range; allowed: 1..10000000"},
      {"SimulateSnpsNegative", kSimulate + "--snps -5",
       "--snps: -5 is out of range; allowed: 0..10000000000"},
      {"SimulateFstNan", kSimulate + "--fst-pop nan",
       "--fst-pop: 'nan' is not a finite number; allowed: [0, 1)"},
      {"SimulateLevel", kSimulate + "-l 10",
       "--compression-level: 10 is out of range; allowed: 0..9"},
      {"SimulateSeedNegative", kSimulate + "--seed -1",
       "--seed: -1 is out of range; allowed: >= 0"},
      {"SimulateChroms", kSimulate + "--chroms 23", "--chroms: 23 is out of range; allowed: 1..22"},
      {"ExportShardNegative", kExport + "--shard-samples -1",
       "--shard-samples: -1 is out of range; allowed: >= 0"},
      {"ExportFoldsOne", "export --vcf in.vcf --labels in.panel -o out --folds 1",
       "--folds: 1 is out of range; allowed: 3..1000"},
      {"PredictBatchSizeZero", kPredict + "--batch-size 0",
       "--batch-size: 0 is out of range; allowed: 1..1000000", true},
      {"PredictThreadsNegative", kPredict + "--threads -3",
       "--threads: -3 is out of range; allowed: 1..4096", true},
  };
}

bool HaveTorch() {
  static const bool have =
      RunShell(testing::SnpflowCli() + " stages | grep -q dietnet").exit_code == 0;
  return have;
}

class BadOptionValueTest : public ::testing::TestWithParam<BadValue> {};

TEST_P(BadOptionValueTest, IsAUsageErrorNamingTheOptionAndRange) {
  const BadValue& c = GetParam();
  if (c.needs_torch && !HaveTorch()) GTEST_SKIP() << "built without LibTorch";
  TempDir dir;
  auto r = RunShell("cd " + dir.path() + " && " + testing::SnpflowCli() + " " + c.args);
  const std::string command = c.args.substr(0, c.args.find(' '));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err, "snpflow " + command + ": error: " + c.message + "\n(see 'snpflow " +
                       command + " --help')\n");
  EXPECT_FALSE(std::filesystem::exists(dir / "out")) << "the run wrote output";
}

INSTANTIATE_TEST_SUITE_P(Table, BadOptionValueTest, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(OptionValues, ConfigFileValuesAreCheckedLikeCommandLineValues) {
  TempDir dir;
  std::ofstream(dir / "bad.ini") << "input = in.vcf\nlabels = in.panel\noutput = out\n"
                                 << "threads = -2\n";
  auto r = RunShell("cd " + dir.path() + " && " + testing::SnpflowCli() + " run bad.ini");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--threads: -2 is out of range; allowed: 1..4096"), std::string::npos)
      << r.err;
}

TEST(OptionValues, StagesVerboseShowsDeclaredRanges) {
  auto r = RunShell(testing::SnpflowCli() + " stages -v");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("[default: 0; range: [0, 0.5]]"), std::string::npos) << r.out;  // min-maf
  EXPECT_NE(r.out.find("[default: 1; range: 1..19]"), std::string::npos) << r.out;  // zstd-level
  if (HaveTorch())
    EXPECT_NE(r.out.find("[default: 200; range: 1..1000000]"), std::string::npos) << r.out;  // epochs
}

}  // namespace
}  // namespace snpflow
