#include "stages/export.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "io/atomic_file.h"
#include "io/npy.h"
#include "pipeline/error.h"
#include "pipeline/registry.h"
#include "tests/export/export_fixture.h"
#include "tests/fixtures/test_util.h"

namespace snpflow {
namespace {

using testing::DenseCodes;
using testing::ExampleScript;
using testing::MakeSmallDataset;
using testing::Python;
using testing::ReadFile;
using testing::RunPythonCheck;
using testing::RunShell;
using testing::TempDir;
using testing::WriteReference;

class ExportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { data_ = new Dataset(MakeSmallDataset()); }
  static void TearDownTestSuite() {
    delete data_;
    data_ = nullptr;
  }
  static const Dataset& data() { return *data_; }
  static Dataset* data_;
  TempDir dir_;
};
Dataset* ExportTest::data_ = nullptr;

TEST_F(ExportTest, CodesLabelsAndFoldStatsMatchTheStore) {
  ExportOptions options;
  options.output_dir = dir_ / "out";
  ExportSummary summary = RunExport(data(), options);
  const size_t n = data().store.num_samples(), s = data().store.num_variants();
  EXPECT_EQ(summary.num_samples, n);
  EXPECT_EQ(summary.num_snps, s);
  EXPECT_EQ(summary.genotype_bytes, n * s);
  EXPECT_EQ(summary.files.front(), "genotypes.npy");
  EXPECT_EQ(summary.files.back(), "manifest.json");

  io::NpyArray g = io::ReadNpy(options.output_dir + "/genotypes.npy");
  EXPECT_EQ(g.dtype, "|u1");
  ASSERT_EQ(g.shape, (std::vector<uint64_t>{n, s}));
  EXPECT_EQ(g.data, DenseCodes(data().store));

  io::NpyArray labels = io::ReadNpy(options.output_dir + "/labels.npy");
  EXPECT_EQ(labels.dtype, "<i8");
  ASSERT_EQ(labels.shape, (std::vector<uint64_t>{n}));
  io::NpyArray partitions = io::ReadNpy(options.output_dir + "/partitions.npy");
  for (size_t i = 0; i < n; ++i) {
    EXPECT_EQ(labels.as<int64_t>()[i], data().samples.label[i]);
    EXPECT_EQ(partitions.as<int64_t>()[i], data().samples.partition[i]);
  }

  for (int f = 0; f < data().samples.folds; ++f) {
    FoldStats stats = ComputeFoldStats(data().counts, f);
    const std::string fold_dir = options.output_dir + "/fold_" + std::to_string(f);
    io::NpyArray mean = io::ReadNpy(fold_dir + "/mean.npy");
    io::NpyArray sd = io::ReadNpy(fold_dir + "/std.npy");
    io::NpyArray emb = io::ReadNpy(fold_dir + "/embedding.npy");
    EXPECT_EQ(mean.dtype, "<f4");
    ASSERT_EQ(mean.shape, (std::vector<uint64_t>{s}));
    ASSERT_EQ(emb.shape, (std::vector<uint64_t>{s, 4 * data().samples.num_classes()}));
    EXPECT_EQ(std::vector<float>(mean.as<float>(), mean.as<float>() + s), stats.mean);
    EXPECT_EQ(std::vector<float>(sd.as<float>(), sd.as<float>() + s), stats.std);
    EXPECT_EQ(std::vector<float>(emb.as<float>(), emb.as<float>() + emb.shape[0] * emb.shape[1]),
              stats.embedding);
  }

  const std::string variants = ReadFile(options.output_dir + "/variants.tsv");
  EXPECT_EQ(variants.rfind("chrom\tpos\tid\tref\talt\tmaf\tmissing_rate\n1\t1000\trs0\tA\tG\t", 0),
            0u)
      << variants.substr(0, 100);
  EXPECT_EQ(std::count(variants.begin(), variants.end(), '\n'), static_cast<long>(s + 1));
  EXPECT_EQ(ReadFile(options.output_dir + "/classes.txt"), "POP0\nPOP1\nPOP2\n");
  const std::string manifest = ReadFile(options.output_dir + "/manifest.json");
  EXPECT_NE(manifest.find("\"num_samples\": 150"), std::string::npos) << manifest;
  EXPECT_NE(manifest.find("\"layout\": \"codes\""), std::string::npos);
  EXPECT_NE(manifest.find("test = partition f, valid = partition (f+1) mod K"), std::string::npos);
  // No temp files left behind.
  for (const auto& entry : std::filesystem::recursive_directory_iterator(options.output_dir)) {
    EXPECT_FALSE(io::IsTempFileName(entry.path().filename().string())) << entry.path();
  }
}

TEST_F(ExportTest, PackedRowsAreTheStoreRowsWithZeroPadding) {
  ExportOptions options;
  options.output_dir = dir_ / "packed";
  options.packed = true;
  RunExport(data(), options);
  io::NpyArray g = io::ReadNpy(options.output_dir + "/genotypes_packed.npy");
  const size_t n = data().store.num_samples(), s = data().store.num_variants();
  const size_t width = (s + 3) / 4;
  ASSERT_EQ(g.shape, (std::vector<uint64_t>{n, width}));
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < s; ++j) {
      ASSERT_EQ((g.data[i * width + j / 4] >> (2 * (j % 4))) & 3, data().store.code(i, j))
          << "sample " << i << " SNP " << j;
    }
    ASSERT_EQ(g.data[i * width + width - 1] >> (2 * (s % 4)), 0) << "padding of row " << i;
  }
  EXPECT_FALSE(std::filesystem::exists(options.output_dir + "/genotypes.npy"));
}

