#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>

#include "io/atomic_file.h"
#include "pipeline/error.h"
#include "pipeline/progress.h"
#include "stages/ingest_sinks.h"
#include "stages/register_builtin.h"

namespace snpflow {

void CountStage::Init(const RunContext& ctx) {
  const SampleTable& s = ctx.samples;
  stride_ = static_cast<size_t>(s.folds) * s.num_classes() * 4;
  cell_.resize(s.size());
  for (size_t i = 0; i < s.size(); ++i)
    cell_[i] = static_cast<uint32_t>((s.partition[i] * s.num_classes() + s.label[i]) * 4);
  // uint16 counters: one partition x class cell must hold fewer than 65,536 samples.
  std::vector<size_t> cell_size(stride_ / 4 + 1, 0);
  for (uint32_t c : cell_)
    if (++cell_size[c / 4] > UINT16_MAX)
      throw ConfigError("more than 65,535 samples in one class and partition; raise --folds");
}

void CountStage::Process(VariantBlock& block) const {
  block.counts.assign(block.num_kept() * stride_, 0);
  std::vector<const uint8_t*> kept;
  kept.reserve(block.size());
  // Four sets of counters, sample s adding to set s % 4: neighbouring samples are often of one
  // population (one cell) with the same call, and increments of one counter in a row wait for
  // each other; four sets let them overlap. Summed into the variant's counts after.
  constexpr size_t kSets = 4;
  std::vector<uint16_t> sets(kSets * stride_);
  for (size_t i = 0; i < block.size(); ++i) {
    if (!block.kept(i)) continue;
    uint16_t* counts = block.counts.data() + kept.size() * stride_;
    const uint8_t* codes = block.codes_of(i);
    uint8_t seen = 0;
    for (size_t s = 0; s < block.n_samples; ++s) seen |= codes[s];
    if (seen > 3)
      throw Error("variant " + block.variants[i].chrom + ":" +
                  std::to_string(block.variants[i].pos) + " has a genotype code above 3 (a "
                  "stage wrote an invalid code)");
    std::fill(sets.begin(), sets.end(), uint16_t{0});
    size_t s = 0;
    for (; s + kSets <= block.n_samples; s += kSets)
      for (size_t k = 0; k < kSets; ++k) ++sets[k * stride_ + cell_[s + k] + codes[s + k]];
    for (; s < block.n_samples; ++s) ++sets[cell_[s] + codes[s]];
    for (size_t c = 0; c < stride_; ++c)
      counts[c] = static_cast<uint16_t>(sets[c] + sets[stride_ + c] + sets[2 * stride_ + c] +
                                        sets[3 * stride_ + c]);
    kept.push_back(codes);
  }
  // Pack here, in parallel: the ordered store tail then only splices packed rows.
  io::PackedStore::PackCodes(kept.data(), kept.size(), block.n_samples, block.packed);
}

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

void StoreSink::Init(RunContext& ctx) {
  store_ = std::make_unique<io::PackedStore>(ctx.samples.ids);
  // Tiles are compressed as they fill, beside the graph; Finalize's Save only writes them.
  store_->CompressInBackground(options_.zstd_level, std::max(ctx.threads, 1));
  counts_ = std::make_unique<GenotypeCounts>(ctx.samples.folds, ctx.samples.num_classes());
}

void StoreSink::Sink(LocalState&, const VariantBlock& block) const {
  const auto start = std::chrono::steady_clock::now();
  const double cpu_start = ThreadCpuSeconds();
  const size_t stride = counts_->stride();
  std::vector<io::SiteInfo> sites;
  sites.reserve(block.size());
  for (size_t i = 0; i < block.size(); ++i) {
    if (!block.kept(i)) continue;
    const Variant& v = block.variants[i];
    sites.push_back(io::SiteInfo{v.chrom, v.pos, v.id, v.ref, v.alt});
    counts_->Append(block.counts.data() + (sites.size() - 1) * stride);
  }
  if (!sites.empty()) {
    // The count step packed the kept codes (block.packed); without it, pack them here.
    std::vector<uint8_t> local;
    const std::vector<uint8_t>* packed = &block.packed;
    if (packed->size() < block.n_samples * ((sites.size() + 3) / 4)) {
      std::vector<const uint8_t*> codes;
      for (size_t i = 0; i < block.size(); ++i)
        if (block.kept(i)) codes.push_back(block.codes_of(i));
      io::PackedStore::PackCodes(codes.data(), codes.size(), block.n_samples, local);
      packed = &local;
    }
    store_->AppendPacked(sites.data(), sites.size(), packed->data());
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
  // Compressing the store and computing the per-fold statistics are independent: overlap them.
  auto saved = std::async(std::launch::async, [&] {
    store_->Save(ctx.output_dir + "/store.snpf", options_.zstd_level);
  });
  WriteVariantTable(store_->sites(), *counts_, ctx.output_dir + "/variants.tsv");
  io::WriteCounts(*counts_, ctx.output_dir + "/counts.npy");
  RemoveStaleFoldFiles(ctx.output_dir);
  saved.get();
}

void RegisterStoreStages(StageRegistry& registry) {
  registry.Add(MakeStageInfo<CountStage, CountOptions>(
      "count genotypes per SNP x partition x class (for per-fold stats and embeddings)"));
  registry.Add(MakeStageInfo<StoreSink, StoreOptions>(
      "write the packed 2-bit store, variants.tsv and counts.npy"));
}

}  // namespace snpflow
