// count: per kept variant, genotype counts per partition x class, and the kept codes packed for
// the store; a parallel stage, so that the ordered store tail only splices packed rows.
#include "pipeline/error.h"
#include "stages/ingest_sinks.h"
#include "stages/register_builtin.h"

namespace snpflow {

void CountStage::Init(const RunContext& ctx) {
  const SampleTable& s = ctx.samples;
  const size_t cells = static_cast<size_t>(s.folds) * s.num_classes();
  stride_ = cells * 4;
  // The samples grouped by cell (partition x class), in column order within a cell.
  std::vector<std::vector<uint32_t>> members(cells);
  for (size_t i = 0; i < s.size(); ++i)
    members[static_cast<size_t>(s.partition[i]) * s.num_classes() + s.label[i]].push_back(
        static_cast<uint32_t>(i));
  order_.clear();
  cell_start_.assign(1, 0);
  for (const auto& m : members) {
    // uint16 counters: one partition x class cell must hold fewer than 65,536 samples.
    if (m.size() > UINT16_MAX)
      throw ConfigError("more than 65,535 samples in one class and partition; raise --folds");
    order_.insert(order_.end(), m.begin(), m.end());
    cell_start_.push_back(order_.size());
  }
}

namespace {
// 1 in the 16-bit lane of each genotype code.
constexpr uint64_t kLane[4] = {1, uint64_t{1} << 16, uint64_t{1} << 32, uint64_t{1} << 48};
}  // namespace

void CountStage::Process(VariantBlock& block) const {
  block.counts.assign(block.num_kept() * stride_, 0);
  std::vector<const uint8_t*> kept;
  kept.reserve(block.size());
  const size_t cells = cell_start_.size() - 1;
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
    // One cell at a time, its samples' codes gathered: each adds 1 to the 16-bit lane of its
    // code in a register (four counters in one uint64, a cell holds < 65,536 samples), so no
    // counter in memory is read and written per sample. Two registers alternate so that the
    // additions overlap.
    for (size_t c = 0; c < cells; ++c) {
      uint64_t h0 = 0, h1 = 0;
      size_t j = cell_start_[c];
      const size_t end = cell_start_[c + 1];
      for (; j + 2 <= end; j += 2) {
        h0 += kLane[codes[order_[j]]];
        h1 += kLane[codes[order_[j + 1]]];
      }
      if (j < end) h0 += kLane[codes[order_[j]]];
      const uint64_t h = h0 + h1;
      for (size_t k = 0; k < 4; ++k) counts[4 * c + k] = static_cast<uint16_t>(h >> (16 * k));
    }
    kept.push_back(codes);
  }
  // Pack here, in parallel: the ordered store tail then only splices packed rows.
  io::PackedStore::PackCodes(kept.data(), kept.size(), block.n_samples, block.packed);
}

void RegisterCountStage(StageRegistry& registry) {
  registry.Add(MakeStageInfo<CountStage, CountOptions>(
      "count genotypes per SNP x partition x class (for per-fold stats and embeddings)"));
}

}  // namespace snpflow
