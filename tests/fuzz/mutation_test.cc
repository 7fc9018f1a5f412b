// The seeded mutational fuzzer that runs in ctest (no clang needed): each seed file of
// tests/fuzz/corpus/ gets a fixed number of deterministic mutations (bit flips, byte sets,
// interesting integers, truncation, insertion, deletion, duplicated and swapped lines), and every
// mutant goes through the reader in-process. A reader must return or throw snpflow::Error; a
// crash, a sanitizer report (`make asan`) or another exception type fails the test. A mutated
// store must never load different data than the original: its checksums have to catch it.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "pipeline/error.h"
#include "tests/fixtures/test_util.h"
#include "tests/fuzz/fuzz_targets.h"

namespace snpflow::fuzz {
namespace {

using snpflow::testing::ReadFile;
using snpflow::testing::TempDir;

constexpr uint64_t kSeed = 20261129;
// Mutants per seed file: a fixed budget, about a second per target in a release build.
constexpr int kMutantsPerSeed = 400;

std::string Corpus(const std::string& name) {
  return snpflow::testing::SourceDir() + "/tests/fuzz/corpus/" + name;
}

/// Deterministic mutations of a byte string.
class Mutator {
 public:
  explicit Mutator(uint64_t seed) : rng_(seed) {}

  /// One to three mutations of `in`.
  std::string Mutate(std::string s) {
    const int n = 1 + static_cast<int>(Below(3));
    for (int i = 0; i < n; ++i) MutateOnce(s);
    return s;
  }

 private:
  uint64_t Below(uint64_t n) { return n == 0 ? 0 : rng_() % n; }

