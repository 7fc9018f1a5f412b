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

// The FormatError that RunVcf gives the kept seed corpus/vcf/`name` (checked to be `size` bytes),
// with "INPUT" in place of the path RunVcf writes it to; "" when there is none.
std::string SeedError(const std::string& name, size_t size) {
  const std::string seed =
      ReadFile(snpflow::testing::SourceDir() + "/tests/fuzz/corpus/vcf/" + name);
  EXPECT_EQ(seed.size(), size) << name;
  TempDir dir;
  try {
    RunVcf(reinterpret_cast<const uint8_t*>(seed.data()), seed.size(), dir.path());
  } catch (const FormatError& e) {
    std::string what = e.what();
    const std::string path = dir / "input.vcf";  // RunVcf's name for the input
    for (size_t at; (at = what.find(path)) != std::string::npos;)
      what.replace(at, path.size(), "INPUT");
    return what;
  }
  return "";
}

// A 3.8 KB uncompressed BCF whose record 4 claims 2,607,049,037 bytes (its shared and per-sample
// lengths). htslib's bcf_read allocated both, with half again for growth (880 MB, then 3 GB),
// before reading: 1.3 s per run under ASan on an idle machine, 7-18 s on a loaded one, and an
// allocation far beyond what the file can justify. VcfSource now checks the lengths first.
TEST(FuzzRegression, BcfRecordClaimingGigabytesIsRejectedBeforeItIsAllocated) {
  EXPECT_EQ(SeedError("oversized-record.ubcf", 3800),
            "'INPUT': record 4, after 1:29368521 claims 2607049037 bytes, more than the rest of "
            "the file can hold; the file is truncated or corrupt; check it with `bcftools view "
            "INPUT > /dev/null`");
}

// A 1.3 KB VCF (a mutated simulator header) whose ##FORMAT line 7 ends with IDX=149250621.
// htslib's header parser made room for that many dictionary entries and zeroed them: 4.2 GB of
// memory and 7.8 s for `snpflow ingest`, and an ASan allocation report in the fuzzer (found on
// 2026-11-30). VcfSource now checks the header's IDX values before htslib reads the header.
TEST(FuzzRegression, HeaderIndexOfMillionsIsRejectedBeforeHtslibAllocatesIt) {
  EXPECT_EQ(SeedError("huge-header-index.vcf", 1320),
            "'INPUT': header line 7 declares IDX=149250621, an index far beyond what a header of "
            "20 lines can use (htslib would allocate memory for that many entries); the header is "
            "corrupt or crafted; check it with `bcftools view -h INPUT`");
}

}  // namespace
}  // namespace snpflow::fuzz
