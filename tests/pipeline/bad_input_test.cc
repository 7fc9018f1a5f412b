// The bad-input table: one row per case (how to make the input, the exact error message, the exit
// code). Each must fail with exactly that message, exit non-zero, and leave no output files.
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
    "##contig=<ID=2,length=100000>\n"
    "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n"
    "##FORMAT=<ID=DP,Number=1,Type=Integer,Description=\"Depth\">\n"
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB\tC\n";
const char* kLabels = "sample\tpop\tsuper_pop\tgender\nA\tX\tS\tm\nB\tY\tS\tf\nC\tY\tS\tm\n";

// Shell commands that turn in.vcf into in.bcf / a bgzipped in.vcf.gz.
#define TO_BCF "bcftools view --no-version -Ob -o in.bcf in.vcf"
#define TO_VCFGZ "bcftools view --no-version -Oz -o in.vcf.gz in.vcf"

struct BadInput {
  const char* name;
  std::string vcf;      // contents of in.vcf ("" = don't write); may be replaced by `make`
  std::string make;     // shell command run in the test dir to create the input instead
  std::string input;    // file given to ingest (may carry a redirection: "- < in.vcf.gz")
  std::string labels;   // contents of labels.tsv ("" = don't write)
  std::string message;  // the exact error message, after "snpflow: error: "
  int exit_code;
  std::string args = "";  // extra ingest options
};

void PrintTo(const BadInput& b, std::ostream* os) { *os << b.name; }

// A VCF line at chrom:pos with REF A, ALT `alt` and three GT calls.
std::string Rec(const std::string& chrom, const std::string& pos, const std::string& gts,
                const std::string& alt = "C") {
  return chrom + "\t" + pos + "\t.\tA\t" + alt + "\t.\t.\t.\tGT\t" + gts + "\n";
}

std::string Good() {
  return std::string(kHeader) + Rec("1", "100", "0/0\t0/1\t1/1") + Rec("1", "200", "0/1\t0/1\t1/1");
}

std::string WithHeader(const std::string& records) { return std::string(kHeader) + records; }

const std::string kSortHint =
    "; sort the file with `bcftools sort`, or skip such records with --decode-gt.unsorted skip";
const std::string kDupHint =
    "; remove duplicates with `bcftools norm -d exact`, or skip them with "
    "--decode-gt.duplicates skip";

