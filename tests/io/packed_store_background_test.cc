// PackedStore::Save of a store compressed in the background: Save writes the tiles in order as
// they are done and compresses the ones no task has begun, so which thread compresses which
// tile varies from run to run; the file must not.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "io/packed_store.h"
#include "tests/fixtures/test_util.h"

namespace snpflow::io {
namespace {

using snpflow::testing::ReadFile;
using snpflow::testing::TempDir;

// A slow level, so that tasks are still compressing when Save starts.
constexpr int kLevel = 15;

PackedStore MakeStore(size_t n_samples, size_t n_variants, int background_threads) {
  std::vector<std::string> ids;
  for (size_t i = 0; i < n_samples; ++i) ids.push_back("S" + std::to_string(i));
  PackedStore store(ids);
  if (background_threads > 0) store.CompressInBackground(kLevel, background_threads);
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

// Many tiles, saved right after Finish (tasks still queued or running): with one thread Save
// compresses every tile itself, with more it races the tasks for them.
TEST(PackedStoreBackground, SaveRightAfterFinishWritesThePlainFile) {
  TempDir dir;
  const size_t n_samples = 256, n_variants = 10 * PackedStore::kTileVariants + 5;
  MakeStore(n_samples, n_variants, 0).Save(dir / "plain.snpf", kLevel);
  const std::string plain = ReadFile(dir / "plain.snpf");
  for (int threads : {1, 2}) {
    for (int round = 0; round < 2; ++round) {
      const PackedStore store = MakeStore(n_samples, n_variants, threads);
      store.Save(dir / "background.snpf", kLevel);
      ASSERT_TRUE(ReadFile(dir / "background.snpf") == plain) << threads << " " << round;
      store.Save(dir / "again.snpf", kLevel);  // every tile claimed and done already
      ASSERT_TRUE(ReadFile(dir / "again.snpf") == plain) << threads << " " << round;
    }
  }
}

}  // namespace
}  // namespace snpflow::io
