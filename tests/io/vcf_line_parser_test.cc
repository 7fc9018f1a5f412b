// The VCF text fast path's line parser: codes, skip reasons, and every line it must hand to htslib.
#include "io/vcf_line_parser.h"

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

namespace snpflow::io {
namespace {

using FieldType = VcfTextDictionary::FieldType;

VcfTextDictionary Dict(size_t columns = 3, std::vector<uint32_t> kept = {0, 1, 2}) {
  VcfTextDictionary d;
  d.AddContig("1");
  d.AddContig("chrX");
  for (const char* id : {"PASS", "q10", "AF", "DB", "GT", "DP", "GQ", "GL", "FT"}) d.AddId(id);
  d.AddInfo("AF");
  d.AddInfo("DB");
  d.AddFormat("GT", FieldType::kString);
  d.AddFormat("DP", FieldType::kInteger);
  d.AddFormat("GQ", FieldType::kInteger);
  d.AddFormat("GL", FieldType::kFloat);
  d.AddFormat("FT", FieldType::kString);
  d.SetSamples(columns, std::move(kept));
  return d;
}

struct Parsed {
  std::shared_ptr<std::string> text;  // the views of `line` point into it
  LineStatus status;
  ParsedLine line;
  std::vector<uint8_t> codes;
};

Parsed Parse(const std::string& text, const VcfTextDictionary& dict,
             HaploidRule rule = HaploidRule::kHom) {
  Parsed p;
  p.text = std::make_shared<std::string>(text);
  p.codes.assign(dict.kept().size(), 0xEE);
  p.status = ParseVcfLine(*p.text, dict, rule, p.line, p.codes.data());
  return p;
}

std::string Line(const std::string& samples, const std::string& format = "GT",
                 const std::string& alt = "C") {
  return "1\t100\trs1\tA\t" + alt + "\t50\tPASS\tAF=0.5;DB\t" + format + "\t" + samples;
}

TEST(VcfLineParser, DecodesDiploidCallsAndSiteFields) {
  VcfTextDictionary d = Dict();
  Parsed p = Parse(Line("0/0\t0|1\t1/1"), d);
  ASSERT_EQ(p.status, LineStatus::kOk);
  EXPECT_EQ(p.line.chrom, "1");
  EXPECT_EQ(p.line.pos, 100);
  EXPECT_EQ(p.line.id, "rs1");
  EXPECT_EQ(p.line.ref, "A");
  EXPECT_EQ(p.line.alt, "C");
  EXPECT_EQ(p.line.n_alleles, 2);
  EXPECT_EQ(p.line.drop, nullptr);
  EXPECT_EQ(p.codes, (std::vector<uint8_t>{0, 1, 2}));
  p = Parse(Line("1|0\t./.\t.|1"), d);
  ASSERT_EQ(p.status, LineStatus::kOk);
  EXPECT_EQ(p.codes, (std::vector<uint8_t>{1, 3, 3}));
  // "." alone and "./././." are missing calls, not ploidy errors; "00/01" reads as 0/1.
  p = Parse(Line(".\t./././.\t00/01"), d);
  ASSERT_EQ(p.status, LineStatus::kOk);
  EXPECT_EQ(p.line.drop, nullptr);
  EXPECT_EQ(p.codes, (std::vector<uint8_t>{3, 3, 1}));
}

TEST(VcfLineParser, ReadsGtBeforeOtherFormatFields) {
  VcfTextDictionary d = Dict();
  Parsed p = Parse(Line("0/1:35:99:-0.1,-2.5e-1,.:PASS\t1/1:.:.\t./.", "GT:DP:GQ:GL:FT"), d);
  ASSERT_EQ(p.status, LineStatus::kOk);
  EXPECT_EQ(p.codes, (std::vector<uint8_t>{1, 2, 3}));
  // A sample may stop early: the missing fields are missing.
  p = Parse(Line("0/1\t1/1:7\t0|0:3:2", "GT:DP:GQ"), d);
  ASSERT_EQ(p.status, LineStatus::kOk);
  EXPECT_EQ(p.codes, (std::vector<uint8_t>{1, 2, 0}));
}

TEST(VcfLineParser, SkipsWithTheReasonsOfDecodeGt) {
  VcfTextDictionary d = Dict();
  EXPECT_STREQ(Parse(Line("0/1\t0/2\t1/1", "GT", "C,G"), d).line.drop, kSkipMultiAllelic);
  Parsed p = Parse(Line("0/0\t0/0\t0/0", "GT", "."), d);
  EXPECT_STREQ(p.line.drop, kSkipNoAlt);
  EXPECT_EQ(p.line.alt, "");  // htslib lists no ALT allele for "."
  EXPECT_EQ(p.line.n_alleles, 1);
  EXPECT_STREQ(Parse(Line("0/0\t0/1\t1", "GT", "*"), d).line.drop, kSkipNoAlt);
  // The first sample that cannot be decoded decides: polyploid, then an absent allele.
  EXPECT_STREQ(Parse(Line("0/1\t0/0/1\t0/2"), d).line.drop, kSkipNotDiploid);
  EXPECT_STREQ(Parse(Line("0/1\t10/1\t0/0/1"), d).line.drop, kSkipBadAllele);
  EXPECT_STREQ(Parse(Line("0/0/2\t0/1\t0/1"), d).line.drop, kSkipBadAllele);
  EXPECT_STREQ(Parse(Line("0/1\t1\t0/2"), d, HaploidRule::kSkipRecord).line.drop, kSkipHaploid);
}

TEST(VcfLineParser, ReadsHaploidCallsByTheRule) {
  VcfTextDictionary d = Dict();
  Parsed hom = Parse(Line("1\t0\t."), d, HaploidRule::kHom);
  ASSERT_EQ(hom.status, LineStatus::kOk);
  EXPECT_EQ(hom.line.drop, nullptr);
  EXPECT_EQ(hom.codes, (std::vector<uint8_t>{2, 0, 3}));
  EXPECT_EQ(hom.line.haploid_calls, 2u);  // "." is a missing call, not a haploid one
  Parsed missing = Parse(Line("1\t0\t0/1"), d, HaploidRule::kMissing);
  EXPECT_EQ(missing.codes, (std::vector<uint8_t>{3, 3, 1}));
  EXPECT_EQ(missing.line.haploid_calls, 2u);
  // A skipped record counts no converted call.
  EXPECT_EQ(Parse(Line("1\t0/0/1\t0"), d).line.haploid_calls, 0u);
}

TEST(VcfLineParser, HandsUnusualLinesToHtslib) {
  VcfTextDictionary d = Dict();
  const std::vector<std::string> fallbacks = {
      "2\t100\trs1\tA\tC\t.\t.\t.\tGT\t0/0\t0/1\t1/1",         // contig not in the header
      "1\t0100\trs1\tA\tC\t.\t.\t.\tGT\t0/0\t0/1\t1/1",        // POS with a leading zero
      "1\t10x\trs1\tA\tC\t.\t.\t.\tGT\t0/0\t0/1\t1/1",         // POS htslib reads as 10
      "1\t100\t\tA\tC\t.\t.\t.\tGT\t0/0\t0/1\t1/1",            // empty ID
      "1\t100\trs1\tA\tC\t.\tq20\t.\tGT\t0/0\t0/1\t1/1",       // undeclared FILTER
      "1\t100\trs1\tA\tC\t.\t.\tXX=1\tGT\t0/0\t0/1\t1/1",      // undeclared INFO
      "1\t100\trs1\tA\tC\t.\t.\t.\tDP:GT\t1:0/0\t2:0/1\t3:1/1",  // GT not first
      "1\t100\trs1\tA\tC\t.\t.\t.\tGT:XY\t0/0\t0/1\t1/1",      // undeclared FORMAT
      "1\t100\trs1\tA\tC\t.\t.\t.\tGT:GT\t0/0\t0/1\t1/1",      // GT twice
      "1\t100\trs1\tA\tC\t.\t.\t.\tGT\t0/0\t0/1",              // too few samples
      "1\t100\trs1\tA\tC\t.\t.\t.\tGT\t0/0\t0/1\t",            // empty last sample
      "1\t100\trs1\tA\tC\t.\t.\t.\tGT",                        // no sample columns
      "1\t100\trs1\tA\tC\t.\t.\t.",                            // no FORMAT
      "1\t100\trs1\tA\tC\t.\t.\t.\tGT\t0/0\t0/1\t1/",          // allele missing after '/'
      "1\t100\trs1\tA\tC\t.\t.\t.\tGT\t0/0\t0/1\t+1/1",        // '+' htslib would accept
      "1\t100\trs1\tA\tC\t.\t.\t.\tGT\t0/0\t0/1\t1/1x",        // junk after GT
      "1\t100\trs1\tA\tC\t.\t.\t.\tGT\t0/0\t0/1\t1/1234567890",  // allele too long
      "1\t100\trs1\tA\tC\t.\t.\t.\tGT:DP\t0/0:1x\t0/1\t1/1",   // DP not an integer
      "1\t100\trs1\tA\tC\t.\t.\t.\tGT:DP\t0/0:.5\t0/1\t1/1",   // "." then a digit
      "1\t100\trs1\tA\tC\t.\t.\t.\tGT:GL\t0/0:1e\t0/1\t1/1",   // float without exponent
      "1\t100\trs1\tA\tC\t.\t.\t.\tGT:DP\t0/0:1:2\t0/1\t1/1",  // more fields than FORMAT
      std::string("1\t100\trs1\tA\tC\t.\t.\t.\tGT\t0/0\t0/1\t1/1\0", 35),  // a NUL byte
      "",                                                       // an empty line
  };
  for (const std::string& line : fallbacks)
    EXPECT_EQ(Parse(line, d).status, LineStatus::kFallback) << "'" << line << "'";
}

TEST(VcfLineParser, NeedsExactlyTheHeadersColumns) {
  VcfTextDictionary d = Dict();
  EXPECT_EQ(Parse(Line("0/0\t0/1\t1/1\tjunk"), d).status, LineStatus::kFallback);
  EXPECT_EQ(Parse(Line("0/0\t0/1\t1/1\t"), d).status, LineStatus::kFallback);
  VcfTextDictionary selected = Dict(4, {0, 2});
  EXPECT_EQ(Parse(Line("0/0\tx\t1/1\ty"), selected).status, LineStatus::kOk);
  EXPECT_EQ(Parse(Line("0/0\tx\t1/1"), selected).status, LineStatus::kFallback);
  EXPECT_EQ(Parse(Line("0/0\tx\t1/1\ty\tz"), selected).status, LineStatus::kFallback);
}

TEST(VcfLineParser, ReadsOnlyTheSelectedSamples) {
  VcfTextDictionary d = Dict(4, {1, 3});
  // Columns left out by -S are not read, as in htslib (only counted).
  Parsed p = Parse(Line("junk\t1/1\tjunk\t0|1"), d);
  ASSERT_EQ(p.status, LineStatus::kOk);
  EXPECT_EQ(p.codes, (std::vector<uint8_t>{2, 1}));
  EXPECT_EQ(Parse(Line("0/0\t1/1\t0/0"), d).status, LineStatus::kFallback);  // column 3 absent
}

// GT-only lines of many samples take a vectorized scan 16 columns at a time; a column in another
// form anywhere (first, last, mid-group, at a group's edge) must give what parsing each column
// alone gives: the same codes, the first column's skip reason (a skipped line reports no haploid
// calls), or the hand-off to htslib.
TEST(VcfLineParser, WideLinesMatchColumnByColumnParsing) {
  std::mt19937 rng(17);
  const std::vector<std::string> plain = {"0/0", "0/1", "1|1", "1|0", "./.", ".|1", "1/."};
  const std::vector<std::string> odd = {"2/0", "0",    "1",    ".",   "0/1/1", "10/1",
                                        "0\\1", "0/1:3", "",     "0|",  "00/1",  "0/1 "};
  const VcfTextDictionary one = Dict(1, {0});
  int vector_lines = 0, dropped = 0, fallbacks = 0;
  for (size_t n : {16, 17, 31, 32, 33, 47, 64, 100}) {
    std::vector<uint32_t> all(n);
    for (size_t i = 0; i < n; ++i) all[i] = static_cast<uint32_t>(i);
    const VcfTextDictionary d = Dict(n, all);
    for (int trial = 0; trial < 60; ++trial) {
      std::vector<std::string> columns(n);
      for (auto& c : columns) c = plain[rng() % plain.size()];
      // Trial 0: all plain; then one or two odd columns, at the edges on some trials.
      for (int k = 0; trial > 0 && k < 1 + trial % 2; ++k) {
        const size_t at = trial % 5 == 1 ? 0 : trial % 5 == 2 ? n - 1 : trial % 5 == 3 ? 15
                                                                                        : rng() % n;
        columns[at] = odd[rng() % odd.size()];
      }
      std::string samples;
      LineStatus want_status = LineStatus::kOk;
      const char* want_drop = nullptr;
      uint64_t want_haploid = 0;
      std::vector<uint8_t> want_codes;
      for (size_t i = 0; i < n; ++i) {
        samples += (i ? "\t" : "") + columns[i];
        Parsed single = Parse(Line(columns[i]), one);
        if (single.status != LineStatus::kOk) want_status = LineStatus::kFallback;
        want_haploid += single.line.haploid_calls;
        if (want_drop == nullptr) want_drop = single.line.drop;
        want_codes.push_back(single.codes[0]);
      }
      Parsed got = Parse(Line(samples), d);
      const std::string what = std::to_string(n) + " samples: " + samples;
      ASSERT_EQ(got.status, want_status) << what;
      if (want_status != LineStatus::kOk) {
        ++fallbacks;
        continue;
      }
      EXPECT_EQ(got.line.drop == nullptr ? "" : got.line.drop,
                std::string(want_drop == nullptr ? "" : want_drop))
          << what;
      EXPECT_EQ(got.line.haploid_calls, want_drop == nullptr ? want_haploid : 0) << what;
      EXPECT_EQ(got.codes, want_codes) << what;
      dropped += want_drop != nullptr;
      vector_lines += trial == 0;
    }
  }
  EXPECT_EQ(vector_lines, 8);
  EXPECT_GT(dropped, 20);
  EXPECT_GT(fallbacks, 20);
}

TEST(VcfLineParser, SiteOfLineReadsPosAsHtslib) {
  EXPECT_EQ(SiteOfLine("chrX\t12345\trs\tA"), "chrX:12345");
  EXPECT_EQ(SiteOfLine("1\t+12x\trs"), "1:12");
  EXPECT_EQ(SiteOfLine("1\tabc"), "1:0");
  EXPECT_EQ(SiteOfLine("lonely"), "lonely:0");
}

}  // namespace
}  // namespace snpflow::io
