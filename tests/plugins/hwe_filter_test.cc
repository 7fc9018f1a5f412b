// Tests for plugins/hwe_filter (the `hwe-filter` plugin stage), loaded with dlopen from
// hwe_filter.so and built through the registry by name. Expected p-values are those of
// `plink2 --hardy` (exact test, no mid-p) on the same genotype counts, and of an exact
// enumeration with Python fractions.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "pipeline/error.h"
#include "pipeline/plugin_loader.h"
#include "pipeline/registry.h"
#include "tests/plugins/plugin_test_util.h"

namespace snpflow {
namespace {

using testing::Codes;
using testing::MakeBlock;

std::unique_ptr<BlockStage> MakeHwe(StageRegistry& registry, const std::string& min_p) {
  LoadPlugin(registry, SNPFLOW_HWE_FILTER_SO);
  OptionValues values;
  if (!min_p.empty()) values["min-p"] = min_p;
  auto stage = registry.Make<BlockStage>("hwe-filter", values, "hwe-filter");
  RunContext ctx;
  stage->Init(ctx);
  return stage;
}

/// Return whether hwe-filter with `min_p` keeps a variant with these genotype codes.
bool Keeps(const std::vector<uint8_t>& codes, double min_p) {
  StageRegistry registry;
  auto stage = MakeHwe(registry, FormatDoubleOption(min_p));
  VariantBlock block = MakeBlock({codes});
  stage->Process(block);
  if (!block.kept(0)) EXPECT_STREQ(block.dropped[0], "hwe");
  return block.kept(0);
}

struct KnownP {
  int hom_ref, het, hom_alt, missing;
  double p;  // plink2 --hardy P
};

TEST(HweFilterStage, DropsExactlyBelowTheKnownExactTestP) {
  const KnownP cases[] = {
      {10, 0, 10, 0, 1.3403021576354265e-06},  // plink2: 1.3403e-06
      {14, 2, 4, 0, 0.002761841471518891},     // plink2: 0.00276184
      {8, 1, 1, 10, 0.15789473684210525},      // plink2: 0.157895; missing calls are left out
      {3, 6, 11, 0, 0.28040164747617474},      // plink2: 0.280402
      {19, 0, 1, 0, 0.02564102564102564},      // plink2: 0.025641
      {600, 300, 100, 0, 8.331489696538048e-10},
  };
  for (const KnownP& c : cases) {
    SCOPED_TRACE(std::to_string(c.hom_ref) + "/" + std::to_string(c.het) + "/" +
                 std::to_string(c.hom_alt));
    const auto codes = Codes(c.hom_ref, c.het, c.hom_alt, c.missing);
    EXPECT_TRUE(Keeps(codes, c.p * (1 - 1e-4)));
    EXPECT_FALSE(Keeps(codes, c.p * (1 + 1e-4)));
  }
}

TEST(HweFilterStage, KeepsABalancedVariant) {
  EXPECT_TRUE(Keeps(Codes(5, 10, 5), 0.999));      // p = 1
  EXPECT_TRUE(Keeps(Codes(490, 420, 90), 0.999));  // p = 1 with larger counts
  EXPECT_TRUE(Keeps(Codes(0, 0, 0, 20), 0.5));     // all missing: nothing to test
  EXPECT_TRUE(Keeps(Codes(20, 0, 0), 0.5));        // monomorphic: p = 1
}

TEST(HweFilterStage, DefaultMinPKeepsABorderlineVariant) {
  StageRegistry registry;
  auto stage = MakeHwe(registry, "");  // default 1e-6
  VariantBlock block = MakeBlock({Codes(10, 0, 10), Codes(5, 10, 5)});
  stage->Process(block);
  EXPECT_TRUE(block.kept(0));  // p = 1.34e-6 >= 1e-6
  EXPECT_TRUE(block.kept(1));
  VariantBlock big = MakeBlock({Codes(600, 300, 100), Codes(490, 420, 90)});
  stage->Process(big);
  EXPECT_FALSE(big.kept(0));  // p = 8.3e-10
  EXPECT_TRUE(big.kept(1));
}

TEST(HweFilterStage, LeavesAlreadyDroppedVariantsAlone) {
  StageRegistry registry;
  auto stage = MakeHwe(registry, "0.01");
  VariantBlock block = MakeBlock({Codes(10, 0, 10), Codes(10, 0, 10)});
  block.Drop(0, "maf");
  stage->Process(block);
  EXPECT_STREQ(block.dropped[0], "maf");
  EXPECT_STREQ(block.dropped[1], "hwe");
}

TEST(HweFilterStage, RejectsAMinPOutsideZeroOne) {
  StageRegistry registry;
  LoadPlugin(registry, SNPFLOW_HWE_FILTER_SO);
  for (const char* bad : {"2", "-0.1", "nan"}) {
    try {
      registry.Make<BlockStage>("hwe-filter", {{"min-p", bad}}, "hwe-filter");
      ADD_FAILURE() << "no ConfigError for " << bad;
    } catch (const ConfigError& e) {
      const std::string why = std::string(bad) == "nan" ? "'nan' is not a finite number"
                                                         : std::string(bad) + " is out of range";
      EXPECT_EQ(std::string(e.what()), "plugin 'hwe' (" +
                                           testing::Canonical(SNPFLOW_HWE_FILTER_SO) +
                                           "): --hwe-filter.min-p: " + why + "; allowed: [0, 1]");
    }
  }
  EXPECT_THROW(registry.Make<BlockStage>("hwe-filter", {{"min-p", "x"}}, "hwe-filter"),
               ConfigError);
}

TEST(HweFilterStage, ConcurrentBlocksGiveTheSameResultAsSerial) {
  StageRegistry registry;
  auto stage = MakeHwe(registry, "0.01");
  ASSERT_EQ(stage->concurrency(), Concurrency::kParallel);
  std::vector<std::vector<uint8_t>> variants;
  for (int i = 0; i < 200; ++i) variants.push_back(Codes(10 + i % 7, i % 13, 3 + i % 5, i % 3));
  VariantBlock serial = MakeBlock(variants);
  stage->Process(serial);
  std::vector<VariantBlock> blocks(4, MakeBlock(variants));
  std::vector<std::thread> threads;
  for (auto& b : blocks) threads.emplace_back([&stage, &b] { stage->Process(b); });
  for (auto& t : threads) t.join();
  for (const auto& b : blocks) {
    for (size_t i = 0; i < b.size(); ++i) EXPECT_EQ(b.kept(i), serial.kept(i)) << i;
  }
  EXPECT_GT(serial.num_kept(), 0u);
  EXPECT_LT(serial.num_kept(), serial.size());
}

}  // namespace
}  // namespace snpflow
