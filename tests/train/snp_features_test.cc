// The shrinkage prior of the count-based SNP features (dietnet's default prior is 3): exact
// values, a class absent from training, and the limit of a large prior.
#include "stages/train/snp_features.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

namespace snpflow {
namespace {

/// One SNP, two classes: class 0 has genotypes 0,0,1,2 + one missing (3 ALT of 8 called alleles),
/// class 1 has genotypes 2,2 (4 ALT of 4), as S x C x {0,1,2,missing} counts.
torch::Tensor TwoClassCounts() {
  return torch::tensor({2.0, 1.0, 1.0, 1.0, 0.0, 0.0, 2.0, 0.0}, torch::kFloat64)
      .reshape({1, 2, 4});
}

TEST(SnpFeatures, AlleleFrequenciesShrinkTowardTheAllClassFrequency) {
  torch::Tensor counts = TwoClassCounts();
  // pbar = (7 + 0.5) / (12 + 1) = 7.5 / 13.
  const double pbar = 7.5 / 13;
  torch::Tensor p0 = AlleleFrequencies(counts, 0);
  EXPECT_NEAR(p0[0][0].item<double>(), 3.5 / 9, 1e-12);
  EXPECT_NEAR(p0[0][1].item<double>(), 4.5 / 5, 1e-12);
  torch::Tensor p3 = AlleleFrequencies(counts, 3);
  EXPECT_NEAR(p3[0][0].item<double>(), (3.5 + 6 * pbar) / 15, 1e-12);
  EXPECT_NEAR(p3[0][1].item<double>(), (4.5 + 6 * pbar) / 11, 1e-12);
  // The smaller class moves further: 2 samples weigh less against 3 pseudo-samples than 4 do.
  EXPECT_GT(std::abs(p3[0][1].item<double>() - p0[0][1].item<double>()),
            std::abs(p3[0][0].item<double>() - p0[0][0].item<double>()));
  torch::Tensor huge = AlleleFrequencies(counts, 1e9);
  EXPECT_NEAR(huge[0][0].item<double>(), pbar, 1e-6);
  EXPECT_NEAR(huge[0][1].item<double>(), pbar, 1e-6);
}

TEST(SnpFeatures, HistogramPriorGivesAnAbsentClassTheAllClassGenotypeFrequencies) {
  // Classes 0 and 1 as above, class 2 without a training sample.
  torch::Tensor counts = torch::zeros({1, 3, 4}, torch::kFloat64);
  counts.narrow(1, 0, 2).copy_(TwoClassCounts());
  torch::Tensor e0 = HistogramEmbedding(counts, 0);
  ASSERT_EQ(e0.sizes(), (std::vector<int64_t>{1, 12}));
  // Prior 0: raw frequencies over all 4 codes (missing included); the absent class is all zero.
  const std::vector<double> raw0 = {0.4, 0.2, 0.2, 0.2, 0, 0, 1, 0, 0, 0, 0, 0};
  for (int k = 0; k < 12; ++k) EXPECT_NEAR(e0[0][k].item<double>(), raw0[k], 1e-6) << k;
  torch::Tensor e3 = HistogramEmbedding(counts, 3);
  // All classes: 2, 1, 3, 1 of 7 samples.
  const std::vector<double> pooled = {2.0 / 7, 1.0 / 7, 3.0 / 7, 1.0 / 7};
  for (int g = 0; g < 4; ++g) {
    EXPECT_NEAR(e3[0][g].item<double>(), (raw0[g] * 5 + 3 * pooled[g]) / 8, 1e-6) << g;
    EXPECT_NEAR(e3[0][4 + g].item<double>(), (raw0[4 + g] * 2 + 3 * pooled[g]) / 5, 1e-6) << g;
    EXPECT_NEAR(e3[0][8 + g].item<double>(), pooled[g], 1e-6) << g;
  }
  for (int c = 0; c < 3; ++c)
    EXPECT_NEAR(e3[0].narrow(0, 4 * c, 4).sum().item<double>(), 1.0, 1e-6) << c;
}

}  // namespace
}  // namespace snpflow
