// `snpflow predict` on data from another source: `chr` prefixes, REF/ALT swaps (dosage flipped)
// and partial coverage, through the real CLI on a model trained on simulated data.
#include <gtest/gtest.h>

#include "tests/fixtures/test_util.h"

namespace snpflow {
namespace {

using testing::RunShell;
using testing::RunSnpflow;

TEST(PredictCli, MatchesChrPrefixesAndSwappedAllelesAndEnforcesCoverage) {
  testing::TempDir dir;
  ASSERT_EQ(RunSnpflow("simulate --samples 120 --snps 600 --seed 7 -O b -q -o " + (dir / "X.bcf"))
                .exit_code,
            0);
  ASSERT_EQ(RunSnpflow("train " + (dir / "X.bcf") + " --labels " + (dir / "X.panel") +
                       " --label-column super_pop -q -o " + (dir / "R") +
                       " --train-folds 0 --train.epochs 3 --threads 1 --seed 1")
                .exit_code,
            0);
  auto base = RunSnpflow("predict -q --model " + (dir / "R/fold_0") + " --vcf " + (dir / "X.bcf") +
                         " -o " + (dir / "base.tsv"));
  ASSERT_EQ(base.exit_code, 0) << base.err;

  // The same data as another pipeline might write it: `chr` contig names, and every third record
  // with REF and ALT swapped and its genotypes recoded (0 <-> 1).
  auto conv = RunShell(
      "bcftools view " + (dir / "X.bcf") +
      " | sed 's/^##contig=<ID=/##contig=<ID=chr/' | awk 'BEGIN{FS=OFS=\"\\t\"} "
      "/^#/{print; next} {$1=\"chr\"$1; n++; if (n % 3 == 0) {t=$4; $4=$5; $5=t; "
      "for (i = 10; i <= NF; i++) {gsub(/0/, \"x\", $i); gsub(/1/, \"0\", $i); "
      "gsub(/x/, \"1\", $i)}} print}' > " + (dir / "other.vcf"));
  ASSERT_EQ(conv.exit_code, 0) << conv.err;
  auto other = RunSnpflow("predict --model " + (dir / "R/fold_0") + " --vcf " +
                          (dir / "other.vcf") + " -o " + (dir / "other.tsv"));
  ASSERT_EQ(other.exit_code, 0) << other.err;
  EXPECT_NE(other.err.find("600 of 600 training variants matched (200 with REF/ALT swapped and "
                           "flipped), 0 missing, among 600 records"),
            std::string::npos)
      << other.err;
  EXPECT_EQ(testing::ReadFile(dir / "other.tsv"), testing::ReadFile(dir / "base.tsv"));

  // A third of the variants: below the default --min-coverage 0.5, an error naming the coverage;
  // lowering it predicts, with a warning.
  ASSERT_EQ(RunShell("awk '/^#/ || (++n % 3 == 0)' " + (dir / "other.vcf") + " > " +
                     (dir / "third.vcf"))
                .exit_code,
            0);
  auto low = RunSnpflow("predict --model " + (dir / "R/fold_0") + " --vcf " + (dir / "third.vcf") +
                        " -o " + (dir / "third.tsv"));
  EXPECT_EQ(low.exit_code, 1);
  EXPECT_NE(low.err.find("only 33.3% of the model's training variants are in it (200 of 600"),
            std::string::npos)
      << low.err;
  EXPECT_NE(low.err.find("below --min-coverage 0.5"), std::string::npos) << low.err;
  auto forced = RunSnpflow("predict --min-coverage 0.3 --model " + (dir / "R/fold_0") + " --vcf " +
                           (dir / "third.vcf") + " -o " + (dir / "third.tsv"));
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_NE(forced.err.find("warning: only 33.3% of the training variants matched"),
            std::string::npos)
      << forced.err;
  auto bad = RunSnpflow("predict --min-coverage 2 --model " + (dir / "R/fold_0") + " --vcf " +
                        (dir / "third.vcf") + " -o " + (dir / "x.tsv"));
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--min-coverage: 2 is out of range; allowed: [0, 1]"), std::string::npos)
      << bad.err;
}

}  // namespace
}  // namespace snpflow
