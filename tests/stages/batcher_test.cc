#include "stages/batcher.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

#include "pipeline/error.h"
#include "stages/fold_stats.h"
#include "stages/shard_batch_source.h"

namespace snpflow {
namespace {

// Code of (sample, variant) in the fixture store: varied, with missing values sprinkled in.
uint8_t FixtureCode(size_t sample, size_t variant) {
  return static_cast<uint8_t>((sample * 7 + variant * 3 + (sample * variant) % 5) % 4);
}

struct Fixture {
  static constexpr size_t kSamples = 11;
  static constexpr size_t kSnps = 13;  // odd: the last packed byte is partial
  io::PackedStore store;
  FoldStats stats;
  std::vector<float> lut;

  Fixture() : store(Ids()) {
    std::vector<uint8_t> codes(kSamples);
    for (size_t j = 0; j < kSnps; ++j) {
      for (size_t i = 0; i < kSamples; ++i) codes[i] = FixtureCode(i, j);
      io::SiteInfo site{"1", static_cast<int64_t>(100 + j), "", "A", "C"};
      store.AppendVariant(site, codes.data());
    }
    store.Finish();
    stats.n_snps = kSnps;
    stats.classes = 2;
    for (size_t j = 0; j < kSnps; ++j) {
      stats.mean.push_back(0.25f + 0.1f * static_cast<float>(j));
      stats.std.push_back(0.5f + 0.05f * static_cast<float>(j));
    }
    lut = stats.Lut();
  }
  static std::vector<std::string> Ids() {
    std::vector<std::string> ids;
    for (size_t i = 0; i < kSamples; ++i) ids.push_back("s" + std::to_string(i));
    return ids;
  }
};

std::vector<int64_t> Iota(size_t n) {
  std::vector<int64_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<int64_t>(i);
  return v;
}

BatcherOptions Options(int batch, int prefetch) {
  BatcherOptions o;
  o.batch_size = batch;
  o.prefetch = prefetch;
  return o;
}

/// Every batch of one epoch, copied out.
struct Epoch {
  std::vector<int64_t> rows, samples, labels;
  std::vector<float> x;
};
Epoch Collect(BatchSource& source, int epoch) {
  Epoch e;
  source.Start(epoch);
  Batch b;
  while (source.Next(&b)) {
    e.rows.push_back(b.rows);
    e.samples.insert(e.samples.end(), b.samples, b.samples + b.rows);
    e.labels.insert(e.labels.end(), b.labels, b.labels + b.rows);
    e.x.insert(e.x.end(), b.x, b.x + b.rows * b.cols);
  }
  return e;
}

TEST(StoreBatchSource, BatchValuesEqualNormalizedCodesComputedByHand) {
  Fixture f;
  std::vector<int64_t> samples = {3, 0, 10, 7, 5};
  std::vector<int64_t> labels = {1, 0, 1, 0, 1};
  StoreBatchSource source(f.store, samples, labels, f.lut.data(), Options(2, 2), false, 1, 0);
  Epoch e = Collect(source, 0);
  ASSERT_EQ(e.samples, samples);
  ASSERT_EQ(e.labels, labels);
  ASSERT_EQ(e.x.size(), samples.size() * Fixture::kSnps);
  for (size_t r = 0; r < samples.size(); ++r) {
    for (size_t j = 0; j < Fixture::kSnps; ++j) {
      uint8_t code = FixtureCode(static_cast<size_t>(samples[r]), j);
      float expected = code == 3 ? 0.0f : (static_cast<float>(code) - f.stats.mean[j]) / f.stats.std[j];
      EXPECT_FLOAT_EQ(e.x[r * Fixture::kSnps + j], expected) << "row " << r << " snp " << j;
    }
  }
}

TEST(StoreBatchSource, ASnpRangeUnpacksOnlyThoseColumnsAndTheirCodes) {
  Fixture f;
  std::vector<int64_t> samples = {3, 0, 10, 7, 5};
  std::vector<int64_t> labels = {1, 0, 1, 0, 1};
  for (int prefetch : {0, 2}) {
    BatcherOptions o = Options(2, prefetch);
    o.codes = true;
    StoreBatchSource source(f.store, samples, labels, f.lut.data(), o, false, 1, 0);
    source.SetSnpRange(4, 13);  // the last packed byte is partial
    EXPECT_EQ(source.num_features(), 9);
    source.Start(0);
    Batch b;
    size_t row = 0;
    while (source.Next(&b)) {
      ASSERT_EQ(b.cols, 9);
      for (int64_t r = 0; r < b.rows; ++r, ++row) {
        const size_t sample = static_cast<size_t>(samples[row]);
        for (size_t j = 4; j < 13; ++j) {
          const uint8_t code = FixtureCode(sample, j);
          const float expected =
              code == 3 ? 0.0f : (static_cast<float>(code) - f.stats.mean[j]) / f.stats.std[j];
          EXPECT_FLOAT_EQ(b.x[r * 9 + (j - 4)], expected) << "row " << row << " snp " << j;
          EXPECT_EQ(b.codes[r * 9 + (j - 4)], code) << "row " << row << " snp " << j;
        }
      }
    }
    EXPECT_EQ(row, samples.size());
  }
  StoreBatchSource source(f.store, samples, labels, f.lut.data(), Options(2, 0), false, 1, 0);
  EXPECT_THROW(source.SetSnpRange(3, 13), Error) << "not at a packed byte";
  EXPECT_THROW(source.SetSnpRange(4, 14), Error) << "past the store";
  source.Start(0);
  EXPECT_THROW(source.SetSnpRange(4, 8), Error) << "after Start";
}

TEST(StoreBatchSource, ARowSliceUnpacksTheRowsItsShardPassesOn) {
  Fixture f;
  std::vector<int64_t> samples = Iota(Fixture::kSamples);
  std::vector<int64_t> labels(samples.size(), 0);
  for (int world : {2, 3}) {
    for (int rank = 0; rank < world; ++rank) {
      BatcherOptions o = Options(5, 1);
      o.codes = true;
      StoreBatchSource whole(f.store, samples, labels, f.lut.data(), o, true, 4, 0);
      StoreBatchSource sliced(f.store, samples, labels, f.lut.data(), o, true, 4, 0);
      sliced.SetRowSlice(rank, world);
      ShardedBatchSource a(whole, rank, world, 0), b(sliced, rank, world, 0);
      Epoch ea = Collect(a, 1), eb = Collect(b, 1);
      EXPECT_EQ(eb.samples, ea.samples) << "rank " << rank << " of " << world;
      EXPECT_EQ(eb.x, ea.x) << "rank " << rank << " of " << world;
      EXPECT_FALSE(ea.x.empty());
      // The shard's codes are its own rows' codes too.
      b.Start(2);
      Batch batch;
      while (b.Next(&batch))
        for (int64_t r = 0; r < batch.rows; ++r)
          for (size_t j = 0; j < Fixture::kSnps; ++j)
            EXPECT_EQ(batch.codes[r * batch.cols + static_cast<int64_t>(j)],
                      FixtureCode(static_cast<size_t>(batch.samples[r]), j))
                << "rank " << rank << " of " << world;
    }
  }
  // The work saved: rows outside the slice are never unpacked (fresh buffers stay zero).
  StoreBatchSource sliced(f.store, samples, labels, f.lut.data(), Options(6, 0), false, 1, 0);
  sliced.SetRowSlice(0, 2);
  sliced.Start(0);
  Batch b;
  ASSERT_TRUE(sliced.Next(&b));
  ASSERT_EQ(b.rows, 6);
  float top = 0, bottom = 0;
  for (int64_t i = 0; i < 3 * b.cols; ++i) top += std::abs(b.x[i]);
  for (int64_t i = 3 * b.cols; i < 6 * b.cols; ++i) bottom += std::abs(b.x[i]);
  EXPECT_GT(top, 0);
  EXPECT_EQ(bottom, 0) << "rows 3..5 belong to rank 1";
  StoreBatchSource source(f.store, samples, labels, f.lut.data(), Options(5, 0), false, 1, 0);
  EXPECT_THROW(source.SetRowSlice(2, 2), Error);
}

TEST(StoreBatchSource, ShapesForOddSampleCountsAndBatchSizes) {
  Fixture f;
  for (int batch : {1, 3, 4, 11, 20}) {
    for (int prefetch : {0, 1, 3}) {
      StoreBatchSource source(f.store, Iota(Fixture::kSamples),
                              std::vector<int64_t>(Fixture::kSamples, 0), f.lut.data(),
                              Options(batch, prefetch), true, 5, 2);
      EXPECT_EQ(source.num_samples(), 11);
      EXPECT_EQ(source.num_features(), 13);
      source.Start(0);
      Batch b;
      std::vector<int64_t> rows;
      while (source.Next(&b)) {
        EXPECT_EQ(b.cols, 13);
        rows.push_back(b.rows);
      }
      std::vector<int64_t> expected;
      for (int left = 11; left > 0; left -= batch) expected.push_back(std::min(left, batch));
      EXPECT_EQ(rows, expected) << "batch " << batch << " prefetch " << prefetch;
      EXPECT_FALSE(source.Next(&b)) << "stays at the end of the epoch";
    }
  }
}

TEST(StoreBatchSource, ShufflesDifferAcrossEpochsAndRepeatWithTheSameSeed) {
  Fixture f;
  std::vector<int64_t> samples = Iota(Fixture::kSamples);
  std::vector<int64_t> labels;
  for (int64_t s : samples) labels.push_back(s % 3);
  StoreBatchSource a(f.store, samples, labels, f.lut.data(), Options(4, 2), true, 42, 1);
  StoreBatchSource b(f.store, samples, labels, f.lut.data(), Options(3, 0), true, 42, 1);
  StoreBatchSource other_seed(f.store, samples, labels, f.lut.data(), Options(4, 2), true, 43, 1);
  StoreBatchSource other_fold(f.store, samples, labels, f.lut.data(), Options(4, 2), true, 42, 2);
  Epoch a0 = Collect(a, 0), a1 = Collect(a, 1), a0_again = Collect(a, 0);
  Epoch b0 = Collect(b, 0), b1 = Collect(b, 1);
  EXPECT_NE(a0.samples, a1.samples);
  EXPECT_NE(a0.samples, samples);
  EXPECT_EQ(a0.samples, a0_again.samples);
  EXPECT_EQ(a0.x, a0_again.x);
  // Same seed: same order and values, whatever the batch size and prefetch depth.
  EXPECT_EQ(a0.samples, b0.samples);
  EXPECT_EQ(a1.samples, b1.samples);
  EXPECT_EQ(a0.x, b0.x);
  EXPECT_NE(Collect(other_seed, 0).samples, a0.samples);
  EXPECT_NE(Collect(other_fold, 0).samples, a0.samples);
  // A permutation of the samples, labels carried along, and the documented function's order.
  std::vector<int64_t> sorted = a1.samples;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, samples);
  for (size_t i = 0; i < a1.samples.size(); ++i) EXPECT_EQ(a1.labels[i], a1.samples[i] % 3);
  EXPECT_EQ(a1.samples, ShuffledOrder(samples, 42, 1, 1));
}

TEST(StoreBatchSource, FixedOrderWithoutShuffle) {
  Fixture f;
  std::vector<int64_t> samples = {9, 2, 4};
  StoreBatchSource s(f.store, samples, {0, 1, 0}, f.lut.data(), Options(2, 2), false, 1, 0);
  EXPECT_EQ(Collect(s, 0).samples, samples);
  EXPECT_EQ(Collect(s, 7).samples, samples);
}

TEST(StoreBatchSource, RestartingMidEpochAbandonsPrefetchedBatches) {
  Fixture f;
  StoreBatchSource s(f.store, Iota(Fixture::kSamples), std::vector<int64_t>(Fixture::kSamples, 0),
                     f.lut.data(), Options(1, 3), true, 1, 0);
  s.Start(0);
  Batch b;
  ASSERT_TRUE(s.Next(&b));
  Epoch e = Collect(s, 1);  // restarts while the producer may be blocked on a full queue
  EXPECT_EQ(e.samples.size(), Fixture::kSamples);
  s.Start(2);
  ASSERT_TRUE(s.Next(&b));  // the destructor must stop a producer mid-epoch
  EXPECT_GE(s.wait_seconds(), 0.0);
}

TEST(StoreBatchSource, RejectsMismatchedLabelsAndSamplesOutsideTheStore) {
  Fixture f;
  EXPECT_THROW(StoreBatchSource(f.store, {0, 1}, {0}, f.lut.data(), Options(2, 1), false, 1, 0),
               InputError);
  EXPECT_THROW(StoreBatchSource(f.store, {0, 11}, {0, 0}, f.lut.data(), Options(2, 1), false, 1, 0),
               InputError);
}

TEST(UnpackRow, MatchesLookupOfEachCode) {
  Fixture f;
  std::vector<uint8_t> row(f.store.row_bytes());
  std::vector<float> out(Fixture::kSnps);
  for (size_t i = 0; i < Fixture::kSamples; ++i) {
    f.store.ReadRow(i, row.data());
    UnpackRow(row.data(), Fixture::kSnps, f.lut.data(), out.data());
    for (size_t j = 0; j < Fixture::kSnps; ++j)
      EXPECT_EQ(out[j], f.lut[4 * j + FixtureCode(i, j)]);
  }
}

TEST(SplitFold, AssignsTestValidTrainByPartition) {
  SampleTable t;
  t.folds = 3;
  t.ids = {"a", "b", "c", "d", "e", "f"};
  t.label = {0, 0, 0, 0, 0, 0};
  t.partition = {0, 1, 2, 0, 1, 2};
  FoldSplit s = SplitFold(t, 2);
  EXPECT_EQ(s.test, (std::vector<int64_t>{2, 5}));
  EXPECT_EQ(s.valid, (std::vector<int64_t>{0, 3}));
  EXPECT_EQ(s.train, (std::vector<int64_t>{1, 4}));
}

TEST(BatcherOptions, ParsedAndChecked) {
  BatcherOptions o = BuildBatcherOptions({{"batch-size", "32"}, {"prefetch", "0"}});
  EXPECT_EQ(o.batch_size, 32);
  EXPECT_EQ(o.prefetch, 0);
  EXPECT_EQ(BuildBatcherOptions({}).batch_size, 138);
  EXPECT_THROW(BuildBatcherOptions({{"batch-size", "0"}}), ConfigError);
  EXPECT_THROW(BuildBatcherOptions({{"batch-sise", "3"}}), ConfigError);
  ASSERT_EQ(BatcherOptionDecls().size(), 2u);
}

}  // namespace
}  // namespace snpflow
