// The flow graph: order restored by the sequencer, bounded blocks in flight, errors propagate,
// unordered sinks get per-worker local states. Test stages live here (jitter, fail-at, ...).
#include "pipeline/graph_builder.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "pipeline/error.h"
#include "tests/fixtures/test_util.h"

namespace snpflow {
namespace {


// Sleeps a block-dependent time so parallel blocks finish out of order.
class JitterStage : public BlockStage {
 public:
  void Process(VariantBlock& block) const override {
    std::this_thread::sleep_for(std::chrono::microseconds((block.seq * 7919) % 5 * 400));
  }
};

// Tracks how many blocks are between the first stage and the tail.
class InFlightStage : public BlockStage {
 public:
  void Process(VariantBlock&) const override {
    int now = ++in_flight;
    int seen = max_seen.load();
    while (now > seen && !max_seen.compare_exchange_weak(seen, now)) {}
  }
  mutable std::atomic<int> in_flight{0}, max_seen{0};
};

class FailAtStage : public BlockStage {
 public:
  explicit FailAtStage(uint64_t at) : at_(at) {}
  void Process(VariantBlock& block) const override {
    if (block.seq == at_) throw FormatError("fail-at: block " + std::to_string(at_));
  }

 private:
  uint64_t at_;
};

// Counts variants per worker; Combine sums them.
class CountingSink : public BlockSink {
 public:
  struct Local : LocalState {
    uint64_t variants = 0;
  };
  std::unique_ptr<LocalState> MakeLocalState() const override { return std::make_unique<Local>(); }
  void Sink(LocalState& local, const VariantBlock& block) const override {
    static_cast<Local&>(local).variants += block.size();
  }
  void Combine(LocalState& local) override { total += static_cast<Local&>(local).variants; ++combined; }
  void Finalize(RunContext&) override {}
  uint64_t total = 0;
  int combined = 0;
};

// A synthetic source: `variants` records in blocks of `block` (the graph needs no file).
class CountingSource : public BlockSource {
 public:
  CountingSource(uint64_t variants, size_t block) : left_(variants), block_(block) {}
  bool ReadBlock(VariantBlock& block) override {
    if (left_ == 0) return false;
    size_t n = static_cast<size_t>(std::min<uint64_t>(left_, block_));
    block.variants.assign(n, Variant{});
    for (size_t i = 0; i < n; ++i) block.variants[i].record = ++read_;
    block.dropped.assign(n, nullptr);
    left_ -= n;
    return true;
  }

 private:
  uint64_t left_;
  size_t block_;
  uint64_t read_ = 0;
};

class GraphBuilderTest : public ::testing::Test {
 protected:
  static std::unique_ptr<BlockSource> Source() {
    return std::make_unique<CountingSource>(5000, 64);  // ~79 blocks
  }
};

TEST_F(GraphBuilderTest, RestoresOrderAndBoundsBlocksInFlight) {
  for (int threads : {1, 4}) {
    auto source = Source();
    JitterStage jitter;
    InFlightStage in_flight;
    CountingSink sink;
    std::vector<uint64_t> order;
    GraphSpec spec;
    spec.source = source.get();
    spec.stages = {&in_flight, &jitter};
    spec.sinks = {&sink};
    spec.threads = threads;
    spec.max_blocks_in_flight = 3;
    spec.on_block = [&](const VariantBlock& block) {
      order.push_back(block.seq);
      --in_flight.in_flight;
    };
    RunGraph(spec);
    ASSERT_EQ(order.size(), (5000u + 63) / 64);
    for (size_t k = 0; k < order.size(); ++k) ASSERT_EQ(order[k], k) << threads << " threads";
    EXPECT_LE(in_flight.max_seen.load(), 3) << threads << " threads";
    EXPECT_EQ(sink.total, 5000u);
    EXPECT_GE(sink.combined, 1);
  }
}

TEST_F(GraphBuilderTest, AnExceptionInAStageCancelsTheGraphAndIsRethrown) {
  auto source = Source();
  FailAtStage fail(5);
  GraphSpec spec;
  spec.source = source.get();
  spec.stages = {&fail};
  spec.threads = 2;
  try {
    RunGraph(spec);
    FAIL() << "expected FormatError";
  } catch (const FormatError& e) {
    EXPECT_STREQ(e.what(), "fail-at: block 5");
  }
}

// A source that records whether each block it is handed is empty, and whether its codes already
// have memory (a block reused by the graph), then fills the block as decode-gt and count would.
class ReuseCheckingSource : public BlockSource {
 public:
  explicit ReuseCheckingSource(size_t blocks) : left_(blocks) {}
  bool ReadBlock(VariantBlock& block) override {
    const bool empty = block.seq == 0 && block.n_samples == 0 && block.variants.empty() &&
                       block.codes.empty() && block.dropped.empty() && block.counts.empty() &&
                       block.packed.empty() && block.raw == nullptr && block.counted.empty();
    if (!empty) ++not_empty;
    if (block.codes.capacity() > 0) ++reused;
    if (left_ == 0) return false;
    --left_;
    block.n_samples = 100;
    block.variants.assign(8, Variant{});
    block.dropped.assign(8, nullptr);
    block.codes.assign(800, kHet);
    block.counts.assign(32, 1);
    block.packed.assign(200, 0x55);
    block.Count("event", 1);
    // `raw` is freed with the block's use: count the frees.
    block.raw = std::shared_ptr<void>(new int(0), [this](void* p) {
      delete static_cast<int*>(p);
      ++raw_freed;
    });
    return true;
  }
  std::atomic<int> not_empty{0}, reused{0}, raw_freed{0};

 private:
  size_t left_;
};

TEST_F(GraphBuilderTest, BlocksAreReusedEmptyAndTheirRawRecordsFreed) {
  ReuseCheckingSource source(50);
  JitterStage jitter;
  CountingSink sink;
  GraphSpec spec;
  spec.source = &source;
  spec.stages = {&jitter};
  spec.sinks = {&sink};
  spec.threads = 2;
  spec.max_blocks_in_flight = 3;
  uint64_t events = 0;
  spec.on_block = [&](const VariantBlock& block) {
    ASSERT_EQ(block.counted.size(), 1u);  // one event per use: nothing left from an earlier use
    events += block.counted[0].second;
  };
  RunGraph(spec);
  EXPECT_EQ(source.not_empty.load(), 0);
  // At most 3 blocks in flight: most of the 51 reads get a block whose memory is kept.
  EXPECT_GE(source.reused.load(), 40);
  EXPECT_EQ(source.raw_freed.load(), 50);
  EXPECT_EQ(events, 50u);
  EXPECT_EQ(sink.total, 50u * 8);
}

}  // namespace
}  // namespace snpflow
