#include "io/bcf_raw_gt.h"

#include <htslib/vcf.h>

namespace snpflow::io {

int GtValueBytes(int type) {
  switch (type) {
    case BCF_BT_INT8: return 1;
    case BCF_BT_INT16: return 2;
    case BCF_BT_INT32: return 4;
    default: return 0;
  }
}

namespace {

// Bytes of one value of BCF type `type` (htslib's bcf_type_shift): 0 for BCF_BT_NULL, -1 for a
// type a FORMAT value cannot have (bcf_read refuses such records).
int FormatValueBytes(int type) {
  switch (type) {
    case BCF_BT_NULL: return 0;
    case BCF_BT_INT8: case BCF_BT_CHAR: return 1;
    case BCF_BT_INT16: return 2;
    case BCF_BT_INT32: case BCF_BT_FLOAT: return 4;
    default: return -1;
  }
}

}  // namespace

bool ReadTypedInt(const uint8_t*& p, const uint8_t* end, int64_t* value) {
  if (end - p < 1) return false;
  const int type = *p & 0xf;
  const int bytes = GtValueBytes(type);  // the integer types
  if (bytes == 0 || end - p - 1 < bytes) return false;
  switch (type) {
    case BCF_BT_INT8: *value = LoadUnaligned<int8_t>(p + 1); break;
    case BCF_BT_INT16: *value = LoadUnaligned<int16_t>(p + 1); break;
    default: *value = LoadUnaligned<int32_t>(p + 1); break;
  }
  p += 1 + bytes;
  return true;
}

bool ReadTypeAndCount(const uint8_t*& p, const uint8_t* end, int* type, int64_t* n) {
  if (end - p < 1) return false;
  *type = *p & 0xf;
  if ((*p >> 4) != 15) {
    *n = *p >> 4;
    ++p;
    return true;
  }
  ++p;
  return ReadTypedInt(p, end, n) && *n >= 0;
}

RawGtDecode DecodeRawGt(const uint8_t* indiv, size_t len, int n_fmt, size_t n_samples, int gt_id,
                        int n_allele, HaploidRule haploid, uint8_t* codes) {
  RawGtDecode out;
  const uint8_t* p = indiv;
  const uint8_t* end = indiv + len;
  const uint8_t* gt = nullptr;  // the GT field's first value
  int gt_type = 0;
  int64_t gt_n = 0;
  for (int k = 0; k < n_fmt; ++k) {
    int64_t key = 0, n = 0;
    int type = 0;
    if (!ReadTypedInt(p, end, &key) || !ReadTypeAndCount(p, end, &type, &n)) {
      out.status = RawGtStatus::kCorrupt;
      return out;
    }
    const int width = FormatValueBytes(type);
    // n < 2^31 and n_samples < 2^24 (BCF's field widths): no overflow in 64 bits.
    const uint64_t bytes = static_cast<uint64_t>(n) * static_cast<uint64_t>(width) * n_samples;
    if (width < 0 || bytes > static_cast<uint64_t>(end - p)) {
      out.status = RawGtStatus::kCorrupt;
      return out;
    }
    if (key == gt_id) {
      gt = p;
      gt_type = type;
      gt_n = n;
    }
    p += bytes;
  }
  if (gt == nullptr) {
    out.status = RawGtStatus::kAbsent;
    return out;
  }
  const int value_bytes = GtValueBytes(gt_type);
  // The field fits (checked above); its values must also be GT's: integers, at least one per call.
  if (value_bytes == 0 || gt_n <= 0) {
    out.status = RawGtStatus::kSizeMismatch;
    return out;
  }
  out.status = RawGtStatus::kDecoded;
  out.result = DecodeBcfGt(gt, value_bytes, static_cast<int>(gt_n), n_samples, n_allele, haploid,
                           codes);
  return out;
}

}  // namespace snpflow::io
