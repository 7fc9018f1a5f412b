// ReadNpyRows: a range of rows of a .npy (counts.npy of an SNP-parallel rank), read by seeking.
#include <gtest/gtest.h>

#include <fstream>

#include "io/npy.h"
#include "pipeline/error.h"
#include "tests/fixtures/test_util.h"

namespace snpflow::io {
namespace {

using snpflow::testing::ReadFile;
using snpflow::testing::TempDir;

TEST(NpyRows, EqualReadNpySliced) {
  TempDir dir;
  const std::vector<uint64_t> shape = {9, 2, 3, 4};  // SNPs x folds x classes x genotypes
  std::vector<uint16_t> values(9 * 24);
  for (size_t k = 0; k < values.size(); ++k) values[k] = static_cast<uint16_t>(k * 37 % 1000);
  std::vector<uint8_t> narrow(values.begin(), values.end());
  for (size_t k = 0; k < narrow.size(); ++k) narrow[k] = static_cast<uint8_t>(values[k] % 251);
  WriteNpy(dir / "u2.npy", "<u2", shape, values.data(), values.size() * 2);
  WriteNpy(dir / "u1.npy", "|u1", shape, narrow.data(), narrow.size());
  {
    NpyWriter zst(dir / "u2.npy.zst", "<u2", shape, /*compress_zstd=*/true);
    zst.Write(values.data(), values.size() * 2);
    zst.Commit();
  }
  for (const char* name : {"u2.npy", "u1.npy", "u2.npy.zst"}) {
    const NpyArray whole = ReadNpy(dir / name);
    const size_t row = whole.data.size() / 9;
    for (auto [b, e] : std::vector<std::pair<uint64_t, uint64_t>>{
             {0, 9}, {0, 0}, {9, 9}, {3, 4}, {2, 7}, {8, 9}}) {
      SCOPED_TRACE(std::string(name) + " [" + std::to_string(b) + ", " + std::to_string(e) + ")");
      uint64_t total = 0;
      const NpyArray part = ReadNpyRows(dir / name, b, e, &total);
      EXPECT_EQ(total, 9u);
      EXPECT_EQ(part.dtype, whole.dtype);
      EXPECT_EQ(part.shape, (std::vector<uint64_t>{e - b, 2, 3, 4}));
      EXPECT_EQ(part.data, std::vector<uint8_t>(whole.data.begin() + b * row,
                                                whole.data.begin() + e * row));
    }
  }
}

TEST(NpyRows, ChecksTheWholeFileAndTheRange) {
  TempDir dir;
  const std::vector<uint8_t> values(5 * 8, 7);
  WriteNpy(dir / "a.npy", "|u1", {5, 8}, values.data(), values.size());
  try {
    ReadNpyRows(dir / "a.npy", 2, 6);
    ADD_FAILURE() << "no error for rows [2, 6) of 5";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "ReadNpyRows('" + (dir / "a.npy") + "'): rows [2, 6) are not a range of its 5 rows");
  }
  // A truncated file fails as ReadNpy does, even for rows that are all there.
  std::string bytes = ReadFile(dir / "a.npy");
  std::ofstream(dir / "cut.npy", std::ios::binary) << bytes.substr(0, bytes.size() - 1);
  std::string want;
  try {
    ReadNpy(dir / "cut.npy");
  } catch (const FormatError& e) {
    want = e.what();
  }
  ASSERT_NE(want.find("truncated: shape (5, 8) of '|u1' needs 40 data bytes, the file has 39"),
            std::string::npos)
      << want;
  try {
    ReadNpyRows(dir / "cut.npy", 0, 1);
    ADD_FAILURE() << "no error for a truncated file";
  } catch (const FormatError& e) {
    EXPECT_EQ(std::string(e.what()), want);
  }
  std::ofstream(dir / "short.npy", std::ios::binary) << bytes.substr(0, 30);  // header cut
  EXPECT_THROW(ReadNpyRows(dir / "short.npy", 0, 1), FormatError);
  std::ofstream(dir / "junk.npy", std::ios::binary) << "not an npy file at all, no";
  EXPECT_THROW(ReadNpyRows(dir / "junk.npy", 0, 0), FormatError);
  EXPECT_THROW(ReadNpyRows(dir / "missing.npy", 0, 0), InputError);
}

}  // namespace
}  // namespace snpflow::io
