// decode-gt: turn each raw htslib record into site fields and 2-bit-ready genotype codes.
#include <htslib/vcf.h>

#include <cstring>

#include "io/vcf_records_internal.h"
#include "pipeline/error.h"
#include "pipeline/registry.h"
#include "stages/register_builtin.h"

namespace snpflow {
namespace {

struct DecodeGtOptions {
  static constexpr std::string_view kName = "decode-gt";
  static void Declare(OptionSet<DecodeGtOptions>&) {}
};

constexpr const char* kMultiAllelic = "multi-allelic";
constexpr const char* kNoAlt = "no-alt";
constexpr const char* kPloidy = "not-diploid";
constexpr const char* kBadAllele = "undeclared-allele";  // GT names an ALT the record lacks

// Result of decoding one sample's call.
enum class Call { kOk, kNotDiploid, kBadAllele };

// Decode one sample's GT values (ploidy slots, padded with vector_end) of a biallelic record into
// a code. Non-missing haploid or polyploid calls, and alleles above 1, are not decodable.
template <class T>
Call DecodeSample(const T* p, int width, T vector_end, uint8_t* code) {
  int ploidy = 0;
  bool any_missing = false;
  int alt = 0;
  for (int k = 0; k < width && p[k] != vector_end; ++k) {
    ++ploidy;
    if (bcf_gt_is_missing(p[k])) {
      any_missing = true;
    } else {
      int allele = bcf_gt_allele(p[k]);
      if (allele > 1) return Call::kBadAllele;
      alt += allele;
    }
  }
  if (ploidy == 2) {
    *code = any_missing ? kMissing : static_cast<uint8_t>(alt);
    return Call::kOk;
  }
  // "." (haploid-looking missing) and "./././." are missing calls, not ploidy errors.
  bool all_missing = true;
  for (int k = 0; k < ploidy; ++k) all_missing = all_missing && bcf_gt_is_missing(p[k]);
  if (all_missing) {
    *code = kMissing;
    return Call::kOk;
  }
  return Call::kNotDiploid;
}

template <class T>
Call DecodeAll(const bcf_fmt_t* fmt, size_t n, T vector_end, uint8_t* codes) {
  const T* base = reinterpret_cast<const T*>(fmt->p);
  for (size_t i = 0; i < n; ++i) {
    Call call = DecodeSample<T>(base + i * fmt->n, fmt->n, vector_end, codes + i);
    if (call != Call::kOk) return call;
  }
  return Call::kOk;
}

// Fast path for the common BCF encoding (int8, two slots per sample): one table lookup per sample
// on the pair of bytes. Entries > 3 (haploid, polyploid, odd values) take the general path.
constexpr uint8_t kSlowPath = 0xFF;
struct PairTable {
  uint8_t code[1 << 16];
  PairTable() {
    for (int v = 0; v < (1 << 16); ++v) {
      int8_t a = static_cast<int8_t>(v & 0xFF), b = static_cast<int8_t>(v >> 8);
      auto allele = [](int8_t x) { return bcf_gt_is_missing(x) ? -1 : bcf_gt_allele(x); };
      bool ok = (a == 0 || (a >= 2 && a <= 5)) && (b == 0 || (b >= 2 && b <= 5));
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

Call DecodeInt8Diploid(const bcf_fmt_t* fmt, size_t n, uint8_t* codes) {
  const PairTable& table = Pairs();
  const uint8_t* p = fmt->p;
  for (size_t i = 0; i < n; ++i) {
    uint8_t c = table.code[p[2 * i] | (p[2 * i + 1] << 8)];
    if (c == kSlowPath) {
      Call call = DecodeSample<int8_t>(reinterpret_cast<const int8_t*>(p + 2 * i), 2,
                                       bcf_int8_vector_end, &c);
      if (call != Call::kOk) return call;
    }
    codes[i] = c;
  }
  return Call::kOk;
}

class DecodeGtStage : public BlockStage {
 public:
  explicit DecodeGtStage(const DecodeGtOptions&) { Pairs(); }

  void Process(VariantBlock& block) const override {
    auto* raw = static_cast<io::RawRecords*>(block.raw.get());
    const io::VcfHeader& header = *raw->header;
    block.codes.resize(block.size() * block.n_samples);
    for (size_t i = 0; i < block.size(); ++i) {
      bcf1_t* rec = raw->records[i];
      bcf_unpack(rec, BCF_UN_STR | BCF_UN_FMT);
      Variant& v = block.variants[i];
      v.chrom = bcf_hdr_id2name(header.hdr, rec->rid);
      v.pos = rec->pos + 1;
      v.id = rec->d.id;
      v.ref = rec->d.allele[0];
      v.alt.clear();
      for (int a = 1; a < rec->n_allele; ++a) {
        if (a > 1) v.alt += ',';
        v.alt += rec->d.allele[a];
      }
      v.n_alleles = rec->n_allele;
      if (rec->n_allele > 2) {
        block.Drop(i, kMultiAllelic);
        continue;
      }
      if (rec->n_allele < 2 || v.alt == "." || v.alt == "*") {
        block.Drop(i, kNoAlt);
        continue;
      }
      const bcf_fmt_t* fmt = nullptr;
      for (int k = 0; k < rec->n_fmt; ++k)
        if (rec->d.fmt[k].id == header.gt_id) fmt = &rec->d.fmt[k];
      if (fmt == nullptr || fmt->p == nullptr)
        throw FormatError("'" + header.path + "': record " + std::to_string(v.record) + " (" +
                          v.chrom + ":" + std::to_string(v.pos) +
                          ") has no GT field; snpflow needs a diploid GT call for every sample "
                          "(drop such records with `bcftools view -i 'GT!=\"mis\"'` or fix them)");
      uint8_t* codes = block.codes_of(i);
      Call call = Call::kOk;
      switch (fmt->type) {
        case BCF_BT_INT8:
          call = fmt->n == 2 ? DecodeInt8Diploid(fmt, block.n_samples, codes)
                             : DecodeAll<int8_t>(fmt, block.n_samples, bcf_int8_vector_end, codes);
          break;
        case BCF_BT_INT16: call = DecodeAll<int16_t>(fmt, block.n_samples, bcf_int16_vector_end, codes); break;
        case BCF_BT_INT32: call = DecodeAll<int32_t>(fmt, block.n_samples, bcf_int32_vector_end, codes); break;
        default:
          throw FormatError("'" + header.path + "': record " + std::to_string(v.record) +
                            " has a GT field of an unexpected type");
      }
      if (call == Call::kNotDiploid) block.Drop(i, kPloidy);
      if (call == Call::kBadAllele) block.Drop(i, kBadAllele);
    }
    // The raw records are no longer needed; free them before the block waits in the sequencer.
    block.raw.reset();
  }
};

}  // namespace

void RegisterDecodeGtStage(StageRegistry& registry) {
  registry.Add(MakeStageInfo<DecodeGtStage, DecodeGtOptions>(
      "decode FORMAT/GT into codes 0/1/2/missing; skip multi-allelic, no-ALT and non-diploid records"));
}

}  // namespace snpflow
