// count: per kept variant, genotype counts per partition x class, and the kept codes packed for
// the store; a parallel stage, so that the ordered store tail only splices packed rows.
#include <algorithm>

#include <cstring>

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

// Bit-sliced counting. A 64-bit word of a packed row holds 32 variants' 2-bit codes; from it,
// three words flag, in each variant's 2-bit slot, whether its code is 1, 2 or 3. Adding such flag
// words counts up to 3 samples per slot; the sums are then spread into 4-bit slots (up to 15)
// and 8-bit slots (up to 255), so that one word operation counts 32 variants of a sample. Code 0
// is what the run's other samples are not. GCC's vector extension does two words per operation
// (SSE2 on x86-64, scalar elsewhere).
using Word2 = uint64_t __attribute__((vector_size(16)));
constexpr uint64_t kEven2 = 0x5555555555555555ull;  // the low bit of every 2-bit slot
constexpr uint64_t kLow2 = 0x3333333333333333ull;   // the low 2-bit slot of every 4-bit one
constexpr uint64_t kLow4 = 0x0F0F0F0F0F0F0F0Full;   // the low 4 bits of every byte

// Byte counters hold up to 255 samples of a cell; more are counted in runs of this many.
constexpr size_t kRunSamples = 255;

// The counts of codes 1, 2, 3 of up to 255 samples (rows at `rows[i]`, `pairs` word pairs each),
// per variant: byte (variant % 32) / 4 of word [code][variant % 4][variant / 32] of `out`.
class RunCounter {
 public:
  explicit RunCounter(size_t pairs)
      : pairs_(pairs), l1_(3 * pairs), l2_(6 * pairs), l3_(12 * pairs) {}

  void Count(const std::vector<const uint8_t*>& rows) {
    Clear(l3_);
    size_t in_l1 = 0, in_l2 = 0;  // samples in the 2-bit and 4-bit sums
    for (const uint8_t* row : rows) {
      for (size_t p = 0; p < pairs_; ++p) {
        Word2 w;
        std::memcpy(&w, row + 16 * p, sizeof w);
        const Word2 lo = w & kEven2, hi = (w >> 1) & kEven2;
        l1_[p] += lo & ~hi;               // code 1
        l1_[pairs_ + p] += hi & ~lo;      // code 2
        l1_[2 * pairs_ + p] += lo & hi;   // code 3
      }
      if (++in_l1 == 3) {
        SpillL1();
        in_l1 = 0;
        if ((in_l2 += 3) == 15) {
          SpillL2();
          in_l2 = 0;
        }
      }
    }
    SpillL1();
    SpillL2();
  }
  // The counts of code `code` (1..3) of the variants v with v % 4 == r, byte v / 4 (the words
  // are little-endian: byte q of word i holds variant 32 i + 4 q + r).
  const uint8_t* counts(int code, size_t r) const {
    return reinterpret_cast<const uint8_t*>(l3_.data() + ((code - 1) * 4 + r) * pairs_);
  }

 private:
  static void Clear(std::vector<Word2>& v) {
    for (auto& w : v) w = Word2{0, 0};
  }
  // 2-bit sums of variants 2m and 2m+1 -> 4-bit slot m of the even and odd words.
  void SpillL1() {
    for (size_t k = 0; k < 3; ++k)
      for (size_t p = 0; p < pairs_; ++p) {
        const Word2 a = l1_[k * pairs_ + p];
        l2_[(2 * k) * pairs_ + p] += a & kLow2;
        l2_[(2 * k + 1) * pairs_ + p] += (a >> 2) & kLow2;
        l1_[k * pairs_ + p] = Word2{0, 0};
      }
  }
  // 4-bit sums -> byte q of words r = 0..3, holding variant 4q + r.
  void SpillL2() {
    for (size_t k = 0; k < 3; ++k)
      for (size_t p = 0; p < pairs_; ++p) {
        const Word2 even = l2_[(2 * k) * pairs_ + p], odd = l2_[(2 * k + 1) * pairs_ + p];
        l3_[(4 * k + 0) * pairs_ + p] += even & kLow4;
        l3_[(4 * k + 1) * pairs_ + p] += odd & kLow4;
        l3_[(4 * k + 2) * pairs_ + p] += (even >> 4) & kLow4;
        l3_[(4 * k + 3) * pairs_ + p] += (odd >> 4) & kLow4;
        l2_[(2 * k) * pairs_ + p] = l2_[(2 * k + 1) * pairs_ + p] = Word2{0, 0};
      }
  }

