// count: per kept variant, genotype counts per partition x class, and the kept codes packed for
// the store; a parallel stage, so that the ordered store tail only splices packed rows.
#include <algorithm>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "pipeline/error.h"
#include "stages/ingest_sinks.h"
#include "stages/register_builtin.h"

namespace snpflow {

void CountStage::Init(const RunContext& ctx) {
  const SampleTable& s = ctx.samples;
  // uint16 counters: one partition x class cell must hold fewer than 65,536 samples.
  if (s.largest_cell() > UINT16_MAX)
    throw ConfigError("more than 65,535 samples in one class and partition; raise --folds");
  stride_ = s.num_cells() * 4;
  // The samples grouped by cell (partition x class), in column order within a cell.
  std::vector<std::vector<uint32_t>> members(s.num_cells());
  for (size_t i = 0; i < s.size(); ++i) members[s.cell(i)].push_back(static_cast<uint32_t>(i));
  order_.clear();
  cell_start_.assign(1, 0);
  for (const auto& m : members) {
    order_.insert(order_.end(), m.begin(), m.end());
    cell_start_.push_back(order_.size());
  }
}

namespace {

// A packed byte (four variants' codes, two bits each, the first variant in the low bits) -> 16
// byte counters, four per variant (one per code), 1 where the variant has that code: one
// vectorizable 16-byte addition counts four variants of one sample.
struct ByteCounts {
  uint8_t add[256][16];
  ByteCounts() {
    for (int b = 0; b < 256; ++b)
      for (int k = 0; k < 4; ++k)
        for (int code = 0; code < 4; ++code) add[b][4 * k + code] = ((b >> (2 * k)) & 3) == code;
  }
};
const ByteCounts& CountTable() {
  static const ByteCounts table;
  return table;
}

// acc[16 b .. 16 b + 15] += table.add[packed[b]] for each of the `row` bytes.
void AddCounts(const ByteCounts& table, const uint8_t* packed, size_t row, uint8_t* acc) {
#if defined(__SSE2__)
  for (size_t b = 0; b < row; ++b) {
    __m128i* a = reinterpret_cast<__m128i*>(acc + 16 * b);
    const __m128i add = _mm_loadu_si128(reinterpret_cast<const __m128i*>(table.add[packed[b]]));
    _mm_storeu_si128(a, _mm_add_epi8(_mm_loadu_si128(a), add));
  }
#else
  for (size_t b = 0; b < row; ++b)
    for (size_t t = 0; t < 16; ++t)
      acc[16 * b + t] = static_cast<uint8_t>(acc[16 * b + t] + table.add[packed[b]][t]);
#endif
}

// Byte counters hold up to 255 samples of a cell; more are counted in runs of this many.
constexpr size_t kRunSamples = 255;

}  // namespace

void CountStage::Process(VariantBlock& block) const {
  std::vector<const uint8_t*> kept;
  kept.reserve(block.size());
  for (size_t i = 0; i < block.size(); ++i) {
    if (!block.kept(i)) continue;
    const uint8_t* codes = block.codes_of(i);
    uint8_t seen = 0;
    for (size_t s = 0; s < block.n_samples; ++s) seen |= codes[s];
    if (seen > 3)
      throw Error("variant " + block.variants[i].chrom + ":" +
                  std::to_string(block.variants[i].pos) + " has a genotype code above 3 (a "
                  "stage wrote an invalid code)");
    kept.push_back(codes);
  }
  // Pack here, in parallel: the ordered store tail then only splices packed rows.
  io::PackedStore::PackCodes(kept.data(), kept.size(), block.n_samples, block.packed);

  // Count from the packed, sample-major rows, one cell at a time: each sample's row adds to the
  // cell's byte counters (four per variant), which then go into the variants' counts. Reading
  // rows in cell order touches every sample once, with no per-sample scattered writes.
  const size_t n_kept = kept.size();
  const size_t row = (n_kept + 3) / 4;
  block.counts.assign(n_kept * stride_, 0);
  const ByteCounts& table = CountTable();
  std::vector<uint8_t> acc(row * 16);
  const size_t cells = cell_start_.size() - 1;
  for (size_t c = 0; c < cells; ++c) {
    for (size_t j = cell_start_[c]; j < cell_start_[c + 1]; j += kRunSamples) {
      const size_t end = std::min(j + kRunSamples, cell_start_[c + 1]);
      std::fill(acc.begin(), acc.end(), uint8_t{0});
      for (size_t s = j; s < end; ++s) {
        const uint8_t* packed = block.packed.data() + order_[s] * row;
        AddCounts(table, packed, row, acc.data());
      }
      for (size_t v = 0; v < n_kept; ++v)
        for (size_t k = 0; k < 4; ++k) block.counts[v * stride_ + 4 * c + k] += acc[4 * v + k];
    }
  }
}

void RegisterCountStage(StageRegistry& registry) {
  registry.Add(MakeStageInfo<CountStage, CountOptions>(
      "count genotypes per SNP x partition x class (for per-fold stats and embeddings)"));
}

}  // namespace snpflow
