// The count stage: per kept variant, genotype counts per partition x class (from packed rows, in
// runs of at most 255 samples per cell), and the kept codes packed for the store.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "pipeline/error.h"
#include "stages/ingest_sinks.h"

namespace snpflow {
namespace {

// 3 classes x 2 partitions over 700 samples; partition 0 / class 0 holds 600 of them (more than
// one run of 255 byte counters), two cells are empty, the rest hold one or a few samples, in an
// order that mixes cells.
SampleTable SkewedSamples() {
  SampleTable s;
  s.folds = 2;
  s.class_names = {"a", "b", "c"};
  for (size_t i = 0; i < 700; ++i) {
    s.ids.push_back("s" + std::to_string(i));
    const bool big = i % 7 != 3;  // 600 of the 700
    s.label.push_back(big ? 0 : static_cast<int>(i % 2) + 1);
    s.partition.push_back(big ? 0 : (i % 4 == 3 ? 1 : 0));
  }
  return s;
}

// 5 partitions x 4 classes = 20 cells over 900 samples, more than one group of the 8 cells the
// stage writes at a time (8, 8, then 4): cell 0 holds 300 samples (two runs), cell 19 none.
SampleTable ManyCellSamples() {
  SampleTable s;
  s.folds = 5;
  s.class_names = {"a", "b", "c", "d"};
  for (size_t i = 0; i < 900; ++i) {
    s.ids.push_back("s" + std::to_string(i));
    int label = i < 300 ? 0 : static_cast<int>(i % 4);
    int partition = i < 300 ? 0 : static_cast<int>((i / 4) % 5);
    if (label == 3 && partition == 4) partition = 3;  // cell 19 stays empty
    s.label.push_back(label);
    s.partition.push_back(partition);
  }
  return s;
}

// Counts brute-force: per kept variant, per cell, per code.
std::vector<uint16_t> BruteForceCounts(const VariantBlock& block, const SampleTable& s) {
  const size_t cells = static_cast<size_t>(s.folds) * s.num_classes();
  std::vector<uint16_t> want;
  for (size_t v = 0; v < block.size(); ++v) {
    if (!block.kept(v)) continue;
    std::vector<uint16_t> counts(cells * 4, 0);
    for (size_t i = 0; i < s.size(); ++i)
      ++counts[(s.partition[i] * s.num_classes() + s.label[i]) * 4 + block.codes_of(v)[i]];
    want.insert(want.end(), counts.begin(), counts.end());
  }
  return want;
}

// Size `block` for `n_variants` kept variants over the samples of `s`, its codes still to fill.
void SizeBlock(VariantBlock& block, const SampleTable& s, size_t n_variants) {
  block.n_samples = s.size();
  block.variants.resize(n_variants);
  block.dropped.assign(n_variants, nullptr);
  block.codes.resize(n_variants * s.size());
}

// Full and partial blocks, every remainder of kept variants modulo the 64 a counting step takes,
// with runs of each code long enough to fill every counter level (3, 15, 255 samples).
TEST(CountStage, BitSlicedCountsEqualBruteForceForEveryBlockShape) {
  for (const SampleTable& samples : {SkewedSamples(), ManyCellSamples()}) {
    RunContext ctx;
    ctx.samples = samples;
    const SampleTable& s = ctx.samples;
    SCOPED_TRACE(std::to_string(s.num_cells()) + " cells");
    CountStage stage{CountOptions{}};
    stage.Init(ctx);
    std::mt19937 rng(9);
    // One block, reused as the graph reuses blocks: its buffers keep the last block's values
    // (they grow unzeroed), which every count must overwrite.
    VariantBlock block;
    for (size_t n_variants : {1024, 1, 5, 63, 64, 65, 127, 129, 200, 1000, 1024}) {
      block.Reset();
      SizeBlock(block, s, n_variants);
      for (size_t v = 0; v < n_variants; ++v) {
        const int mode = static_cast<int>(v % 5);  // random, or all one code
        for (size_t i = 0; i < s.size(); ++i)
          block.codes_of(v)[i] = static_cast<uint8_t>(mode == 4 ? rng() % 4 : mode);
      }
      if (n_variants > 10) block.Drop(rng() % n_variants, "maf");
      // Garbage where the counts and packed rows will go: the stage must write every element.
      block.counts.assign(n_variants * s.size() * 4, 0xBEEF);
      block.counts.clear();
      block.packed.assign(n_variants * s.size(), 0xA5);
      block.packed.clear();
      stage.Process(block);
      ASSERT_EQ(std::vector<uint16_t>(block.counts.begin(), block.counts.end()),
                BruteForceCounts(block, s))
          << n_variants << " variants";
    }
  }
}

TEST(CountStage, CountsEveryCellAndPacksTheKeptVariants) {
  RunContext ctx;
  ctx.samples = SkewedSamples();
  const SampleTable& s = ctx.samples;
  CountStage stage{CountOptions{}};
  stage.Init(ctx);
  VariantBlock block;
  const size_t n_variants = 70;
  SizeBlock(block, s, n_variants);
  std::mt19937 rng(5);
  for (auto& c : block.codes) c = static_cast<uint8_t>(rng() % 4);
  // One variant where every sample is HomAlt: 600 of one code in one cell.
  std::fill(block.codes_of(10), block.codes_of(10) + s.size(), uint8_t{2});
  for (size_t v : {0, 3, 4, 41}) block.Drop(v, "maf");  // 66 kept: not a multiple of 4
  stage.Process(block);

  const size_t cells = static_cast<size_t>(s.folds) * s.num_classes();
  const std::vector<uint16_t> want = BruteForceCounts(block, s);
  std::vector<const uint8_t*> kept;
  for (size_t v = 0; v < n_variants; ++v)
    if (block.kept(v)) kept.push_back(block.codes_of(v));
  ASSERT_EQ(kept.size(), 66u);
  EXPECT_EQ(std::vector<uint16_t>(block.counts.begin(), block.counts.end()), want);
  // The big cell's counts sum to its 600 samples; at variant 10 (kept index 7) all are HomAlt.
  EXPECT_EQ(want[0] + want[1] + want[2] + want[3], 600);
  EXPECT_EQ(block.counts[7 * cells * 4 + 2], 600);
  std::vector<uint8_t> packed;
  io::PackedStore::PackCodes(kept.data(), kept.size(), s.size(), packed);
  EXPECT_EQ(std::vector<uint8_t>(block.packed.begin(), block.packed.end()), packed);
}

// The message of the Error that processing `block` throws, or "" when it throws none.
std::string ProcessError(const CountStage& stage, VariantBlock& block) {
  try {
    stage.Process(block);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(CountStage, RefusesACodeAboveThree) {
  RunContext ctx;
  ctx.samples = SkewedSamples();
  CountStage stage{CountOptions{}};
  stage.Init(ctx);
  VariantBlock block;
  SizeBlock(block, ctx.samples, 2);
  block.variants[1].chrom = "7";
  block.variants[1].pos = 1234;
  std::fill(block.codes.begin(), block.codes.end(), 1);
  block.codes[block.n_samples + 650] = 4;
  std::string what = ProcessError(stage, block);
  EXPECT_NE(what.find("variant 7:1234 has a genotype code above 3"), std::string::npos) << what;
  // In a block of 100 variants (packed in 16 x 64 tiles), the code at sample 40 of variant 70.
  SizeBlock(block, ctx.samples, 100);
  block.variants[70].chrom = "2";
  block.variants[70].pos = 99;
  std::fill(block.codes.begin(), block.codes.end(), 0);
  block.codes_of(70)[40] = 7;
  what = ProcessError(stage, block);
  EXPECT_NE(what.find("variant 2:99 has a genotype code above 3"), std::string::npos) << what;
}

}  // namespace
}  // namespace snpflow
