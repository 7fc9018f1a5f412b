// The fast path's serial step: decompressed text cut into blocks of whole lines.
#include "io/vcf_text_blocks.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

namespace snpflow::io {
namespace {

// A reader over `text` handing out at most `chunk` bytes per call, then `fail` (0 or -1).
VcfTextBlockReader::ReadFn Over(std::string text, size_t chunk, int fail = 0) {
  auto pos = std::make_shared<size_t>(0);
  return [text, chunk, fail, pos](char* buf, size_t n) -> int64_t {
    size_t take = std::min({n, chunk, text.size() - *pos});
    if (take == 0) return fail;
    std::copy(text.data() + *pos, text.data() + *pos + take, buf);
    *pos += take;
    return static_cast<int64_t>(take);
  };
}

std::vector<std::string> Lines(const VcfTextBlock& b) {
  std::vector<std::string> out;
  for (size_t i = 0; i < b.lines(); ++i) out.emplace_back(b.line(i));
  return out;
}

TEST(VcfTextBlockReader, CutsWholeLinesWhateverTheReadSizes) {
  const std::string text = "1\t10\ta\n1\t20\tbb\n\n2\t30\tccc\n2\t40\td\n";
  for (size_t chunk : {1, 2, 3, 7, 100}) {
    for (size_t read_bytes : {1, 5, 64}) {
      VcfTextBlockReader reader(Over(text, chunk), read_bytes);
      VcfTextBlock b;
      ASSERT_TRUE(reader.Next(2, b));
      EXPECT_EQ(Lines(b), (std::vector<std::string>{"1\t10\ta", "1\t20\tbb"}));
      EXPECT_EQ(b.first_record, 1u);
      EXPECT_EQ(b.previous_site, "");
      ASSERT_TRUE(reader.Next(2, b));
      EXPECT_EQ(Lines(b), (std::vector<std::string>{"", "2\t30\tccc"})) << chunk << " " << read_bytes;
      EXPECT_EQ(b.first_record, 3u);
      EXPECT_EQ(b.previous_site, "1:20");
      ASSERT_TRUE(reader.Next(2, b));
      EXPECT_EQ(Lines(b), (std::vector<std::string>{"2\t40\td"}));
      EXPECT_EQ(b.first_record, 5u);
      EXPECT_FALSE(b.unterminated_last);
      EXPECT_FALSE(b.read_error);
      EXPECT_FALSE(reader.Next(2, b));
    }
  }
}

// A finished block's buffer goes back to the reader's pool, and the reader fills it again (no
// fresh memory per block); the lines read into the reused buffer are the right ones.
TEST(VcfTextBlockReader, ReusesTheBuffersOfFinishedBlocks) {
  std::string text;
  for (int i = 0; i < 40; ++i) text += "1\t" + std::to_string(100 + i) + "\tline\n";
  VcfTextBlockReader reader(Over(text, 1000), 64);
  VcfTextBlock first;
  ASSERT_TRUE(reader.Next(4, first));  // sizes the buffers: all later ones have its capacity
  auto second = std::make_unique<VcfTextBlock>();
  ASSERT_TRUE(reader.Next(4, *second));
  const char* second_buffer = second->text.get();
  std::shared_ptr<TextBufferPool> pool = second->pool;
  ASSERT_NE(pool, nullptr);
  EXPECT_EQ(pool->kept(), 0u);
  second.reset();  // the decoder is done with the second block
  EXPECT_EQ(pool->kept(), 1u);
  VcfTextBlock third, fourth;
  ASSERT_TRUE(reader.Next(4, third));  // the reader takes the kept buffer for what follows
  EXPECT_EQ(pool->kept(), 0u);
  ASSERT_TRUE(reader.Next(4, fourth));
  EXPECT_EQ(fourth.text.get(), second_buffer);
  EXPECT_EQ(Lines(fourth), (std::vector<std::string>{"1\t112\tline", "1\t113\tline",
                                                      "1\t114\tline", "1\t115\tline"}));
  EXPECT_EQ(fourth.first_record, 13u);
}

TEST(TextBufferPool, KeepsBuffersOfOneCapacity) {
  TextBufferPool pool;
  std::unique_ptr<char[]> a = pool.Take(100);
  const char* a_ptr = a.get();
  pool.Give(std::move(a), 100);
  EXPECT_EQ(pool.kept(), 1u);
  std::unique_ptr<char[]> again = pool.Take(100);
  EXPECT_EQ(again.get(), a_ptr);
  EXPECT_EQ(pool.kept(), 0u);
  pool.Give(std::move(again), 100);
  pool.Give(pool.Take(200), 200);  // a new capacity: the 100-byte buffer is dropped
  EXPECT_EQ(pool.kept(), 1u);
  EXPECT_NE(pool.Take(100).get(), nullptr);  // none of 100 kept: a new one
  EXPECT_EQ(pool.kept(), 1u);
}

TEST(VcfTextBlockReader, EndsAnUnterminatedLastLine) {
  VcfTextBlockReader reader(Over("a\nb\r", 3), 2);
  VcfTextBlock b;
  ASSERT_TRUE(reader.Next(10, b));
  EXPECT_EQ(Lines(b), (std::vector<std::string>{"a", "b\r"}));  // '\r' is the parser's to drop
  EXPECT_TRUE(b.unterminated_last);
  EXPECT_FALSE(reader.Next(10, b));
}

TEST(VcfTextBlockReader, ReportsAReadErrorAfterTheLinesBeforeIt) {
  VcfTextBlockReader reader(Over("1\t5\tx\n1\t6\tpart", 4, -1), 3);
  VcfTextBlock b;
  ASSERT_TRUE(reader.Next(1, b));
  EXPECT_EQ(Lines(b), (std::vector<std::string>{"1\t5\tx"}));
  EXPECT_FALSE(b.read_error);
  // htslib hands on the partial line it read before the failure, then fails.
  ASSERT_TRUE(reader.Next(1, b));
  EXPECT_EQ(Lines(b), (std::vector<std::string>{"1\t6\tpart"}));
  EXPECT_TRUE(b.read_error);
  EXPECT_EQ(b.first_record, 2u);
  EXPECT_FALSE(reader.Next(1, b));

  VcfTextBlockReader at_line_end(Over("1\t5\tx\n", 100, -1));
  ASSERT_TRUE(at_line_end.Next(5, b));
  EXPECT_EQ(b.lines(), 1u);
  EXPECT_TRUE(b.read_error);
}

TEST(VcfTextBlockReader, EmptyInputHasNoBlock) {
  VcfTextBlockReader reader(Over("", 10));
  VcfTextBlock b;
  EXPECT_FALSE(reader.Next(4, b));
  VcfTextBlockReader failing(Over("", 10, -1));
  ASSERT_TRUE(failing.Next(4, b));
  EXPECT_EQ(b.lines(), 0u);
  EXPECT_TRUE(b.read_error);
}

}  // namespace
}  // namespace snpflow::io
