// The training run's manifest: `snpflow predict` verifies every file of the run before it loads
// a model, and `snpflow train --data` verifies the ingest it trains on; a damaged file is an
// error naming it (exit 1), never a different model or prediction.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "io/manifest.h"
#include "tests/fixtures/test_util.h"

namespace snpflow {
namespace {

namespace fs = std::filesystem;
using testing::CommandResult;
using testing::ReadFile;
using testing::RunSnpflow;
using testing::TempDir;

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

class TrainOutputCheck : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const TempDir& d = *dir_;
    ASSERT_EQ(RunSnpflow("simulate --samples 80 --snps 300 --seed 2 -q -o " + d / "sim.vcf.gz")
                  .exit_code,
              0);
    ASSERT_EQ(RunSnpflow("ingest " + d / "sim.vcf.gz" + " --labels " + d / "sim.panel" +
                         " --folds 3 -q -o " + d / "ing")
                  .exit_code,
              0);
    CommandResult train =
        RunSnpflow("train --data " + d / "ing" + " -o " + d / "run" +
                   " --model mlp --train-folds 0,2 --train.epochs 2 --threads 1 -q");
    ASSERT_EQ(train.exit_code, 0) << train.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string Dir(const std::string& name) { return *dir_ / name; }
  static std::string Predict(const std::string& model, const std::string& out = "pred.tsv") {
    return "predict --model " + model + " --vcf " + Dir("sim.vcf.gz") + " -o " + Dir(out) + " -q";
  }
  static TempDir* dir_;
};

TempDir* TrainOutputCheck::dir_ = nullptr;

// One test (ctest runs each in its own process, and the fixture trains a model): the manifest,
// then damaged training outputs under predict, then a damaged ingest under train --data.
TEST_F(TrainOutputCheck, ManifestListsEveryFilePredictReadsAndEachDamageIsCaught) {
  io::Manifest m = io::ReadManifest(Dir("run"), "");
  EXPECT_EQ(m.kind, "train");
  for (const char* f : {"variants.tsv", "classes.txt", "summary.json", "predictions.tsv",
                        "fold_0/model.pt", "fold_0/model.txt", "fold_0/classes.txt",
                        "fold_2/model.pt", "fold_2/model.txt", "fold_2/classes.txt"})
    EXPECT_NE(m.Find(f), nullptr) << f;
  EXPECT_EQ(m.Find("fold_1/model.pt"), nullptr);  // not trained
  EXPECT_EQ(RunSnpflow(Predict(Dir("run"))).exit_code, 0);
  EXPECT_EQ(RunSnpflow(Predict(Dir("run/fold_2"))).exit_code, 0);

  // LibTorch loads in each predict run (seconds on a busy machine), so: every kind of damage on
  // one model.pt, one kind on each other file predict reads. The check itself is one loop over
  // the manifest for every file (tests/io/manifest_test.cc, tests/cli/dataset_test.cc).
  const std::vector<std::pair<std::string, int>> cases = {
      {"fold_0/model.pt", 0},    {"fold_0/model.pt", 1}, {"fold_0/model.pt", 2},
      {"fold_2/model.txt", 0},   {"fold_0/classes.txt", 2}, {"variants.tsv", 1},
      {"predictions.tsv", 0}};
  int k = 0;
  for (const auto& [file, kind] : cases) {
    const std::string bad = Dir("bad");
    fs::remove_all(bad);
    fs::copy(Dir("run"), bad, fs::copy_options::recursive);
    std::string bytes = ReadFile(bad + "/" + file);
    ASSERT_GT(bytes.size(), 4u) << file;
    if (kind == 0) bytes[bytes.size() / 2] ^= 0x04;  // flip a bit
    if (kind == 1) bytes.resize(bytes.size() - 1);   // truncate
    if (kind == 2) bytes = bytes.substr(bytes.size() / 2) + bytes.substr(0, bytes.size() / 2);
    ASSERT_NE(bytes, ReadFile(Dir("run") + "/" + file)) << file;
    WriteFile(bad + "/" + file, bytes);
    const std::string model_dir = k++ % 2 ? bad : bad + "/fold_" + (file[5] == '2' ? "2" : "0");
    CommandResult r = RunSnpflow(Predict(model_dir, "bad_pred.tsv"));
    EXPECT_EQ(r.exit_code, 1) << file << " damage " << kind << ": " << r.err;
    EXPECT_NE(r.err.find("'" + bad + "/" + file + "'"), std::string::npos)
        << file << " damage " << kind << ": " << r.err;
    EXPECT_NE(r.err.find("re-run `snpflow train ... -o " + bad + "`"), std::string::npos)
        << r.err;
    EXPECT_FALSE(fs::exists(Dir("bad_pred.tsv")));
  }
  // No manifest: an older snpflow, or a run killed before its end.
  fs::remove_all(Dir("bad"));
  fs::copy(Dir("run"), Dir("bad"), fs::copy_options::recursive);
  fs::remove(Dir("bad/manifest.json"));
  CommandResult r = RunSnpflow(Predict(Dir("bad/fold_0")));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("'" + Dir("bad/fold_0") + "' has no manifest.json"), std::string::npos)
      << r.err;

  // train --data on a damaged ingest.
  for (const char* file : {"samples.tsv", "store.snpf"}) {
    const std::string bad = Dir("bad_ing");
    fs::remove_all(bad);
    fs::copy(Dir("ing"), bad, fs::copy_options::recursive);
    std::string bytes = ReadFile(bad + "/" + file);
    bytes[bytes.size() - 2] = bytes[bytes.size() - 2] == 'A' ? 'B' : 'A';
    WriteFile(bad + "/" + file, bytes);
    CommandResult r = RunSnpflow("train --data " + bad + " -o " + Dir("run_bad") +
                                 " --model mlp --train-folds 0 --train.epochs 1 -q");
    EXPECT_EQ(r.exit_code, 1) << file << ": " << r.err;
    EXPECT_EQ(r.err, "snpflow: error: '" + bad + "/" + file + "' does not match its checksum in " +
                         bad + "/manifest.json (edited or corrupted?); re-run `snpflow ingest "
                         "... -o " + bad + " --force`\n");
    EXPECT_FALSE(fs::exists(Dir("run_bad/summary.json")));
  }
}

// `snpflow train VCF -o OUT` ingests into OUT and trains there: one manifest lists both, the
// ingest stays reusable, and predict verifies the run.
TEST_F(TrainOutputCheck, TrainFromVcfSharesTheDirectoryWithItsIngest) {
  const std::string out = Dir("both");
  const std::string args = "train " + Dir("sim.vcf.gz") + " --labels " + Dir("sim.panel") +
                           " --folds 3 -o " + out +
                           " --model mlp --train-folds 1 --train.epochs 1 --threads 1 -q";
  ASSERT_EQ(RunSnpflow(args).exit_code, 0);
  io::Manifest m = io::ReadManifest(out, "");
  EXPECT_EQ(m.kind, "train");
  EXPECT_FALSE(m.key.empty());
  for (const char* f : {"store.snpf", "counts.npy", "samples.tsv", "ingest.json",
                        "fold_1/model.pt"})
    EXPECT_NE(m.Find(f), nullptr) << f;
  EXPECT_EQ(RunSnpflow("verify -q " + out).exit_code, 0);
  EXPECT_EQ(RunSnpflow(Predict(out)).exit_code, 0);
  CommandResult again = RunSnpflow(args.substr(0, args.size() - 3));  // not quiet
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("[ingest] reusing"), std::string::npos) << again.err;
}

}  // namespace
}  // namespace snpflow
