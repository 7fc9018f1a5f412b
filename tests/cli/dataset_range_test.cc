// LoadDatasetRange (io/dataset.h): an SNP-parallel rank's part of an ingest, read range-wise from
// store.snpf and counts.npy, equals the whole load sliced; the manifest still checks every file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "io/dataset.h"
#include "pipeline/error.h"
#include "stages/shard_batch_source.h"
#include "tests/fixtures/test_util.h"

namespace snpflow {
namespace {

namespace fs = std::filesystem;
using testing::ReadFile;
using testing::RunSnpflow;
using testing::TempDir;

// 40 samples x 2600 SNPs: three tiles of the store, the last one partial.
class DatasetRangeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    data_ = new TempDir();
    auto sim = RunSnpflow("simulate --samples 40 --snps 2600 --seed 9 -q -O b -o " +
                          (*data_ / "s.bcf"));
    ASSERT_EQ(sim.exit_code, 0) << sim.err;
    auto ingest = RunSnpflow("ingest " + (*data_ / "s.bcf") + " --labels " + (*data_ / "s.panel") +
                             " --folds 3 -q -o " + Dir());
    ASSERT_EQ(ingest.exit_code, 0) << ingest.err;
  }
  static void TearDownTestSuite() {
    delete data_;
    data_ = nullptr;
  }
  static std::string Dir() { return *data_ / "D"; }
  static Dataset LoadRange(const std::string& dir, uint64_t begin, uint64_t end) {
    return LoadDatasetRange(dir, [&](uint64_t n) {
      EXPECT_EQ(n, 2600u);
      return io::VariantRange{begin, end};
    });
  }
  static TempDir* data_;
};

TempDir* DatasetRangeTest::data_ = nullptr;

TEST_F(DatasetRangeTest, HoldsOnlyTheRangeAndEqualsTheWholeLoadSliced) {
  const Dataset whole = LoadDataset(Dir());
  ASSERT_EQ(whole.store.num_variants(), 2600u);
  EXPECT_FALSE(whole.partial);
  std::vector<std::pair<uint64_t, uint64_t>> ranges = {
      {0, 2600}, {0, 0}, {1024, 2048}, {500, 2100}, {2596, 2600}, {8, 9}};
  for (int r = 0; r < 3; ++r) {  // the ranges of 3 SNP-parallel ranks
    const SnpRange range = SnpRangeOfRank(2600, r, 3);
    ranges.emplace_back(range.begin, range.end);
  }
  for (auto [b, e] : ranges) {
    SCOPED_TRACE("[" + std::to_string(b) + ", " + std::to_string(e) + ")");
    const Dataset part = LoadRange(Dir(), b, e);
    EXPECT_TRUE(part.partial);
    EXPECT_EQ(part.variant_begin, b);
    EXPECT_EQ(part.variant_total, 2600u);
    EXPECT_EQ(part.total_variants(), 2600u);
    EXPECT_EQ(part.variants_tsv, Dir() + "/variants.tsv");
    EXPECT_EQ(part.samples.ids, whole.samples.ids);
    EXPECT_EQ(part.samples.label, whole.samples.label);
    EXPECT_EQ(part.samples.partition, whole.samples.partition);
    EXPECT_EQ(part.samples.folds, 3);
    CheckDataset(part, "test");  // store, counts and samples agree
    // Only the range: store rows, sites and counts rows.
    ASSERT_EQ(part.store.num_variants(), e - b);
    ASSERT_EQ(part.store.sites().size(), e - b);
    ASSERT_EQ(part.counts.n_snps(), e - b);
    EXPECT_EQ(part.store.row_bytes(), (e - b + 3) / 4);
    const size_t stride = whole.counts.stride();
    for (uint64_t j = 0; j < e - b; ++j) {
      ASSERT_EQ(part.store.sites()[j].pos, whole.store.sites()[b + j].pos) << j;
      std::vector<uint16_t> part_row(stride), whole_row(stride);
      part.counts.Row(j, part_row.data());
      whole.counts.Row(b + j, whole_row.data());
      ASSERT_EQ(part_row, whole_row) << j;
      for (size_t s = 0; s < whole.store.num_samples(); ++s)
        ASSERT_EQ(part.store.code(s, j), whole.store.code(s, b + j)) << s << " " << j;
    }
  }
}

TEST_F(DatasetRangeTest, DamageOutsideTheRangeIsCaughtByTheManifest) {
  TempDir dir;
  const std::string copy = dir / "D";
  fs::copy(Dir(), copy, fs::copy_options::recursive);
  // Flip the store's last byte: in the last tile, which a range of the first tile never reads.
  std::string bytes = ReadFile(copy + "/store.snpf");
  bytes.back() = static_cast<char>(bytes.back() ^ 0x21);
  std::ofstream(copy + "/store.snpf", std::ios::binary | std::ios::trunc) << bytes;
  try {
    LoadRange(copy, 0, 1024);
    ADD_FAILURE() << "damage outside the range went unnoticed";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("'" + copy + "/store.snpf'"), std::string::npos)
        << e.what();
  }
  // variants.tsv, which a range's writer copies, is checked too.
  fs::remove_all(copy);
  fs::copy(Dir(), copy, fs::copy_options::recursive);
  std::ofstream(copy + "/variants.tsv", std::ios::app) << "x\n";
  try {
    LoadRange(copy, 0, 4);
    ADD_FAILURE() << "a damaged variants.tsv went unnoticed";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("'" + copy + "/variants.tsv'"), std::string::npos)
        << e.what();
  }
}

TEST_F(DatasetRangeTest, RangeNotStartingAtAByteIsRefused) {
  EXPECT_THROW(LoadRange(Dir(), 2, 10), Error);
  EXPECT_THROW(LoadRange(Dir(), 0, 2601), Error);
}

}  // namespace
}  // namespace snpflow
