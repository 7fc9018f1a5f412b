// The vectorized int8 diploid GT decoder (DecodeBcfGt: AVX2 where the CPU has it; and
// DecodeBcfGtBaseline: SSE2) against the one-value-at-a-time reference (DecodeBcfGtReference), and
// all against hand-computed codes.
#include "io/bcf_gt_values.h"

#include <gtest/gtest.h>
#include <htslib/vcf.h>

#include <random>
#include <string>
#include <vector>

#include "io/vcf_line_parser.h"

namespace snpflow::io {
namespace {

// BCF int8 GT values: (allele + 1) << 1 | phased; 0 a missing allele.
constexpr uint8_t kRef = 2, kAlt = 4, kRefPhased = 3, kAltPhased = 5, kDot = 0;
constexpr uint8_t kVectorEnd = static_cast<uint8_t>(bcf_int8_vector_end);
constexpr uint8_t kMissingSentinel = static_cast<uint8_t>(bcf_int8_missing);

struct Decoded {
  GtDecodeResult result;
  std::vector<uint8_t> codes;
};

// The decoders under test: the best vector path, the SSE2 one, the reference.
enum class Path { kBest, kBaseline, kReference };
constexpr Path kPaths[] = {Path::kBest, Path::kBaseline, Path::kReference};
const char* Name(Path path) {
  return path == Path::kBest ? (DecodeBcfGtUsesAvx2() ? "avx2" : "best (sse2)")
         : path == Path::kBaseline ? "sse2" : "reference";
}

Decoded DecodePairs(Path path, const std::vector<uint8_t>& pairs, HaploidRule policy) {
  const size_t n = pairs.size() / 2;
  Decoded d;
  d.codes.assign(n, 0xEE);
  auto* decode = path == Path::kBest       ? DecodeBcfGt
                 : path == Path::kBaseline ? DecodeBcfGtBaseline
                                           : DecodeBcfGtReference;
  d.result = decode(pairs.data(), 1, 2, n, 2, policy, d.codes.data());
  return d;
}

TEST(BcfGtValues, HandComputedCodesAcrossTheVectorizedChunks) {
  // 150 samples (two full chunks of 64 and a table-decoded tail), cycling through every pair of
  // the usual values with its expected code.
  const std::vector<std::pair<std::pair<uint8_t, uint8_t>, uint8_t>> cases = {
      {{kRef, kRef}, 0},        {{kRef, kAlt}, 1},          {{kAlt, kRef}, 1},
      {{kAlt, kAlt}, 2},        {{kRefPhased, kAltPhased}, 1}, {{kAltPhased, kAltPhased}, 2},
      {{kDot, kDot}, 3},        {{kDot, kAlt}, 3},          {{kRef, 1}, 3}};
  std::vector<uint8_t> pairs;
  std::vector<uint8_t> expected;
  for (size_t i = 0; i < 150; ++i) {
    const auto& c = cases[i % cases.size()];
    pairs.push_back(c.first.first);
    pairs.push_back(c.first.second);
    expected.push_back(c.second);
  }
  for (Path path : kPaths) {
    Decoded d = DecodePairs(path, pairs, HaploidRule::kHom);
    EXPECT_EQ(d.result.skip, nullptr);
    EXPECT_EQ(d.result.haploid_calls, 0u);
    EXPECT_EQ(d.codes, expected) << Name(path);
  }
}

TEST(BcfGtValues, UnusualPairInsideAChunkFollowsThePolicy) {
  // Sample 70 (in the second chunk) is haploid ALT: "1" is (4, vector_end).
  std::vector<uint8_t> pairs(2 * 130, kRef);
  pairs[2 * 70] = kAlt;
  pairs[2 * 70 + 1] = kVectorEnd;
  for (Path path : kPaths) {
    SCOPED_TRACE(Name(path));
    Decoded hom = DecodePairs(path, pairs, HaploidRule::kHom);
    EXPECT_EQ(hom.result.skip, nullptr);
    EXPECT_EQ(hom.result.haploid_calls, 1u);
    EXPECT_EQ(hom.codes[70], 2);
    EXPECT_EQ(hom.codes[69], 0);
    EXPECT_EQ(hom.codes[71], 0);
    Decoded missing = DecodePairs(path, pairs, HaploidRule::kMissing);
    EXPECT_EQ(missing.codes[70], 3);
    Decoded skip = DecodePairs(path, pairs, HaploidRule::kSkipRecord);
    EXPECT_STREQ(skip.result.skip, kSkipHaploid);
  }
  // Allele index 2 with one ALT: invalid, whichever chunk it is in.
  pairs[2 * 70 + 1] = kRef;
  pairs[2 * 127] = 6;
  for (Path path : kPaths)
    EXPECT_STREQ(DecodePairs(path, pairs, HaploidRule::kHom).result.skip, kSkipBadAllele)
        << Name(path);
}

TEST(BcfGtValues, RandomRecordsMatchTheReference) {
  std::mt19937 rng(12345);
  const std::vector<uint8_t> unusual = {6, 7, 100, 0xFF, kMissingSentinel, kVectorEnd};
  const std::vector<size_t> sizes = {0, 1, 15, 16, 63, 64, 65, 127, 128, 129, 200, 1000};
  size_t skipped = 0, haploid = 0, compared = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    const size_t n = sizes[trial % sizes.size()];
    std::vector<uint8_t> pairs(2 * n);
    for (auto& v : pairs) v = static_cast<uint8_t>(rng() % 6);
    // Most records get a few unusual values at random places (any chunk, either slot).
    if (n > 0 && trial % 4 != 0)
      for (int k = static_cast<int>(rng() % 3); k >= 0; --k)
        pairs[rng() % pairs.size()] = unusual[rng() % unusual.size()];
    for (HaploidRule policy :
         {HaploidRule::kHom, HaploidRule::kMissing, HaploidRule::kSkipRecord}) {
      Decoded ref = DecodePairs(Path::kReference, pairs, policy);
      for (Path path : {Path::kBest, Path::kBaseline}) {
        Decoded fast = DecodePairs(path, pairs, policy);
        const std::string what = std::string(Name(path)) + ", trial " + std::to_string(trial) +
                                 ", " + std::to_string(n) + " samples, policy " +
                                 std::to_string(static_cast<int>(policy));
        ASSERT_EQ(fast.result.skip == nullptr, ref.result.skip == nullptr) << what;
        if (ref.result.skip != nullptr) {
          EXPECT_STREQ(fast.result.skip, ref.result.skip) << what;
          continue;
        }
        EXPECT_EQ(fast.result.haploid_calls, ref.result.haploid_calls) << what;
        ASSERT_EQ(fast.codes, ref.codes) << what;
      }
      if (ref.result.skip != nullptr) {
        ++skipped;
        continue;
      }
      haploid += ref.result.haploid_calls > 0;
      ++compared;
    }
  }
  // The random cases reached every outcome; on this CPU, the AVX2 path when it has AVX2.
  EXPECT_EQ(DecodeBcfGtUsesAvx2(), __builtin_cpu_supports("avx2") != 0);
  EXPECT_GT(skipped, 1000u);
  EXPECT_GT(haploid, 100u);
  EXPECT_GT(compared, 3000u);
}

}  // namespace
}  // namespace snpflow::io
