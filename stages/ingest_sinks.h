#pragma once
/// The built-in ingest steps whose results the runner takes over after the graph has run.
#include <memory>
#include <string>

#include "io/manifest.h"
#include "io/packed_store.h"
#include "pipeline/registry.h"
#include "stages/fold_stats.h"

namespace snpflow {
namespace io {
class CountsNpyStream;
class VariantTableWriter;
}  // namespace io

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
  ~StoreSink() override;
  void Init(RunContext& ctx) override;
  bool ordered() const override { return true; }
  void Sink(LocalState& local, const VariantBlock& block) const override;
  void Finalize(RunContext& ctx) override;

  /// false: the caller only wants the files (`snpflow ingest`): they are written while the graph
  /// runs (store tiles as they are compressed, counts.npy and variants.tsv row by row), nothing
  /// is held for the end, and TakeStore / TakeCounts have nothing to give. Call before Init.
  void set_keep_store(bool keep) { keep_store_ = keep; }
  /// Move the results out after Finalize.
  io::PackedStore TakeStore() { return std::move(*store_); }
  GenotypeCounts TakeCounts() {
    if (counts_ == nullptr) throw Error("StoreSink::TakeCounts: the counts went to counts.npy");
    return std::move(*counts_);
  }
  uint64_t kept() const { return kept_; }
  /// After Finalize: the manifest entries of the files it wrote, hashed as each was done.
  const std::vector<io::ManifestEntry>& described() const { return described_; }
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
  std::unique_ptr<GenotypeCounts> counts_;  // keep_store_ only
  size_t stride_ = 0;                       // counts per variant
  // !keep_store_: the files written as the variants arrive.
  std::unique_ptr<io::CountsNpyStream> counts_file_;
  std::unique_ptr<io::VariantTableWriter> variants_file_;
  std::vector<io::ManifestEntry> described_;
  mutable uint64_t kept_ = 0;
  mutable double tail_seconds_ = 0;
  mutable double tail_cpu_seconds_ = 0;
};

}  // namespace snpflow
