// Decoding of BCF GT values into genotype codes: DecodeCall states the rules for one sample;
// DecodeAll applies them to a record; the int8 diploid fast path gives the same codes faster
// (tests/io/bcf_gt_values_test.cc holds it to DecodeAll).
#include "io/bcf_gt_values.h"

#include <htslib/vcf.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#if defined(__x86_64__)
#include <immintrin.h>
#define SNPFLOW_GT_AVX2 1  // an AVX2 twin of the chunk decoder, taken when the CPU has AVX2
#endif

#include "io/vcf_line_parser.h"
#include "pipeline/variant_block.h"

namespace snpflow::io {

namespace {

constexpr const char* kPloidy = kSkipNotDiploid;  // a polyploid call (3+ alleles, not missing)
constexpr const char* kInvalidAllele = kSkipBadAllele;  // allele index outside [0, n_allele)
constexpr const char* kHaploid = kSkipHaploid;  // only with haploid = skip-record

// Result of decoding one sample's call.
enum class Call { kOk, kHaploid, kNotDiploid, kInvalidAllele };

// The sentinels of htslib's GT encoding for value type T.
template <class T> struct GtSentinels;
template <> struct GtSentinels<int8_t> {
  static constexpr int8_t kMissing = bcf_int8_missing, kVectorEnd = bcf_int8_vector_end;
};
template <> struct GtSentinels<int16_t> {
  static constexpr int16_t kMissing = bcf_int16_missing, kVectorEnd = bcf_int16_vector_end;
};
template <> struct GtSentinels<int32_t> {
  static constexpr int32_t kMissing = bcf_int32_missing, kVectorEnd = bcf_int32_vector_end;
};

// Decode one sample's GT: `width` slots of type T at `p`, ended early by vector_end. The rules:
//  - A slot is a missing allele when its raw value is 0 or 1 ("." unphased/phased) or the type's
//    missing sentinel (htslib writes it for a sample that lacks the GT field).
//  - Otherwise its allele index is (raw >> 1) - 1 and must lie in [0, n_allele): a negative raw
//    value, or `200/0` with one ALT, makes the call kInvalidAllele (checked before ploidy).
//  - Ploidy is the number of slots before vector_end. A call whose alleles are all missing is
//    missing whatever its ploidy ("." and "./././." alike); so is a diploid call with one missing
//    allele ("0/.").
//  - Diploid: the code is the number of ALT alleles (0, 1, 2).
//  - Haploid, not missing: kHaploid; the caller applies --decode-gt.haploid.
//  - Three or more slots, not all missing: kNotDiploid.
// `allele_sum` receives the sum of the non-missing alleles (for haploid calls, the allele).
template <class T>
Call DecodeCall(const uint8_t* p, int width, int n_allele, uint8_t* code, int* allele_sum) {
  int ploidy = 0, missing = 0, sum = 0;
  for (int k = 0; k < width; ++k) {
    const T raw = LoadUnaligned<T>(p + k * sizeof(T));
    if (raw == GtSentinels<T>::kVectorEnd) break;
    ++ploidy;
    if (raw == 0 || raw == 1 || raw == GtSentinels<T>::kMissing) {
      ++missing;
      continue;
    }
    if (raw < 0) return Call::kInvalidAllele;
    const int64_t allele = (static_cast<int64_t>(raw) >> 1) - 1;
    if (allele >= n_allele) return Call::kInvalidAllele;
    sum += static_cast<int>(allele);
  }
  *allele_sum = sum;
  if (missing == ploidy || (ploidy == 2 && missing > 0)) {
    *code = kMissing;
    return Call::kOk;
  }
  if (ploidy == 2) {
    *code = static_cast<uint8_t>(sum);
    return Call::kOk;
  }
  return ploidy == 1 ? Call::kHaploid : Call::kNotDiploid;
}

// Decode every sample of one record through DecodeCall<T>, applying the haploid policy.
// `p` holds n_samples calls of `width` values each.
template <class T>
GtDecodeResult DecodeAll(const uint8_t* p, int width, size_t n_samples, int n_allele,
                       HaploidRule haploid, uint8_t* codes) {
  GtDecodeResult result;
  const size_t stride = static_cast<size_t>(width) * sizeof(T);
  for (size_t i = 0; i < n_samples; ++i, p += stride) {
    int sum = 0;
    switch (DecodeCall<T>(p, width, n_allele, codes + i, &sum)) {
      case Call::kOk:
        break;
      case Call::kInvalidAllele:
        result.skip = kInvalidAllele;
        return result;
      case Call::kNotDiploid:
        result.skip = kPloidy;
        return result;
      case Call::kHaploid:
        if (haploid == HaploidRule::kSkipRecord) {
          result.skip = kHaploid;
          return result;
        }
        codes[i] = haploid == HaploidRule::kHom ? static_cast<uint8_t>(2 * sum)
                                                  : static_cast<uint8_t>(kMissing);
        ++result.haploid_calls;
        break;
    }
  }
  return result;
}

// Fast path for the common BCF encoding of a biallelic record (int8, two slots per sample):
// branch-free chunks of samples, then one table lookup per sample on the pair of bytes (from the
// first chunk holding an unusual pair, and for the last samples). Pairs of raw values in
// {0, 1, 2, 3, 4, 5} (missing, allele 0, allele 1, either phasing) are decoded by both; at the
// first other pair (haploid, invalid alleles, sentinels) the rest of the record takes DecodeAll,
// so every path gives the same result.
constexpr uint8_t kSlowPath = 0xFF;
struct PairTable {
  uint8_t code[1 << 16];
  PairTable() {
    for (int v = 0; v < (1 << 16); ++v) {
      int8_t a = static_cast<int8_t>(v & 0xFF), b = static_cast<int8_t>(v >> 8);
      auto allele = [](int8_t x) { return bcf_gt_is_missing(x) ? -1 : bcf_gt_allele(x); };
      bool ok = a >= 0 && a <= 5 && b >= 0 && b <= 5;
      code[v] = !ok ? kSlowPath
                    : (allele(a) < 0 || allele(b) < 0) ? static_cast<uint8_t>(kMissing)
                                                       : static_cast<uint8_t>(allele(a) + allele(b));
    }
  }
};
const PairTable& Pairs() {
  static const PairTable table;
  return table;
}

// Decode kDecodeChunk samples of pairs (a, b) at `p` without a branch per sample: each raw value
// r in {0..5} is missing when r >> 1 == 0, else allele (r >> 1) - 1, as in PairTable. Returns
// false when some value lies outside {0..5}; the caller then decodes the chunk again through the
// table. SSE2 (every x86-64) handles 16 samples per step; other CPUs take the portable loop.
constexpr size_t kDecodeChunk = 64;
bool DecodeInt8DiploidChunk(const uint8_t* p, uint8_t* codes) {
#if defined(__SSE2__)
  const __m128i five = _mm_set1_epi8(5), low7 = _mm_set1_epi8(0x7F), one = _mm_set1_epi8(1),
                three = _mm_set1_epi8(kMissing), low_byte = _mm_set1_epi16(0x00FF),
                zero = _mm_setzero_si128();
  __m128i bad = zero;
  // Eight samples' pairs, a sample per 16-bit lane (a in the low byte) -> its code in the lane.
  // Per value g = (r >> 1) - 1: 0 REF, 1 ALT, 255 missing; g(a) + g(b) saturated at 255, then
  // min(., 3): the ALT count, or 3 (missing) when either allele is missing.
  auto decode8 = [&](__m128i pairs) {
    bad = _mm_or_si128(bad, _mm_subs_epu8(pairs, five));  // nonzero where a byte > 5
    const __m128i g = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(pairs, 1), low7), one);
    const __m128i sum = _mm_adds_epu8(g, _mm_srli_epi16(g, 8));  // in each lane's low byte
    return _mm_and_si128(_mm_min_epu8(sum, three), low_byte);
  };
  for (size_t k = 0; k < kDecodeChunk; k += 16) {
    const __m128i lo = decode8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 2 * k)));
    const __m128i hi = decode8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 2 * k + 16)));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(codes + k), _mm_packus_epi16(lo, hi));
  }
  return _mm_movemask_epi8(_mm_cmpeq_epi8(bad, zero)) == 0xFFFF;
