// Matching a new VCF's records to the training variants: chr prefixes, MT names, REF/ALT swaps.
#include "io/site_matcher.h"

#include <gtest/gtest.h>

namespace snpflow::io {
namespace {

TEST(CanonicalChrom, StripsChrPrefixAndUnifiesMitochondrialNames) {
  EXPECT_EQ(CanonicalChrom("chr22"), "22");
  EXPECT_EQ(CanonicalChrom("CHR22"), "22");
  EXPECT_EQ(CanonicalChrom("22"), "22");
  EXPECT_EQ(CanonicalChrom("chrX"), "X");
  EXPECT_EQ(CanonicalChrom("chrM"), "M");
  EXPECT_EQ(CanonicalChrom("MT"), "M");
  EXPECT_EQ(CanonicalChrom("M"), "M");
  EXPECT_EQ(CanonicalChrom("chr"), "chr");  // nothing after the prefix: left alone
}

TEST(SiteMatcher, MatchesAcrossNamingAndDetectsSwappedAlleles) {
  SiteMatcher m({{"22", 100, "rs1", "A", "G"}, {"chrMT", 5, ".", "C", "T"}, {"1", 7, ".", "G", "A"}});
  auto a = m.Find("chr22", 100, "A", "G");
  EXPECT_EQ(a.index, 0);
  EXPECT_FALSE(a.flipped);
  auto b = m.Find("22", 100, "G", "A");
  EXPECT_EQ(b.index, 0);
  EXPECT_TRUE(b.flipped);
  EXPECT_EQ(m.Find("MT", 5, "C", "T").index, 1);
  EXPECT_EQ(m.Find("chrM", 5, "T", "C").index, 1);
  EXPECT_EQ(m.Find("1", 7, "G", "C").index, -1);   // another ALT: not this variant
  EXPECT_EQ(m.Find("1", 8, "G", "A").index, -1);   // another position
  EXPECT_EQ(m.Find("2", 7, "G", "A").index, -1);   // another chromosome
}

TEST(OrientCode, FlipsDosageButKeepsMissing) {
  EXPECT_EQ(OrientCode(0, true), 2);
  EXPECT_EQ(OrientCode(1, true), 1);
  EXPECT_EQ(OrientCode(2, true), 0);
  EXPECT_EQ(OrientCode(3, true), 3);
  EXPECT_EQ(OrientCode(2, false), 2);
}

}  // namespace
}  // namespace snpflow::io
