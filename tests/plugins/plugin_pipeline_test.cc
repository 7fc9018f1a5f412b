// End-to-end: the hwe-filter plugin inside the ingest flow graph, loaded through each route
// (--plugin, [pipeline] plugins in a config, $SNPFLOW_PLUGIN_PATH), with 1 and 4 threads, and
// its effect on variants.tsv and ingest.json checked against plink2 --hardy when plink2 exists.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/fixtures/test_util.h"

namespace snpflow {
namespace {

using testing::ReadFile;
using testing::RunShell;
using testing::RunSnpflow;
using testing::TempDir;

constexpr const char* kMinP = "1e-3";

/// Simulated input shared by the tests of this file: 300 samples x 2000 SNPs.
class PluginPipeline : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    auto r = RunSnpflow("simulate -o " + Vcf() + " --samples 300 --snps 2000 --seed 3 -q");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::string Vcf() { return *dir_ / "sim.vcf.gz"; }
  static std::string Panel() { return *dir_ / "sim.panel"; }
  static std::string Ingest(const std::string& out, const std::string& extra) {
    return "ingest " + Vcf() + " --labels " + Panel() + " -o " + out + " -q " + extra;
  }
  static TempDir* dir_;
};
TempDir* PluginPipeline::dir_ = nullptr;

/// The id column (3rd) of variants.tsv, without the header.
std::vector<std::string> Ids(const std::string& variants_tsv) {
  std::istringstream in(ReadFile(variants_tsv));
  std::vector<std::string> ids;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string chrom, pos, id;
    fields >> chrom >> pos >> id;
    ids.push_back(id);
  }
  return ids;
}

/// The "hwe" count of ingest.json's "skipped", or -1 when absent.
long HweSkipped(const std::string& ingest_json) {
  std::smatch m;
  std::string text = ReadFile(ingest_json);
  if (!std::regex_search(text, m, std::regex("\"skipped\": \\{[^}]*\"hwe\": ([0-9]+)"))) return -1;
  return std::stol(m[1]);
}

TEST_F(PluginPipeline, HweFilterDropsTheSameVariantsWithOneAndFourThreads) {
  TempDir out;
  auto base = RunSnpflow(Ingest(out / "base", ""));
  ASSERT_EQ(base.exit_code, 0) << base.err;
  std::string tsv[2];
  int k = 0;
  for (int threads : {1, 4}) {
    const std::string dir = out / ("hwe" + std::to_string(threads));
    auto r = RunSnpflow(Ingest(dir, "--threads " + std::to_string(threads) + " --plugin " +
                                        SNPFLOW_HWE_FILTER_SO +
                                        " --stage hwe-filter --hwe-filter.min-p " + kMinP));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    tsv[k++] = ReadFile(dir + "/variants.tsv");
  }
  EXPECT_EQ(tsv[0], tsv[1]);  // byte for byte

  const auto all = Ids(out / "base/variants.tsv");
  const auto kept = Ids(out / "hwe1/variants.tsv");
  const long hwe = HweSkipped(out / "hwe1/ingest.json");
  ASSERT_GT(hwe, 0);
  EXPECT_EQ(static_cast<long>(all.size() - kept.size()), hwe);
  EXPECT_EQ(HweSkipped(out / "base/ingest.json"), -1);
  std::set<std::string> dropped(all.begin(), all.end());
  for (const auto& id : kept) dropped.erase(id);

  // The same variants as plink2's exact test (when plink2 is installed).
  if (RunShell("command -v plink2").exit_code != 0) GTEST_SKIP() << "plink2 not installed";
  auto p = RunShell("cd " + out.path() + " && plink2 --vcf " + Vcf() +
                    " --hardy --out plink --allow-extra-chr");
  ASSERT_EQ(p.exit_code, 0) << p.out << p.err;
  std::istringstream hardy(ReadFile(out / "plink.hardy"));
  std::string line;
  std::getline(hardy, line);
  std::set<std::string> plink_dropped;
  while (std::getline(hardy, line)) {
    std::istringstream f(line);
    std::string chrom, id, a1, ax, hom, het, two, ohet, ehet, pval;
    f >> chrom >> id >> a1 >> ax >> hom >> het >> two >> ohet >> ehet >> pval;
    if (std::stod(pval) < std::stod(kMinP) && std::count(all.begin(), all.end(), id)) {
      plink_dropped.insert(id);
    }
  }
  EXPECT_EQ(dropped, plink_dropped);
}

