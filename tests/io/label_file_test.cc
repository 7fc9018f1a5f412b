// Label files: encodings, line endings and duplicate rows.
#include "io/label_file.h"

#include <gtest/gtest.h>

#include <fstream>

#include "pipeline/error.h"
#include "tests/fixtures/test_util.h"

namespace snpflow::io {
namespace {

using testing::TempDir;

std::string Write(const TempDir& dir, const std::string& bytes) {
  std::ofstream(dir / "labels.tsv", std::ios::binary) << bytes;
  return dir / "labels.tsv";
}

TEST(LabelFile, StripsUtf8BomAndCrlf) {
  TempDir dir;
  auto path = Write(dir, "\xEF\xBB\xBFsample\tpop\r\nA\tX\r\nB\tY\r\n");
  LabelTable t = ReadLabelFile(path, "pop");
  EXPECT_EQ(t.samples, (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(t.labels, (std::vector<std::string>{"X", "Y"}));
  auto plain = ReadLabelFile(Write(dir, "sample\tpop\nA\tX\nB\tY\n"), "pop");
  EXPECT_EQ(plain.labels, t.labels);
}

TEST(LabelFile, FieldsAreSplitOnAnyRunOfWhitespace) {
  TempDir dir;
  // Spaces, tabs, vertical tabs and form feeds, in runs, before the first field and after the
  // last: the fields are what `istream >> string` reads.
  auto path = Write(dir, "  sample \t pop\tsuper_pop \nA\t\tX  EUR\n \vB\fY\tAFR\t\n");
  LabelTable t = ReadLabelFile(path, "pop");
  EXPECT_EQ(t.samples, (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(t.labels, (std::vector<std::string>{"X", "Y"}));
  EXPECT_EQ(ReadLabelFile(path, "super_pop").labels, (std::vector<std::string>{"EUR", "AFR"}));
  // A line of whitespace only is skipped like a blank one.
  EXPECT_EQ(ReadLabelFile(Write(dir, "sample pop\n \t \nA X\n"), "pop").samples,
            (std::vector<std::string>{"A"}));
}

TEST(LabelFile, NamesBothLinesOfADuplicateSample) {
  TempDir dir;
  auto path = Write(dir, "sample\tpop\nA\tX\n# comment\nB\tY\nA\tY\n");
  try {
    ReadLabelFile(path, "pop");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "label file '" + path +
                                         "': sample 'A' appears twice (lines 2 and 5); keep one "
                                         "row per sample");
  }
}

TEST(LabelFile, RejectsUtf16WithoutBom) {
  TempDir dir;
  std::string utf16le;
  for (char c : std::string("sample\tpop\nA\tX\n")) utf16le += std::string(1, c) + '\0';
  auto path = Write(dir, utf16le);
  try {
    ReadLabelFile(path, "pop");
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()), "label file '" + path + "' is UTF-16 (or another wide "
              "encoding), not UTF-8 text; convert it with `iconv -f UTF-16 -t UTF-8 " + path +
              " > " + path + ".utf8`");
  }
}

TEST(LabelFile, SampleListStripsCrlf) {
  TempDir dir;
  auto path = Write(dir, "A\r\nB\r\n\r\n");
  EXPECT_EQ(ReadSampleList(path), (std::vector<std::string>{"A", "B"}));
}

}  // namespace
}  // namespace snpflow::io
