// Differential test of BCF decoding: GT read from each record's raw FORMAT bytes in the parallel
// decode-gt (--decode-gt.vcf-parser fast, the default) and through htslib's bcf_unpack of every
// FORMAT field (htslib) must give byte-identical outputs and skip counts, or the same error in the
// same words: on hand-written BCFs with every GT form, on simulator output, and on mutated BCFs.
#include <gtest/gtest.h>

#include <cstring>
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
using differential::Ingest;
using differential::kHeader;
using differential::kLabels;
using differential::Outcome;
using differential::Write;
using testing::RunShell;
using testing::RunSnpflow;
using testing::TempDir;

// VCF records with every GT form, for bcftools to encode as BCF: phased, unphased, missing,
// haploid (whole records and mixed with diploid calls: vector_end padding), polyploid, allele
// indexes past the record's alleles in int8, int16 and int32 encodings, GT after other FORMAT
// fields, multi-allelic and no-ALT records.
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
        << pick({"A", "A", "AC"}) << '\t' << alt << '\t' << pick({".", "50"}) << '\t'
        << pick({".", "PASS", "q10"}) << '\t' << pick({".", "AF=0.25", "AF=0.5;AC=3;DB", "DB"})
        << '\t' << format;
    const int odd = rng() % 12;  // most records are plain diploid
    for (int s = 0; s < 6; ++s) {
      std::string gt = pick({"0/0", "0/1", "1/1", "0|1", "1|0", "./.", "0/0", "0/1", ".|."});
      if (odd == 0) gt = pick({".", "0", "1", "./.", "0/1"});
      if (odd == 1) gt = pick({"0/0/1", "./././.", "10/1", "0/2", "1|12", "0/1"});
      if (odd == 2) gt = pick({"0", "1", "."});
      if (odd == 3) gt = pick({"0/100", "0/1", "1/1"});        // int16 GT
      if (odd == 4) gt = pick({"20000/0", "0/1", "./."});      // int32 GT
      if (odd == 5) gt = pick({"0/.", "./1", ".|0", "1/1"});  // half-missing calls
      out << '\t';
      if (format == "DP:GT") {
        out << rng() % 400 << ':' << gt;  // DP values above 127: an int16 field before GT
        continue;
      }
      out << gt;
      if (format == "GT:DP") out << ':' << pick({"12", "."});
      if (format == "GT:DP:GQ") out << ':' << rng() % 50 << ':' << pick({"99", "."});
      if (format == "GT:GL:FT") out << ':' << pick({"-0.1,-1.5,-3", ".,.,."}) << ":PASS";
    }
    out << '\n';
  }
  return out.str();
}

// Encode `vcf` as BCF at `bcf` with bcftools: BGZF-compressed, or with `raw` a plain BCF stream
// without BGZF framing (whose bytes can be mutated without breaking a block checksum).
void ToBcf(const std::string& vcf, const std::string& bcf, bool raw = false) {
  const std::string view = "bcftools view --no-version " + vcf;
  // -Ou to a pipe writes the plain stream (to a file -o, BGZF blocks of level 0).
  ASSERT_EQ(RunShell(raw ? view + " -Ou | cat > " + bcf : view + " -Ob -o " + bcf).exit_code, 0)
      << vcf;
}

