#include "pipeline/graph_builder.h"

#include <oneapi/tbb/enumerable_thread_specific.h>
#include <oneapi/tbb/flow_graph.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>

#include <memory>
#include <mutex>
#include <vector>

namespace snpflow {

BlockSource::~BlockSource() = default;

namespace flow = oneapi::tbb::flow;
using Msg = std::shared_ptr<VariantBlock>;

namespace {

// Blocks whose vectors keep their memory from one use to the next. A fresh block's genotype
// codes (~3.5 MB at 3,450 samples) and packed rows are new pages that the kernel must fault in
// and zero; a reused block's are already there (and often still in cache).
class BlockPool : public std::enable_shared_from_this<BlockPool> {
 public:
  /// An empty block; it comes back here when its last reference goes.
  Msg Take() {
    VariantBlock* block = nullptr;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!free_.empty()) {
        block = free_.back().release();
        free_.pop_back();
      }
    }
    if (block == nullptr) block = new VariantBlock();
    std::shared_ptr<BlockPool> self = shared_from_this();
    return Msg(block, [self](VariantBlock* b) { self->Give(b); });
  }

 private:
  void Give(VariantBlock* block) {
    // Tripwire: a new field of VariantBlock must be emptied by Reset(), or a reused block would
    // carry one block's data into the next. Add it there, then update the size.
    static_assert(sizeof(VariantBlock) == 176,
                  "VariantBlock changed: empty the new field in Reset()");
    std::unique_ptr<VariantBlock> owned(block);
    owned->Reset();
    std::lock_guard<std::mutex> lock(mutex_);
    free_.push_back(std::move(owned));
  }
  std::mutex mutex_;
  std::vector<std::unique_ptr<VariantBlock>> free_;
};

}  // namespace

void RunGraph(const GraphSpec& spec) {
  const int threads = spec.threads > 0 ? spec.threads : 1;
  const size_t max_blocks =
      spec.max_blocks_in_flight > 0 ? spec.max_blocks_in_flight : 2 * static_cast<size_t>(threads) + 2;

  // Per-worker local states of the unordered sinks, and the single state of each ordered sink.
  using Locals = oneapi::tbb::enumerable_thread_specific<std::unique_ptr<BlockSink::LocalState>>;
  std::vector<std::unique_ptr<Locals>> unordered_locals;
  std::vector<BlockSink*> unordered, ordered;
  std::vector<std::unique_ptr<BlockSink::LocalState>> ordered_locals;
  for (BlockSink* sink : spec.sinks) {
    if (sink->ordered()) {
      ordered.push_back(sink);
      ordered_locals.push_back(sink->MakeLocalState());
    } else {
      unordered.push_back(sink);
      unordered_locals.push_back(std::make_unique<Locals>([sink] { return sink->MakeLocalState(); }));
    }
  }

  // More threads than cores (--threads 3 on 2): raise TBB's worker limit to what the arena asks
  // for, or TBB refuses the extra workers with a warning on stderr (-q or not) when an earlier TBB
  // use has set the limit from the core count.
  oneapi::tbb::global_control workers(oneapi::tbb::global_control::max_allowed_parallelism,
                                      static_cast<size_t>(threads));
  oneapi::tbb::task_arena arena(threads);
  arena.execute([&] {
    flow::graph g;
    uint64_t next_seq = 0;
    auto pool = std::make_shared<BlockPool>();
    flow::input_node<Msg> source(g, [&](oneapi::tbb::flow_control& fc) -> Msg {
      Msg block = pool->Take();
      if (!spec.source->ReadBlock(*block)) {
        fc.stop();
        return nullptr;
      }
      block->seq = next_seq++;
      return block;
    });
    // Backpressure: at most max_blocks blocks between the source and the tail.
    flow::limiter_node<Msg> limiter(g, max_blocks);
    flow::make_edge(source, limiter);

    std::vector<std::unique_ptr<flow::function_node<Msg, Msg>>> nodes;
    flow::sender<Msg>* last = &limiter;
    for (BlockStage* stage : spec.stages) {
      size_t concurrency = stage->concurrency() == Concurrency::kSerial ? flow::serial : flow::unlimited;
      nodes.push_back(std::make_unique<flow::function_node<Msg, Msg>>(
          g, concurrency, [stage](Msg block) {
            stage->Process(*block);
            return block;
          }));
      flow::make_edge(*last, *nodes.back());
      last = nodes.back().get();
    }
    if (!unordered.empty()) {
      nodes.push_back(std::make_unique<flow::function_node<Msg, Msg>>(
          g, flow::unlimited, [&](Msg block) {
            for (size_t k = 0; k < unordered.size(); ++k)
              unordered[k]->Sink(*unordered_locals[k]->local(), *block);
            return block;
          }));
      flow::make_edge(*last, *nodes.back());
      last = nodes.back().get();
    }
    flow::sequencer_node<Msg> sequencer(g, [](const Msg& block) { return block->seq; });
    flow::make_edge(*last, sequencer);
    flow::function_node<Msg, flow::continue_msg> tail(g, flow::serial, [&](Msg block) {
      for (size_t k = 0; k < ordered.size(); ++k) ordered[k]->Sink(*ordered_locals[k], *block);
      if (spec.on_block) spec.on_block(*block);
      return flow::continue_msg();
    });
    flow::make_edge(sequencer, tail);
    flow::make_edge(tail, limiter.decrementer());
    source.activate();
    g.wait_for_all();
  });

  for (size_t k = 0; k < unordered.size(); ++k)
    for (auto& local : *unordered_locals[k]) unordered[k]->Combine(*local);
  for (size_t k = 0; k < ordered.size(); ++k) ordered[k]->Combine(*ordered_locals[k]);
}

}  // namespace snpflow
