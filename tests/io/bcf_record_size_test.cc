// PeekBgzf: the next bytes of a BGZF stream without moving it, also when they straddle two
// blocks, with and without htslib's thread pool, from a side handle or by seeking back.
#include "io/bcf_record_size.h"

#include <gtest/gtest.h>
#include <htslib/bgzf.h>
#include <htslib/thread_pool.h>

#include <string>

#include "tests/fixtures/test_util.h"

namespace snpflow::io {
namespace {

using testing::TempDir;

// A BGZF file of blocks holding `parts` (bgzf_flush ends a block after each).
void WriteBlocks(const std::string& path, const std::vector<std::string>& parts) {
  BGZF* out = bgzf_open(path.c_str(), "w");
  ASSERT_NE(out, nullptr);
  for (const std::string& part : parts) {
    ASSERT_EQ(bgzf_write(out, part.data(), part.size()), static_cast<ssize_t>(part.size()));
    ASSERT_EQ(bgzf_flush(out), 0);
  }
  ASSERT_EQ(bgzf_close(out), 0);
}

TEST(PeekBgzf, BytesAcrossABlockBoundaryWithoutMovingTheStream) {
  TempDir dir;
  const std::string path = dir / "blocks.gz";
  // Three blocks; the peeks below start 3 bytes before the end of the first and of the second.
  const std::string first(1000, 'a'), second = "0123456789" + std::string(990, 'b'),
                    third = "ABCDEFGH" + std::string(500, 'c');
  WriteBlocks(path, {first, second, third});
  for (bool threads : {false, true}) {
    for (bool with_side : {false, true}) {
      SCOPED_TRACE(std::string(threads ? "thread pool" : "no threads") +
                   (with_side ? ", side handle" : ", seek back"));
      BGZF* fp = bgzf_open(path.c_str(), "r");
      ASSERT_NE(fp, nullptr);
      hts_tpool* pool = threads ? hts_tpool_init(2) : nullptr;
      if (threads) ASSERT_EQ(bgzf_thread_pool(fp, pool, 64), 0);
      BGZF* side = with_side ? bgzf_open(path.c_str(), "r") : nullptr;
      std::string got(1000, '\0');
      uint8_t peek[8];
      // Within a block.
      ASSERT_TRUE(PeekBgzf(fp, peek, 8, side));
      EXPECT_EQ(std::string(reinterpret_cast<char*>(peek), 8), "aaaaaaaa");
      // Across the first boundary, then across the second; each time the stream reads on from
      // where it was, the peeked bytes included.
      ASSERT_EQ(bgzf_read(fp, got.data(), 997), 997);
      ASSERT_TRUE(PeekBgzf(fp, peek, 8, side));
      EXPECT_EQ(std::string(reinterpret_cast<char*>(peek), 8), "aaa01234");
      ASSERT_EQ(bgzf_read(fp, got.data(), 8), 8);
      EXPECT_EQ(got.substr(0, 8), "aaa01234");
      ASSERT_EQ(bgzf_read(fp, got.data(), 1000 - 5 - 3), 1000 - 5 - 3);
      ASSERT_TRUE(PeekBgzf(fp, peek, 8, side));
      EXPECT_EQ(std::string(reinterpret_cast<char*>(peek), 8), "bbbABCDE");
      ASSERT_EQ(bgzf_read(fp, got.data(), 8), 8);
      EXPECT_EQ(got.substr(0, 8), "bbbABCDE");
      // The rest of the stream is intact; at its end there is nothing to peek.
      ASSERT_EQ(bgzf_read(fp, got.data(), 503), 503);
      EXPECT_EQ(got.substr(0, 3), "FGH");
      EXPECT_FALSE(PeekBgzf(fp, peek, 8, side));
      if (side != nullptr) bgzf_close(side);
      bgzf_close(fp);
      if (pool != nullptr) hts_tpool_destroy(pool);
    }
  }
}

}  // namespace
}  // namespace snpflow::io