TEST_F(PluginPipeline, LoadsFromAConfigAndFromSnpflowPluginPath) {
  TempDir out;
  const std::string config = out / "hwe.ini";
  std::ofstream(config) << "input = " << Vcf() << "\nlabels = " << Panel()
                        << "\noutput = " << (out / "cfg") << "\nquiet = true\n"
                        << "[pipeline]\nplugins = " << SNPFLOW_HWE_FILTER_SO
                        << "\nstages = filter, hwe-filter\n[hwe-filter]\nmin-p = " << kMinP << "\n";
  auto cfg = RunSnpflow("run " + config);
  ASSERT_EQ(cfg.exit_code, 0) << cfg.err;
  const std::string plugin_dir =
      std::string(SNPFLOW_HWE_FILTER_SO).substr(0, std::string(SNPFLOW_HWE_FILTER_SO).rfind('/'));
  auto env =
      RunShell("SNPFLOW_PLUGIN_PATH=" + plugin_dir + " " + testing::SnpflowCli() + " " +
               Ingest(out / "env", std::string("--stage hwe-filter --hwe-filter.min-p ") + kMinP));
  ASSERT_EQ(env.exit_code, 0) << env.err;
  auto cli = RunSnpflow(Ingest(out / "cli", std::string("--plugin ") + SNPFLOW_HWE_FILTER_SO +
                                                " --stage hwe-filter --hwe-filter.min-p " + kMinP));
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  const long hwe = HweSkipped(out / "cli/ingest.json");
  EXPECT_GT(hwe, 0);
  EXPECT_EQ(HweSkipped(out / "cfg/ingest.json"), hwe);
  EXPECT_EQ(HweSkipped(out / "env/ingest.json"), hwe);
  EXPECT_EQ(ReadFile(out / "cfg/variants.tsv"), ReadFile(out / "cli/variants.tsv"));
  EXPECT_EQ(ReadFile(out / "env/variants.tsv"), ReadFile(out / "cli/variants.tsv"));
}

// A plugin trainer runs through the same fold runner as the LibTorch ones (`snpflow train`).
TEST_F(PluginPipeline, PluginTrainerRunsThroughSnpflowTrain) {
  if (RunSnpflow("train --help").exit_code != 0) GTEST_SKIP() << "built without LibTorch";
  TempDir out;
  ASSERT_EQ(RunSnpflow(Ingest(out / "ingest", "")).exit_code, 0);
  auto r = RunSnpflow("train --data " + out / "ingest" + " -o " + out / "train" + " -q --plugin " +
                      SNPFLOW_CENTROID_TRAINER_SO + " --model plugin-centroid --train-folds 0");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::smatch m;
  std::string summary = ReadFile(out / "train/summary.json");
  ASSERT_TRUE(std::regex_search(summary, m, std::regex("\"mean_test_accuracy\": ([0-9.]+)")))
      << summary;
  EXPECT_GT(std::stod(m[1]), 5.0 / 26);  // 26 populations: chance is 1/26
  EXPECT_NE(summary.find("\"model\": \"plugin-centroid\""), std::string::npos);
  // One prediction row per test sample of fold 0 (a fifth of 300), plus the header.
  std::istringstream predictions(ReadFile(out / "train/predictions.tsv"));
  std::string line;
  size_t rows = 0;
  while (std::getline(predictions, line)) ++rows;
  EXPECT_NEAR(static_cast<double>(rows - 1), 60.0, 3.0);
}

TEST_F(PluginPipeline, UnknownPluginStageListsKnownStages) {
  TempDir out;
  auto r = RunSnpflow(Ingest(out / "x", "--stage hwe-filter"));
  EXPECT_EQ(r.exit_code, 2);  // an unknown stage is a usage error
  EXPECT_NE(r.err.find("unknown stage 'hwe-filter'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("load plugins with --plugin"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace snpflow