  void MutateOnce(std::string& s) {
    static const uint64_t kInteresting[] = {0,          1,          2,           0x7f,
                                            0x80,       0xff,       0x7fff,      0xffff,
                                            0x7fffffff, 0xffffffff, 1ull << 32,  1ull << 62,
                                            ~0ull,      3ull << 30, 0x100000000ull + 1};
    static const char kBytes[] = {'\0', '\n', '\t', '\r', '0', '9', '-', '.', '/', '|',
                                  ',',  ':',  '#',  ' ',  '\x7f', '\x80', '\xff', 'e'};
    if (s.empty()) {
      s.push_back(static_cast<char>(Below(256)));
      return;
    }
    const size_t at = Below(s.size());
    switch (Below(9)) {
      case 0:  // flip one bit
        s[at] = static_cast<char>(s[at] ^ (1 << Below(8)));
        break;
      case 1:  // a random or a special byte
        s[at] = Below(2) ? static_cast<char>(Below(256)) : kBytes[Below(sizeof(kBytes))];
        break;
      case 2: {  // an interesting little-endian integer of 1, 2, 4 or 8 bytes
        const uint64_t v = kInteresting[Below(std::size(kInteresting))];
        const size_t width = size_t{1} << Below(4);
        for (size_t i = 0; i < width && at + i < s.size(); ++i)
          s[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
        break;
      }
      case 3:  // truncate
        s.resize(at);
        break;
      case 4: {  // insert random bytes
        std::string ins(1 + Below(16), '\0');
        for (auto& c : ins) c = static_cast<char>(Below(256));
        s.insert(at, ins);
        break;
      }
      case 5:  // delete a range
        s.erase(at, 1 + Below(32));
        break;
      case 6: {  // duplicate the line (or 64-byte chunk) at `at`
        const auto [begin, end] = LineAt(s, at);
        s.insert(end, s.substr(begin, end - begin));
        break;
      }
      case 7: {  // swap two lines
        const auto [b1, e1] = LineAt(s, at);
        const auto [b2, e2] = LineAt(s, Below(s.size()));
        if (e1 <= b2) {
          const std::string l1 = s.substr(b1, e1 - b1), l2 = s.substr(b2, e2 - b2);
          s.replace(b2, e2 - b2, l1);
          s.replace(b1, e1 - b1, l2);
        }
        break;
      }
      default:  // a digit in a number turns into another digit or a sign
        for (size_t i = at; i < s.size() && i < at + 64; ++i) {
          if (s[i] >= '0' && s[i] <= '9') {
            s[i] = "0123456789-"[Below(11)];
            break;
          }
        }
        break;
    }
  }

  /// [begin, end) of the line holding `at`, newline included; 64 bytes if there is no newline.
  static std::pair<size_t, size_t> LineAt(const std::string& s, size_t at) {
    size_t begin = s.rfind('\n', at == 0 ? 0 : at - 1);
    begin = begin == std::string::npos || at == 0 ? 0 : begin + 1;
    size_t end = s.find('\n', at);
    end = end == std::string::npos ? s.size() : end + 1;
    if (end - begin > 4096) return {at, std::min(s.size(), at + 64)};
    return {begin, end};
  }

  std::mt19937_64 rng_;
};

struct Outcome {
  int loaded = 0;
  int rejected = 0;
  int same_as_seed = 0;
};

/// Run `kMutantsPerSeed` mutants of `seed_file` through `run`; fail on any exception that is not
/// a snpflow::Error. With `must_not_change`, a mutant that loads must load what the seed loads.
template <class Run>
Outcome Fuzz(const std::string& seed_file, uint64_t seed, bool must_not_change, Run run) {
  TempDir dir;
  const std::string original = ReadFile(Corpus(seed_file));
  const std::string want = run(original, dir.path());
  EXPECT_FALSE(want.empty()) << seed_file << " loads nothing: the seed is useless";
  Mutator mutator(seed);
  Outcome outcome;
  for (int i = 0; i < kMutantsPerSeed; ++i) {
    const std::string mutant = mutator.Mutate(original);
    std::string finding;
    try {
      const std::string got = run(mutant, dir.path());
      ++outcome.loaded;
      if (got == want) ++outcome.same_as_seed;
      if (must_not_change && got != want) finding = "loaded different data without an error";
    } catch (const Error&) {
      ++outcome.rejected;
    } catch (const std::exception& e) {
      finding = std::string("threw a non-snpflow exception: ") + e.what();
    }
    if (!finding.empty()) {
      // Keep the input for a repro: the harness's Run* on this file shows the same.
      const std::string keep = std::string(SNPFLOW_BINARY_DIR) + "/fuzz-findings/" +
                               std::filesystem::path(seed_file).filename().string() + "-mutant-" +
                               std::to_string(i);
      std::filesystem::create_directories(std::filesystem::path(keep).parent_path());
      std::ofstream(keep, std::ios::binary) << mutant;
      ADD_FAILURE() << seed_file << " mutant " << i << " " << finding << " (input kept in "
                    << keep << ")";
      break;  // one finding is enough to look at
    }
  }
  std::printf("%s: %d mutants, %d loaded (%d unchanged), %d rejected with snpflow::Error\n",
              seed_file.c_str(), kMutantsPerSeed, outcome.loaded, outcome.same_as_seed,
              outcome.rejected);
  return outcome;
}

const uint8_t* Bytes(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

class MutationFuzz : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { QuietHtslib(); }
};

TEST_F(MutationFuzz, VcfText) {
  const Outcome o = Fuzz("vcf/sim.vcf", kSeed, false, [](const std::string& in, const std::string& d) {
    return RunVcf(Bytes(in), in.size(), d);
  });
  // The budget must exercise both sides: some mutants still parse, most are rejected.
  EXPECT_GT(o.loaded, 0);
  EXPECT_GT(o.rejected, 0);
}

// 40 samples: GT-only lines wide enough for the line parser's 16-column vectorized scan.
TEST_F(MutationFuzz, VcfTextWide) {
  const Outcome o = Fuzz("vcf/wide.vcf", kSeed + 7, false,
                         [](const std::string& in, const std::string& d) {
                           return RunVcf(Bytes(in), in.size(), d);
                         });
  EXPECT_GT(o.loaded, 0);
  EXPECT_GT(o.rejected, 0);
}

TEST_F(MutationFuzz, VcfBgzip) {
  const Outcome o = Fuzz("vcf/sim.vcf.gz", kSeed + 1, false,
                         [](const std::string& in, const std::string& d) {
                           return RunVcf(Bytes(in), in.size(), d);
                         });
  EXPECT_GT(o.rejected, 0);
}

TEST_F(MutationFuzz, BcfUncompressed) {
  const Outcome o = Fuzz("vcf/sim.ubcf", kSeed + 2, false,
                         [](const std::string& in, const std::string& d) {
                           return RunVcf(Bytes(in), in.size(), d);
                         });
  EXPECT_GT(o.rejected, 0);
}

TEST_F(MutationFuzz, BcfCompressed) {
  const Outcome o = Fuzz("vcf/sim.bcf", kSeed + 3, false,
                         [](const std::string& in, const std::string& d) {
                           return RunVcf(Bytes(in), in.size(), d);
                         });
  EXPECT_GT(o.rejected, 0);
}

TEST_F(MutationFuzz, StoreNeverLoadsDifferentData) {
  const Outcome o = Fuzz("store/store.snpf", kSeed + 4, /*must_not_change=*/true,
                         [](const std::string& in, const std::string& d) {
                           return RunStore(Bytes(in), in.size(), d);
                         });
  EXPECT_GT(o.rejected, kMutantsPerSeed / 2);
}

TEST_F(MutationFuzz, StoreWithTwoTilesNeverLoadsDifferentData) {
  const Outcome o = Fuzz("store/store2.snpf", kSeed + 7, /*must_not_change=*/true,
                         [](const std::string& in, const std::string& d) {
                           return RunStore(Bytes(in), in.size(), d);
                         });
  EXPECT_GT(o.rejected, kMutantsPerSeed / 2);
}

TEST_F(MutationFuzz, Npy) {
  // Plain .npy has no checksum (the run's manifest protects it), so a mutant may load other data;
  // it must still be consistent (data size = shape x itemsize, checked in RunNpy).
  const Outcome o = Fuzz("npy/counts.npy", kSeed + 5, false,
                         [](const std::string& in, const std::string& d) {
                           return RunNpy(Bytes(in), in.size(), d, false);
                         });
  EXPECT_GT(o.rejected, 0);
}

TEST_F(MutationFuzz, NpyZstd) {
  const Outcome o = Fuzz("npy/x.npy.zst", kSeed + 6, false,
                         [](const std::string& in, const std::string& d) {
                           return RunNpy(Bytes(in), in.size(), d, true);
                         });
  EXPECT_GT(o.rejected, 0);
}

}  // namespace
}  // namespace snpflow::fuzz
