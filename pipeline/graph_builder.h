#pragma once
/// Turns a source, block stages and sinks into a oneTBB flow graph and runs it. The only file
/// that sees TBB: stages stay plain classes.
#include <cstddef>
#include <functional>
#include <vector>

#include "pipeline/block_source.h"
#include "pipeline/stage.h"

namespace snpflow {

struct GraphSpec {
  BlockSource* source = nullptr;  // read serially, one block at a time
  std::vector<BlockStage*> stages;  // in order; each a parallel or serial function_node
  std::vector<BlockSink*> sinks;    // unordered ones run in parallel, ordered ones after the sequencer
  int threads = 1;                  // worker threads of the graph's task arena
  size_t max_blocks_in_flight = 0;  // 0: 2 * threads + 2
  /// Called serially for every block, in input order, after the sinks (progress, counters).
  std::function<void(const VariantBlock&)> on_block;
};

/// Run the graph to the end of the input; rethrows the first exception of any node. Combine() is
/// called on every local state of unordered sinks; Finalize() is left to the caller.
void RunGraph(const GraphSpec& spec);

}  // namespace snpflow
