// The bad-input table: one row per case (how to make the input, expected message, exit code).
// Each must fail with a clear message naming the file, exit non-zero, and leave no output files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/fixtures/test_util.h"

#define SNPFLOW_CLI_QUOTED "'" SNPFLOW_CLI "'"

namespace snpflow {
namespace {

using testing::RunShell;
using testing::RunSnpflow;
using testing::TempDir;

const char* kHeader =
    "##fileformat=VCFv4.2\n"
    "##contig=<ID=1,length=100000>\n"
    "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n"
    "##FORMAT=<ID=DP,Number=1,Type=Integer,Description=\"Depth\">\n"
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB\tC\n";
const char* kLabels = "sample\tpop\tsuper_pop\tgender\nA\tX\tS\tm\nB\tY\tS\tf\nC\tY\tS\tm\n";

struct BadInput {
  const char* name;
  std::string vcf;     // contents of in.vcf ("" = don't write); may be replaced by `make`
  std::string make;    // shell command run in the test dir to create the input instead
  std::string input;   // file given to ingest
  std::string labels;  // contents of labels.tsv
  std::string message; // expected substring of stderr
  int exit_code;
};

void PrintTo(const BadInput& b, std::ostream* os) { *os << b.name; }

std::string Good() {
  return std::string(kHeader) + "1\t100\tr1\tA\tC\t.\t.\t.\tGT\t0/0\t0/1\t1/1\n" +
         "1\t200\tr2\tA\tG\t.\t.\t.\tGT\t0/1\t0/1\t1/1\n";
}

std::vector<BadInput> Cases() {
  return {
      {"EmptyFile", "", "touch in.vcf", "in.vcf", kLabels, "in.vcf' is empty", 1},
      {"MissingFile", "", "", "nope.vcf", kLabels, "nope.vcf': no such file", 1},
      {"HeaderOnly", kHeader, "", "in.vcf", kLabels, "in.vcf' contains no variant records", 1},
      {"NotAVcf", "", "echo 'hello world' > in.vcf", "in.vcf", kLabels, "in.vcf", 1},
      {"MalformedLine", Good() + "1\t300\tr3\tA\n", "", "in.vcf", kLabels,
       "in.vcf': record 3 (1:300) has 0 sample columns but the header has 3", 1},
      {"BadQual", Good() + "1\t300\tr3\tA\tC\t.\t.\t.\tGT\t0/0\t0/1\n", "", "in.vcf", kLabels,
       "in.vcf': record 3", 1},
      {"NoGtInHeader",
       "##fileformat=VCFv4.2\n##contig=<ID=1>\n##FORMAT=<ID=DP,Number=1,Type=Integer,Description=\"D\">\n"
       "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB\tC\n1\t1\t.\tA\tC\t.\t.\t.\tDP\t1\t2\t3\n",
       "", "in.vcf", kLabels, "in.vcf' has no FORMAT/GT field", 1},
      {"RecordWithoutGt", Good() + "1\t300\tr3\tA\tC\t.\t.\t.\tDP\t1\t2\t3\n", "", "in.vcf", kLabels,
       "in.vcf': record 3 (1:300) has no GT field", 1},
      {"TruncatedBgzf", "",
       SNPFLOW_CLI_QUOTED " simulate --samples 30 --snps 4000 -q -O z --no-index -o full.vcf.gz && "
       "cp full.panel labels.tsv && "
       "head -c $(( $(stat -c %s full.vcf.gz) * 6 / 10 )) full.vcf.gz > in.vcf.gz",
       "in.vcf.gz", kLabels, "in.vcf.gz': record", 1},
      {"SampleNotInLabels", Good(), "", "in.vcf",
       "sample\tpop\tsuper_pop\tgender\nA\tX\tS\tm\nB\tY\tS\tf\n",
       "1 sample(s) of 'in.vcf' are not in the label file 'labels.tsv': C", 1},
      {"LabelNotInVcf", Good(), "", "in.vcf", std::string(kLabels) + "D\tX\tS\tf\n",
       "1 sample(s) of the label file 'labels.tsv' are not in 'in.vcf': D", 1},
      {"UnknownLabelColumn", Good(), "", "in.vcf", "sample\tregion\nA\tX\nB\tY\nC\tY\n",
       "label file 'labels.tsv' has no column 'pop'; choose --label-column from: region", 1},
  };
}

class BadInputTest : public ::testing::TestWithParam<BadInput> {};

TEST_P(BadInputTest, FailsClearlyAndLeavesNoOutput) {
  const BadInput& c = GetParam();
  TempDir dir;
  if (!c.vcf.empty()) std::ofstream(dir / "in.vcf") << c.vcf;
  std::ofstream(dir / "labels.tsv") << c.labels;
  if (!c.make.empty()) ASSERT_EQ(RunShell("cd " + dir.path() + " && " + c.make).exit_code, 0);
  auto r = RunShell("cd " + dir.path() + " && " + testing::SnpflowCli() + " ingest " + c.input +
                    " --labels labels.tsv --folds 3 -q -o out");
  EXPECT_EQ(r.exit_code, c.exit_code) << r.err;
  EXPECT_NE(r.err.find("snpflow: error: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(c.message), std::string::npos) << "stderr: " << r.err;
  // Nothing half-written: no output directory, or one without store/temp files.
  if (std::filesystem::exists(dir / "out")) {
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir / "out"))
      ADD_FAILURE() << "left behind: " << e.path();
  }
}

INSTANTIATE_TEST_SUITE_P(Table, BadInputTest, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(BadInput, UnknownOptionNamesNearest) {
  TempDir dir;
  auto r = RunSnpflow("ingest x.vcf --labels l --filter.min-mf 0.1 -o " + dir / "o");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown option 'filter.min-mf'; did you mean 'filter.min-maf'?"),
            std::string::npos) << r.err;
}

TEST(BadInput, BadOptionValueNamesOption) {
  TempDir dir;
  auto r = RunSnpflow("ingest x.vcf --labels l --maf abc -o " + dir / "o");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--maf: 'abc' is not a number; allowed: [0, 0.5]"), std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace snpflow
