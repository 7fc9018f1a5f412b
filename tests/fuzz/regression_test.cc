// The libFuzzer findings kept as seeds (tests/fuzz/corpus/, see README.md): each one, run through
// its reader, ends with the error it deserves. They are also seeds of `make fuzz`.
#include <gtest/gtest.h>

#include <string>

#include "pipeline/error.h"
#include "tests/fixtures/test_util.h"
#include "tests/fuzz/fuzz_targets.h"

namespace snpflow::fuzz {
namespace {

using snpflow::testing::ReadFile;
using snpflow::testing::TempDir;

// A 3.8 KB uncompressed BCF whose record 4 claims 2,607,049,037 bytes (its shared and per-sample
// lengths). htslib's bcf_read allocated both, with half again for growth (880 MB, then 3 GB),
// before reading: 1.3 s per run under ASan on an idle machine, 7-18 s on a loaded one, and an
// allocation far beyond what the file can justify. VcfSource now checks the lengths first.
TEST(FuzzRegression, BcfRecordClaimingGigabytesIsRejectedBeforeItIsAllocated) {
  const std::string seed =
      ReadFile(snpflow::testing::SourceDir() + "/tests/fuzz/corpus/vcf/oversized-record.ubcf");
  ASSERT_EQ(seed.size(), 3800u);
  TempDir dir;
  try {
    RunVcf(reinterpret_cast<const uint8_t*>(seed.data()), seed.size(), dir.path());
    FAIL() << "no error";
  } catch (const FormatError& e) {
    const std::string path = dir / "input.vcf";  // RunVcf's name for the input
    EXPECT_EQ(std::string(e.what()),
              "'" + path + "': record 4, after 1:29368521 claims 2607049037 bytes, more than "
              "the rest of the file can hold; the file is truncated or corrupt; check it with "
              "`bcftools view " + path + " > /dev/null`");
  }
}

// A 1.3 KB VCF (a mutated simulator header) whose ##FORMAT line 7 ends with IDX=149250621.
// htslib's header parser made room for that many dictionary entries and zeroed them: 4.2 GB of
// memory and 7.8 s for `snpflow ingest`, and an ASan allocation report in the fuzzer (found on
// 2026-11-30). VcfSource now checks the header's IDX values before htslib reads the header.
TEST(FuzzRegression, HeaderIndexOfMillionsIsRejectedBeforeHtslibAllocatesIt) {
  const std::string seed =
      ReadFile(snpflow::testing::SourceDir() + "/tests/fuzz/corpus/vcf/huge-header-index.vcf");
  ASSERT_EQ(seed.size(), 1320u);
  TempDir dir;
  try {
    RunVcf(reinterpret_cast<const uint8_t*>(seed.data()), seed.size(), dir.path());
    FAIL() << "no error";
  } catch (const FormatError& e) {
    const std::string path = dir / "input.vcf";
    EXPECT_EQ(std::string(e.what()),
              "'" + path + "': header line 7 declares IDX=149250621, an index far beyond what a "
              "header of 20 lines can use (htslib would allocate memory for that many entries); "
              "the header is corrupt or crafted; check it with `bcftools view -h " + path + "`");
  }
}

}  // namespace
}  // namespace snpflow::fuzz
