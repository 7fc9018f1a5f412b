// decode-gt: every GT form gives the same code or skip reason from VCF text and from BCF (where
// htslib packs the values as int8, int16 or int32), and hostile values never become codes.
#include <gtest/gtest.h>
#include <htslib/vcf.h>

#include <fstream>
#include <map>

#include "io/vcf_source.h"
#include "pipeline/registry.h"
#include "stages/register_builtin.h"
#include "tests/fixtures/test_util.h"

namespace snpflow {
namespace {

using testing::RunShell;
using testing::TempDir;

const char* kHeader =
    "##fileformat=VCFv4.2\n"
    "##contig=<ID=1,length=100000>\n"
    "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n"
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB\tC\n";

// What decode-gt made of one record: its codes, or its skip reason.
struct Decoded {
  std::vector<int> codes;
  std::string skip;  // "" when kept
};

// Run the source and decode-gt (built through the registry with `options`) over `path`.
std::vector<Decoded> Decode(const std::string& path, const OptionValues& options,
                            std::map<std::string, uint64_t>* counted = nullptr) {
  StageRegistry registry;
  RegisterBuiltinStages(registry);
  auto stage = registry.Make<BlockStage>("decode-gt", options, "decode-gt");
  io::VcfSourceOptions o;
  o.path = path;
  o.block_variants = 2;  // several blocks
  auto source = io::VcfSource::Open(o);
  std::vector<Decoded> out;
  VariantBlock block;
  while (source->ReadBlock(block)) {
    stage->Process(block);
    for (size_t i = 0; i < block.size(); ++i) {
      Decoded d;
      if (block.kept(i)) {
        for (size_t s = 0; s < block.n_samples; ++s) d.codes.push_back(block.codes_of(i)[s]);
      } else {
        d.skip = block.dropped[i];
      }
      out.push_back(d);
    }
    if (counted != nullptr)
      for (const auto& [name, n] : block.counted) (*counted)[name] += n;
    block = VariantBlock();
  }
  return out;
}

// One row: three samples' GT text and what decode-gt must make of it.
struct GtCase {
  std::string gts;
  std::vector<int> codes;
  std::string skip;
};

std::vector<GtCase> Cases() {
  return {
      {"0/0\t0|1\t1/1", {0, 1, 2}, ""},
      {"./.\t.|.\t.", {3, 3, 3}, ""},
      {"0/.\t.|1\t1/1", {3, 3, 2}, ""},
      {"0\t1\t0/1", {0, 2, 1}, ""},            // haploid: hom by default (plink2)
      {"0/0/1\t0/1\t1/1", {}, "not-diploid"},  // polyploid
      {"././.\t0/1\t1/1", {3, 1, 2}, ""},      // missing whatever the ploidy
      {"0/2\t0/1\t1/1", {}, "invalid-allele"}, // 2 with one ALT
      {"0/1\t200/0\t1/1", {}, "invalid-allele"},    // int16 in BCF
      {"0/1\t0/1\t40000/0", {}, "invalid-allele"},  // int32 in BCF
      {"0/1\t1|1\t0/0", {1, 2, 0}, ""},
  };
}

class DecodeGtTest : public ::testing::Test {
 protected:
  // Write the cases as a VCF (one record per case, POS 10, 20, ...) and convert it to BCF.
  void WriteInputs(const std::vector<GtCase>& cases) {
    std::ofstream vcf(dir_ / "in.vcf");
    vcf << kHeader;
    for (size_t k = 0; k < cases.size(); ++k)
      vcf << "1\t" << 10 * (k + 1) << "\t.\tA\tC\t.\t.\t.\tGT\t" << cases[k].gts << "\n";
    vcf.close();
    auto r = RunShell("cd " + dir_.path() + " && bcftools view --no-version -Ob -o in.bcf in.vcf");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  TempDir dir_;
};

TEST_F(DecodeGtTest, VcfAndBcfDecodeEveryFormAlike) {
  const auto cases = Cases();
  WriteInputs(cases);
  for (const char* file : {"in.vcf", "in.bcf"}) {
    std::map<std::string, uint64_t> counted;
    auto got = Decode(dir_ / file, {}, &counted);
    ASSERT_EQ(got.size(), cases.size()) << file;
    for (size_t k = 0; k < cases.size(); ++k) {
      EXPECT_EQ(got[k].skip, cases[k].skip) << file << " " << cases[k].gts;
      EXPECT_EQ(got[k].codes, cases[k].codes) << file << " " << cases[k].gts;
    }
    EXPECT_EQ(counted["haploid-calls-as-hom"], 2u) << file;  // "0" and "1" of one kept record
  }
}

TEST_F(DecodeGtTest, HaploidPolicies) {
  WriteInputs({{"0\t1\t0/1", {}, ""}, {"0/0\t0/1\t1", {}, ""}});
  for (const char* file : {"in.vcf", "in.bcf"}) {
    std::map<std::string, uint64_t> counted;
    auto got = Decode(dir_ / file, {{"haploid", "missing"}}, &counted);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].codes, (std::vector<int>{3, 3, 1})) << file;
    EXPECT_EQ(got[1].codes, (std::vector<int>{0, 1, 3})) << file;
    EXPECT_EQ(counted["haploid-calls-as-missing"], 3u) << file;
    got = Decode(dir_ / file, {{"haploid", "skip-record"}});
    EXPECT_EQ(got[0].skip, "haploid") << file;
    EXPECT_EQ(got[1].skip, "haploid") << file;
  }
}

TEST_F(DecodeGtTest, RejectsUnknownPolicy) {
  StageRegistry registry;
  RegisterBuiltinStages(registry);
  try {
    registry.Make<BlockStage>("decode-gt", {{"haploid", "diploid"}}, "decode-gt");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "--decode-gt.haploid must be one of hom, missing, skip-record, got "
                           "'diploid'");
  }
}

