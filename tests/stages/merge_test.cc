// `snpflow merge`: region shards of an indexed BCF, joined, equal a single ingest byte for byte;
// mismatched or overlapping shards are refused.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/fixtures/test_util.h"

namespace snpflow {
namespace {

namespace fs = std::filesystem;

class MergeCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    auto sim = testing::RunSnpflow(
        "simulate --samples 120 --snps 1200 --chroms 2 --indel-rate 0.05 --seed 4 -O b -q -o " +
        (*dir_ / "X.bcf"));
    ASSERT_EQ(sim.exit_code, 0) << sim.err;
  }
  static void TearDownTestSuite() { delete dir_; }
  // Ingest X.bcf (optionally one region) into `out`.
  static void Ingest(const std::string& out, const std::string& extra) {
    auto r = testing::RunSnpflow("ingest " + (*dir_ / "X.bcf") + " --labels " +
                                 (*dir_ / "X.panel") + " --label-column super_pop --maf 0.02 -q " +
                                 extra + " -o " + out);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static testing::TempDir* dir_;
};
testing::TempDir* MergeCli::dir_ = nullptr;

TEST_F(MergeCli, ShardsOfThreeRegionsEqualOneIngestByteForByte) {
  testing::TempDir dir;
  Ingest(dir / "full", "");
  Ingest(dir / "a", "-r 1:1-120000000");
  Ingest(dir / "b", "-r 1:120000001-");
  Ingest(dir / "c", "-r 2");
  auto merge = testing::RunSnpflow("merge " + (dir / "a") + " " + (dir / "b") + " " +
                                   (dir / "c") + " -o " + (dir / "merged"));
  ASSERT_EQ(merge.exit_code, 0) << merge.err;
  EXPECT_NE(merge.err.find("[merge] 3 shards"), std::string::npos) << merge.err;
  std::vector<std::string> files = {"store.snpf", "variants.tsv", "counts.npy", "samples.tsv",
                                    "classes.txt"};
  for (const auto& name : files) {
    ASSERT_TRUE(fs::exists(dir / ("merged/" + name))) << name;
    EXPECT_TRUE(testing::ReadFile(dir / ("merged/" + name)) ==
                testing::ReadFile(dir / ("full/" + name)))
        << name << " differs from the single ingest";
  }
  // Per-fold statistics and embeddings derive from the counts; export writes them: equal too.
  for (const char* set : {"merged", "full"})
    ASSERT_EQ(testing::RunSnpflow("export -q --data " + (dir / set) + " -o " +
                                  (dir / (std::string(set) + "_x")))
                  .exit_code,
              0);
  for (int f = 0; f < 5; ++f)
    for (const char* name : {"/mean.npy", "/std.npy", "/embedding.npy"}) {
      const std::string rel = "fold_" + std::to_string(f) + name;
      ASSERT_TRUE(fs::exists(dir / ("merged_x/" + rel))) << rel;
      EXPECT_TRUE(testing::ReadFile(dir / ("merged_x/" + rel)) ==
                  testing::ReadFile(dir / ("full_x/" + rel)))
          << rel << " differs from the single ingest's";
    }
  // Each shard holds part of the variants (the split is real), and the counts add up.
  const std::string a = testing::ReadFile(dir / "a/variants.tsv");
  const std::string full = testing::ReadFile(dir / "full/variants.tsv");
  EXPECT_GT(a.size(), 1000u);
  EXPECT_LT(a.size(), full.size() / 2);
  const std::string json = testing::ReadFile(dir / "merged/ingest.json");
  const std::string full_json = testing::ReadFile(dir / "full/ingest.json");
  for (const char* key : {"\"records\": ", "\"kept\": ", "\"not-snp\": "}) {
    size_t at = json.find(key), full_at = full_json.find(key);
    ASSERT_NE(at, std::string::npos) << key << json;
    ASSERT_NE(full_at, std::string::npos) << key << full_json;
    EXPECT_EQ(std::stoull(json.substr(at + std::string(key).size())),
              std::stoull(full_json.substr(full_at + std::string(key).size())))
        << key;
  }
  // The merged set trains like any ingest: --data reads it.
  auto exported = testing::RunSnpflow("export --data " + (dir / "merged") + " -q -o " +
                                      (dir / "npy"));
  EXPECT_EQ(exported.exit_code, 0) << exported.err;
}

TEST_F(MergeCli, RefusesOverlappingOutOfOrderAndMismatchedShards) {
  testing::TempDir dir;
  Ingest(dir / "a", "-r 1:1-120000000");
  Ingest(dir / "b", "-r 1:100000001-");  // overlaps a
  Ingest(dir / "c", "-r 2");
  Ingest(dir / "seed2", "-r 2 --seed 2");
  auto overlap = testing::RunSnpflow("merge " + (dir / "a") + " " + (dir / "b") + " -o " +
                                     (dir / "m1"));
  EXPECT_EQ(overlap.exit_code, 1);
  EXPECT_NE(overlap.err.find("the regions overlap or are out of order"), std::string::npos)
      << overlap.err;
  // Chromosome 1 after chromosome 2 is a valid order (the VCF header's), but 1 must not return.
  auto order = testing::RunSnpflow("merge " + (dir / "a") + " " + (dir / "c") + " " +
                                   (dir / "b") + " -o " + (dir / "m2"));
  EXPECT_EQ(order.exit_code, 1);
  EXPECT_NE(order.err.find("/b starts at 1:"), std::string::npos) << order.err;
  EXPECT_NE(order.err.find("ends: the regions are out of order"), std::string::npos)
      << order.err;
  auto backwards = testing::RunSnpflow("merge " + (dir / "b") + " " + (dir / "a") + " -o " +
                                       (dir / "m6"));
  EXPECT_EQ(backwards.exit_code, 1);
  EXPECT_NE(backwards.err.find("the regions overlap or are out of order"), std::string::npos)
      << backwards.err;
  auto seed = testing::RunSnpflow("merge " + (dir / "a") + " " + (dir / "seed2") + " -o " +
                                  (dir / "m3"));
  EXPECT_EQ(seed.exit_code, 1);
  EXPECT_NE(seed.err.find("other fold partitions (another --seed?)"), std::string::npos)
      << seed.err;
  Ingest(dir / "maf", "-r 2 --filter.max-missing 0.5");
  auto options = testing::RunSnpflow("merge " + (dir / "a") + " " + (dir / "maf") + " -o " +
                                     (dir / "m4"));
  EXPECT_EQ(options.exit_code, 1);
  EXPECT_NE(options.err.find("was ingested with other options than"), std::string::npos)
      << options.err;
  auto one = testing::RunSnpflow("merge " + (dir / "a") + " -o " + (dir / "m5"));
  EXPECT_EQ(one.exit_code, 2);
  for (const char* m : {"m1", "m2", "m3", "m4", "m5", "m6"}) EXPECT_FALSE(fs::exists(dir / m)) << m;
}

}  // namespace
}  // namespace snpflow