TEST_F(ExportTest, ShardsAndZstdRoundTrip) {
  ExportOptions options;
  options.output_dir = dir_ / "zst";
  options.shard_samples = 64;
  options.compress_zstd = true;
  ExportSummary summary = RunExport(data(), options);
  const size_t s = data().store.num_variants();
  std::vector<uint8_t> all;
  const std::vector<uint64_t> rows = {64, 64, 22};
  for (int shard = 0; shard < 3; ++shard) {
    const std::string name = GenotypeFileName(options, shard);
    EXPECT_EQ(summary.files[shard], name);
    io::NpyArray g = io::ReadNpy(options.output_dir + "/" + name);
    ASSERT_EQ(g.shape, (std::vector<uint64_t>{rows[shard], s})) << name;
    all.insert(all.end(), g.data.begin(), g.data.end());
  }
  EXPECT_EQ(GenotypeFileName(options, 2), "genotypes.00002.npy.zst");
  EXPECT_FALSE(std::filesystem::exists(options.output_dir + "/" + GenotypeFileName(options, 3)));
  EXPECT_EQ(all, DenseCodes(data().store));
  EXPECT_TRUE(std::filesystem::exists(options.output_dir + "/fold_4/embedding.npy.zst"));
  EXPECT_TRUE(std::filesystem::exists(options.output_dir + "/labels.npy.zst"));
  EXPECT_FALSE(std::filesystem::exists(options.output_dir + "/labels.npy"));
  // zstd of these low-entropy codes is much smaller than the raw .npy.
  EXPECT_LT(std::filesystem::file_size(options.output_dir + "/genotypes.00000.npy.zst"),
            64 * s / 2);
}

TEST_F(ExportTest, PythonReaderAndTorchLoaderMatchSnpflow) {
  ExportOptions options;
  options.output_dir = dir_ / "out";
  RunExport(data(), options);
  WriteReference(data(), options, 1, dir_ / "ref");
  RunPythonCheck(options.output_dir, dir_ / "ref");
}

TEST_F(ExportTest, PythonReaderHandlesPackedShardedZstd) {
  ExportOptions options;
  options.output_dir = dir_ / "out";
  options.packed = true;
  options.shard_samples = 40;
  options.compress_zstd = true;
  RunExport(data(), options);
  WriteReference(data(), options, 4, dir_ / "ref");
  RunPythonCheck(options.output_dir, dir_ / "ref");
}

