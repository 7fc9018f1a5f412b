// Differential test of the VCF text fast path: for every input, the fast parser
// (--decode-gt.vcf-parser fast) and htslib's serial vcf_parse (htslib) must give byte-identical
// outputs and skip counts, or the same error in the same words.
#include <gtest/gtest.h>

#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "tests/fixtures/test_util.h"
#include "tests/stages/parser_differential.h"

namespace snpflow {
namespace {

using testing::ReadFile;
using differential::ExpectSame;
using differential::kHeader;
using differential::kLabels;
using differential::Outcome;
using differential::Write;
using testing::RunShell;
using testing::RunSnpflow;
using testing::TempDir;

// A VCF body with every GT form the fast path decodes (and some it hands to htslib): phased,
// unphased, missing, haploid, polyploid, multi-digit alleles, extra FORMAT fields, -S columns.
std::string Body(uint32_t seed, int records) {
  std::mt19937 rng(seed);
  auto pick = [&](std::vector<std::string> v) { return v[rng() % v.size()]; };
  std::ostringstream out;
  int64_t pos = 1000;
  for (int r = 0; r < records; ++r) {
    pos += 1 + rng() % 500;
    const std::string chrom = r < records / 2 ? "1" : "2";
    const std::string alt = pick({"C", "C", "C", "T", "G,T", ".", "*", "AT"});
    const std::string format = pick({"GT", "GT", "GT", "GT:DP", "GT:DP:GQ", "GT:GL:FT", "DP:GT"});
    out << chrom << '\t' << pos << '\t' << pick({".", "rs" + std::to_string(r)}) << '\t'
        << pick({"A", "A", "AC"}) << '\t' << alt << '\t' << pick({".", "50", "3.5e1"}) << '\t'
        << pick({".", "PASS", "q10", "PASS;q10"}) << '\t'
        << pick({".", "AF=0.25", "AF=0.5;AC=3;DB", "DB", "AC=1,2;AF=.1,.2;"}) << '\t' << format;
    const int odd = rng() % 10;  // most records are plain diploid
    for (int s = 0; s < 6; ++s) {
      std::string gt = pick({"0/0", "0/1", "1/1", "0|1", "1|0", "./.", "0/0", "0/1"});
      if (odd == 0) gt = pick({".", "0", "1", "./.", "0/1"});
      if (odd == 1) gt = pick({"0/0/1", "./././.", "10/1", "0/2", "1|12", "0/1"});
      out << '\t';
      if (format == "DP:GT") {
        out << rng() % 40 << ':' << gt;
        continue;
      }
      out << gt;
      if (format == "GT:DP") out << ':' << pick({"12", ".", ""});
      if (format == "GT:DP:GQ") out << ':' << rng() % 50 << ':' << pick({"99", ".", "-3"});
      if (format == "GT:GL:FT") out << ':' << pick({"-0.1,-1.5,-3", ".,.,.", "-1e-3,0,.5"}) << ":PASS";
    }
    out << (rng() % 20 == 0 ? "\r\n" : "\n");
  }
  return out.str();
}

// The htslib path reads one record per block: the serial source then meets errors in record
// order, as the fast path (which reads a whole block before decoding it) reports them.
Outcome Ingest(const std::string& input, const std::string& parser, const std::string& out_dir,
               const std::string& labels, const std::string& samples_file = "", int threads = 1,
               const OptionValues& decode = {}) {
  return differential::Ingest(input, parser, out_dir, labels, samples_file, threads, decode, "",
                              /*htslib_record_by_record=*/true);
}

TEST(VcfFastPath, HandWrittenVcfsMatchHtslib) {
  TempDir dir;
  Write(dir / "labels.tsv", kLabels);
  Write(dir / "some.txt", "B\nC\nE\nF\n");
  const std::string body = Body(1, 200);
  const std::string plain_gt = "1\t5\t.\tA\tC\t.\t.\t.\tGT\t0/0\t0/1\t1/1\t0|0\t1|1\t./.\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"every-form", std::string(kHeader) + body},
      {"no-final-newline", std::string(kHeader) + plain_gt.substr(0, plain_gt.size() - 1)},
      {"final-cr", std::string(kHeader) + plain_gt + "1\t6\t.\tA\tC\t.\t.\t.\tGT\t0/0\t0/1\t1/1\t0|0\t1|1\t1/1\r"},
      {"undeclared-contig", std::string(kHeader) + plain_gt + "3\t7\t.\tA\tC\t.\t.\t.\tGT\t0/0\t0/1\t1/1\t0|0\t1|1\t./.\n"},
      {"undeclared-info", std::string(kHeader) + plain_gt + "1\t7\t.\tA\tC\t.\t.\tZZ=1\tGT\t0/0\t0/1\t1/1\t0|0\t1|1\t./.\n"},
      {"short-line", std::string(kHeader) + plain_gt + "1\t300\tr3\tA\n"},
      {"too-few-samples", std::string(kHeader) + plain_gt + "1\t9\t.\tA\tC\t.\t.\t.\tGT\t0/0\t0/1\n"},
      {"extra-samples", std::string(kHeader) + plain_gt + "1\t9\t.\tA\tC\t.\t.\t.\tGT\t0/0\t0/1\t1/1\t0|0\t1|1\t./.\t1/1\n"},
      {"no-gt", std::string(kHeader) + plain_gt + "1\t9\t.\tA\tC\t.\t.\t.\tDP\t1\t2\t3\t4\t5\t6\n"},
      {"bad-dp", std::string(kHeader) + plain_gt + "1\t9\t.\tA\tC\t.\t.\t.\tGT:DP\t0/0:x\t0/1\t1/1\t0|0\t1|1\t./.\n"},
      {"bad-gt", std::string(kHeader) + plain_gt + "1\t9\t.\tA\tC\t.\t.\t.\tGT\t0/0\t0/a\t1/1\t0|0\t1|1\t./.\n"},
      {"empty-line", std::string(kHeader) + plain_gt + "\n" + plain_gt},
      {"unsorted", std::string(kHeader) + plain_gt + "1\t4\t.\tA\tC\t.\t.\t.\tGT\t0/0\t0/1\t1/1\t0|0\t1|1\t./.\n" + plain_gt.substr(0, 2) + "9" + plain_gt.substr(3)},
      {"duplicate", std::string(kHeader) + plain_gt + plain_gt},
      {"contig-again", std::string(kHeader) + plain_gt + "2" + plain_gt.substr(1) + "1\t9" + plain_gt.substr(3)},
      {"leading-zero-pos", std::string(kHeader) + "1\t05\t.\tA\tC\t.\t.\t.\tGT\t0/0\t0/1\t1/1\t0|0\t1|1\t./.\n"},
      {"bad-pos", std::string(kHeader) + plain_gt + "1\t7x\t.\tA\tC\t.\t.\t.\tGT\t0/0\t0/1\t1/1\t0|0\t1|1\t./.\n"},
      {"header-only", kHeader},
  };
  for (const auto& [name, vcf] : cases) {
    Write(dir / (name + ".vcf"), vcf);
    ASSERT_EQ(RunShell("bgzip -c " + dir / (name + ".vcf") + " > " + dir / (name + ".vcf.gz"))
                  .exit_code, 0);
    for (const std::string ext : {".vcf", ".vcf.gz"}) {
      const std::string input = dir / (name + ext);
      for (const std::string samples : {std::string(), dir / "some.txt"}) {
        Outcome fast = Ingest(input, "fast", dir / "fast", dir / "labels.tsv", samples);
        Outcome htslib = Ingest(input, "htslib", dir / "htslib", dir / "labels.tsv", samples);
        ExpectSame(fast, htslib, name + ext + (samples.empty() ? "" : " -S"));
      }
      // The decode-gt policies: haploid calls, and order problems skipped instead of errors.
      const OptionValues policies[] = {{{"haploid", "missing"}},
                                       {{"haploid", "skip-record"}},
                                       {{"unsorted", "skip"}, {"duplicates", "skip"}}};
      for (const OptionValues& decode : policies) {
        Outcome fast = Ingest(input, "fast", dir / "fast", dir / "labels.tsv", "", 1, decode);
        Outcome htslib = Ingest(input, "htslib", dir / "htslib", dir / "labels.tsv", "", 1, decode);
        ExpectSame(fast, htslib, name + ext + " " + decode.begin()->first + "=" + decode.begin()->second);
      }
    }
  }
  // The every-form case decodes most lines itself and hands the odd ones to htslib.
  Outcome fast = Ingest(dir / "every-form.vcf.gz", "fast", dir / "fast", dir / "labels.tsv");
  EXPECT_EQ(fast.error, "");
  EXPECT_GT(fast.fallback, 0u);
  EXPECT_LT(fast.fallback, 200u / 4);
  // The error names the record and the one before it, in both paths.
  Outcome bad = Ingest(dir / "bad-gt.vcf", "fast", dir / "fast", dir / "labels.tsv");
  EXPECT_NE(bad.error.find("bad-gt.vcf': record 2 (data line 2 after the header), after 1:5 is "
                           "malformed"),
            std::string::npos)
      << bad.error;
}

TEST(VcfFastPath, SimulatedBgzfInManyBlocksMatchesHtslib) {
  TempDir dir;
  auto r = RunSnpflow("simulate --samples 90 --snps 6000 --chroms 3 --missing-rate 0.05 "
                      "--multiallelic-rate 0.03 --indel-rate 0.03 --seed 11 -q -O z -o " +
                      dir / "sim.vcf.gz");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Outcome htslib = Ingest(dir / "sim.vcf.gz", "htslib", dir / "h", dir / "sim.panel");
  ASSERT_EQ(htslib.error, "");
  for (int threads : {1, 3}) {
    Outcome fast = Ingest(dir / "sim.vcf.gz", "fast", dir / "f", dir / "sim.panel", "", threads);
    ExpectSame(fast, htslib, "threads " + std::to_string(threads));
    EXPECT_EQ(fast.fallback, 0u);
  }
  // A truncated BGZF file fails at the same record with the same message.
  ASSERT_EQ(RunShell("head -c $(( $(stat -c %s " + dir / "sim.vcf.gz" + ") / 2 )) " +
                     dir / "sim.vcf.gz" + " > " + dir / "cut.vcf.gz").exit_code, 0);
  Outcome cut_fast = Ingest(dir / "cut.vcf.gz", "fast", dir / "f", dir / "sim.panel");
  Outcome cut_htslib = Ingest(dir / "cut.vcf.gz", "htslib", dir / "h", dir / "sim.panel");
  EXPECT_NE(cut_fast.error, "");
  ExpectSame(cut_fast, cut_htslib, "truncated");
}

// A few hundred deterministic mutations (replace, insert, delete, duplicate, cut) of a small VCF.
TEST(VcfFastPath, MutatedInputsMatchHtslib) {
  TempDir dir;
  Write(dir / "labels.tsv", kLabels);
  const std::string base = std::string(kHeader) + Body(5, 12);
  const size_t body_start = std::string(kHeader).size();
  const std::string alphabet = std::string("\t\n\r:/|.,;=-+0123456789ACGTX*e") + '\0';
  std::mt19937 rng(20261129);
  int errors = 0;
  for (int m = 0; m < 300; ++m) {
    std::string vcf = base;
    const int edits = 1 + rng() % 2;
    for (int k = 0; k < edits; ++k) {
      const size_t at = body_start + rng() % (vcf.size() - body_start);
      const char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 5) {
        case 0: vcf[at] = c; break;
        case 1: vcf.insert(vcf.begin() + at, c); break;
        case 2: vcf.erase(at, 1 + rng() % 3); break;
        case 3: vcf.insert(at, vcf.substr(at, 1 + rng() % 12)); break;
        default: vcf.resize(at); break;
      }
    }
    Write(dir / "m.vcf", vcf);
    Outcome fast = Ingest(dir / "m.vcf", "fast", dir / "fast", dir / "labels.tsv");
    Outcome htslib = Ingest(dir / "m.vcf", "htslib", dir / "htslib", dir / "labels.tsv");
    ExpectSame(fast, htslib, "mutant " + std::to_string(m));
    errors += !fast.error.empty();
    if (::testing::Test::HasFailure()) {
      Write(dir.path() + "/../fast_path_failing_mutant.vcf", vcf);
      FAIL() << "mutant " << m << " differs (kept as fast_path_failing_mutant.vcf)";
    }
  }
  // The mutations reach both outcomes: some inputs fail, most still load.
  EXPECT_GT(errors, 20);
  EXPECT_LT(errors, 280);
}

}  // namespace
}  // namespace snpflow
