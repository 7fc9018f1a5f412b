// PackedStore::Save of a store compressed in the background: Save writes the tiles in order as
// they are done and compresses the ones no task has begun, so which thread compresses which
// tile varies from run to run; the file must not.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "io/packed_store.h"
#include "pipeline/error.h"
#include "tests/fixtures/test_util.h"

namespace snpflow::io {
namespace {

using snpflow::testing::ReadFile;
using snpflow::testing::TempDir;

// A slow level, so that tasks are still compressing when Save starts.
constexpr int kLevel = 15;

PackedStore MakeStore(size_t n_samples, size_t n_variants, int background_threads,
                      bool keep_raw = true) {
  std::vector<std::string> ids;
  for (size_t i = 0; i < n_samples; ++i) ids.push_back("S" + std::to_string(i));
  PackedStore store(ids);
  if (background_threads > 0) store.CompressInBackground(kLevel, background_threads, keep_raw);
  std::mt19937 rng(5);
  std::vector<uint8_t> codes(n_samples);
  for (size_t v = 0; v < n_variants; ++v) {
    // Runs of equal codes mixed with noise: tiles compress to different sizes.
    for (size_t s = 0; s < n_samples; ++s) codes[s] = (v % 7 == 0) ? rng() % 4 : (s / 50) % 4;
    store.AppendVariant(SiteInfo{"1", static_cast<int64_t>(v + 1), "", "A", "C"}, codes.data());
  }
  store.Finish();
  return store;
}

// Many tiles of many samples.
constexpr size_t kSamples = 256, kVariants = 10 * PackedStore::kTileVariants + 5;

// The bytes of that store saved without background compression (in `dir`): what every
// background-compressed save must write.
std::string PlainFile(const TempDir& dir) {
  MakeStore(kSamples, kVariants, 0).Save(dir / "plain.snpf", kLevel);
  return ReadFile(dir / "plain.snpf");
}

// Many tiles, saved right after Finish (tasks still queued or running): with one thread Save
// compresses every tile itself, with more it races the tasks for them.
TEST(PackedStoreBackground, SaveRightAfterFinishWritesThePlainFile) {
  TempDir dir;
  const std::string plain = PlainFile(dir);
  for (int threads : {1, 2}) {
    for (int round = 0; round < 2; ++round) {
      const PackedStore store = MakeStore(kSamples, kVariants, threads);
      store.Save(dir / "background.snpf", kLevel);
      ASSERT_TRUE(ReadFile(dir / "background.snpf") == plain) << threads << " " << round;
      store.Save(dir / "again.snpf", kLevel);  // every tile claimed and done already
      ASSERT_TRUE(ReadFile(dir / "again.snpf") == plain) << threads << " " << round;
    }
  }
}

// Raw tiles released once compressed (what `snpflow ingest` does): their buffers serve later tiles
// (appended while older ones are still being compressed), and the file is the same; the raw
// codes can no longer be read, nor saved at another level.
TEST(PackedStoreBackground, ReleasedRawTilesGiveThePlainFile) {
  TempDir dir;
  const std::string plain = PlainFile(dir);
  for (int threads : {1, 2}) {
    const PackedStore store = MakeStore(kSamples, kVariants, threads, /*keep_raw=*/false);
    EXPECT_TRUE(store.raw_released());
    store.Save(dir / "released.snpf", kLevel);
    ASSERT_TRUE(ReadFile(dir / "released.snpf") == plain) << threads;
    std::vector<uint8_t> row(store.row_bytes());
    EXPECT_THROW(store.ReadRow(0, row.data()), Error);
    EXPECT_THROW(store.code(0, 0), Error);
    EXPECT_THROW(store.Save(dir / "other.snpf", 3), Error);
    EXPECT_EQ(PackedStore::Load(dir / "released.snpf").code(3, kVariants - 1),
              MakeStore(kSamples, kVariants, 0).code(3, kVariants - 1));
  }
}

}  // namespace
}  // namespace snpflow::io
