// Typed options: strict parsing, declared ranges and the field types' own ranges.
#include "pipeline/options.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "pipeline/error.h"

namespace snpflow {
namespace {

std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no ConfigError)";
}

TEST(ParseIntOption, AcceptsWholeIntegersOnly) {
  EXPECT_EQ(ParseIntOption("42", "--x"), 42);
  EXPECT_EQ(ParseIntOption("-7", "--x"), -7);
  EXPECT_EQ(ParseIntOption("+7", "--x"), 7);
  EXPECT_EQ(ParseIntOption("9223372036854775807", "--x"), INT64_MAX);
  for (const char* bad : {"", " 1", "1 ", "1.0", "1e3", "0x10", "12ab", "-", "+", "nan"})
    EXPECT_EQ(ErrorOf([&] { ParseIntOption(bad, "--x"); }),
              "--x: '" + std::string(bad) + "' is not an integer")
        << bad;
  EXPECT_EQ(ErrorOf([] { ParseIntOption("9223372036854775808", "--x"); }),
            "--x: 9223372036854775808 is out of range; allowed: a 64-bit integer");
}

TEST(ParseIntOption, ChecksTheRange) {
  const OptionRange r = OptionRange::Ints(1, 10);
  EXPECT_EQ(ParseIntOption("1", "--n", r), 1);
  EXPECT_EQ(ParseIntOption("10", "--n", r), 10);
  EXPECT_EQ(ErrorOf([&] { ParseIntOption("11", "--n", r); }),
            "--n: 11 is out of range; allowed: 1..10");
  EXPECT_EQ(ErrorOf([&] { ParseIntOption("0", "--n", r); }),
            "--n: 0 is out of range; allowed: 1..10");
  EXPECT_EQ(ErrorOf([&] { ParseIntOption("-99999999999999999999", "--n", r); }),
            "--n: -99999999999999999999 is out of range; allowed: 1..10");
}

TEST(ParseDoubleOption, RejectsNonFiniteAndOutOfRange) {
  EXPECT_DOUBLE_EQ(ParseDoubleOption("0.25", "--p"), 0.25);
  EXPECT_DOUBLE_EQ(ParseDoubleOption("1e-3", "--p"), 1e-3);
  for (const char* bad : {"nan", "NaN", "inf", "-inf", "infinity"})
    EXPECT_EQ(ErrorOf([&] { ParseDoubleOption(bad, "--p"); }),
              "--p: '" + std::string(bad) + "' is not a finite number")
        << bad;
  EXPECT_EQ(ErrorOf([] { ParseDoubleOption("1e999", "--p"); }),
            "--p: 1e999 is out of range; allowed: a finite double");
  EXPECT_EQ(ErrorOf([] { ParseDoubleOption(" 1", "--p"); }), "--p: ' 1' is not a number");
  EXPECT_EQ(ErrorOf([] { ParseDoubleOption("0.5", "--p", OptionRange::HalfOpen(0, 0.5)); }),
            "--p: 0.5 is out of range; allowed: [0, 0.5)");
  EXPECT_EQ(ErrorOf([] { ParseDoubleOption("0", "--p", OptionRange::Above(0)); }),
            "--p: 0 is out of range; allowed: > 0");
  EXPECT_DOUBLE_EQ(ParseDoubleOption("0", "--p", OptionRange::AtLeast(0)), 0.0);
  EXPECT_DOUBLE_EQ(ParseDoubleOption("1", "--p", OptionRange::Closed(0, 1)), 1.0);
}

struct Opts {
  int count = 5;
  int plain = 0;
  uint64_t seed = 1;
  int64_t big = 0;
  double rate = 0.5;
  double free = 0;
  static void Declare(OptionSet<Opts>& o) {
    o.Add("count", &Opts::count, "a count").Range(1, 100);
    o.Add("plain", &Opts::plain, "an int without a declared range");
    o.Add("seed", &Opts::seed, "a seed");
    o.Add("big", &Opts::big, "an int64").Range(OptionRange::Ints(0, INT64_MAX));
    o.Add("rate", &Opts::rate, "a probability").Range(0.0, 1.0);
    o.Add("free", &Opts::free, "any finite double");
  }
};

OptionSet<Opts> MakeSet() {
  OptionSet<Opts> set;
  Opts::Declare(set);
  return set;
}

TEST(OptionSet, BuildChecksDeclaredAndTypeRanges) {
  const OptionSet<Opts> set = MakeSet();
  Opts o = set.Build({{"count", "100"}, {"seed", "9223372036854775807"}, {"rate", "1"}}, "s.");
  EXPECT_EQ(o.count, 100);
  EXPECT_EQ(o.seed, 9223372036854775807u);
  EXPECT_EQ(o.rate, 1.0);
  EXPECT_EQ(ErrorOf([&] { set.Build({{"count", "101"}}, "s."); }),
            "--s.count: 101 is out of range; allowed: 1..100");
  // Never truncated or wrapped: int fields hold int, unsigned fields no negatives.
  EXPECT_EQ(ErrorOf([&] { set.Build({{"plain", "4294967297"}}, "s."); }),
            "--s.plain: 4294967297 is out of range; allowed: -2147483648..2147483647");
  EXPECT_EQ(ErrorOf([&] { set.Build({{"seed", "-1"}}, "s."); }),
            "--s.seed: -1 is out of range; allowed: >= 0");
  EXPECT_EQ(ErrorOf([&] { set.Build({{"big", "-1"}}, "s."); }),
            "--s.big: -1 is out of range; allowed: >= 0");
  EXPECT_EQ(ErrorOf([&] { set.Build({{"rate", "nan"}}, "s."); }),
            "--s.rate: 'nan' is not a finite number; allowed: [0, 1]");
  EXPECT_EQ(ErrorOf([&] { set.Build({{"free", "-inf"}}, "s."); }),
            "--s.free: '-inf' is not a finite number");
}

TEST(OptionSet, DeclarationsCarryTheRangeForTheDocumentation) {
  const OptionSet<Opts> set = MakeSet();
  ASSERT_EQ(set.decls().size(), 6u);
  EXPECT_EQ(set.decls()[0].range.ToString(), "1..100");
  EXPECT_FALSE(set.decls()[1].range.is_set());
  EXPECT_EQ(set.decls()[3].range.ToString(), ">= 0");
  EXPECT_EQ(set.decls()[4].range.ToString(), "[0, 1]");
}

struct BadDecl {
  int small = 0;
  std::string text;
};

TEST(OptionSet, ARangeThatDoesNotFitTheFieldIsADeclarationBug) {
  OptionSet<BadDecl> set;
  set.Add("small", &BadDecl::small, "an int");
  EXPECT_THROW(set.Range(OptionRange::Ints(0, INT64_MAX)), std::logic_error);
  EXPECT_THROW(set.Range(OptionRange::Closed(0, 1)), std::logic_error);
  set.Add("text", &BadDecl::text, "a string");
  EXPECT_THROW(set.Range(0, 1), std::logic_error);
}

}  // namespace
}  // namespace snpflow