std::vector<BadInput> Cases() {
  const std::string unsorted = WithHeader(Rec("1", "100", "0/0\t0/1\t1/1") +
                                          Rec("1", "50", "0/0\t0/1\t1/1"));
  const std::string reappears = WithHeader(Rec("1", "100", "0/0\t0/1\t1/1") +
                                           Rec("2", "10", "0/0\t0/1\t1/1") +
                                           Rec("1", "200", "0/0\t0/1\t1/1"));
  const std::string duplicate = WithHeader(Rec("1", "100", "0/0\t0/1\t1/1") +
                                           Rec("1", "100", "0/1\t0/1\t1/1", "G") +
                                           Rec("1", "100", "0/1\t0/0\t1/1"));
  const std::string two_contigs = WithHeader(Rec("1", "100", "0/0\t0/1\t1/1") +
                                            Rec("1", "200", "0/1\t0/1\t1/1") +
                                            Rec("2", "10", "0/0\t0/1\t1/1"));
  // A contig line whose IDX would make htslib's header parser make room for (and zero) 149M
  // dictionary entries: 4 GB.
  const std::string huge_index =
      "##fileformat=VCFv4.2\n##contig=<ID=1,IDX=149250621>\n"
      "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"G\">\n"
      "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB\tC\n"
      "1\t1\t.\tA\tC\t.\t.\t.\tGT\t0/0\t0/1\t1/1\n";
  const std::string pos_zero = WithHeader(Rec("1", "100", "0/0\t0/1\t1/1") +
                                          Rec("1", "0", "0/0\t0/1\t1/1"));
  return {
      {"EmptyFile", "", "touch in.vcf", "in.vcf", kLabels,
       "'in.vcf' is empty; expected a VCF, VCF.gz or BCF file", 1},
      {"MissingFile", "", "", "nope.vcf", kLabels,
       "cannot open 'nope.vcf': no such file; check the input path", 1},
      {"InputIsDirectory", "", "mkdir in.vcf", "in.vcf", kLabels,
       "'in.vcf' is a directory; give a VCF, VCF.gz or BCF file", 1},
      {"HeaderOnly", kHeader, "", "in.vcf", kLabels, "'in.vcf' contains no variant records", 1},
      {"NotAVcf", "", "echo 'hello world' > in.vcf", "in.vcf", kLabels,
       "'in.vcf' is not a VCF or BCF file (htslib sees unknown text)", 1},
      {"MalformedLine", Good() + "1\t300\tr3\tA\n", "", "in.vcf", kLabels,
       "'in.vcf': record 3 (data line 3 after the header) at 1:300 has 4 columns but the header "
       "has 12 (9 + 3 samples); the line is malformed or cut short", 1},
      {"BadQual", Good() + "1\t300\tr3\tA\tC\t.\t.\t.\tGT\t0/0\t0/1\n", "", "in.vcf", kLabels,
       "'in.vcf': record 3 (data line 3 after the header) at 1:300 has 11 columns but the header "
       "has 12 (9 + 3 samples); the line is malformed or cut short", 1},
      {"ExtraColumn", Good() + "1\t300\tr3\tA\tC\t.\t.\t.\tGT\t0/0\t0/1\t0/0\t1/1\n", "", "in.vcf",
       kLabels,
       "'in.vcf': record 3 (data line 3 after the header) at 1:300 has 13 columns but the header "
       "has 12 (9 + 3 samples); the line is malformed or cut short", 1},
      {"NoGtInHeader",
       "##fileformat=VCFv4.2\n##contig=<ID=1>\n##FORMAT=<ID=DP,Number=1,Type=Integer,Description=\"D\">\n"
       "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB\tC\n1\t1\t.\tA\tC\t.\t.\t.\tDP\t1\t2\t3\n",
       "", "in.vcf", kLabels,
       "'in.vcf' has no FORMAT/GT field in its header; snpflow needs diploid genotype calls (GT)", 1},
      {"RecordWithoutGt", Good() + "1\t300\tr3\tA\tC\t.\t.\t.\tDP\t1\t2\t3\n", "", "in.vcf", kLabels,
       "'in.vcf': record 3 (1:300) has no GT field; snpflow needs a diploid GT call for every "
       "sample (drop such records with `bcftools view -i 'GT!=\"mis\"'` or fix them)", 1},
      // POS must be a positive integer (htslib would read "12ab" as 12 and "abc" as 0).
      {"PosTrailingGarbage", WithHeader(Rec("1", "100", "0/0\t0/1\t1/1") + Rec("1", "12ab", "0/0\t0/1\t1/1")),
       "", "in.vcf", kLabels,
       "'in.vcf': record 2 (data line 2 after the header) has POS (column 2) '12ab', not a positive "
       "integer (positions are 1-based)", 1},
      {"PosNotANumber", WithHeader(Rec("1", "abc", "0/0\t0/1\t1/1")), "", "in.vcf", kLabels,
       "'in.vcf': record 1 (data line 1 after the header) has POS (column 2) 'abc', not a positive "
       "integer (positions are 1-based)", 1},
      {"PosNegative", WithHeader(Rec("1", "-5", "0/0\t0/1\t1/1")), "", "in.vcf", kLabels,
       "'in.vcf': record 1 (data line 1 after the header) has POS (column 2) '-5', not a positive "
       "integer (positions are 1-based)", 1},
      {"PosZero", pos_zero, "", "in.vcf", kLabels,
       "'in.vcf': record 2 (data line 2 after the header) has POS (column 2) '0', not a positive "
       "integer (positions are 1-based)", 1},
      {"PosZeroBcf", pos_zero, TO_BCF, "in.bcf", kLabels,
       "'in.bcf': record 2 (1) has POS 0, not a positive integer; the file is corrupt or was "
       "written by a broken tool", 1},
      {"PosTooLarge", WithHeader(Rec("1", "99999999999999999999", "0/0\t0/1\t1/1")), "", "in.vcf",
       kLabels,
       "'in.vcf': record 1 (data line 1 after the header) has POS (column 2) "
       "'99999999999999999999', larger than the largest position 9223372034707292159", 1},
      {"EmptyChrom", WithHeader(Rec("", "5", "0/0\t0/1\t1/1")), "", "in.vcf", kLabels,
       "'in.vcf': record 1 (data line 1 after the header) has an empty CHROM (column 1)", 1},
      // Order: like `bcftools index`, an error naming both records unless skipped on request.
      {"Unsorted", unsorted, "", "in.vcf", kLabels,
       "'in.vcf': record 2 (1:50) comes after record 1 (1:100) on the same contig: the file is "
       "not sorted by position" + kSortHint, 1},
      {"UnsortedBcf", unsorted, TO_BCF, "in.bcf", kLabels,
       "'in.bcf': record 2 (1:50) comes after record 1 (1:100) on the same contig: the file is "
       "not sorted by position" + kSortHint, 1},
      {"ContigReappears", reappears, "", "in.vcf", kLabels,
       "'in.vcf': record 3 (1:200) is on contig '1', which ended at record 1 (1:100) before "
       "another contig began: the records of a contig must be contiguous" + kSortHint, 1},
      {"ContigReappearsVcfGz", reappears, TO_VCFGZ, "in.vcf.gz", kLabels,
       "'in.vcf.gz': record 3 (1:200) is on contig '1', which ended at record 1 (1:100) before "
       "another contig began: the records of a contig must be contiguous" + kSortHint, 1},
      {"Duplicate", duplicate, "", "in.vcf", kLabels,
       "'in.vcf': record 3 (1:100) repeats record 1 (same CHROM, POS, REF and ALT)" + kDupHint, 1},
      {"DuplicateBcf", duplicate, TO_BCF, "in.bcf", kLabels,
       "'in.bcf': record 3 (1:100) repeats record 1 (same CHROM, POS, REF and ALT)" + kDupHint, 1},
      {"DuplicateSkipStillNeedsSort", unsorted, "", "in.vcf", kLabels,
       "'in.vcf': record 2 (1:50) comes after record 1 (1:100) on the same contig: the file is "
       "not sorted by position" + kSortHint, 1, "--decode-gt.duplicates skip"},
      // -r reads regions in the order given: a list out of file order is named up front, not
      // reported as unsorted records with a hint to sort the file.
      {"RegionsOutOfOrderVcfGz", two_contigs, TO_VCFGZ " && bcftools index -t in.vcf.gz",
       "in.vcf.gz", kLabels,
       "-r/--regions lists '1' after '2', but '1' comes first in 'in.vcf.gz' (regions are read "
       "in the order given, and records must stay in file order); list the regions in file "
       "order: -r 1,2", 1, "-r 2,1"},
      {"RegionsOutOfOrderBcf", two_contigs, TO_BCF " && bcftools index in.bcf", "in.bcf", kLabels,
       "-r/--regions lists '1:1-150' after '1:150-300', but '1:1-150' comes first in 'in.bcf' "
       "(regions are read in the order given, and records must stay in file order); list the "
       "regions in file order: -r 1:1-150,1:150-300", 1, "-r 1:150-300,1:1-150"},
      // BGZF: a file cut at a block boundary reads as a shorter valid file but for its EOF marker.
      {"TruncatedBgzf", "",
       SNPFLOW_CLI_QUOTED " simulate --samples 30 --snps 4000 -q -O z --no-index -o full.vcf.gz && "
       "cp full.panel labels.tsv && "
       "head -c $(( $(stat -c %s full.vcf.gz) * 6 / 10 )) full.vcf.gz > in.vcf.gz",
       "in.vcf.gz", "",
       "'in.vcf.gz' is truncated: its BGZF end-of-file marker is missing (the file was cut short, "
       "e.g. by an interrupted download or copy); re-create or re-download it", 1},
      {"NoEofMarkerVcfGz", Good(), TO_VCFGZ " && head -c -28 in.vcf.gz > cut.vcf.gz", "cut.vcf.gz",
       kLabels,
       "'cut.vcf.gz' is truncated: its BGZF end-of-file marker is missing (the file was cut short, "
       "e.g. by an interrupted download or copy); re-create or re-download it", 1},
      {"NoEofMarkerBcf", Good(), TO_BCF " && head -c -28 in.bcf > cut.bcf", "cut.bcf", kLabels,
       "'cut.bcf' is truncated: its BGZF end-of-file marker is missing (the file was cut short, "
       "e.g. by an interrupted download or copy); re-create or re-download it", 1},
      {"NoEofMarkerStdin", Good(), TO_BCF " && head -c -28 in.bcf > cut.bcf", "- < cut.bcf", kLabels,
       "'-' is truncated: it ends after record 2 without the BGZF end-of-file marker (the file was "
       "cut short); re-create or re-download it", 1},
      {"NoEofMarkerPipe", Good(), TO_VCFGZ " && head -c -28 in.vcf.gz > cut.vcf.gz && mkfifo fifo && "
       "(cat cut.vcf.gz > fifo &)", "fifo", kLabels,
       "'fifo' is truncated: it ends after record 2 without the BGZF end-of-file marker (the file "
       "was cut short); re-create or re-download it", 1},
      // Header problems.
      {"DuplicateSampleNames",
       "##fileformat=VCFv4.2\n##contig=<ID=1>\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"G\">\n"
       "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB\tA\n1\t1\t.\tA\tC\t.\t.\t.\tGT\t0/0\t0/1\t1/1\n",
       "", "in.vcf", kLabels,
       "'in.vcf': sample 'A' appears twice in the header (columns 10 and 12); give every sample a "
       "unique name, e.g. with `bcftools reheader -s new_names.txt in.vcf`", 1},
      // The same on stdin: its header, read once by snpflow, names the sample too.
      {"DuplicateSampleNamesStdin",
       "##fileformat=VCFv4.2\n##contig=<ID=1>\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"G\">\n"
       "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB\tA\n1\t1\t.\tA\tC\t.\t.\t.\tGT\t0/0\t0/1\t1/1\n",
       "", "- < in.vcf", kLabels,
       "'-': sample 'A' appears twice in the header (columns 10 and 12); give every sample a "
       "unique name, e.g. with `bcftools reheader -s new_names.txt -`", 1},
      {"HugeHeaderIndex", huge_index,
       "", "in.vcf", kLabels,
       "'in.vcf': header line 2 declares IDX=149250621, an index far beyond what a header of 4 "
       "lines can use (htslib would allocate memory for that many entries); the header is corrupt "
       "or crafted; check it with `bcftools view -h in.vcf`", 1},
      {"HugeHeaderIndexBgzf", huge_index,
       "bgzip -c in.vcf > in.vcf.gz", "in.vcf.gz", kLabels,
       "'in.vcf.gz': header line 2 declares IDX=149250621, an index far beyond what a header of 4 "
       "lines can use (htslib would allocate memory for that many entries); the header is corrupt "
       "or crafted; check it with `bcftools view -h in.vcf.gz`", 1},
      // The same through stdin: a stream's header is read once, by snpflow, and checked
      // before htslib parses it.
      {"HugeHeaderIndexStdin", huge_index,
       "", "- < in.vcf", kLabels,
       "'-': header line 2 declares IDX=149250621, an index far beyond what a header of 4 "
       "lines can use (htslib would allocate memory for that many entries); the header is corrupt "
       "or crafted; check it with `bcftools view -h -`", 1},
      {"HugeHeaderIndexStdinBgzf", huge_index,
       "bgzip -c in.vcf > in.vcf.gz", "- < in.vcf.gz", kLabels,
       "'-': header line 2 declares IDX=149250621, an index far beyond what a header of 4 "
       "lines can use (htslib would allocate memory for that many entries); the header is corrupt "
       "or crafted; check it with `bcftools view -h -`", 1},
      {"NoSamples",
       "##fileformat=VCFv4.2\n##contig=<ID=1>\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"G\">\n"
       "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n1\t1\t.\tA\tC\t.\t.\t.\n",
       "", "in.vcf", kLabels,
       "'in.vcf' has no samples (a sites-only VCF); snpflow needs a genotype (GT) column per sample", 1},
      {"ContigMissingFromBcfHeader", WithHeader(Rec("1", "100", "0/0\t0/1\t1/1") + Rec("2", "5", "0/0\t0/1\t1/1")),
       // Rename the second ##contig line in the BCF header (same length): record 2's contig
       // index then points past the header's contigs.
       TO_BCF " && bgzip -dc in.bcf | sed 's/##contig=<ID=2,/##xontig=<ID=2,/' | bgzip -c > re.bcf",
       "re.bcf", kLabels,
       "'re.bcf': record 2 names contig #1, which the header does not declare; the "
       "file is corrupt (check it with `bcftools view re.bcf > /dev/null`)", 1},
      {"UndeclaredInfoTag", WithHeader("1\t100\t.\tA\tC\t.\t.\tXY=1\tGT\t0/0\t0/1\t1/1\n"), "",
       "in.vcf", kLabels,
       "'in.vcf': record 1 (data line 1 after the header) uses an INFO, FORMAT or FILTER tag that "
       "the header does not declare; add its ##INFO/##FORMAT/##FILTER line to the header (e.g. "
       "with `bcftools annotate -h extra.hdr`)", 1},
      {"BadDecodeOption", Good(), "", "in.vcf", kLabels,
       "--decode-gt.haploid must be one of hom, missing, skip-record, got 'diploid'", 2,
       "--decode-gt.haploid diploid"},
      {"BadOrderOption", Good(), "", "in.vcf", kLabels,
       "--decode-gt.unsorted must be one of error, skip, got 'sort'", 2, "--decode-gt.unsorted sort"},
      // Label files.
      {"SampleNotInLabels", Good(), "", "in.vcf",
       "sample\tpop\tsuper_pop\tgender\nA\tX\tS\tm\nB\tY\tS\tf\n",
       "1 sample(s) of 'in.vcf' are not in the label file 'labels.tsv': C; add them to the label "
       "file or leave them out with -S/--samples", 1},
      {"LabelNotInVcf", Good(), "", "in.vcf", std::string(kLabels) + "D\tX\tS\tf\n",
       "1 sample(s) of the label file 'labels.tsv' are not in 'in.vcf': D; remove them from the "
       "label file, or pass the samples to use with -S/--samples", 1},
      {"UnknownLabelColumn", Good(), "", "in.vcf", "sample\tregion\nA\tX\nB\tY\nC\tY\n",
       "label file 'labels.tsv' has no column 'pop'; choose --label-column from: region", 1},
      {"LabelsUtf16", Good(), "printf 'sample\\tpop\\nA\\tX\\nB\\tY\\nC\\tY\\n' | iconv -t UTF-16 > labels.tsv",
       "in.vcf", "",
       "label file 'labels.tsv' is UTF-16 (or another wide encoding), not UTF-8 text; convert it "
       "with `iconv -f UTF-16 -t UTF-8 labels.tsv > labels.tsv.utf8`", 1},
      {"LabelsDirectory", Good(), "mkdir labels.tsv", "in.vcf", "",
       "label file 'labels.tsv' is a directory; give a file to --labels", 1},
      {"LabelsEmpty", Good(), "touch labels.tsv", "in.vcf", "",
       "label file 'labels.tsv' is empty; expected a header line such as "
       "'sample<TAB>pop<TAB>super_pop<TAB>gender', then one line per sample", 1},
      {"LabelsHeaderOnly", Good(), "", "in.vcf", "sample\tpop\n",
       "label file 'labels.tsv' has a header but no sample rows", 1},
      {"LabelsDuplicateSample", Good(), "", "in.vcf", "sample\tpop\nA\tX\nB\tY\nC\tY\n\nB\tX\n",
       "label file 'labels.tsv': sample 'B' appears twice (lines 3 and 6); keep one row per sample",
       1},
  };
}