TEST(BcfRawGt, HandWrittenBcfsMatchHtslib) {
  TempDir dir;
  Write(dir / "labels.tsv", kLabels);
  Write(dir / "some.txt", "B\nC\nE\nF\n");
  const std::string calls = "\tGT\t0/0\t0/1\t1/1\t0|0\t1|1\t./.\n";
  const std::string plain = "1\t5\t.\tA\tC\t.\t.\t." + calls;
  const std::string head = kHeader;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"every-form", head + Body(1, 300)},
      {"no-gt", head + plain + "1\t9\t.\tA\tC\t.\t.\t.\tDP\t1\t2\t3\t4\t5\t6\n"},
      {"unsorted", head + plain + "1\t4\t.\tA\tC\t.\t.\t." + calls},
      {"duplicate", head + plain + plain},
      {"same-pos", head + plain + "1\t5\t.\tA\tT\t.\t.\t." + calls + plain},
      {"contig-again", head + plain + "2" + plain.substr(1) + "1\t9" + plain.substr(3)},
  };
  for (const auto& [name, vcf] : cases) {
    Write(dir / (name + ".vcf"), vcf);
    ToBcf(dir / (name + ".vcf"), dir / (name + ".bcf"));
    const std::string input = dir / (name + ".bcf");
    for (const std::string samples : {std::string(), dir / "some.txt"}) {
      Outcome htslib = Ingest(input, "htslib", dir / "htslib", dir / "labels.tsv", samples);
      // 1 thread: GT decoded by the source as it reads; 4: by the parallel decode-gt.
      for (int threads : {1, 4}) {
        Outcome raw = Ingest(input, "fast", dir / "raw", dir / "labels.tsv", samples, threads);
        ExpectSame(raw, htslib, name + (samples.empty() ? "" : " -S") + " threads " +
                                    std::to_string(threads));
      }
    }
    const OptionValues policies[] = {{{"haploid", "missing"}},
                                     {{"haploid", "skip-record"}},
                                     {{"unsorted", "skip"}, {"duplicates", "skip"}}};
    for (const OptionValues& decode : policies) {
      Outcome raw = Ingest(input, "fast", dir / "raw", dir / "labels.tsv", "", 2, decode);
      Outcome htslib = Ingest(input, "htslib", dir / "htslib", dir / "labels.tsv", "", 1, decode);
      ExpectSame(raw, htslib, name + " " + decode.begin()->first + "=" + decode.begin()->second);
    }
  }
  // Every GT form is met, and the BCF holds the same calls as its VCF: the stores match the
  // VCF text ingest's, with haploid calls, invalid alleles and polyploid records counted.
  Outcome bcf = Ingest(dir / "every-form.bcf", "fast", dir / "raw", dir / "labels.tsv");
  Outcome vcf = Ingest(dir / "every-form.vcf", "htslib", dir / "vcf", dir / "labels.tsv");
  ASSERT_EQ(bcf.error, "");
  EXPECT_TRUE(bcf.store == vcf.store);
  EXPECT_TRUE(bcf.variants == vcf.variants);
  EXPECT_EQ(bcf.skipped, vcf.skipped);
  for (const char* reason : {"invalid-allele=", "not-diploid=", "multi-allelic=", "no-alt=",
                             "haploid-calls-as-hom="})
    EXPECT_NE(bcf.skipped.find(reason), std::string::npos) << reason << " in " << bcf.skipped;
  // Errors name the record in both paths.
  Outcome no_gt = Ingest(dir / "no-gt.bcf", "fast", dir / "raw", dir / "labels.tsv");
  EXPECT_NE(no_gt.error.find("no-gt.bcf': record 2 (1:9) has no GT field"), std::string::npos)
      << no_gt.error;
  // Duplicates found from the raw alleles, with a different ALT at the same POS allowed.
  Outcome dup = Ingest(dir / "same-pos.bcf", "fast", dir / "raw", dir / "labels.tsv");
  EXPECT_NE(dup.error.find("record 3 (1:5) repeats record 1"), std::string::npos) << dup.error;
}

