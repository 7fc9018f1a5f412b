// VcfSource: record order checks (skip policies), site fields, and non-regular inputs.
#include "io/vcf_source.h"

#include <gtest/gtest.h>

#include <fstream>

#include "io/vcf_records_internal.h"
#include "pipeline/error.h"
#include "tests/fixtures/test_util.h"

namespace snpflow::io {
namespace {

using testing::RunShell;
using testing::TempDir;

const char* kHeader =
    "##fileformat=VCFv4.2\n"
    "##contig=<ID=1,length=100000>\n"
    "##contig=<ID=2,length=100000>\n"
    "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n"
    "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB\n";

std::string Rec(const std::string& chrom, int pos, const std::string& alt = "C") {
  return chrom + "\t" + std::to_string(pos) + "\t.\tA\t" + alt + "\t.\t.\t.\tGT\t0/1\t1/1\n";
}

// Every record's "chrom:pos" and its skip reason ("" when kept), read in blocks of two.
std::vector<std::pair<std::string, std::string>> ReadAll(VcfSourceOptions o) {
  o.block_variants = 2;
  auto source = VcfSource::Open(o);
  std::vector<std::pair<std::string, std::string>> out;
  VariantBlock block;
  uint64_t record = 0;
  while (source->ReadBlock(block)) {
    // VCF text on the fast path: an error the source found travels with the block, for
    // decode-gt to throw in record order; throw it here as decode-gt would.
    auto* raw = static_cast<const RawRecords*>(block.raw.get());
    if (raw != nullptr && raw->text != nullptr && raw->text->has_pending_error())
      throw FormatError(raw->text->pending_error);
    for (size_t i = 0; i < block.size(); ++i) {
      EXPECT_EQ(block.variants[i].record, ++record);
      out.emplace_back(block.variants[i].chrom + ":" + std::to_string(block.variants[i].pos),
                       block.kept(i) ? "" : block.dropped[i]);
    }
    block = VariantBlock();
  }
  return out;
}

class VcfSourceTest : public ::testing::Test {
 protected:
  // Write in.vcf and in.bcf with `records`; return the two paths.
  std::vector<std::string> Write(const std::string& records) {
    std::ofstream(dir_ / "in.vcf") << kHeader << records;
    auto r = RunShell("cd " + dir_.path() + " && bcftools view --no-version -Ob -o in.bcf in.vcf");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return {dir_ / "in.vcf", dir_ / "in.bcf"};
  }
  TempDir dir_;
};

TEST_F(VcfSourceTest, SkipsUnsortedRecordsWhenAsked) {
  // 1:50 goes back; 1:300 comes back to contig 1 after contig 2; 2:20 follows a skipped record.
  for (const auto& path : Write(Rec("1", 100) + Rec("1", 50) + Rec("1", 200) + Rec("2", 10) +
                                Rec("1", 300) + Rec("2", 20))) {
    VcfSourceOptions o;
    o.path = path;
    o.unsorted = VcfSourceOptions::OrderPolicy::kSkip;
    auto got = ReadAll(o);
    const std::vector<std::pair<std::string, std::string>> expected = {
        {"1:100", ""}, {"1:50", "unsorted"}, {"1:200", ""}, {"2:10", ""}, {"1:300", "unsorted"},
        {"2:20", ""}};
    EXPECT_EQ(got, expected) << path;
    o.unsorted = VcfSourceOptions::OrderPolicy::kError;
    EXPECT_THROW(ReadAll(o), FormatError) << path;
  }
}

TEST_F(VcfSourceTest, SkipsDuplicatesButNotOtherAllelesAtOnePosition) {
  for (const auto& path : Write(Rec("1", 100) + Rec("1", 100, "G") + Rec("1", 100) +
                                Rec("1", 100, "G,T") + Rec("1", 101) + Rec("2", 100))) {
    VcfSourceOptions o;
    o.path = path;
    o.duplicates = VcfSourceOptions::OrderPolicy::kSkip;
    auto got = ReadAll(o);
    const std::vector<std::pair<std::string, std::string>> expected = {
        {"1:100", ""}, {"1:100", ""}, {"1:100", "duplicate"}, {"1:100", ""}, {"1:101", ""},
        {"2:100", ""}};
    EXPECT_EQ(got, expected) << path;
  }
}

TEST_F(VcfSourceTest, ReadsAPipeLikeStdin) {
  Write(Rec("1", 100) + Rec("1", 200));
  auto r = RunShell("cd " + dir_.path() + " && mkfifo fifo && (cat in.bcf > fifo &)");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  VcfSourceOptions o;
  o.path = dir_ / "fifo";
  auto source = VcfSource::Open(o);
  EXPECT_FALSE(source->regular_file());
  EXPECT_EQ(source->file_size(), 0u);
  VariantBlock block;
  ASSERT_TRUE(source->ReadBlock(block));
  EXPECT_EQ(block.size(), 2u);
  EXPECT_EQ(block.variants[1].pos, 200);
}

TEST_F(VcfSourceTest, RegionsNeedARegularFile) {
  Write(Rec("1", 100));
  auto r = RunShell("cd " + dir_.path() + " && mkfifo fifo && (cat in.bcf > fifo &)");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  VcfSourceOptions o;
  o.path = dir_ / "fifo";
  o.regions = "1";
  try {
    VcfSource::Open(o);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              "-r/--regions needs an indexed file, not stdin or a pipe ('" + o.path + "')");
  }
}

}  // namespace
}  // namespace snpflow::io
