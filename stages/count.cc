// count: per kept variant, genotype counts per partition x class, and the kept codes packed for
// the store; a parallel stage, so that the ordered store tail only splices packed rows.
#include "pipeline/error.h"
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

void RegisterCountStage(StageRegistry& registry) {
  registry.Add(MakeStageInfo<CountStage, CountOptions>(
      "count genotypes per SNP x partition x class (for per-fold stats and embeddings)"));
}

}  // namespace snpflow
