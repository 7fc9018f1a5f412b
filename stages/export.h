#pragma once
/// Export an ingested data set for other ML backends (DESIGN.md section 7): NumPy .npy files
/// (genotype codes, labels, partitions, per-fold mean/std and embedding), samples.tsv,
/// variants.tsv, classes.txt and manifest.json, optionally sharded and zstd-compressed.
/// The format is documented in docs/export.md; examples/python/ reads it.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/options.h"
#include "pipeline/registry.h"
#include "pipeline/stage.h"
#include "stages/fold_stats.h"

namespace snpflow {

/// Options of `snpflow export` and of the `[export]` config section.
struct ExportOptions {
  static constexpr std::string_view kName = "export";
  /// Directory to write into (created if missing). In a pipeline config an empty value means
  /// `<run output dir>/export`; RunExport itself requires it.
  std::string output_dir;
  /// Write genotypes_packed.npy (uint8 N x ceil(S/4), 2-bit codes, 4 per byte, low bits first)
  /// instead of genotypes.npy (uint8 N x S, one code per byte). Packed is 4x smaller.
  bool packed = false;
  /// Rows (samples) per genotype shard file; 0 writes one file. Shards are named
  /// genotypes.00000.npy, genotypes.00001.npy, ... and each loads on its own.
  int64_t shard_samples = 0;
  /// Write every .npy as a zstd stream of the .npy bytes, named .npy.zst.
  bool compress_zstd = false;

  static void Declare(OptionSet<ExportOptions>& o) {
    o.Add("dir", &ExportOptions::output_dir, "output directory (empty: <run output dir>/export)");
    o.Add("packed", &ExportOptions::packed,
          "write 2-bit packed genotypes (N x ceil(S/4) bytes) instead of one byte per code");
    o.Add("shard-samples", &ExportOptions::shard_samples,
          "samples per genotype shard file (0 = one file)")
        .Range(OptionRange::Ints(0, INT64_MAX));
    o.Add("compress-zstd", &ExportOptions::compress_zstd,
          "compress every .npy with zstd (.npy.zst)");
  }
};

/// What RunExport wrote, for progress lines and tests.
struct ExportSummary {
  uint64_t num_samples = 0;
  uint64_t num_snps = 0;
  /// Paths relative to the output directory, in the order written (manifest.json last).
  std::vector<std::string> files;
  /// Uncompressed genotype bytes streamed (rows x row width).
  uint64_t genotype_bytes = 0;
};

/// Write the export of `data` into `options.output_dir`. Genotype rows stream from the store one
/// at a time (PackedStore::ReadRow), so memory stays O(S) whatever N is; per-fold statistics are
/// computed with ComputeFoldStats. Every file is written atomically; manifest.json is written
/// last, so its presence means the export is complete. Throws ConfigError on bad options and
/// InputError when `data` is inconsistent (store, samples and counts disagree) or a file can't be
/// written. Single-threaded; `data` must stay unchanged during the call.
ExportSummary RunExport(const Dataset& data, const ExportOptions& options);

/// Return the file name of genotype shard `shard` (`-1` = the single unsharded file), e.g.
/// "genotypes.npy", "genotypes_packed.00003.npy.zst".
std::string GenotypeFileName(const ExportOptions& options, int shard);

/// The `export` stage: a post-ingest step. The packed store is only complete after ingest, so
/// this sink ignores blocks; the runner builds it with
/// `registry.Make<ExportStage>("export", values, "export")` when a config lists [export], and
/// calls Run() once ingest has finished.
class ExportStage : public BlockSink {
 public:
  explicit ExportStage(ExportOptions options) : options_(std::move(options)) {}
  const ExportOptions& options() const { return options_; }

  /// Export `data`; an empty options().output_dir means `<ctx.output_dir>/export`.
  ExportSummary Run(const Dataset& data, const RunContext& ctx) const;

  /// Blocks are not used: the export reads the finished store.
  void Sink(LocalState& local, const VariantBlock& block) const override {
    (void)local;
    (void)block;
  }
  /// Nothing to do here: Run() writes the files after ingest.
  void Finalize(RunContext& ctx) override { (void)ctx; }

 private:
  ExportOptions options_;
};

/// Register the `export` stage.
void RegisterExportStage(StageRegistry& registry);

}  // namespace snpflow
