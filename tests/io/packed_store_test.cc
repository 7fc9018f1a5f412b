#include "io/packed_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include "io/atomic_file.h"
#include "pipeline/error.h"
#include "tests/fixtures/test_util.h"

namespace snpflow::io {
namespace {

using snpflow::testing::FileNames;
using snpflow::testing::ReadFile;
using snpflow::testing::TempDir;


std::vector<std::string> SampleIds(size_t n) {
  std::vector<std::string> ids;
  for (size_t i = 0; i < n; ++i) ids.push_back("S" + std::to_string(i));
  return ids;
}

SiteInfo Site(size_t j) {
  return SiteInfo{"chr" + std::to_string(1 + j % 22), static_cast<int64_t>(1000 + 17 * j),
                  j % 3 == 0 ? "." : "rs" + std::to_string(j), "A", j % 2 ? "G" : "T"};
}

/// Random codes, variant-major: codes[v * n_samples + s]; missing (3) is rarer.
std::vector<uint8_t> RandomCodes(size_t n_samples, size_t n_variants, uint32_t seed) {
  std::mt19937 rng(seed);
  std::discrete_distribution<int> dist({50, 30, 15, 5});
  std::vector<uint8_t> codes(n_samples * n_variants);
  for (auto& c : codes) c = static_cast<uint8_t>(dist(rng));
  return codes;
}

PackedStore Build(size_t n_samples, size_t n_variants, const std::vector<uint8_t>& codes) {
  PackedStore store(SampleIds(n_samples));
  for (size_t v = 0; v < n_variants; ++v) store.AppendVariant(Site(v), &codes[v * n_samples]);
  store.Finish();
  return store;
}

/// Check every code through code() and ReadRow() against the variant-major input.
void ExpectCodes(const PackedStore& store, size_t n_samples, size_t n_variants,
                 const std::vector<uint8_t>& codes) {
  ASSERT_EQ(store.num_samples(), n_samples);
  ASSERT_EQ(store.num_variants(), n_variants);
  ASSERT_EQ(store.row_bytes(), (n_variants + 3) / 4);
  std::vector<uint8_t> row(store.row_bytes() + 1, 0xAB);
  for (size_t s = 0; s < n_samples; ++s) {
    store.ReadRow(s, row.data());
    ASSERT_EQ(row.back(), 0xAB) << "ReadRow wrote past row_bytes()";
    for (size_t v = 0; v < n_variants; ++v) {
      const uint8_t want = codes[v * n_samples + s];
      ASSERT_EQ(store.code(s, v), want) << "sample " << s << " variant " << v;
      ASSERT_EQ((row[v / 4] >> (2 * (v % 4))) & 3, want) << "sample " << s << " variant " << v;
    }
    // Padding bits of the last byte are zero.
    if (n_variants % 4 != 0) {
      EXPECT_EQ(row[n_variants / 4] >> (2 * (n_variants % 4)), 0);
    }
  }
}

void Corrupt(const std::string& path, size_t offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(static_cast<char>(c ^ 0x5a));
}

uint64_t ReadU64(const std::string& bytes, size_t at) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(bytes[at + i]);
  return v;
}

template <class E>
std::string LoadError(const std::string& path) {
  try {
    PackedStore::Load(path);
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "Load('" << path << "') did not throw the expected error";
  return "";
}

TEST(PackedStore, RoundTripsOddSizes) {
  for (size_t n_variants : {1, 3, 1023, 1024, 1025, 2500}) {
    for (size_t n_samples : {1, 7, 100}) {
      SCOPED_TRACE("variants " + std::to_string(n_variants) + " samples " +
                   std::to_string(n_samples));
      auto codes =
          RandomCodes(n_samples, n_variants, static_cast<uint32_t>(n_variants + n_samples));
      PackedStore store = Build(n_samples, n_variants, codes);
      ExpectCodes(store, n_samples, n_variants, codes);
      EXPECT_EQ(store.memory_bytes(), n_samples * store.row_bytes());
    }
  }
}

TEST(PackedStore, CodeWorksBeforeFinish) {
  auto codes = RandomCodes(5, 1030, 7);
  PackedStore store(SampleIds(5));
  for (size_t v = 0; v < 1030; ++v) store.AppendVariant(Site(v), &codes[v * 5]);
  for (size_t v : {0, 1023, 1024, 1029}) EXPECT_EQ(store.code(3, v), codes[v * 5 + 3]);
  std::vector<uint8_t> row(store.row_bytes());
  EXPECT_THROW(store.ReadRow(0, row.data()), Error);
}

TEST(PackedStore, RejectsBadUse) {
  PackedStore store(SampleIds(2));
  const uint8_t bad[2] = {0, 4};
  EXPECT_THROW(store.AppendVariant(Site(0), bad), Error);
  PackedStore finished(SampleIds(2));
  const uint8_t good[2] = {0, 1};
  finished.AppendVariant(Site(0), good);
  finished.Finish();
  EXPECT_THROW(finished.AppendVariant(Site(1), good), Error);
  uint8_t row[1];
  EXPECT_THROW(finished.ReadRow(2, row), Error);
  EXPECT_THROW(finished.code(0, 1), Error);
}

TEST(PackedStore, SaveLoadRoundTrip) {
  TempDir dir;
  const size_t n_samples = 37, n_variants = 2500;
  auto codes = RandomCodes(n_samples, n_variants, 11);
  PackedStore store = Build(n_samples, n_variants, codes);
  const std::string path = dir / "store.snpf";
  store.Save(path);

  PackedStore loaded = PackedStore::Load(path);
  EXPECT_EQ(loaded.sample_ids(), store.sample_ids());
  ASSERT_EQ(loaded.sites().size(), store.sites().size());
  for (size_t v = 0; v < n_variants; ++v) {
    const auto &a = loaded.sites()[v], &b = store.sites()[v];
    ASSERT_EQ(a.chrom, b.chrom);
    ASSERT_EQ(a.pos, b.pos);
    ASSERT_EQ(a.id, b.id);
    ASSERT_EQ(a.ref, b.ref);
    ASSERT_EQ(a.alt, b.alt);
  }
  ExpectCodes(loaded, n_samples, n_variants, codes);

  // Only the store is in the directory: the temp file was renamed.
  EXPECT_EQ(FileNames(dir.path()), std::vector<std::string>{"store.snpf"});

  // The header is as documented.
  const std::string bytes = ReadFile(path);
  EXPECT_EQ(bytes.substr(0, 8), std::string("SNPFLOW\x01", 8));
  EXPECT_EQ(ReadU64(bytes, 16), n_samples);
  EXPECT_EQ(ReadU64(bytes, 24), n_variants);
  EXPECT_EQ(ReadU64(bytes, 32), 3u);
}

TEST(PackedStore, SaveLoadEmptyAndTinyStores) {
  TempDir dir;
  PackedStore empty(SampleIds(4));
  empty.Finish();
  empty.Save(dir / "empty.snpf");
  PackedStore loaded = PackedStore::Load(dir / "empty.snpf");
  EXPECT_EQ(loaded.num_samples(), 4u);
  EXPECT_EQ(loaded.num_variants(), 0u);

  auto codes = RandomCodes(1, 1, 3);
  Build(1, 1, codes).Save(dir / "tiny.snpf", /*zstd_level=*/19);
  ExpectCodes(PackedStore::Load(dir / "tiny.snpf"), 1, 1, codes);
}

TEST(PackedStore, FlippedTileByteNamesTheTile) {
  TempDir dir;
  const std::string path = dir / "store.snpf";
  auto codes = RandomCodes(20, 2500, 5);
  Build(20, 2500, codes).Save(path);
  auto [offset, size] = snpflow::testing::ReadStoreLayout(path).Tile(1);
  Corrupt(path, offset + size / 2);
  const std::string msg = LoadError<FormatError>(path);
  EXPECT_NE(msg.find(path + ": tile 1 of 3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("corrupted (checksum mismatch)"), std::string::npos) << msg;
  EXPECT_NE(msg.find("snpflow ingest"), std::string::npos) << msg;
}

TEST(PackedStore, CorruptedMetadataIsReported) {
  TempDir dir;
  const std::string path = dir / "store.snpf";
  auto codes = RandomCodes(20, 100, 5);
  Build(20, 100, codes).Save(path);
  Corrupt(path, snpflow::testing::ReadStoreLayout(path).meta_offset + 5);
  const std::string msg = LoadError<FormatError>(path);
  EXPECT_NE(msg.find("metadata"), std::string::npos) << msg;
  EXPECT_NE(msg.find("checksum mismatch"), std::string::npos) << msg;
}

TEST(PackedStore, TruncatedFileIsReported) {
  TempDir dir;
  const std::string path = dir / "store.snpf";
  auto codes = RandomCodes(20, 2500, 5);
  Build(20, 2500, codes).Save(path);
  const auto full = std::filesystem::file_size(path);
  for (uintmax_t keep : {full - 1, full / 2, uintmax_t{70}, uintmax_t{20}}) {
    std::filesystem::resize_file(path, keep);
    const std::string msg = LoadError<FormatError>(path);
    EXPECT_NE(msg.find(path + ": truncated (expected "), std::string::npos) << msg;
    EXPECT_NE(msg.find("file has " + std::to_string(keep) + ")"), std::string::npos) << msg;
  }
}

TEST(PackedStore, BadMagicAndNewerVersion) {
  TempDir dir;
  const std::string text = dir / "text.snpf";
  snpflow::io::WriteFileAtomic(text, "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\n");
  EXPECT_EQ(LoadError<FormatError>(text),
            text + ": not a snpflow store (bad magic); pass a file written by `snpflow ingest`");
  snpflow::io::WriteFileAtomic(dir / "empty.snpf", "");
  EXPECT_NE(LoadError<FormatError>(dir / "empty.snpf").find("bad magic"), std::string::npos);

  const std::string path = dir / "store.snpf";
  auto codes = RandomCodes(3, 10, 5);
  Build(3, 10, codes).Save(path);
  std::string bytes = ReadFile(path);
  bytes[8] = 7;  // format version, little-endian u32
  snpflow::io::WriteFileAtomic(path, bytes);
  const std::string msg = LoadError<FormatError>(path);
  EXPECT_NE(msg.find(path + ": format version 7 is newer than this snpflow (2)"), std::string::npos)
      << msg;
}

TEST(PackedStore, MissingFileIsInputError) {
  TempDir dir;
  const std::string msg = LoadError<InputError>(dir / "nope.snpf");
  EXPECT_NE(msg.find("nope.snpf"), std::string::npos) << msg;
}

TEST(PackedStore, ReadRowFromSeveralThreads) {
  const size_t n_samples = 64, n_variants = 3000;
  auto codes = RandomCodes(n_samples, n_variants, 9);
  PackedStore store = Build(n_samples, n_variants, codes);
  const size_t row_bytes = store.row_bytes();
  std::vector<uint8_t> want(n_samples * row_bytes);
  for (size_t s = 0; s < n_samples; ++s) store.ReadRow(s, &want[s * row_bytes]);

  constexpr int kThreads = 4;
  std::vector<std::vector<uint8_t>> got(kThreads, std::vector<uint8_t>(want.size()));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        for (size_t i = 0; i < n_samples; ++i) {
          const size_t s = (i * 7 + static_cast<size_t>(t) + round) % n_samples;
          store.ReadRow(s, &got[t][s * row_bytes]);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(got[t], want) << "thread " << t;
}

// Blocks packed in parallel (PackCodes) and spliced at any offset (AppendPacked), across tile
// boundaries, give the same codes and the same file as appending variant by variant.
TEST(PackedStore, AppendPackedBlocksEqualsAppendingVariantByVariant) {
  TempDir dir;
  const size_t n = 7, total = 3100;
  const auto codes = RandomCodes(n, total, 42);
  PackedStore one_by_one = Build(n, total, codes);
  one_by_one.Save(dir / "a.snpf");
  std::mt19937 rng(3);
  PackedStore blocks(SampleIds(n));
  std::vector<SiteInfo> sites;
  for (size_t v = 0; v < total;) {
    const size_t count = std::min<size_t>(total - v, rng() % 1100);  // 0..1099, any alignment
    std::vector<const uint8_t*> variants;
    sites.clear();
    for (size_t k = 0; k < count; ++k) {
      variants.push_back(&codes[(v + k) * n]);
      sites.push_back(Site(v + k));
    }
    std::vector<uint8_t> packed;
    const uint8_t seen = PackedStore::PackCodes(variants.data(), count, n, packed);
    ASSERT_LE(seen, 3);  // the OR of valid codes
    ASSERT_EQ(packed.size(), n * ((count + 3) / 4) + PackedStore::kSlackBytes);
    if (count > 0) {
      // Row 0's first byte holds variants v..v+3 of sample 0, low bits first.
      uint8_t expected = 0;
      for (size_t k = 0; k < std::min<size_t>(count, 4); ++k)
        expected |= static_cast<uint8_t>(codes[(v + k) * n] << (2 * k));
      EXPECT_EQ(packed[0], expected);
    }
    blocks.AppendPacked(sites.data(), count, packed.data());
    v += count;
  }
  blocks.Finish();
  ExpectCodes(blocks, n, total, codes);
  blocks.Save(dir / "b.snpf");
  EXPECT_EQ(ReadFile(dir / "a.snpf"), ReadFile(dir / "b.snpf"));
}

// PackCodes (16 x 64 transposed tiles where they fit, a scalar loop for the edges) gives, byte
// for byte, the rows a direct loop builds: sample i's byte g holds variants 4g..4g+3, low first.
TEST(PackedStore, PackCodesMatchesADirectTranspose) {
  for (size_t n : {1, 15, 16, 17, 33, 100}) {
    for (size_t count : {0, 1, 3, 63, 64, 65, 130, 1024, 1027}) {
      const auto codes = RandomCodes(n, count, n * 1000 + count);
      std::vector<const uint8_t*> variants;
      for (size_t v = 0; v < count; ++v) variants.push_back(&codes[v * n]);
      std::vector<uint8_t> packed;
      PackedStore::PackCodes(variants.data(), count, n, packed);
      const size_t row = (count + 3) / 4;
      std::vector<uint8_t> want(n * row + PackedStore::kSlackBytes, 0);
      for (size_t i = 0; i < n; ++i)
        for (size_t v = 0; v < count; ++v)
          want[i * row + v / 4] |= static_cast<uint8_t>(codes[v * n + i] << (2 * (v % 4)));
      ASSERT_EQ(packed, want) << n << " samples, " << count << " variants";
    }
  }
}

// Tiles compressed in the background as they fill give the same file as Save compressing them;
// at another level Save compresses again; the store reads back either way.
// Pack variants [v, v + count) of `codes` (variant-major, n_samples per variant) and append them
// to `store` with their sites, as the store sink does.
void AppendRun(PackedStore& store, const std::vector<uint8_t>& codes, size_t n_samples, size_t v,
               size_t count) {
  std::vector<const uint8_t*> variants;
  std::vector<SiteInfo> sites;
  for (size_t k = 0; k < count; ++k) {
    variants.push_back(&codes[(v + k) * n_samples]);
    sites.push_back(Site(v + k));
  }
  std::vector<uint8_t> packed;
  PackedStore::PackCodes(variants.data(), count, n_samples, packed);
  store.AppendPacked(sites.data(), count, packed.data());
}

TEST(PackedStoreTest, BackgroundCompressionWritesTheSameFile) {
  TempDir dir;
  const size_t n_samples = 37, n_variants = 3 * PackedStore::kTileVariants + 123;
  const std::vector<uint8_t> codes = RandomCodes(n_samples, n_variants, 7);
  const PackedStore plain = Build(n_samples, n_variants, codes);
  plain.Save(dir / "plain.snpf", 3);
  plain.Save(dir / "plain5.snpf", 5);
  for (int threads : {1, 2}) {
    PackedStore background(SampleIds(n_samples));
    background.CompressInBackground(3, threads);
    // Appended in uneven runs, as the store sink does, so that tiles fill mid-run.
    for (size_t v = 0; v < n_variants;) {
      const size_t count = std::min<size_t>(n_variants - v, 1 + (v * 7) % 700);
      AppendRun(background, codes, n_samples, v, count);
      v += count;
    }
    background.Finish();
    background.Save(dir / "background.snpf", 3);
    EXPECT_EQ(ReadFile(dir / "background.snpf"), ReadFile(dir / "plain.snpf")) << threads;
    background.Save(dir / "background5.snpf", 5);
    EXPECT_EQ(ReadFile(dir / "background5.snpf"), ReadFile(dir / "plain5.snpf")) << threads;
    ExpectCodes(PackedStore::Load(dir / "background.snpf"), n_samples, n_variants, codes);
  }
  // Runs on byte boundaries (whole bytes copied), with a partial last byte, and across tiles.
  PackedStore aligned(SampleIds(n_samples));
  const size_t runs[] = {1024, 1024, 8, 3, 5, 1020, 7, 4, 100};
  size_t v = 0;
  for (size_t count : runs) {
    count = std::min(count, n_variants - v);
    AppendRun(aligned, codes, n_samples, v, count);
    v += count;
  }
  ASSERT_EQ(v, n_variants);
  aligned.Finish();
  aligned.Save(dir / "aligned.snpf", 3);
  EXPECT_EQ(ReadFile(dir / "aligned.snpf"), ReadFile(dir / "plain.snpf"));
  ExpectCodes(aligned, n_samples, n_variants, codes);

  PackedStore late(SampleIds(2));
  const uint8_t two[2] = {0, 1};
  late.AppendVariant(Site(0), two);
  EXPECT_THROW(late.CompressInBackground(3, 1), Error);
}

// PackCodes tells a code above 3 wherever it is: in the 16 x 64 tiles or in what they leave.
TEST(PackedStore, PackCodesReportsACodeAboveThreeAnywhere) {
  const size_t n = 37, count = 130;  // tiles: samples 0-31 x variants 0-127
  std::vector<uint8_t> codes = RandomCodes(n, count, 6);
  std::vector<const uint8_t*> variants;
  for (size_t v = 0; v < count; ++v) variants.push_back(&codes[v * n]);
  std::vector<uint8_t> packed;
  EXPECT_LE(PackedStore::PackCodes(variants.data(), count, n, packed), 3);
  for (auto [v, i] : {std::pair<size_t, size_t>{5, 3}, {100, 31}, {127, 35}, {129, 0}}) {
    const uint8_t old = codes[v * n + i];
    codes[v * n + i] = 4;
    EXPECT_GT(PackedStore::PackCodes(variants.data(), count, n, packed), 3) << v << " " << i;
    codes[v * n + i] = old;
  }
}

// A streamed store fills each new tile in a buffer that held an earlier, compressed tile, without
// zeroing it first: whole-byte copies overwrite the old bytes, and they are zeroed before codes
// are first spliced in. Tiles 0 and 1 (256-variant runs, as the ingest sink appends) leave such
// buffers; the later tiles mix those runs and 128-variant ones (each copied whole, a fixed size
// per row) with splices: after whole bytes, at a tile's start, and across a tile boundary.
TEST(PackedStoreTest, StreamedStoreReusesTileBuffersWithoutStaleCodes) {
  TempDir dir;
  const size_t n_samples = 53;
  const std::vector<size_t> runs = {256, 256, 256, 256, 256, 256, 256, 256,  // tiles 0-1
                                    256, 256, 7, 5, 3, 497,                   // tile 2
                                    1, 255, 256, 256, 259,                    // tile 3
                                    1, 128, 128, 128, 128, 3, 128, 125, 252,  // tile 4
                                    128, 256, 128, 128, 128, 256,             // tile 5
                                    100};
  size_t n_variants = 0;
  for (size_t r : runs) n_variants += r;
  const std::vector<uint8_t> codes = RandomCodes(n_samples, n_variants, 17);
  Build(n_samples, n_variants, codes).Save(dir / "plain.snpf", 3);
  const std::string path = dir / "streamed.snpf";
  PackedStore streamed(SampleIds(n_samples));
  streamed.CompressInBackground(3, 2, /*keep_raw=*/false);
  streamed.StreamTo(path);
  size_t v = 0;
  for (size_t r : runs) {
    AppendRun(streamed, codes, n_samples, v, r);
    v += r;
    // Give the background thread time to compress the first tiles and hand their buffers back.
    if (v == 2 * PackedStore::kTileVariants)
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  streamed.Finish();
  streamed.Save(path, 3);
  EXPECT_EQ(ReadFile(path), ReadFile(dir / "plain.snpf"));
  ExpectCodes(PackedStore::Load(path), n_samples, n_variants, codes);
}

TEST(PackedStoreTest, StreamedStoreWritesTheSameFileWhileBuilt) {
  TempDir dir;
  const size_t n_samples = 37, n_variants = 5 * PackedStore::kTileVariants + 77;
  const std::vector<uint8_t> codes = RandomCodes(n_samples, n_variants, 9);
  Build(n_samples, n_variants, codes).Save(dir / "plain.snpf", 3);
  for (int threads : {1, 2}) {
    const std::string path = dir / ("streamed" + std::to_string(threads) + ".snpf");
    PackedStore streamed(SampleIds(n_samples));
    streamed.CompressInBackground(3, threads, /*keep_raw=*/false);
    streamed.StreamTo(path);
    for (size_t v = 0; v < n_variants;) {
      const size_t count = std::min<size_t>(n_variants - v, 1 + (v * 13) % 900);
      AppendRun(streamed, codes, n_samples, v, count);
      v += count;
    }
    // The file is open beside its final name before Save (how full it is depends on timing).
    size_t temps = 0;
    for (const auto& name : FileNames(dir.path()))
      temps += name.find("snpflow-tmp") != std::string::npos;
    EXPECT_EQ(temps, 1u) << threads;
    streamed.Finish();
    EXPECT_THROW(streamed.Save(dir / "elsewhere.snpf", 3), Error);
    streamed.Save(path, 3);
    EXPECT_EQ(ReadFile(path), ReadFile(dir / "plain.snpf")) << threads;
    ExpectCodes(PackedStore::Load(path), n_samples, n_variants, codes);
    // Its tiles are gone: a second Save cannot write them.
    EXPECT_THROW(streamed.Save(dir / "again.snpf", 3), Error);
  }
  EXPECT_EQ(FileNames(dir.path()),
            (std::vector<std::string>{"plain.snpf", "streamed1.snpf", "streamed2.snpf"}));
  {  // Dropped unsaved (an ingest that fails): no file is left.
    PackedStore dropped(SampleIds(n_samples));
    dropped.CompressInBackground(3, 2, /*keep_raw=*/false);
    dropped.StreamTo(dir / "dropped.snpf");
    AppendRun(dropped, codes, n_samples, 0, 3000);
    // Its sites went to metadata lines: a field those cannot hold fails at once, changing nothing.
    EXPECT_TRUE(dropped.sites().empty());
    SiteInfo tab = Site(3000);
    tab.id = "rs1\trs2";
    std::vector<uint8_t> packed;
    const uint8_t* one = &codes[0];
    PackedStore::PackCodes(&one, 1, n_samples, packed);
    try {
      dropped.AppendPacked(&tab, 1, packed.data());
      ADD_FAILURE() << "a tab in a site field was accepted";
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find("has a tab or line break in a field"),
                std::string::npos) << e.what();
    }
    EXPECT_EQ(dropped.num_variants(), 3000u);
  }
  EXPECT_EQ(FileNames(dir.path()).size(), 3u);
  PackedStore kept(SampleIds(2));
  kept.CompressInBackground(3, 1);
  EXPECT_THROW(kept.StreamTo(dir / "kept.snpf"), Error);  // only a store that releases its tiles
}

// Rewrite a version-2 file in the version-1 layout (docs/store-format.md): header, metadata,
// index, tiles.
std::string AsVersion1(const std::string& path) {
  const auto layout = snpflow::testing::ReadStoreLayout(path);
  const std::string& v2 = layout.bytes;
  const uint64_t n_tiles = ReadU64(v2, 32);
  auto put64 = [](std::string& out, size_t at, uint64_t v) {
    for (int i = 0; i < 8; ++i) out[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
  };
  std::string v1 = v2.substr(0, 60);
  v1[8] = 1;
  v1 += v2.substr(layout.meta_offset, layout.meta_size);
  const size_t index_at = v1.size();
  v1 += v2.substr(layout.index_offset, 28 * n_tiles);
  for (uint64_t t = 0; t < n_tiles; ++t) {
    const auto [offset, size] = layout.Tile(t);
    put64(v1, index_at + 28 * t, v1.size());
    v1 += v2.substr(offset, size);
  }
  return v1;
}

TEST(PackedStore, ReadsFormatVersion1) {
  TempDir dir;
  const size_t n_samples = 21, n_variants = 2 * PackedStore::kTileVariants + 301;
  const std::vector<uint8_t> codes = RandomCodes(n_samples, n_variants, 4);
  const PackedStore store = Build(n_samples, n_variants, codes);
  store.Save(dir / "v2.snpf");
  const auto v2 = snpflow::testing::ReadStoreLayout(dir / "v2.snpf");
  EXPECT_EQ(v2.version, 2u);
  EXPECT_EQ(v2.Tile(0).first, 68u);  // the tiles follow the header
  EXPECT_EQ(v2.index_offset + 28 * 3, v2.bytes.size());  // the index ends the file
  snpflow::io::WriteFileAtomic(dir / "v1.snpf", AsVersion1(dir / "v2.snpf"));
  const PackedStore v1 = PackedStore::Load(dir / "v1.snpf");
  EXPECT_EQ(v1.sample_ids(), store.sample_ids());
  ASSERT_EQ(v1.sites().size(), n_variants);
  EXPECT_EQ(v1.sites().back().pos, store.sites().back().pos);
  ExpectCodes(v1, n_samples, n_variants, codes);
  const PackedStore part = PackedStore::LoadVariantRange(dir / "v1.snpf", 1000, 2100);
  for (size_t j = 0; j < 1100; ++j) ASSERT_EQ(part.code(5, j), codes[(1000 + j) * n_samples + 5]);
  // A version-1 file's damage is still found: a flipped byte in its last tile.
  std::string bytes = ReadFile(dir / "v1.snpf");
  bytes[bytes.size() - 10] ^= 0x5a;
  snpflow::io::WriteFileAtomic(dir / "v1.snpf", bytes);
  EXPECT_NE(LoadError<FormatError>(dir / "v1.snpf").find("tile 2 of 3"), std::string::npos);
}

// The Python reader in docs/store-format.md, run on a version-2 file and its version-1 twin,
// gives the samples, sites and codes the C++ reader gives.
TEST(PackedStore, TheDocumentedPythonReaderReadsBothVersions) {
  const char* python = "/usr/bin/python3";
  if (snpflow::testing::RunShell(std::string(python) + " -c 'import numpy, zstandard'")
          .exit_code != 0)
    GTEST_SKIP() << "needs python3-numpy and python3-zstandard (scripts/install-deps.sh)";
  TempDir dir;
  const size_t n_samples = 11, n_variants = PackedStore::kTileVariants + 50;
  const std::vector<uint8_t> codes = RandomCodes(n_samples, n_variants, 8);
  Build(n_samples, n_variants, codes).Save(dir / "v2.snpf");
  snpflow::io::WriteFileAtomic(dir / "v1.snpf", AsVersion1(dir / "v2.snpf"));
  const std::string doc = ReadFile(snpflow::testing::SourceDir() + "/docs/store-format.md");
  const size_t begin = doc.find("```python\n"), end = doc.find("```", begin + 10);
  ASSERT_NE(begin, std::string::npos);
  std::string script = doc.substr(begin + 10, end - begin - 10);
  script +=
      "import sys\n"
      "for path in sys.argv[1:]:\n"
      "    samples, sites, codes = read_store(path)\n"
      "    print(','.join(samples), len(sites), '|'.join(sites[-1]),\n"
      "          ''.join(str(c) for c in codes.T.ravel()))\n";
  snpflow::io::WriteFileAtomic(dir / "read_store.py", script);
  const auto run = snpflow::testing::RunShell(std::string(python) + " " + dir / "read_store.py" +
                                              " " + dir / "v2.snpf" + " " + dir / "v1.snpf");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const SiteInfo last = Site(n_variants - 1);
  std::string want;
  for (size_t i = 0; i < n_samples; ++i) want += (i ? "," : "") + SampleIds(n_samples)[i];
  want += " " + std::to_string(n_variants) + " " + last.chrom + "|" + std::to_string(last.pos) +
          "|" + (last.id.empty() ? "." : last.id) + "|" + last.ref + "|" + last.alt + " ";
  for (uint8_t c : codes) want += static_cast<char>('0' + c);  // variant-major, as codes.T
  EXPECT_EQ(run.out, want + "\n" + want + "\n");
}

TEST(PackedStore, MetadataOffsetOutsideTheFileIsAnError) {
  TempDir dir;
  const std::string path = dir / "store.snpf";
  Build(5, 2000, RandomCodes(5, 2000, 2)).Save(path);
  std::string bytes = ReadFile(path);
  for (uint64_t bad : {uint64_t{12}, uint64_t{bytes.size() + 1}, ~uint64_t{0}}) {
    std::string damaged = bytes;
    for (int i = 0; i < 8; ++i) damaged[60 + i] = static_cast<char>((bad >> (8 * i)) & 0xff);
    snpflow::io::WriteFileAtomic(path, damaged);
    const std::string msg = LoadError<FormatError>(path);
    EXPECT_NE(msg.find(bad == 12 ? "meta_offset = 12 cannot be right" : "truncated"),
              std::string::npos) << msg;
  }
  // The metadata moved into the tiles' bytes: the index entries overlap it or the checksum fails.
  std::string damaged = bytes;
  const uint64_t moved = snpflow::testing::ReadStoreLayout(path).Tile(1).first;
  for (int i = 0; i < 8; ++i) damaged[60 + i] = static_cast<char>((moved >> (8 * i)) & 0xff);
  snpflow::io::WriteFileAtomic(path, damaged);
  EXPECT_THROW(PackedStore::Load(path), FormatError);
}

}  // namespace
}  // namespace snpflow::io
