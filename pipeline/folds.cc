#include "pipeline/folds.h"

#include <random>

#include "pipeline/error.h"

namespace snpflow {

namespace {
uint64_t UniformBelow(std::mt19937_64& rng, uint64_t n) {
  // Rejection sampling: unbiased and identical on every platform.
  uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t r;
  do r = rng(); while (r >= limit);
  return r % n;
}
}  // namespace

void SeededShuffle(std::vector<int64_t>& values, uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (size_t i = values.size(); i > 1; --i) std::swap(values[i - 1], values[UniformBelow(rng, i)]);
}

uint64_t MixSeed(uint64_t a, uint64_t b, uint64_t c) {
  uint64_t x = a * 0x9E3779B97F4A7C15ULL ^ (b + 0x632BE59BD9B4E019ULL) ^ (c * 0xD6E8FEB86659FD93ULL);
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBULL;
  x ^= x >> 31;
  return x;
}

std::vector<int> AssignFolds(const std::vector<int>& labels, int num_classes, int folds,
                             uint64_t seed) {
  if (folds < 3) throw ConfigError("--folds must be at least 3 (test, valid and train partitions)");
  std::vector<int> partition(labels.size(), 0);
  int next = 0;
  for (int c = 0; c < num_classes; ++c) {
    std::vector<int64_t> members;
    for (size_t i = 0; i < labels.size(); ++i)
      if (labels[i] == c) members.push_back(static_cast<int64_t>(i));
    SeededShuffle(members, MixSeed(seed, 0xF01D, static_cast<uint64_t>(c)));
    for (int64_t i : members) {
      partition[i] = next;
      next = (next + 1) % folds;
    }
  }
  return partition;
}

}  // namespace snpflow