class BadInputTest : public ::testing::TestWithParam<BadInput> {};

TEST_P(BadInputTest, FailsWithExactMessageAndLeavesNoOutput) {
  const BadInput& c = GetParam();
  TempDir dir;
  if (!c.vcf.empty()) std::ofstream(dir / "in.vcf") << c.vcf;
  if (!c.labels.empty()) std::ofstream(dir / "labels.tsv") << c.labels;
  if (!c.make.empty()) ASSERT_EQ(RunShell("cd " + dir.path() + " && " + c.make).exit_code, 0);
  auto r = RunShell("cd " + dir.path() + " && " + testing::SnpflowCli() + " ingest " + c.input +
                    " --labels labels.tsv --folds 3 -q -o out " + c.args);
  EXPECT_EQ(r.exit_code, c.exit_code) << r.err;
  // -q: the error is the only thing on stderr; usage errors (exit 2) point to --help.
  if (c.exit_code == 2)
    EXPECT_EQ(r.err, "snpflow ingest: error: " + c.message + "\n(see 'snpflow ingest --help')\n");
  else
    EXPECT_EQ(r.err, "snpflow: error: " + c.message + "\n");
  // Nothing half-written: no output directory, or an empty one.
  if (std::filesystem::exists(dir / "out")) {
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir / "out"))
      ADD_FAILURE() << "left behind: " << e.path();
  }
}

