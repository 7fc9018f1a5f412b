// GenotypeCounts::Totals (the vectorized per-SNP sums behind variants.tsv) and WriteCounts'
// narrowing to uint8 (counts.npy), against plain loops.
#include "io/genotype_counts.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "io/npy.h"
#include "pipeline/error.h"
#include "tests/fixtures/test_util.h"

namespace snpflow::io {
namespace {

using snpflow::testing::TempDir;

// Strides below, at and above the 16 vectorized lanes, with and without a tail.
TEST(GenotypeCounts, TotalsEqualAPlainSumPerGenotype) {
  std::mt19937_64 rng(3);
  for (size_t classes : {1, 2, 3, 4, 5, 26}) {
    GenotypeCounts counts(/*folds=*/static_cast<int>(classes % 3 + 1), classes);
    std::vector<uint16_t> row(counts.stride());
    for (int j = 0; j < 50; ++j) {
      for (auto& c : row) c = static_cast<uint16_t>(j % 2 ? rng() : rng() % 300);
      counts.Append(row.data());
    }
    for (size_t j = 0; j < counts.n_snps(); ++j) {
      uint64_t want[4] = {0, 0, 0, 0};
      for (size_t k = 0; k < counts.stride(); ++k) want[k % 4] += counts.of(j)[k];
      uint64_t got[4] = {9, 9, 9, 9};
      counts.Totals(j, got);
      for (int g = 0; g < 4; ++g)
        ASSERT_EQ(got[g], want[g]) << "classes " << classes << " snp " << j << " genotype " << g;
    }
  }
}

// A narrow table (cells of < 256 samples, counts held as bytes) reads back, totals and writes
// exactly as a wide one holding the same counts; it refuses a count above 255.
TEST(GenotypeCounts, NarrowTableMatchesAWideOne) {
  TempDir dir;
  std::mt19937 rng(11);
  GenotypeCounts wide(/*folds=*/3, /*classes=*/5), narrow(3, 5, /*narrow=*/true);
  ASSERT_TRUE(narrow.narrow());
  std::vector<uint16_t> row(wide.stride());
  const size_t n = 2 * GenotypeCounts::kChunkSnps + 17;
  for (size_t j = 0; j < n; ++j) {
    // Each cell's four counts sum to its size, at most 255 here; one reaches 255.
    for (auto& c : row) c = static_cast<uint16_t>(rng() % 64);
    if (j == 5) row[0] = 255, row[1] = row[2] = row[3] = 0;
    wide.Append(row.data());
    if (j % 2) {
      narrow.Append(row.data());
    } else {
      std::vector<uint8_t> bytes(row.begin(), row.end());
      narrow.AppendNarrow(bytes.data());
    }
  }
  ASSERT_EQ(narrow.n_snps(), n);
  std::vector<uint16_t> got(wide.stride());
  for (size_t j = 0; j < n; ++j) {
    narrow.Row(j, got.data());
    ASSERT_EQ(std::vector<uint16_t>(wide.of(j), wide.of(j) + wide.stride()), got) << j;
    uint64_t a[4], b[4];
    wide.Totals(j, a);
    narrow.Totals(j, b);
    for (int g = 0; g < 4; ++g) ASSERT_EQ(a[g], b[g]) << j;
  }
  WriteCounts(wide, dir / "wide.npy");
  WriteCounts(narrow, dir / "narrow.npy");
  EXPECT_EQ(testing::ReadFile(dir / "wide.npy"), testing::ReadFile(dir / "narrow.npy"));
  EXPECT_THROW(narrow.of(0), Error);
  row[3] = 256;
  EXPECT_THROW(narrow.Append(row.data()), Error);
  EXPECT_EQ(narrow.n_snps(), n);  // the refused row left nothing behind
  // Refused at the start of a chunk too; the next row still lands where Row reads it.
  GenotypeCounts fresh(3, 5, /*narrow=*/true);
  EXPECT_THROW(fresh.Append(row.data()), Error);
  row[3] = 7;
  fresh.Append(row.data());
  std::vector<uint16_t> back(fresh.stride());
  fresh.Row(0, back.data());
  EXPECT_EQ(back, row);
  EXPECT_THROW(wide.AppendNarrow(reinterpret_cast<const uint8_t*>(row.data())), Error);
}

// counts.npy written row by row (as `snpflow ingest` does) is the file WriteCounts writes from the
// whole table, narrow (|u1) and wide (<u2), over several flushes; a count above 255 in a narrow
// stream is an error and leaves no file.
TEST(CountsNpyStream, WritesTheFileWriteCountsWrites) {
  TempDir dir;
  for (bool narrow : {true, false}) {
    GenotypeCounts table(/*folds=*/5, /*classes=*/7, narrow);
    const std::string path = dir / (narrow ? "narrow.npy" : "wide.npy");
    CountsNpyStream stream(path, 5, 7, narrow);
    std::mt19937_64 rng(narrow ? 3 : 4);
    const uint16_t cell = narrow ? 255 : 700;  // samples per cell
    std::vector<uint16_t> row(table.stride());
    for (size_t j = 0; j < 5000; ++j) {  // 5000 x 140 counters: more than one 1 MB flush
      for (size_t k = 0; k < row.size(); k += 4) {
        row[k] = static_cast<uint16_t>(rng() % (cell + 1));
        row[k + 1] = static_cast<uint16_t>(rng() % (cell + 1 - row[k]));
        row[k + 2] = static_cast<uint16_t>(rng() % (cell + 1 - row[k] - row[k + 1]));
        row[k + 3] = static_cast<uint16_t>(cell - row[k] - row[k + 1] - row[k + 2]);
      }
      table.Append(row.data());
      stream.Add(row.data());
    }
    EXPECT_FALSE(std::filesystem::exists(path));  // a temp file until Commit
    stream.Commit();
    WriteCounts(table, dir / "whole.npy");
    EXPECT_EQ(testing::ReadFile(path), testing::ReadFile(dir / "whole.npy")) << narrow;
    EXPECT_EQ(ReadNpy(path).shape, (std::vector<uint64_t>{5000, 5, 7, 4}));
    EXPECT_EQ(ReadNpy(path).dtype, narrow ? "|u1" : "<u2");
  }
  {
    CountsNpyStream bad(dir / "bad.npy", 1, 1, /*narrow=*/true);
    const uint16_t row[4] = {100, 200, 0, 0};
    bad.Add(row);
    const uint16_t over[4] = {256, 0, 0, 0};
    EXPECT_THROW(bad.Add(over), Error);
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "bad.npy"));
}

// More cells than a 32-bit lane can sum at 65535 each: the totals must not wrap.
TEST(GenotypeCounts, TotalsDoNotWrapOnHugeRows) {
  const size_t classes = (size_t{1} << 18) + 3;
  GenotypeCounts counts(/*folds=*/1, classes);
  std::vector<uint16_t> row(counts.stride(), 65535);
  row[1] = 0;
  counts.Append(row.data());
  uint64_t got[4];
  counts.Totals(0, got);
  EXPECT_EQ(got[0], classes * 65535);
  EXPECT_EQ(got[1], (classes - 1) * 65535);
  EXPECT_EQ(got[2], classes * 65535);
  EXPECT_EQ(got[3], classes * 65535);
}

// Several chunks of GenotypeCounts::kChunkSnps rows and a partial one: the |u1 file holds every
// count, in order.
TEST(WriteCounts, NarrowedFileHoldsEveryCountOverSeveralChunks) {
  TempDir dir;
  GenotypeCounts counts(/*folds=*/5, /*classes=*/3);
  std::mt19937_64 rng(11);
  std::vector<uint16_t> all, row(counts.stride());
  for (size_t j = 0; j < 3 * GenotypeCounts::kChunkSnps + 17; ++j) {
    for (size_t k = 0; k < row.size(); k += 4) {  // each cell of 255 samples
      row[k] = static_cast<uint16_t>(rng() % 256);
      row[k + 1] = static_cast<uint16_t>(rng() % (256 - row[k]));
      row[k + 2] = static_cast<uint16_t>(rng() % (256 - row[k] - row[k + 1]));
      row[k + 3] = static_cast<uint16_t>(255 - row[k] - row[k + 1] - row[k + 2]);
    }
    counts.Append(row.data());
    all.insert(all.end(), row.begin(), row.end());
  }
  WriteCounts(counts, dir / "counts.npy");
  NpyArray npy = ReadNpy(dir / "counts.npy");
  EXPECT_EQ(npy.dtype, "|u1");
  ASSERT_EQ(npy.shape, (std::vector<uint64_t>{counts.n_snps(), 5, 3, 4}));
  ASSERT_EQ(npy.data.size(), all.size());
  for (size_t i = 0; i < all.size(); ++i) ASSERT_EQ(npy.data[i], all[i]) << i;
}

// A count above its cell's size (impossible from ingest) is named, not silently truncated, and
// leaves no counts.npy.
TEST(WriteCounts, ACountAboveItsCellSizeIsAnErrorNamingIt) {
  TempDir dir;
  GenotypeCounts counts(/*folds=*/1, /*classes=*/2);
  std::vector<uint16_t> row = {100, 100, 50, 5, 1, 2, 3, 4};  // cells of 255 and 10: |u1
  for (size_t j = 0; j < GenotypeCounts::kChunkSnps + 5; ++j) counts.Append(row.data());
  row[6] = 300;
  counts.Append(row.data());
  try {
    WriteCounts(counts, dir / "counts.npy");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), dir / "counts.npy" +
                                         ": a count of 300 exceeds its cell's size (internal "
                                         "error; please report it)");
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "counts.npy"));
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

}  // namespace
}  // namespace snpflow::io