  size_t pairs_;
  std::vector<Word2> l1_, l2_, l3_;
};

[[noreturn]] void ThrowInvalidCode(const VariantBlock& block) {
  for (size_t i = 0; i < block.size(); ++i) {
    if (!block.kept(i)) continue;
    const uint8_t* codes = block.codes_of(i);
    if (std::any_of(codes, codes + block.n_samples, [](uint8_t c) { return c > 3; }))
      throw Error("variant " + block.variants[i].chrom + ":" +
                  std::to_string(block.variants[i].pos) + " has a genotype code above 3 (a "
                  "stage wrote an invalid code)");
  }
  throw Error("a genotype code above 3 in a block (a stage wrote an invalid code)");
}

}  // namespace

void CountStage::Process(VariantBlock& block) const {
  std::vector<const uint8_t*> kept;
  kept.reserve(block.size());
  for (size_t i = 0; i < block.size(); ++i)
    if (block.kept(i)) kept.push_back(block.codes_of(i));
  // Pack here, in parallel: the ordered store tail then only splices packed rows. Packing reads
  // every code once and tells whether one is above 3; only then are they read again, to name it.
  block.packed.resize(io::PackedStore::PackedBytes(kept.size(), block.n_samples));
  if (io::PackedStore::PackCodes(kept.data(), kept.size(), block.n_samples,
                                 block.packed.data()) > 3)
    ThrowInvalidCode(block);

  // Count from the packed, sample-major rows, a run of one cell's samples at a time.
  const size_t n_kept = kept.size();
  const size_t row = (n_kept + 3) / 4;
  // Every count is written below (the buffer grows unzeroed).
  block.counts.resize(n_kept * stride_);
  if (n_kept == 0) return;
  // Rows are read 16 bytes at a time: the bytes past a row's end (the next row's, or the spare
  // bytes after the last row) land in variants past n_kept, which are never read back.
  static_assert(io::PackedStore::kSlackBytes >= 16, "the last row's last pair must be readable");
  const size_t pairs = (row + 15) / 16;
  const uint8_t* packed = block.packed.data();
  RunCounter counter(pairs);
  std::vector<const uint8_t*> rows;
  const size_t cells = cell_start_.size() - 1;
  for (size_t c = 0; c < cells; ++c) {
    if (cell_start_[c] == cell_start_[c + 1]) {  // an empty cell: all zero
      for (size_t v = 0; v < n_kept; ++v) std::fill_n(&block.counts[v * stride_ + 4 * c], 4, 0);
      continue;
    }
    for (size_t j = cell_start_[c]; j < cell_start_[c + 1]; j += kRunSamples) {
      const size_t end = std::min(j + kRunSamples, cell_start_[c + 1]);
      rows.clear();
      for (size_t s = j; s < end; ++s) rows.push_back(packed + order_[s] * row);
      counter.Count(rows);
      const uint16_t run = static_cast<uint16_t>(end - j);
      for (size_t r = 0; r < 4; ++r) {
        const uint8_t *n1 = counter.counts(1, r), *n2 = counter.counts(2, r),
                      *n3 = counter.counts(3, r);
        uint16_t* out = block.counts.data() + 4 * c + r * stride_;
        const bool first = j == cell_start_[c];  // a cell's first run sets, the next ones add
        for (size_t q = 0; 4 * q + r < n_kept; ++q, out += 4 * stride_) {
          const uint16_t add[4] = {static_cast<uint16_t>(run - n1[q] - n2[q] - n3[q]), n1[q],
                                   n2[q], n3[q]};
          for (int k = 0; k < 4; ++k)
            out[k] = first ? add[k] : static_cast<uint16_t>(out[k] + add[k]);
        }
      }
    }
  }
}

void RegisterCountStage(StageRegistry& registry) {
  registry.Add(MakeStageInfo<CountStage, CountOptions>(
      "count genotypes per SNP x partition x class (for per-fold stats and embeddings)"));
}

}  // namespace snpflow
