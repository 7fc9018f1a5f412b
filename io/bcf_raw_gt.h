#pragma once
/// A BCF record's FORMAT/GT read from its raw bytes, without bcf_unpack: BCF's typed integers and
/// counts, the walk over the FORMAT fields to GT, and its decoding into genotype codes. Every
/// length is checked against the bytes there: a crafted record never makes these read past them.
#include <cstddef>
#include <cstdint>

#include "io/bcf_gt_values.h"

namespace snpflow::io {

/// Bytes of one GT value of BCF type `type` (int8, int16, int32), or 0 for a type GT cannot have.
int GtValueBytes(int type);

/// Read a BCF typed integer (a type byte, then an int8/16/32 value, little-endian) at `p`, within
/// [p, end), as htslib's bcf_dec_typed_int1_safe does (the count nibble of the type byte is not
/// looked at). Advances `p`. Returns false when the bytes run out or the type is not an integer.
bool ReadTypedInt(const uint8_t*& p, const uint8_t* end, int64_t* value);

/// Read a BCF type descriptor (type in the low nibble, count in the high one, or 15 and a typed
/// integer count) as bcf_dec_size_safe does. Returns false when it runs out or the count is < 0.
bool ReadTypeAndCount(const uint8_t*& p, const uint8_t* end, int* type, int64_t* n);

/// What DecodeRawGt found.
enum class RawGtStatus : uint8_t {
  kNotDecoded,    // DecodeRawGt was not called (never its result)
  kDecoded,       // codes written; `result` holds the skip reason (if any) and haploid calls
  kAbsent,        // the record has no FORMAT/GT field
  kCorrupt,       // a FORMAT field does not fit in the record's FORMAT bytes
  kSizeMismatch,  // GT's value type or count cannot hold one call per sample
};
struct RawGtDecode {
  RawGtStatus status = RawGtStatus::kNotDecoded;
  GtDecodeResult result;
};

/// Find FORMAT/GT (header id `gt_id`) in a record's raw FORMAT block `indiv` (`len` bytes as
/// bcf_read left them: `n_fmt` fields, each a typed-integer key, a type descriptor and n_samples
/// x count values) and decode it into `codes` (n_samples bytes) with DecodeBcfGt, for a record of
/// `n_allele` alleles. As with bcf_unpack, the LAST field with key `gt_id` wins.
RawGtDecode DecodeRawGt(const uint8_t* indiv, size_t len, int n_fmt, size_t n_samples, int gt_id,
                        int n_allele, HaploidRule haploid, uint8_t* codes);

}  // namespace snpflow::io
