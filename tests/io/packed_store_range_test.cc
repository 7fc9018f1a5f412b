// PackedStore::LoadVariantRange: a rank's SNP range read from the file, tile by tile.
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "io/packed_store.h"
#include "pipeline/error.h"
#include "tests/fixtures/test_util.h"

namespace snpflow::io {
namespace {

using snpflow::testing::ReadFile;
using snpflow::testing::TempDir;


SiteInfo Site(size_t j) {
  return SiteInfo{"chr" + std::to_string(1 + j % 22), static_cast<int64_t>(1000 + 17 * j),
                  "rs" + std::to_string(j), "A", j % 2 ? "G" : "T"};
}

/// A store of n_samples x n_variants random codes saved to `path`; returns the codes,
/// variant-major (codes[v * n_samples + s]).
std::vector<uint8_t> SaveRandomStore(const std::string& path, size_t n_samples,
                                     size_t n_variants, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> codes(n_samples * n_variants);
  for (auto& c : codes) c = static_cast<uint8_t>(rng() % 4);
  std::vector<std::string> ids;
  for (size_t i = 0; i < n_samples; ++i) ids.push_back("S" + std::to_string(i));
  PackedStore store(ids);
  for (size_t v = 0; v < n_variants; ++v) store.AppendVariant(Site(v), &codes[v * n_samples]);
  store.Finish();
  store.Save(path);
  return codes;
}

/// Expect `part` to be variants [begin, end) of `whole`: sites, codes, rows byte for byte
/// (padding bits zero) and the tile layout (code() and ReadRow agree).
void ExpectSlice(const PackedStore& part, const PackedStore& whole, size_t begin, size_t end) {
  ASSERT_EQ(part.sample_ids(), whole.sample_ids());
  ASSERT_EQ(part.num_variants(), end - begin);
  for (size_t j = 0; j < end - begin; ++j) {
    ASSERT_EQ(part.sites()[j].pos, whole.sites()[begin + j].pos) << j;
    ASSERT_EQ(part.sites()[j].id, whole.sites()[begin + j].id) << j;
  }
  std::vector<uint8_t> row(part.row_bytes() + 1, 0xAB), full(whole.row_bytes());
  const size_t n = end - begin;
  for (size_t s = 0; s < whole.num_samples(); ++s) {
    part.ReadRow(s, row.data());
    whole.ReadRow(s, full.data());
    ASSERT_EQ(row.back(), 0xAB) << "ReadRow wrote past row_bytes()";
    for (size_t j = 0; j < n; ++j) {
      ASSERT_EQ(part.code(s, j), whole.code(s, begin + j)) << "sample " << s << " variant " << j;
      ASSERT_EQ((row[j / 4] >> (2 * (j % 4))) & 3, whole.code(s, begin + j)) << s << " " << j;
    }
    // Whole bytes equal the full row's; the last partial byte has zero padding bits.
    for (size_t b = 0; b < n / 4; ++b) ASSERT_EQ(row[b], full[begin / 4 + b]) << s << " " << b;
    if (n % 4 != 0) EXPECT_EQ(row[n / 4] >> (2 * (n % 4)), 0);
  }
}

/// Flip a byte in the middle of tile `t`'s compressed bytes.
void CorruptTile(const std::string& path, size_t t) {
  const auto layout = snpflow::testing::ReadStoreLayout(path);
  const auto [offset, size] = layout.Tile(t);
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(static_cast<std::streamoff>(offset + size / 2));
  f.put(static_cast<char>(layout.bytes[offset + size / 2] ^ 0x5a));
}

TEST(PackedStoreRange, EqualsLoadThenSlice) {
  TempDir dir;
  const std::string path = dir / "store.snpf";
  // 4 tiles, the last one partial (3 * 1024 + 501 variants).
  SaveRandomStore(path, 13, 3573, 7);
  const PackedStore whole = PackedStore::Load(path);
  EXPECT_EQ(PackedStore::ReadNumVariants(path), 3573u);
  const std::vector<std::pair<size_t, size_t>> ranges = {
      {0, 3573},     // full range
      {0, 0},        // empty at the start
      {2048, 2048},  // empty inside
      {3573 - 1, 3573 - 1},
      {1024, 2048},  // exactly one tile
      {1024, 3573},  // tile boundary to the end (last partial tile)
      {3072, 3573},  // the last partial tile alone
      {0, 1023},     // ends inside a tile, inside a byte
      {4, 1030},     // not at a tile boundary, crosses one
      {1020, 1028},  // straddles a tile boundary, smaller than a byte group of tiles
      {512, 3100},   // not aligned, output tiles spanning two source tiles each
      {1500, 3573},  // not aligned, to the end
      {3568, 3573},  // the last few variants
      {892, 894},    // inside one byte
  };
  for (auto [b, e] : ranges) {
    SCOPED_TRACE("range [" + std::to_string(b) + ", " + std::to_string(e) + ")");
    ExpectSlice(PackedStore::LoadVariantRange(path, b, e), whole, b, e);
  }
}

TEST(PackedStoreRange, RejectsRangesThatAreNotTheFiles) {
  TempDir dir;
  const std::string path = dir / "store.snpf";
  SaveRandomStore(path, 3, 100, 1);
  for (auto [b, e] : std::vector<std::pair<uint64_t, uint64_t>>{{2, 10}, {8, 4}, {0, 101}}) {
    try {
      PackedStore::LoadVariantRange(path, b, e);
      ADD_FAILURE() << "no error for [" << b << ", " << e << ")";
    } catch (const Error& e2) {
      EXPECT_EQ(std::string(e2.what()),
                "PackedStore::LoadVariantRange('" + path + "'): variants [" + std::to_string(b) +
                    ", " + std::to_string(e) +
                    ") are not a range of the store's 100 variants starting at a multiple of 4");
    }
  }
}

TEST(PackedStoreRange, ReadsOnlyTheTilesOfTheRange) {
  TempDir dir;
  const std::string path = dir / "store.snpf";
  SaveRandomStore(path, 9, 3000, 3);  // tiles 0, 1, 2 (952 variants)
  const PackedStore whole = PackedStore::Load(path);
  CorruptTile(path, 0);
  // Tile 0 is not read for a range of tiles 1-2: the damage goes unnoticed here (the ingest
  // manifest's whole-file checksum is what catches it, see LoadDataset).
  ExpectSlice(PackedStore::LoadVariantRange(path, 1024, 3000), whole, 1024, 3000);
  ExpectSlice(PackedStore::LoadVariantRange(path, 2048, 2048), whole, 2048, 2048);
  // A range touching tile 0, even by a few variants, reads it and names it.
  for (auto [b, e] : std::vector<std::pair<uint64_t, uint64_t>>{{1020, 1100}, {0, 4}}) {
    try {
      PackedStore::LoadVariantRange(path, b, e);
      ADD_FAILURE() << "no error for [" << b << ", " << e << ")";
    } catch (const FormatError& err) {
      EXPECT_EQ(std::string(err.what()),
                path + ": tile 0 of 3 (variants 0-1023, counted from 0) is corrupted (checksum "
                       "mismatch); re-run `snpflow ingest` to rebuild the store");
    }
  }
  EXPECT_THROW(PackedStore::Load(path), FormatError);
}

TEST(PackedStoreRange, HeaderChecksStillApply) {
  TempDir dir;
  const std::string path = dir / "store.snpf";
  SaveRandomStore(path, 4, 50, 2);
  std::string bytes = ReadFile(path);
  bytes[0] = 'X';
  std::ofstream(path, std::ios::binary) << bytes;
  EXPECT_THROW(PackedStore::LoadVariantRange(path, 0, 8), FormatError);
  EXPECT_THROW(PackedStore::ReadNumVariants(path), FormatError);
  EXPECT_THROW(PackedStore::ReadNumVariants(dir / "missing.snpf"), InputError);
}

}  // namespace
}  // namespace snpflow::io