INSTANTIATE_TEST_SUITE_P(Table, BadInputTest, ::testing::ValuesIn(Cases()),
                         [](const auto& info) { return std::string(info.param.name); });

// Imperfect but usable inputs: a warning (not with -q) and the run goes on.
TEST(BadInput, ContigMissingFromVcfHeaderWarnsOnceAndProceeds) {
  TempDir dir;
  std::ofstream(dir / "in.vcf") << WithHeader(Rec("1", "100", "0/0\t0/1\t1/1") +
                                              Rec("chrZ", "5", "0/0\t0/1\t1/1") +
                                              Rec("chrZ", "9", "0/1\t0/1\t1/1"));
  std::ofstream(dir / "labels.tsv") << "sample\tpop\nA\tX\nB\tX\nC\tY\n";
  const std::string cmd = "cd " + dir.path() + " && " + testing::SnpflowCli() +
                          " ingest in.vcf --labels labels.tsv --folds 3 -o out";
  auto r = RunShell(cmd);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string warning =
      "snpflow: warning: 'in.vcf': contig 'chrZ' (record 2) is not declared in the header; "
      "continuing as bcftools does (add a ##contig line to silence this)\n";
  const size_t at = r.err.find(warning);
  ASSERT_NE(at, std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("contig 'chrZ'", at + warning.size()), std::string::npos) << r.err;  // once
  EXPECT_NE(testing::ReadFile(dir / "out/variants.tsv").find("chrZ\t9"), std::string::npos);
  r = RunShell(cmd + " -q --force");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
}