// A BCF whose GT holds raw values no VCF text can express: negative values and the int8
// missing sentinel, written through htslib directly.
TEST_F(DecodeGtTest, NegativeRawBcfValuesAreInvalidAlleles) {
  const std::string path = dir_ / "raw.bcf";
  htsFile* fp = hts_open(path.c_str(), "wb");
  ASSERT_NE(fp, nullptr);
  bcf_hdr_t* hdr = bcf_hdr_init("w");
  bcf_hdr_append(hdr, "##contig=<ID=1,length=1000>");
  bcf_hdr_append(hdr, "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">");
  for (const char* s : {"A", "B", "C"}) bcf_hdr_add_sample(hdr, s);
  ASSERT_EQ(bcf_hdr_sync(hdr), 0);
  ASSERT_EQ(bcf_hdr_write(fp, hdr), 0);
  // Raw GT values per record (two slots per sample): (allele + 1) << 1, 0 = missing.
  const std::vector<std::vector<int32_t>> records = {
      {2, 4, -6, 2, 4, 4},                  // -6: negative -> invalid-allele
      {2, 4, bcf_int32_missing, bcf_int32_vector_end, 4, 4},  // sentinel: a missing call
      {2, 4, 2, 2, -2, 4},                  // -2: invalid-allele
  };
  bcf1_t* rec = bcf_init();
  for (size_t k = 0; k < records.size(); ++k) {
    bcf_clear(rec);
    rec->rid = 0;
    rec->pos = static_cast<hts_pos_t>(10 * (k + 1));
    bcf_update_alleles_str(hdr, rec, "A,C");
    std::vector<int32_t> gt = records[k];
    ASSERT_EQ(bcf_update_genotypes(hdr, rec, gt.data(), static_cast<int>(gt.size())), 0);
    ASSERT_EQ(bcf_write(fp, hdr, rec), 0);
  }
  bcf_destroy(rec);
  bcf_hdr_destroy(hdr);
  hts_close(fp);
  auto got = Decode(path, {});
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0].skip, "invalid-allele");
  EXPECT_EQ(got[1].codes, (std::vector<int>{1, 3, 2}));
  EXPECT_EQ(got[2].skip, "invalid-allele");
}

}  // namespace
}  // namespace snpflow
