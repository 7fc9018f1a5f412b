// VcfSource: record order checks (skip policies), site fields, and non-regular inputs.
#include "io/bcf_record_size.h"
#include "io/vcf_source.h"

#include <gtest/gtest.h>

#include <fstream>
#include <functional>

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

// The message of the FormatError that `read` throws, or "" when it throws none.
std::string FormatErrorOf(const std::function<void()>& read) {
  try {
    read();
  } catch (const FormatError& e) {
    return e.what();
  }
  return "";
}

// BCF's little-endian 32-bit lengths, read and written in place.
uint32_t Le32(const std::string& s, size_t at) {
  uint32_t v = 0;
  for (int k = 3; k >= 0; --k) v = v << 8 | static_cast<uint8_t>(s[at + k]);
  return v;
}
void SetLe32(std::string& s, size_t at, uint32_t v) {
  for (int k = 0; k < 4; ++k) s[at + k] = static_cast<char>(v >> (8 * k) & 0xFF);
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
  // Make the FIFO `fifo` in the test directory, fed with the file `source` there by a background
  // `cat`; return its path. The files are smaller than a pipe's buffer, so the writer never waits
  // for a reader that stopped early. When it cannot be made, the test fails and the path returned
  // does not exist (opening a FIFO without a writer would wait forever).
  std::string FeedFifo(const std::string& fifo, const std::string& source) {
    auto r = RunShell("cd " + dir_.path() + " && mkfifo " + fifo + " && (cat " + source + " > " +
                      fifo + " &)");
    if (r.exit_code == 0) return dir_ / fifo;
    ADD_FAILURE() << "cannot feed " << fifo << ": " << r.err;
    return dir_ / (fifo + ".missing");
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
  VcfSourceOptions o;
  o.path = FeedFifo("fifo", "in.bcf");
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
  VcfSourceOptions o;
  o.path = FeedFifo("fifo", "in.bcf");
  o.regions = "1";
  try {
    VcfSource::Open(o);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              "-r/--regions needs an indexed file, not stdin or a pipe ('" + o.path + "')");
  }
}

// A BCF record or header claiming more bytes than the file holds is an error before htslib
// allocates them (it would allocate up to 4 GiB each), in uncompressed and BGZF-compressed BCF.
TEST_F(VcfSourceTest, BcfLengthsBeyondTheFileAreErrorsBeforeAllocation) {
  Write(Rec("1", 100) + Rec("1", 200) + Rec("1", 300));
  auto r = RunShell("cd " + dir_.path() + " && bcftools view --no-version -Ou -o in.ubcf in.vcf");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string bcf = testing::ReadFile(dir_ / "in.ubcf");
  auto le32 = [&](size_t at) { return Le32(bcf, at); };
  // "BCF\2\2", the header's length and text, then records: shared and per-sample lengths first.
  const size_t record1 = 9 + le32(5);
  const size_t record2 = record1 + 8 + le32(record1) + le32(record1 + 4);
  std::string big_record = bcf, big_header = bcf;
  SetLe32(big_record, record2, 0xB0000000u);
  const uint64_t claimed = 8 + uint64_t{0xB0000000u} + le32(record2 + 4);
  SetLe32(big_header, 5, 0x40000000u);
  std::ofstream(dir_ / "record.ubcf", std::ios::binary) << big_record;
  std::ofstream(dir_ / "header.ubcf", std::ios::binary) << big_header;
  r = RunShell("cd " + dir_.path() + " && bgzip -c record.ubcf > record.bcf && "
               "bgzip -c header.ubcf > header.bcf");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const std::string name : {"record.ubcf", "record.bcf"}) {
    VcfSourceOptions o;
    o.path = dir_ / name;
    EXPECT_EQ(FormatErrorOf([&] { ReadAll(o); }),
              "'" + o.path + "': record 2, after 1:100 claims " + std::to_string(claimed) +
                  " bytes, more than the rest of the file can hold; the file is truncated or "
                  "corrupt; check it with `bcftools view " + o.path + " > /dev/null`");
  }
  // Through a pipe, where the rest cannot be measured: a record may claim 4 KiB per sample, at
  // least 128 MiB.
  for (const std::string name : {"record.ubcf", "record.bcf"}) {
    VcfSourceOptions o;
    o.path = FeedFifo("fifo-" + name, name);
    EXPECT_EQ(FormatErrorOf([&] { ReadAll(o); }),
              "'" + o.path + "': record 2, after 1:100 claims " + std::to_string(claimed) +
                  " bytes, more than a record read from a pipe or stdin may claim (134217728 "
                  "bytes: 4 KiB per sample, at least 128 MiB; a stream's length cannot be "
                  "checked); the input is truncated, corrupt or crafted; if the record is real, "
                  "give snpflow the file itself rather than a pipe");
  }
  EXPECT_EQ(StreamBcfRecordLimit(2), uint64_t{128} << 20);
  EXPECT_EQ(StreamBcfRecordLimit(32768), uint64_t{128} << 20);
  EXPECT_EQ(StreamBcfRecordLimit(500000), uint64_t{500000} << 12);
  for (const std::string name : {"header.ubcf", "header.bcf"}) {
    VcfSourceOptions o;
    o.path = dir_ / name;
    EXPECT_EQ(FormatErrorOf([&] { VcfSource::Open(o); }),
              "'" + o.path + "': the BCF header claims 1073741833 bytes, more than the file can "
              "hold; the file is truncated or corrupt; check it with `bcftools view -h " +
                  o.path + "`");
  }
}

