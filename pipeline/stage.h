#pragma once
/// The stage API: the same for built-in stages and plugins. Stages never see TBB; the pipeline
/// owns wiring, concurrency and backpressure.
#include <memory>
#include <string>

#include "pipeline/run_context.h"
#include "pipeline/variant_block.h"

namespace snpflow {

/// Base of every stage instance; `label()` is its config section name ("filter", "hwe-filter").
class Stage {
 public:
  virtual ~Stage();
  const std::string& label() const { return label_; }
  void set_label(std::string label) { label_ = std::move(label); }

 private:
  std::string label_;
};

enum class Concurrency { kParallel, kSerial };

/// A per-block step (decode, filter, encode): VariantBlock -> VariantBlock.
class BlockStage : public Stage {
 public:
  /// Run once, single-threaded, before the first block: check inputs, size buffers.
  virtual void Init(const RunContext& ctx) { (void)ctx; }
  /// Called concurrently on different blocks unless concurrency() is kSerial. Skip a variant
  /// with block.Drop(i, "reason"); throw snpflow::Error only for fatal input problems.
  virtual void Process(VariantBlock& block) const = 0;
  virtual Concurrency concurrency() const { return Concurrency::kParallel; }
};

/// An accumulator over kept variants (counts, store, exporters), in DuckDB's Sink/Combine/Finalize
/// shape. Sinks see blocks after every BlockStage has run.
class BlockSink : public Stage {
 public:
  /// Per-worker state; derive from it.
  struct LocalState {
    virtual ~LocalState() = default;
  };
  /// Run once, single-threaded, before the first block.
  virtual void Init(RunContext& ctx) { (void)ctx; }
  /// true: Sink is called serially with blocks in input order and one local state.
  virtual bool ordered() const { return false; }
  /// Return a fresh local state; called once per worker.
  virtual std::unique_ptr<LocalState> MakeLocalState() const {
    return std::make_unique<LocalState>();
  }
  /// CAN be called in parallel (when !ordered()), each call with its own worker's local state.
  virtual void Sink(LocalState& local, const VariantBlock& block) const = 0;
  /// A worker is done: merge `local` into the sink. Called serially.
  virtual void Combine(LocalState& local) { (void)local; }
  /// Once, after every block was sunk and combined: write outputs.
  virtual void Finalize(RunContext& ctx) = 0;
};

}  // namespace snpflow
