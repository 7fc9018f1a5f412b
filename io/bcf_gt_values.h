#pragma once
/// Decoding of BCF's binary GT values (htslib's encoding: (allele + 1) << 1 | phased, 0 for a
/// missing allele, type-specific missing and vector-end sentinels) into genotype codes.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "io/vcf_line_parser.h"  // HaploidRule

namespace snpflow::io {

/// What decoding one record's GT found: the skip reason (nullptr when decoded) and the number of
/// haploid calls converted under the policy.
struct GtDecodeResult {
  const char* skip = nullptr;
  uint64_t haploid_calls = 0;
};

/// Load one little-endian value of type T from possibly unaligned bytes (BCF packs values without
/// alignment; a reinterpret_cast load would be undefined behaviour).
template <class T>
T LoadUnaligned(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

/// Decode the GT of `n_samples` samples, `width` values each of `value_bytes` (1, 2 or 4) bytes at
/// `p`, into `codes` (0/1/2 ALT alleles, 3 missing); `n_allele` is the record's allele count.
/// The record is skipped (result.skip) with the reason of the first sample, in column order, whose
/// call cannot be decoded. Biallelic int8 diploid records take a vectorized path; others one
/// value at a time. The caller has checked that the bytes are there.
GtDecodeResult DecodeBcfGt(const uint8_t* p, int value_bytes, int width, size_t n_samples,
                           int n_allele, HaploidRule haploid, uint8_t* codes);

/// DecodeBcfGt with the vectorized path of every x86-64 CPU (SSE2) even where DecodeBcfGt takes
/// the AVX2 one: tests hold both to the reference.
GtDecodeResult DecodeBcfGtBaseline(const uint8_t* p, int value_bytes, int width, size_t n_samples,
                                   int n_allele, HaploidRule haploid, uint8_t* codes);
/// True when DecodeBcfGt takes the AVX2 path on this CPU.
bool DecodeBcfGtUsesAvx2();

/// The same, one value at a time with no fast path: the reference DecodeBcfGt is tested against.
GtDecodeResult DecodeBcfGtReference(const uint8_t* p, int value_bytes, int width,
                                    size_t n_samples, int n_allele, HaploidRule haploid,
                                    uint8_t* codes);

}  // namespace snpflow::io
