// The filter stage's thresholds, on rows long enough for its vectorized code counts to wrap byte
// counters (more than 255 x 16 samples) and with a tail that is not a multiple of 16.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "pipeline/registry.h"

namespace snpflow {
namespace {

constexpr size_t kSamples = 16 * 255 * 2 + 7;  // 8167

// A block of rows with exactly `n[c]` samples of code c (c = 1, 2, 3), the rest 0, in an order
// that puts every code in the vector part and in the tail.
VariantBlock BlockOf(const std::vector<std::vector<size_t>>& rows) {
  VariantBlock block;
  block.n_samples = kSamples;
  for (size_t r = 0; r < rows.size(); ++r) {
    Variant v;
    v.ref = "A";
    v.alt = "G";
    block.variants.push_back(v);
  }
  block.dropped.assign(rows.size(), nullptr);
  block.codes.assign(rows.size() * kSamples, 0);
  for (size_t r = 0; r < rows.size(); ++r) {
    EXPECT_LE(rows[r][0] + rows[r][1] + rows[r][2], kSamples) << "row " << r;
    uint8_t* codes = block.codes_of(r);
    size_t at = kSamples - 1;  // fill from the end: the tail first, then the vector part
    for (uint8_t c = 1; c <= 3; ++c)
      for (size_t k = 0; k < rows[r][c - 1]; ++k) codes[at--] = c;
  }
  return block;
}

TEST(FilterStage, ThresholdsOnLongRows) {
  auto filter = DefaultRegistry().Make<BlockStage>(
      "filter", {{"min-maf", "0.1"}, {"max-missing", "0.05"}}, "filter");
  // Rows: {het, hom-alt, missing}.
  VariantBlock block = BlockOf({
      {1000, 500, 100},  // af = 2000 / (2 * 8067) = 0.124: kept
      {1000, 300, 100},  // af = 1600 / 16134 = 0.0992: maf
      {0, 0, 409},       // missing 409 / 8167 = 0.0501 > 0.05: missing-rate
      {0, 0, 408},       // 0.04996: then maf 0 -> maf
      {0, 0, kSamples},  // all-missing
      {200, 7900, 0},    // af = 16000 / 16334 = 0.980, maf 0.0204: maf
      {4000, 4000, 167}, // af = 12000 / 16000 = 0.75, maf 0.25: kept
  });
  filter->Process(block);
  const std::vector<std::string> want = {"", "maf", "missing-rate", "maf", "all-missing", "maf", ""};
  for (size_t r = 0; r < want.size(); ++r)
    EXPECT_EQ(block.dropped[r] == nullptr ? "" : std::string(block.dropped[r]), want[r])
        << "row " << r;
}

TEST(FilterStage, AtTheDefaultsOnlyAllMissingAndIndelsAreDropped) {
  // No MAF or missing-rate threshold: the codes are not counted, only searched for a call; the
  // one called genotype sits last in the row (BlockOf fills from the end) or is missing.
  auto filter = DefaultRegistry().Make<BlockStage>("filter", {}, "filter");
  VariantBlock block = BlockOf({
      {0, 0, kSamples},      // all-missing
      {0, 0, kSamples - 1},  // one hom-ref call, first in the row: kept
      {1, 0, kSamples - 1},  // one het call: kept
      {0, 0, 0},             // all hom-ref (maf 0): kept
      {0, 0, kSamples},      // all-missing
  });
  block.codes_of(2)[0] = 1;  // the het call moved to the row's start
  block.codes_of(2)[kSamples - 1] = 3;
  block.variants[3].alt = "GT";  // an indel
  filter->Process(block);
  const std::vector<std::string> want = {"all-missing", "", "", "not-snp", "all-missing"};
  for (size_t r = 0; r < want.size(); ++r)
    EXPECT_EQ(block.dropped[r] == nullptr ? "" : std::string(block.dropped[r]), want[r])
        << "row " << r;
}

}  // namespace
}  // namespace snpflow