TEST(BcfRawGt, SimulatedBcfMatchesHtslib) {
  TempDir dir;
  auto r = RunSnpflow("simulate --samples 90 --snps 6000 --chroms 3 --missing-rate 0.05 "
                      "--multiallelic-rate 0.03 --indel-rate 0.03 --seed 11 -q -O b -o " +
                      dir / "sim.bcf");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Outcome htslib = Ingest(dir / "sim.bcf", "htslib", dir / "h", dir / "sim.panel");
  ASSERT_EQ(htslib.error, "");
  EXPECT_EQ(htslib.records, 6000u);
  for (int threads : {1, 3}) {
    Outcome raw = Ingest(dir / "sim.bcf", "fast", dir / "f", dir / "sim.panel", "", threads);
    ExpectSame(raw, htslib, "threads " + std::to_string(threads));
  }
  // A region query (bcf_itr_next) through both paths.
  Outcome reg_raw = Ingest(dir / "sim.bcf", "fast", dir / "f", dir / "sim.panel", "", 2, {}, "2");
  Outcome reg_htslib = Ingest(dir / "sim.bcf", "htslib", dir / "h", dir / "sim.panel", "", 1, {},
                              "2");
  EXPECT_EQ(reg_raw.error, "");
  EXPECT_GT(reg_raw.records, 0u);
  EXPECT_LT(reg_raw.records, 6000u);
  ExpectSame(reg_raw, reg_htslib, "-r 2");
  // A truncated BGZF file fails at the same record with the same message.
  ASSERT_EQ(RunShell("head -c $(( $(stat -c %s " + dir / "sim.bcf" + ") / 2 )) " + dir / "sim.bcf" +
                     " > " + dir / "cut.bcf").exit_code, 0);
  Outcome cut_raw = Ingest(dir / "cut.bcf", "fast", dir / "f", dir / "sim.panel");
  Outcome cut_htslib = Ingest(dir / "cut.bcf", "htslib", dir / "h", dir / "sim.panel");
  EXPECT_NE(cut_raw.error, "");
  ExpectSame(cut_raw, cut_htslib, "truncated");
}

// Deterministic mutations of an uncompressed BCF's records (bytes replaced, inserted, deleted,
// the file cut): both paths agree on every mutant, and no read leaves the record (ASan builds).
TEST(BcfRawGt, MutatedBcfsMatchHtslib) {
  TempDir dir;
  Write(dir / "labels.tsv", kLabels);
  Write(dir / "base.vcf", std::string(kHeader) + Body(5, 16));
  ToBcf(dir / "base.vcf", dir / "base.bcf", /*raw=*/true);
  const std::string base = ReadFile(dir / "base.bcf");
  ASSERT_GT(base.size(), 9u);
  ASSERT_EQ(base.compare(0, 4, std::string("BCF\2", 4)), 0) << "expected an uncompressed BCF";
  uint32_t l_text;
  std::memcpy(&l_text, base.data() + 5, 4);
  const size_t body_start = 9 + l_text;
  ASSERT_LT(body_start, base.size());
  // Values that matter to the BCF encoding: type bytes (int8..int32, float, char, counts 1, 2,
  // 15), GT missing/vector-end sentinels, allele values 0..5.
  const uint8_t kBytes[] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x11, 0x12, 0x13, 0x15, 0x17,
                            0x21, 0x22, 0x23, 0xf1, 0xf7, 0x7f, 0x80, 0x81, 0xff, 0x40, 0x08};
  std::mt19937 rng(20261130);
  int errors = 0;
  for (int m = 0; m < 400; ++m) {
    std::string bcf = base;
    const int edits = 1 + rng() % 2;
    for (int k = 0; k < edits; ++k) {
      const size_t at = body_start + rng() % (bcf.size() - body_start);
      const uint32_t byte = rng() % 3 == 0 ? rng() % 256 : kBytes[rng() % sizeof kBytes];
      const char c = static_cast<char>(byte);
      switch (rng() % 6) {
        case 0: case 1: case 2: bcf[at] = c; break;
        case 3: bcf.insert(bcf.begin() + static_cast<std::ptrdiff_t>(at), c); break;
        case 4: bcf.erase(at, 1 + rng() % 3); break;
        default: bcf.resize(at); break;
      }
    }
    Write(dir / "m.bcf", bcf);
    Outcome raw = Ingest(dir / "m.bcf", "fast", dir / "raw", dir / "labels.tsv");
    Outcome htslib = Ingest(dir / "m.bcf", "htslib", dir / "htslib", dir / "labels.tsv");
    ExpectSame(raw, htslib, "mutant " + std::to_string(m));
    errors += !raw.error.empty();
    if (::testing::Test::HasFailure()) {
      Write(dir.path() + "/../bcf_raw_gt_failing_mutant.bcf", bcf);
      FAIL() << "mutant " << m << " differs (kept as bcf_raw_gt_failing_mutant.bcf)";
    }
  }
  // The mutations reach both outcomes: some inputs fail, many still load.
  EXPECT_GT(errors, 20);
  EXPECT_LT(errors, 380);
}

}  // namespace
}  // namespace snpflow