TEST(BadInput, ClassSmallerThanFoldsWarnsUnlessQuiet) {
  TempDir dir;
  std::ofstream(dir / "in.vcf") << Good();
  std::ofstream(dir / "labels.tsv") << kLabels;  // X: 1 sample, Y: 2 samples
  const std::string cmd = "cd " + dir.path() + " && " + testing::SnpflowCli() +
                          " ingest in.vcf --labels labels.tsv --folds 3 -o out";
  auto r = RunShell(cmd);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("snpflow: warning: 2 class(es) of 'labels.tsv' have fewer samples than the "
                       "3 folds: 'X' (1), 'Y' (2); some folds have none of their samples to "
                       "train, validate or test on (use fewer --folds, or merge or drop rare "
                       "classes)\n"),
            0u) << r.err;
  r = RunShell(cmd + " -q --force");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
}

// A pipe (`<(zcat x.vcf.gz)` in bash) reads like stdin: same store as the file itself.
TEST(BadInput, PipeInputGivesTheSameStoreAsTheFile) {
  TempDir dir;
  std::ofstream(dir / "in.vcf") << Good();
  std::ofstream(dir / "labels.tsv") << kLabels;
  const std::string ingest = testing::SnpflowCli() + " ingest ";
  auto r = RunShell("cd " + dir.path() + " && " TO_VCFGZ " && mkfifo fifo && " +
                    "(gzip -dc in.vcf.gz > fifo &) && " + ingest +
                    "fifo --labels labels.tsv --folds 3 -q -o pipe && " + ingest +
                    "in.vcf.gz --labels labels.tsv --folds 3 -q -o file");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(testing::ReadFile(dir / "pipe/store.snpf"), testing::ReadFile(dir / "file/store.snpf"));
  // Never reused as a cache: the pipe has no identity.
  EXPECT_NE(testing::ReadFile(dir / "pipe/ingest.json").find("\"fingerprint\": \"\""),
            std::string::npos);
}

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
