#pragma once
/// The message that travels the ingest flow graph: a block of consecutive VCF records.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace snpflow {

/// Genotype codes: additive count of ALT alleles, or missing.
enum GenotypeCode : uint8_t { kHomRef = 0, kHet = 1, kHomAlt = 2, kMissing = 3 };

/// An allocator whose resize() leaves new elements uninitialized (default-initialized), for
/// buffers that are written in full right after they grow: zero-filling the genotype codes cost
/// the serial BCF reader ~0.09 s per 1.1 G codes, only for the decoder to overwrite them.
template <class T>
struct DefaultInitAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = DefaultInitAllocator<U>;
  };
  DefaultInitAllocator() = default;
  template <class U>
  DefaultInitAllocator(const DefaultInitAllocator<U>&) noexcept {}
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

/// Genotype codes (and packed codes) that resize() does not zero (see DefaultInitAllocator).
using CodeBuffer = std::vector<uint8_t, DefaultInitAllocator<uint8_t>>;

/// One VCF record's site fields.
struct Variant {
  std::string chrom;
  int64_t pos = 0;  // 1-based, as in the VCF
  std::string id;
  std::string ref;
  std::string alt;  // comma-separated when multi-allelic
  int n_alleles = 0;
  uint64_t record = 0;  // 1-based record number in the input (for error messages)
};

/// A block of up to kBlockVariants records. Stages fill `codes`, drop variants, and add per-variant
/// results; a block is processed by one thread at a time.
class VariantBlock {
 public:
  static constexpr size_t kBlockVariants = 1024;
  /// Records per block for `n_samples` samples: as many as keep the block's codes near
  /// kBlockCodeBytes (so that a block's codes stay in a core's L2 cache from one stage to the
  /// next, and the pooled blocks' pages are few), a multiple of 64 (the packing tile), from 64 to
  /// kBlockVariants. 3,450 samples: 128 records (at 256, packing read the codes back from L3:
  /// ~2% more time at 40K SNPs).
  static constexpr size_t kBlockCodeBytes = size_t{1} << 19;
  static size_t VariantsFor(size_t n_samples) {
    const size_t fit = kBlockCodeBytes / std::max<size_t>(n_samples, 1) / 64 * 64;
    return std::clamp<size_t>(fit, 64, kBlockVariants);
  }

  uint64_t seq = 0;       // position of the block in the input, 0-based; restores order
  size_t n_samples = 0;
  std::vector<Variant> variants;
  /// Genotype codes, variant-major: variants.size() x n_samples. `decode-gt` writes every kept
  /// variant's codes and zeroes the dropped ones'; growing the buffer leaves it unwritten.
  CodeBuffer codes;
  /// Why each variant was dropped; nullptr while kept. Reasons are static strings.
  std::vector<const char*> dropped;
  /// Per kept variant counts (n_kept x partitions x classes x 4), filled by the count step (every
  /// element written; growing leaves them unwritten).
  std::vector<uint16_t, DefaultInitAllocator<uint16_t>> counts;
  /// The kept variants' codes packed 2 bits each, sample-major (n_samples rows of
  /// ceil(n_kept / 4) bytes, then 16 spare bytes), filled by the count step for the store so that
  /// the ordered store tail only splices rows.
  CodeBuffer packed;
  /// The source's undecoded records; opaque to stages other than `decode-gt`.
  std::shared_ptr<void> raw;
  /// Events that are not variant skips, by name (e.g. "haploid-calls-as-hom"): summed over the
  /// run into ingest.json's "counted". Names are static strings.
  std::vector<std::pair<const char*, uint64_t>> counted;

  /// Empty the block for its next use, keeping the vectors' memory (RunGraph reuses blocks).
  void Reset() {
    seq = 0;
    n_samples = 0;
    variants.clear();
    codes.clear();
    dropped.clear();
    counts.clear();
    packed.clear();
    raw.reset();
    counted.clear();
  }

  size_t size() const { return variants.size(); }
  bool kept(size_t i) const { return dropped[i] == nullptr; }
  /// Mark variant i as skipped for `reason` (a string with static lifetime, e.g. "maf").
  void Drop(size_t i, const char* reason) {
    if (dropped[i] == nullptr) dropped[i] = reason;
  }
  /// Add n to the event counter `name` (a string with static lifetime).
  void Count(const char* name, uint64_t n) {
    for (auto& c : counted)
      if (c.first == name) {
        c.second += n;
        return;
      }
    counted.emplace_back(name, n);
  }
  const uint8_t* codes_of(size_t i) const { return codes.data() + i * n_samples; }
  uint8_t* codes_of(size_t i) { return codes.data() + i * n_samples; }
  size_t num_kept() const {
    size_t n = 0;
    for (auto* d : dropped) n += d == nullptr;
    return n;
  }
};

}  // namespace snpflow
