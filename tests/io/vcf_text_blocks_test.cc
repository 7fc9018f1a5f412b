// The fast path's serial step: decompressed text cut into blocks of whole lines.
#include "io/vcf_text_blocks.h"

#include <gtest/gtest.h>

#include <algorithm>
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
