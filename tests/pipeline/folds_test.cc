#include "pipeline/folds.h"

#include <gtest/gtest.h>

#include <map>

#include "pipeline/error.h"

namespace snpflow {
namespace {

TEST(AssignFolds, StratifiedBalancedAndSeeded) {
  std::vector<int> labels;
  for (int c = 0; c < 7; ++c)
    for (int k = 0; k < 10 + 3 * c; ++k) labels.push_back(c);
  auto parts = AssignFolds(labels, 7, 5, 42);
  ASSERT_EQ(parts.size(), labels.size());
  std::map<int, std::map<int, int>> per_class;  // class -> partition -> count
  std::map<int, int> sizes;
  for (size_t i = 0; i < labels.size(); ++i) {
    ASSERT_GE(parts[i], 0);
    ASSERT_LT(parts[i], 5);
    ++per_class[labels[i]][parts[i]];
    ++sizes[parts[i]];
  }
  for (auto& [c, counts] : per_class) {
    int lo = 1 << 30, hi = 0;
    for (int p = 0; p < 5; ++p) lo = std::min(lo, counts[p]), hi = std::max(hi, counts[p]);
    EXPECT_LE(hi - lo, 1) << "class " << c;  // stratified
  }
  int lo = 1 << 30, hi = 0;
  for (auto& [p, n] : sizes) lo = std::min(lo, n), hi = std::max(hi, n);
  EXPECT_LE(hi - lo, 1);  // partitions balanced overall
  EXPECT_EQ(parts, AssignFolds(labels, 7, 5, 42));  // deterministic for a seed
  EXPECT_NE(parts, AssignFolds(labels, 7, 5, 43));
  EXPECT_THROW(AssignFolds(labels, 7, 2, 1), ConfigError);
}

TEST(SeededShuffle, PermutesDeterministically) {
  std::vector<int64_t> a(100), b;
  for (int i = 0; i < 100; ++i) a[i] = i;
  b = a;
  SeededShuffle(a, 7);
  auto c = b;
  SeededShuffle(c, 7);
  EXPECT_EQ(a, c);
  EXPECT_NE(a, b);
  std::sort(a.begin(), a.end());
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace snpflow