// A BCF file's header is read once, as a stream's: its text, checked, then htslib's parser (all
// that bcf_hdr_read of a BCF does after reading it). The file's records read as its VCF's, and a
// sample named twice, which htslib's parser refuses without saying why, is named from that text,
// in plain and BGZF BCF files and through a pipe.
TEST_F(VcfSourceTest, ARepeatedSampleInABcfHeaderIsNamedFromFileOrPipe) {
  Write(Rec("1", 100) + Rec("2", 10));
  auto r = RunShell("cd " + dir_.path() + " && bcftools view --no-version -Ob -o in.bcf in.vcf && "
                    "bcftools view --no-version -Ou -o in.ubcf in.vcf");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  VcfSourceOptions vcf, bcf;
  vcf.path = dir_ / "in.vcf";
  bcf.path = dir_ / "in.bcf";
  EXPECT_EQ(ReadAll(bcf), ReadAll(vcf));
  std::string twice = testing::ReadFile(dir_ / "in.ubcf");
  const size_t at = twice.find("FORMAT\tA\tB");
  ASSERT_NE(at, std::string::npos);
  twice[at + 9] = 'A';  // the same length: the header's length stays right
  std::ofstream(dir_ / "twice.ubcf", std::ios::binary) << twice;
  r = RunShell("cd " + dir_.path() + " && bgzip -c twice.ubcf > twice.bcf");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  FeedFifo("fifo", "twice.bcf");
  for (const std::string name : {"twice.bcf", "twice.ubcf", "fifo"}) {
    VcfSourceOptions o;
    o.path = dir_ / name;
    EXPECT_EQ(FormatErrorOf([&] { VcfSource::Open(o); }),
              "'" + o.path + "': sample 'A' appears twice in the header (columns 10 and 11); "
              "give every sample a unique name, e.g. with `bcftools reheader -s new_names.txt " +
                  o.path + "`");
  }
}

