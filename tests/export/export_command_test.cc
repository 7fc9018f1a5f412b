// `snpflow export` through the CLI: from an ingest directory, from a simulated VCF end to end,
// and its usage errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "stages/export.h"
#include "stages/fold_stats.h"
#include "tests/export/export_fixture.h"
#include "tests/fixtures/test_util.h"

namespace snpflow {
namespace {

using testing::CommandResult;
using testing::RunSnpflow;
using testing::TempDir;

TEST(ExportCommandTest, ExportsAnIngestDirectoryPackedShardedAndCompressed) {
  TempDir dir;
  Dataset data = testing::MakeSmallDataset();
  testing::WriteIngestDir(data, dir / "ingest");
  CommandResult r = RunSnpflow("export --data " + dir / "ingest" + " -o " + dir / "out" +
                               " --packed --shard-samples 50 --compress zstd -q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  ExportOptions options;
  options.packed = true;
  options.compress_zstd = true;
  EXPECT_TRUE(std::filesystem::exists(dir / "out/genotypes_packed.00002.npy.zst"));
  testing::WriteReference(data, options, 3, dir / "ref");
  testing::RunPythonCheck(dir / "out", dir / "ref");
}

TEST(ExportCommandTest, SimulatedVcfIngestExportBeatsChance) {
  TempDir dir;
  CommandResult sim =
      RunSnpflow("simulate --samples 300 --snps 2000 --seed 1 -O b -q -o " + dir / "sim.bcf");
  ASSERT_EQ(sim.exit_code, 0) << sim.err;
  CommandResult ingest = RunSnpflow("ingest " + dir / "sim.bcf" + " --labels " + dir / "sim.panel" +
                                    " --label-column pop -q -o " + dir / "ds");
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  CommandResult r = RunSnpflow("export --data " + dir / "ds" + " -o " + dir / "out");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("export: wrote 300 samples x "), std::string::npos) << r.err;

  // The export must equal what snpflow loads back from the ingest directory.
  Dataset data = LoadDataset(dir / "ds");
  EXPECT_EQ(data.store.num_samples(), 300u);
  EXPECT_EQ(testing::ReadFile(dir / "out/variants.tsv"),
            testing::ReadFile(dir / "ds/variants.tsv"));
  EXPECT_EQ(testing::ReadFile(dir / "out/samples.tsv"), testing::ReadFile(dir / "ds/samples.tsv"));
  testing::WriteReference(data, ExportOptions{}, 1, dir / "ref");
  testing::RunPythonCheck(dir / "out", dir / "ref");

  CommandResult sk =
      testing::RunShell(testing::Python() + " " + testing::ExampleScript("sklearn_baseline.py") +
                        " " + dir / "out" + " --fold 0 --json");
  ASSERT_EQ(sk.exit_code, 0) << sk.out << sk.err;
  const std::string key = "\"test_accuracy\": ";
  const size_t at = sk.out.find(key);
  ASSERT_NE(at, std::string::npos) << sk.out;
  const double chance = 1.0 / data.samples.num_classes();
  EXPECT_GT(std::stod(sk.out.substr(at + key.size())), 3 * chance) << sk.out;

  // `export --vcf` (ingest into OUT/store, then export) and `ingest --export` give the same files.
  r = RunSnpflow("export --vcf " + dir / "sim.bcf" + " --labels " + dir / "sim.panel" +
                 " --label-column pop --packed -q -o " + dir / "direct");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir / "direct/store/store.snpf"));
  ingest = RunSnpflow("ingest " + dir / "sim.bcf" + " --labels " + dir / "sim.panel" +
                      " --label-column pop -q --export --export.packed true -o " + dir / "ds2");
  ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  for (const char* name : {"genotypes_packed.npy", "labels.npy", "partitions.npy",
                           "fold_3/embedding.npy", "fold_0/std.npy", "classes.txt"}) {
    EXPECT_EQ(testing::ReadFile(dir / "direct/" + name),
              testing::ReadFile(dir / "ds2/export/" + name))
        << name;
  }
}

TEST(ExportCommandTest, UsageErrorsExitWithStatus2) {
  CommandResult r = RunSnpflow("export -o /tmp/unused");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("give exactly one input: --data DIR"), std::string::npos) << r.err;

  r = RunSnpflow("export --data a --vcf b -o /tmp/unused");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("give exactly one input"), std::string::npos) << r.err;

  r = RunSnpflow("export --vcf x.bcf -o /tmp/unused");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--vcf needs --labels PANEL"), std::string::npos) << r.err;

  r = RunSnpflow("export --data some/dir");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no output: give -o DIR"), std::string::npos) << r.err;

  r = RunSnpflow("export --data some/dir -o out --compress lz4");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--compress must be 'none' or 'zstd', got 'lz4'"), std::string::npos)
      << r.err;

  r = RunSnpflow("export --data some/dir -o out --shard-samples -3");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--shard-samples: -3 is out of range; allowed: >= 0"),
            std::string::npos)
      << r.err;
}

TEST(ExportCommandTest, MissingIngestDirectoryIsAnInputError) {
  TempDir dir;
  CommandResult r = RunSnpflow("export --data " + dir / "nothing" + " -o " + dir / "out");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "snpflow: error: cannot read the data set '" + dir / "nothing" +
                       "': no such directory; pass the output directory of `snpflow ingest`\n");
  EXPECT_FALSE(std::filesystem::exists(dir / "out/manifest.json"));
}

TEST(ExportCommandTest, HelpDescribesTheFormat) {
  CommandResult r = RunSnpflow("export --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("Usage: snpflow export --data DIR -o OUT"), std::string::npos);
  EXPECT_NE(r.out.find("--shard-samples"), std::string::npos);
  EXPECT_NE(r.out.find("docs/export.md"), std::string::npos);
}

}  // namespace
}  // namespace snpflow