#else
  uint8_t bad = 0;
  for (size_t k = 0; k < kDecodeChunk; ++k) {
    const uint8_t a = p[2 * k], b = p[2 * k + 1];
    bad |= static_cast<uint8_t>((a > 5) | (b > 5));
    const uint8_t ha = a >> 1, hb = b >> 1;
    codes[k] = ha == 0 || hb == 0 ? static_cast<uint8_t>(kMissing)
                                  : static_cast<uint8_t>(ha + hb - 2);
  }
  return bad == 0;
#endif
}

#if defined(SNPFLOW_GT_AVX2)
// DecodeInt8DiploidChunk's steps on 16 samples per step (the same per-lane arithmetic).
__attribute__((target("avx2"))) inline __m256i Decode16Avx2(__m256i pairs, __m256i* bad) {
  const __m256i five = _mm256_set1_epi8(5), low7 = _mm256_set1_epi8(0x7F),
                one = _mm256_set1_epi8(1), three = _mm256_set1_epi8(kMissing),
                low_byte = _mm256_set1_epi16(0x00FF);
  *bad = _mm256_or_si256(*bad, _mm256_subs_epu8(pairs, five));
  const __m256i g = _mm256_sub_epi8(_mm256_and_si256(_mm256_srli_epi16(pairs, 1), low7), one);
  const __m256i sum = _mm256_adds_epu8(g, _mm256_srli_epi16(g, 8));
  return _mm256_and_si256(_mm256_min_epu8(sum, three), low_byte);
}

