#pragma once
/// The built-in ingest steps whose results the runner takes over after the graph has run.
#include <memory>
#include <string>

#include "io/packed_store.h"
#include "pipeline/registry.h"
#include "stages/fold_stats.h"

namespace snpflow {

struct CountOptions {
  static constexpr std::string_view kName = "count";
  static void Declare(OptionSet<CountOptions>&) {}
};

/// count: per kept variant, genotype counts per partition x class (block.counts). Parallel.
class CountStage : public BlockStage {
 public:
  explicit CountStage(const CountOptions&) {}
  void Init(const RunContext& ctx) override;
  void Process(VariantBlock& block) const override;

 private:
  std::vector<uint32_t> order_;       // the samples grouped by cell (partition * classes + label)
  std::vector<size_t> cell_start_;    // cell c's samples: order_[cell_start_[c], cell_start_[c+1])
  size_t stride_ = 0;                 // counts per variant: cells x 4
};

struct StoreOptions {
  static constexpr std::string_view kName = "store";
  // Level of store.snpf's zstd tiles.
  int zstd_level = io::PackedStore::kDefaultZstdLevel;
  static void Declare(OptionSet<StoreOptions>& o) {
    o.Add("zstd-level", &StoreOptions::zstd_level, "zstd level for the store file's tiles")
        .Range(1, 19);
  }
};

/// store: kept variants, in input order, into the packed store and the counts table. Finalize
/// writes variants.tsv, store.snpf and counts.npy.
class StoreSink : public BlockSink {
 public:
  explicit StoreSink(const StoreOptions& options);
  void Init(RunContext& ctx) override;
  bool ordered() const override { return true; }
  void Sink(LocalState& local, const VariantBlock& block) const override;
  void Finalize(RunContext& ctx) override;

  /// false: the caller only wants the files (`snpflow ingest`); each store tile's raw bytes are
  /// released once compressed and TakeStore's store cannot be read. Call before Init.
  void set_keep_store(bool keep) { keep_store_ = keep; }
  /// Move the results out after Finalize.
  io::PackedStore TakeStore() { return std::move(*store_); }
  GenotypeCounts TakeCounts() { return std::move(*counts_); }
  uint64_t kept() const { return kept_; }
  /// Seconds spent in Sink(), the graph's ordered serial tail (splicing packed rows, counts).
  double tail_seconds() const { return tail_seconds_; }
  /// The same tail's thread CPU seconds (its work, without waits for a core).
  double tail_cpu_seconds() const { return tail_cpu_seconds_; }

 private:
  StoreOptions options_;
  bool keep_store_ = true;
  // Sink() is const by the sink contract; as an ordered sink it runs serially, so the state it
  // grows is held through pointers.
  std::unique_ptr<io::PackedStore> store_;
  std::unique_ptr<GenotypeCounts> counts_;
  mutable uint64_t kept_ = 0;
  mutable double tail_seconds_ = 0;
  mutable double tail_cpu_seconds_ = 0;
};

}  // namespace snpflow