TEST_F(ExportTest, SklearnBaselineBeatsChance) {
  ExportOptions options;
  options.output_dir = dir_ / "out";
  options.packed = true;
  RunExport(data(), options);
  testing::CommandResult r = RunShell(Python() + " " + ExampleScript("sklearn_baseline.py") + " " +
                                      options.output_dir + " --fold 1 --components 10 --json");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string key = "\"test_accuracy\": ";
  const size_t at = r.out.find(key);
  ASSERT_NE(at, std::string::npos) << r.out;
  const double accuracy = std::stod(r.out.substr(at + key.size()));
  // Chance is 1/3; the classes differ in allele frequency at every SNP.
  EXPECT_GT(accuracy, 1.0 / 3 + 0.3) << r.out;
}

TEST_F(ExportTest, TorchExampleTrainsAndPrintsTestAccuracy) {
  ExportOptions options;
  options.output_dir = dir_ / "out";
  RunExport(data(), options);
  testing::CommandResult r = RunShell(Python() + " " + ExampleScript("torch_dataset.py") + " " +
                                      options.output_dir + " --fold 0 --epochs 5");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("fold 0: valid accuracy"), std::string::npos) << r.out;
  const std::string key = "test accuracy ";
  const size_t at = r.out.find(key);
  ASSERT_NE(at, std::string::npos) << r.out;
  EXPECT_GT(std::stod(r.out.substr(at + key.size())), 1.0 / 3 + 0.2) << r.out;
}

TEST_F(ExportTest, BadOptionsAndInconsistentDataAreReported) {
  ExportOptions options;
  try {
    RunExport(data(), options);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "export: no output directory; pass -o DIR (or set [export] dir)");
  }
  options.output_dir = dir_ / "out";
  options.shard_samples = -1;
  try {
    RunExport(data(), options);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "export: --shard-samples must be 0 (one file) or positive, got -1");
  }
  options.shard_samples = 0;
  Dataset other = MakeSmallDataset({/*samples=*/20, /*snps=*/9});
  other.samples.ids[3] = "RENAMED";
  try {
    RunExport(other, options);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(),
                 "export: sample 3 is 'RENAMED' in samples.tsv but 'S1003' in the packed store; "
                 "re-run `snpflow ingest`");
  }
  EXPECT_FALSE(std::filesystem::exists(options.output_dir + "/manifest.json"));
}

TEST(ExportStageTest, RegistersWithOptionsAndRunsIntoTheRunOutput) {
  StageRegistry registry;
  RegisterExportStage(registry);
  const StageInfo& info = registry.Get("export");
  EXPECT_EQ(info.role, StageRole::kSink);
  std::vector<std::string> names;
  for (const auto& o : info.options) names.push_back(o.name);
  EXPECT_EQ(names, (std::vector<std::string>{"dir", "packed", "shard-samples", "compress-zstd"}));

  auto stage = registry.Make<ExportStage>(
      "export", {{"packed", "true"}, {"shard-samples", "8"}, {"compress-zstd", "true"}}, "export");
  EXPECT_EQ(stage->label(), "export");
  EXPECT_TRUE(stage->options().packed);
  EXPECT_EQ(stage->options().shard_samples, 8);
  EXPECT_TRUE(stage->options().compress_zstd);
  EXPECT_TRUE(stage->options().output_dir.empty());
  EXPECT_THROW(registry.Make<ExportStage>("export", {{"shard-sample", "8"}}, "export"),
               ConfigError);

  TempDir dir;
  RunContext ctx;
  ctx.output_dir = dir.path();
  Dataset data = MakeSmallDataset({/*samples=*/20, /*snps=*/9});
  ExportSummary summary = stage->Run(data, ctx);
  EXPECT_EQ(summary.files.front(), "genotypes_packed.00000.npy.zst");
  io::NpyArray last = io::ReadNpy(dir / "export/genotypes_packed.00002.npy.zst");
  EXPECT_EQ(last.shape, (std::vector<uint64_t>{4, 3}));
  EXPECT_TRUE(std::filesystem::exists(dir / "export/manifest.json"));
}

}  // namespace
}  // namespace snpflow