// A header line with a huge IDX (a dictionary index: htslib's parser makes room for that many
// entries and zeroes them, 4 GB for a 1 KB file) is an error before htslib reads the header, in
// VCF, VCF.gz and BCF. IDX values a header can hold, and "IDX=" inside a quoted description,
// are not.
TEST_F(VcfSourceTest, AHugeHeaderIndexIsAnErrorBeforeHtslibAllocatesIt) {
  const std::string fine_header =
      "##fileformat=VCFv4.2\n"
      "##contig=<ID=1,length=100000,IDX=0>\n"
      "##INFO=<ID=DP,Number=1,Type=Integer,"
      "Description=\"copied from IDX=999999999, \\\" x\",IDX=9>\n"
      "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n"
      "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB\n";
  std::ofstream(dir_ / "fine.vcf") << fine_header << Rec("1", 100);
  VcfSourceOptions fine;
  fine.path = dir_ / "fine.vcf";
  EXPECT_EQ(ReadAll(fine).size(), 1u);

  std::string huge = fine_header;
  huge.replace(huge.find("Description=\"Genotype\">"), 23,
               "Description=\"Genotype\",IDX=149250621>");
  std::ofstream(dir_ / "huge.vcf") << huge << Rec("1", 100);
  // The BCF: bcftools writes IDX on every line; the first contig's becomes huge.
  Write(Rec("1", 100));
  auto r = RunShell("cd " + dir_.path() + " && bgzip -c huge.vcf > huge.vcf.gz && "
                    "bcftools view --no-version -Ou -o in.ubcf in.vcf");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string bcf = testing::ReadFile(dir_ / "in.ubcf");
  const uint32_t len = Le32(bcf, 5);  // the header text's length
  const size_t at = bcf.find(",IDX=0>", 9);
  ASSERT_LT(at, 9 + len);
  bcf.replace(at, 7, ",IDX=149250621>");
  SetLe32(bcf, 5, len + 8);
  std::ofstream(dir_ / "huge.ubcf", std::ios::binary) << bcf;
  for (const std::string name : {"huge.vcf", "huge.vcf.gz", "huge.ubcf"}) {
    // From the file, and through a pipe (a stream's header is read once, by snpflow, and its
    // text handed to htslib's parser after the check).
    for (bool pipe : {false, true}) {
      VcfSourceOptions o;
      o.path = dir_ / name;
      if (pipe) o.path = FeedFifo("fifo-" + name, name);
      const std::string what = FormatErrorOf([&] { VcfSource::Open(o); });
      EXPECT_NE(what.find("'" + o.path + "': header line "), std::string::npos)
          << name << ": " << what;
      EXPECT_NE(what.find(" declares IDX=149250621, an index far beyond what a header of "),
                std::string::npos) << what;
      EXPECT_NE(what.find("check it with `bcftools view -h " + o.path + "`"), std::string::npos)
          << what;
    }
  }
  // The fine header through a pipe, in each format: read, parsed, its record decoded.
  auto made = RunShell("cd " + dir_.path() + " && bgzip -c fine.vcf > fine.vcf.gz && "
                       "bcftools view --no-version -Ob -o fine.bcf fine.vcf");
  ASSERT_EQ(made.exit_code, 0) << made.err;
  for (const std::string file : {"fine.vcf", "fine.vcf.gz", "fine.bcf"}) {
    VcfSourceOptions o;
    o.path = FeedFifo("fifo-" + file, file);
    const auto records = ReadAll(o);
    ASSERT_EQ(records.size(), 1u) << o.path;
  }
}

// -r reads the regions one after the other: a list in file order works (overlaps read once), one
// out of file order is an error naming -r with the list to use. File order is the records'
// order (taken from the index), not the header's: here contig 2's records come first.
TEST_F(VcfSourceTest, RegionsMustBeListedInFileOrder) {
  Write(Rec("2", 10) + Rec("2", 20) + Rec("1", 100) + Rec("1", 200) + Rec("1", 300));
  auto r = RunShell("cd " + dir_.path() + " && bcftools index in.bcf && bcftools view --no-version "
                    "-Oz -o in.vcf.gz in.vcf && bcftools index -t in.vcf.gz");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const std::string name : {"in.bcf", "in.vcf.gz"}) {
    VcfSourceOptions o;
    o.path = dir_ / name;
    o.regions = "2,1:150-250,1:200-300,3";  // 3: not in the file, skipped
    std::vector<std::pair<std::string, std::string>> expected = {
        {"2:10", ""}, {"2:20", ""}, {"1:200", ""}, {"1:300", ""}};
    EXPECT_EQ(ReadAll(o), expected) << name;
    for (const auto& [regions, message] : std::vector<std::pair<std::string, std::string>>{
             {"1,2", "-r/--regions lists '2' after '1', but '2' comes first in '" + o.path +
                         "' (regions are read in the order given, and records must stay in file "
                         "order); list the regions in file order: -r 2,1"},
             {"2,1:250-300,3,1:1-120",
              "-r/--regions lists '1:1-120' after '1:250-300', but '1:1-120' comes first in '" +
                  o.path + "' (regions are read in the order given, and records must stay in "
                  "file order); list the regions in file order: -r 2,1:1-120,1:250-300,3"}}) {
      o.regions = regions;
      try {
        VcfSource::Open(o);
        ADD_FAILURE() << name << " -r " << regions << ": no error";
      } catch (const InputError& e) {
        EXPECT_EQ(std::string(e.what()), message) << name;
      }
    }
  }
}

}  // namespace
}  // namespace snpflow::io