__attribute__((target("avx2"))) bool DecodeInt8DiploidChunkAvx2(const uint8_t* p,
                                                                uint8_t* codes) {
  __m256i bad = _mm256_setzero_si256();
  for (size_t k = 0; k < kDecodeChunk; k += 32) {
    const __m256i lo =
        Decode16Avx2(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 2 * k)), &bad);
    const __m256i hi =
        Decode16Avx2(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 2 * k + 32)), &bad);
    // packus works per 128-bit lane: put the four 8-code quarters back in sample order.
    const __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi16(lo, hi), 0xD8);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(codes + k), packed);
  }
  return _mm256_movemask_epi8(_mm256_cmpeq_epi8(bad, _mm256_setzero_si256())) == -1;
}
#endif

using ChunkDecoder = bool (*)(const uint8_t*, uint8_t*);

// The widest chunk decoder this CPU runs.
ChunkDecoder BestChunkDecoder() {
#if defined(SNPFLOW_GT_AVX2)
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx2) return DecodeInt8DiploidChunkAvx2;
#endif
  return DecodeInt8DiploidChunk;
}

GtDecodeResult DecodeInt8Diploid(const uint8_t* p, size_t n_samples, HaploidRule haploid,
                                 uint8_t* codes, ChunkDecoder chunk) {
  size_t i = 0;
  for (; i + kDecodeChunk <= n_samples; i += kDecodeChunk)
    if (!chunk(p + 2 * i, codes + i)) break;
  const PairTable& table = Pairs();
  for (; i < n_samples; ++i) {
    const uint8_t c = table.code[p[2 * i] | (p[2 * i + 1] << 8)];
    if (c == kSlowPath)
      return DecodeAll<int8_t>(p + 2 * i, /*width=*/2, n_samples - i, /*n_allele=*/2, haploid,
                               codes + i);
    codes[i] = c;
  }
  return {};
}

}  // namespace

GtDecodeResult DecodeBcfGt(const uint8_t* p, int value_bytes, int width, size_t n_samples,
                           int n_allele, HaploidRule haploid, uint8_t* codes) {
  if (value_bytes == 1 && width == 2 && n_allele == 2)
    return DecodeInt8Diploid(p, n_samples, haploid, codes, BestChunkDecoder());
  return DecodeBcfGtReference(p, value_bytes, width, n_samples, n_allele, haploid, codes);
}

GtDecodeResult DecodeBcfGtBaseline(const uint8_t* p, int value_bytes, int width, size_t n_samples,
                                   int n_allele, HaploidRule haploid, uint8_t* codes) {
  if (value_bytes == 1 && width == 2 && n_allele == 2)
    return DecodeInt8Diploid(p, n_samples, haploid, codes, DecodeInt8DiploidChunk);
  return DecodeBcfGtReference(p, value_bytes, width, n_samples, n_allele, haploid, codes);
}

bool DecodeBcfGtUsesAvx2() { return BestChunkDecoder() != DecodeInt8DiploidChunk; }

GtDecodeResult DecodeBcfGtReference(const uint8_t* p, int value_bytes, int width,
                                    size_t n_samples, int n_allele, HaploidRule haploid,
                                    uint8_t* codes) {
  switch (value_bytes) {
    case 1: return DecodeAll<int8_t>(p, width, n_samples, n_allele, haploid, codes);
    case 2: return DecodeAll<int16_t>(p, width, n_samples, n_allele, haploid, codes);
    default: return DecodeAll<int32_t>(p, width, n_samples, n_allele, haploid, codes);
  }
}

}  // namespace snpflow::io
