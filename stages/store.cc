#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "io/atomic_file.h"
#include "io/dataset.h"
#include "pipeline/error.h"
#include "pipeline/progress.h"
#include "stages/ingest_sinks.h"
#include "stages/register_builtin.h"

namespace snpflow {

namespace {

// Older snpflow versions wrote fold_<f>/stats.npy and embedding.npy into the ingest directory;
// remove such files (and then-empty fold directories) so that nothing stale is read as current.
void RemoveStaleFoldFiles(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("fold_", 0) != 0 || !entry.is_directory(ec)) continue;
    for (const char* stale : {"stats.npy", "embedding.npy"})
      std::filesystem::remove(entry.path() / stale, ec);
    if (std::filesystem::is_empty(entry.path(), ec)) std::filesystem::remove(entry.path(), ec);
  }
}

}  // namespace

StoreSink::StoreSink(const StoreOptions& options) : options_(options) {}
StoreSink::~StoreSink() = default;

void StoreSink::Init(RunContext& ctx) {
  store_ = std::make_unique<io::PackedStore>(ctx.samples.ids);
  // Tiles are compressed as they fill, beside the graph; Finalize's Save only writes them.
  store_->CompressInBackground(options_.zstd_level, std::max(ctx.threads, 1), keep_store_);
  // Cells (partition x class) of fewer than 256 samples: counts fit a byte, held as bytes.
  const bool narrow = ctx.samples.largest_cell() <= UINT8_MAX;
  const int folds = ctx.samples.folds;
  const size_t classes = ctx.samples.num_classes();
  stride_ = static_cast<size_t>(folds) * classes * 4;
  if (keep_store_) {
    counts_ = std::make_unique<GenotypeCounts>(folds, classes, narrow);
    return;
  }
  // Only the files are wanted: written as the variants arrive, each into its temp file (at 315K
  // SNPs x 3,450 samples, 229 + 164 MB that are no longer held until the graph ends).
  store_->StreamTo(StorePath(ctx.output_dir));
  counts_file_ =
      std::make_unique<io::CountsNpyStream>(ctx.output_dir + "/counts.npy", folds, classes, narrow);
  variants_file_ = std::make_unique<io::VariantTableWriter>(ctx.output_dir + "/variants.tsv");
}

void StoreSink::Sink(LocalState&, const VariantBlock& block) const {
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = ThreadCpuSeconds();
  std::vector<io::SiteInfo> sites;
  sites.reserve(block.size());
  for (size_t i = 0; i < block.size(); ++i) {
    if (!block.kept(i)) continue;
    const Variant& v = block.variants[i];
    sites.push_back(io::SiteInfo{v.chrom, v.pos, v.id, v.ref, v.alt});
    const uint16_t* row = block.counts.data() + (sites.size() - 1) * stride_;
    if (counts_ != nullptr) {
      counts_->Append(row);
      continue;
    }
    counts_file_->Add(row);
    uint64_t totals[4];
    io::RowTotals(row, stride_, totals);
    variants_file_->Add(sites.back(), totals);
  }
  if (!sites.empty()) {
    // The count step packed the kept codes (block.packed); without it, pack them here.
    std::vector<uint8_t> local;
    const uint8_t* packed = block.packed.data();
    if (block.packed.size() < io::PackedStore::PackedBytes(sites.size(), block.n_samples)) {
      std::vector<const uint8_t*> codes;
      for (size_t i = 0; i < block.size(); ++i)
        if (block.kept(i)) codes.push_back(block.codes_of(i));
      if (io::PackedStore::PackCodes(codes.data(), codes.size(), block.n_samples, local) > 3)
        throw Error("a kept variant has a genotype code above 3 (a stage wrote an invalid code)");
      packed = local.data();
    }
    store_->AppendPacked(sites.data(), sites.size(), packed);
  }
  kept_ += sites.size();
  tail_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  tail_cpu_seconds_ += ThreadCpuSeconds() - cpu_start;
}

void StoreSink::Finalize(RunContext& ctx) {
  store_->Finish();
  if (store_->num_variants() == 0)
    throw InputError("no variant of '" + ctx.input_path + "' passed the filters; nothing to store "
                     "(see the skip counts above; relax --maf/--max-missing)");
  if (counts_ != nullptr)
    described_ = WriteDataFiles(*store_, *counts_, ctx.output_dir, options_.zstd_level);
  else
    described_ = io::CommitStreamedDataFiles(*store_, *counts_file_, *variants_file_,
                                             ctx.output_dir, options_.zstd_level);
  RemoveStaleFoldFiles(ctx.output_dir);
}

void RegisterStoreStages(StageRegistry& registry) {
  registry.Add(MakeStageInfo<StoreSink, StoreOptions>(
      "write the packed 2-bit store, variants.tsv and counts.npy"));
}

}  // namespace snpflow
