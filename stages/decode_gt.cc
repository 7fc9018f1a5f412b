// decode-gt: turn each raw htslib record into site fields and 2-bit-ready genotype codes.
//
// The rules, in the order they apply to a record (a parallel VCF-text parser must reproduce them):
//  1. A record the source already skipped (`unsorted`, `duplicate`) is left alone.
//  2. More than one ALT: skip `multi-allelic`. No ALT, or ALT "." or "*": skip `no-alt`.
//  3. No GT field in the record: FormatError. GT bytes inconsistent with the sample count or the
//     value type (a corrupt BCF): FormatError naming file and record. BCF records (vcf-parser
//     fast) find GT by walking the raw FORMAT bytes (FindRawGt), the last GT key winning as with
//     bcf_unpack; the same rules, codes and messages as the bcf_unpack path (vcf-parser htslib).
//  4. Each sample's call is decoded by DecodeCall (stages/bcf_gt_values.cc). The record is
//     skipped with the reason of the first sample, in column order, whose call cannot be decoded:
//     `invalid-allele`, `not-diploid`, or `haploid` (only with --decode-gt.haploid skip-record).
//  5. Haploid calls converted in a record that is kept are counted per policy
//     (`haploid-calls-as-hom`, `haploid-calls-as-missing`).
#include "stages/decode_gt.h"

#include <htslib/kstring.h>
#include <htslib/vcf.h>


#include <cstring>
#include <mutex>

#include "io/vcf_records_internal.h"
#include "pipeline/error.h"
#include "pipeline/registry.h"
#include "stages/bcf_gt_values.h"
#include "stages/register_builtin.h"

namespace snpflow {

void DecodeGtOptions::Declare(OptionSet<DecodeGtOptions>& o) {
  o.Add("haploid", &DecodeGtOptions::haploid,
        "a haploid call a: hom (read as a/a, as plink2 does), missing, or skip-record");
  o.Add("unsorted", &DecodeGtOptions::unsorted,
        "a record out of order within its contig: error, or skip (counted as unsorted)");
  o.Add("duplicates", &DecodeGtOptions::duplicates,
        "a record repeating chrom:pos:ref:alt: error, or skip (counted as duplicate)");
  o.Add("vcf-parser", &DecodeGtOptions::vcf_parser,
        "fast (VCF text: parallel line parser, htslib for unusual lines; BCF: GT read from the "
        "record's raw FORMAT bytes) or htslib (VCF text: htslib's serial vcf_parse for every "
        "line; BCF: bcf_unpack of every FORMAT field); -r on VCF text always uses htslib");
}

namespace {

// Throw ConfigError unless `value` is one of `allowed`.
void CheckChoice(const std::string& option, const std::string& value,
                 std::initializer_list<const char*> allowed) {
  std::string list;
  for (const char* a : allowed) {
    if (value == a) return;
    list += (list.empty() ? "" : ", ") + std::string(a);
  }
  throw ConfigError("--decode-gt." + option + " must be one of " + list + ", got '" + value + "'");
}

io::VcfSourceOptions::OrderPolicy PolicyOf(const std::string& value) {
  return value == "skip" ? io::VcfSourceOptions::OrderPolicy::kSkip
                         : io::VcfSourceOptions::OrderPolicy::kError;
}

// Throw ConfigError naming the first option of `o` with a value outside its choices.
void ValidateDecodeGtOptions(const DecodeGtOptions& o) {
  CheckChoice("haploid", o.haploid, {"hom", "missing", "skip-record"});
  CheckChoice("unsorted", o.unsorted, {"error", "skip"});
  CheckChoice("duplicates", o.duplicates, {"error", "skip"});
  CheckChoice("vcf-parser", o.vcf_parser, {"fast", "htslib"});
}

}  // namespace

DecodeGtOptions BuildDecodeGtOptions(const OptionValues& values) {
  OptionSet<DecodeGtOptions> set;
  DecodeGtOptions::Declare(set);
  DecodeGtOptions o = set.Build(values, "decode-gt.");
  ValidateDecodeGtOptions(o);
  return o;
}

void ApplyDecodeGtSourceOptions(const OptionValues& values, io::VcfSourceOptions& source) {
  DecodeGtOptions o = BuildDecodeGtOptions(values);
  source.unsorted = PolicyOf(o.unsorted);
  source.duplicates = PolicyOf(o.duplicates);
  source.fast_text = o.vcf_parser == "fast";
}

namespace {

// The skip reasons, shared with the fast path's line parser (io/vcf_line_parser.h).
constexpr const char* kMultiAllelic = io::kSkipMultiAllelic;
constexpr const char* kNoAlt = io::kSkipNoAlt;
constexpr const char* kHaploidAsHom = "haploid-calls-as-hom";
constexpr const char* kHaploidAsMissing = "haploid-calls-as-missing";

// Return the byte width of a GT value type, or 0 for a type GT cannot have.
int GtValueBytes(int type) {
  switch (type) {
    case BCF_BT_INT8: return 1;
    case BCF_BT_INT16: return 2;
    case BCF_BT_INT32: return 4;
    default: return 0;
  }
}

// Check that the GT field's bytes hold exactly what the decoders read: n_samples calls of fmt.n
// values of the declared type. A corrupt BCF can claim otherwise; without this check a decoder
// would read past fmt.p.
bool GtBytesConsistent(const bcf_fmt_t& fmt, size_t n_samples) {
  const int bytes = GtValueBytes(fmt.type);
  if (bytes == 0 || fmt.n <= 0 || fmt.size != fmt.n * bytes) return false;
  return static_cast<uint64_t>(fmt.p_len) >= static_cast<uint64_t>(n_samples) * fmt.size;
}

// Where FindRawGt found the GT field of a BCF record's FORMAT block.
struct RawGt {
  const uint8_t* p = nullptr;  // the first sample's values
  int type = 0;                // BCF_BT_INT8, _INT16 or _INT32 when consistent
  int64_t n = 0;               // values per sample
  uint64_t available = 0;      // bytes from p to the end of the FORMAT block
};
enum class RawGtStatus { kFound, kAbsent, kCorrupt };

// Read a BCF typed integer (a type byte, then an int8/16/32 value, little-endian) at `p`, within
// [p, end), as htslib's bcf_dec_typed_int1_safe does (the count nibble of the type byte is not
// looked at). Advances `p`. Returns false when the bytes run out or the type is not an integer.
bool ReadTypedInt(const uint8_t*& p, const uint8_t* end, int64_t* value) {
  if (end - p < 1) return false;
  const int type = *p & 0xf;
  const int bytes = GtValueBytes(type);
  if (bytes == 0 || end - p - 1 < bytes) return false;
  switch (type) {
    case BCF_BT_INT8: *value = LoadUnaligned<int8_t>(p + 1); break;
    case BCF_BT_INT16: *value = LoadUnaligned<int16_t>(p + 1); break;
    default: *value = LoadUnaligned<int32_t>(p + 1); break;
  }
  p += 1 + bytes;
  return true;
}

// Read a BCF type descriptor (type in the low nibble, count in the high one, or 15 and a typed
// integer count) as bcf_dec_size_safe does. Returns false when it runs out or the count is < 0.
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

// Bytes of one value of BCF type `type` (htslib's bcf_type_shift): 0 for a type a FORMAT value
// cannot have (bcf_read refuses such records).
int FormatValueBytes(int type) {
  switch (type) {
    case BCF_BT_NULL: return 0;
    case BCF_BT_INT8: case BCF_BT_CHAR: return 1;
    case BCF_BT_INT16: return 2;
    case BCF_BT_INT32: case BCF_BT_FLOAT: return 4;
    default: return -1;
  }
}

// Find FORMAT/GT in a BCF record's raw FORMAT block (`indiv`, `len` bytes as bcf_read left them:
// n_fmt fields, each a typed-integer key, a type descriptor and n_sample x count values) without
// bcf_unpack. Like htslib's unpacked fields seen by DecodeRecord, the LAST field with key `gt_id`
// wins. Every length is checked against `len` before it is used (a crafted record must never
// make this read past the block): kCorrupt when a field does not fit, kAbsent when no GT.
RawGtStatus FindRawGt(const uint8_t* indiv, size_t len, int n_fmt, uint64_t n_sample, int gt_id,
                      RawGt* gt) {
  const uint8_t* p = indiv;
  const uint8_t* end = indiv + len;
  bool found = false;
  for (int k = 0; k < n_fmt; ++k) {
    int64_t key = 0, n = 0;
    int type = 0;
    if (!ReadTypedInt(p, end, &key) || !ReadTypeAndCount(p, end, &type, &n))
      return RawGtStatus::kCorrupt;
    const int width = FormatValueBytes(type);
    if (width < 0) return RawGtStatus::kCorrupt;
    // n < 2^31 and n_sample < 2^24 (BCF's field widths): no overflow in 64 bits.
    const uint64_t bytes = static_cast<uint64_t>(n) * static_cast<uint64_t>(width) * n_sample;
    if (bytes > static_cast<uint64_t>(end - p)) return RawGtStatus::kCorrupt;
    if (key == gt_id) {
      found = true;
      gt->p = p;
      gt->type = type;
      gt->n = n;
      gt->available = static_cast<uint64_t>(end - p);
    }
    p += bytes;
  }
  return found ? RawGtStatus::kFound : RawGtStatus::kAbsent;
}

HaploidPolicy HaploidPolicyOf(const std::string& value) {
  if (value == "missing") return HaploidPolicy::kMissing;
  if (value == "skip-record") return HaploidPolicy::kSkipRecord;
  return HaploidPolicy::kHom;
}

class DecodeGtStage : public BlockStage {
 public:
  explicit DecodeGtStage(const DecodeGtOptions& options)
      : haploid_(HaploidPolicyOf(options.haploid)), raw_gt_(options.vcf_parser == "fast") {
    ValidateDecodeGtOptions(options);
  }

  void Process(VariantBlock& block) const override {
    auto* raw = static_cast<io::RawRecords*>(block.raw.get());
    const io::VcfHeader& header = *raw->header;
    block.codes.resize(block.size() * block.n_samples);
    uint64_t haploid_calls = 0;
    if (raw->text != nullptr) {
      DecodeText(*raw->text, header, block, &haploid_calls);
    } else {
      for (size_t i = 0; i < block.size(); ++i)
        DecodeRecord(raw->records[i], header, block, i, &haploid_calls, raw_gt_ && header.bcf);
    }
    if (haploid_calls > 0)
      block.Count(haploid_ == HaploidPolicy::kHom ? kHaploidAsHom : kHaploidAsMissing,
                  haploid_calls);
    // The raw records are no longer needed; free them before the block waits in the sequencer.
    block.raw.reset();
  }

 private:
  // Decode htslib record `rec` into variant i of `block` (chrom, pos and order skips come from
  // the source): site fields, codes, skip reason; adds the haploid calls converted. `raw_gt`:
  // find GT by walking the record's raw FORMAT bytes (FindRawGt) instead of bcf_unpack's
  // BCF_UN_FMT; both give the same codes, skips and errors (tests/io/bcf_raw_gt_test.cc).
  void DecodeRecord(bcf1_t* rec, const io::VcfHeader& header, VariantBlock& block, size_t i,
                    uint64_t* haploid_calls, bool raw_gt) const {
    Variant& v = block.variants[i];
    // chrom and pos come from the source: it reads the header serially, and htslib may add a
    // contig to the header there while this stage runs on other blocks.
    if (bcf_unpack(rec, raw_gt ? BCF_UN_STR : BCF_UN_STR | BCF_UN_FMT) < 0)
      throw CorruptRecord(header, v);
    v.id = rec->d.id != nullptr ? rec->d.id : ".";
    v.ref = rec->n_allele > 0 ? rec->d.allele[0] : "";
    v.alt.clear();
    for (int a = 1; a < rec->n_allele; ++a) {
      if (a > 1) v.alt += ',';
      v.alt += rec->d.allele[a];
    }
    v.n_alleles = rec->n_allele;
    if (!block.kept(i)) return;  // skipped by the source (unsorted, duplicate)
    if (rec->n_allele > 2) {
      block.Drop(i, kMultiAllelic);
      return;
    }
    if (rec->n_allele < 2 || v.alt == "." || v.alt == "*") {
      block.Drop(i, kNoAlt);
      return;
    }
    RawGt gt;
    bool consistent = false;
    if (raw_gt) {
      switch (FindRawGt(reinterpret_cast<const uint8_t*>(rec->indiv.s), rec->indiv.l, rec->n_fmt,
                        rec->n_sample, header.gt_id, &gt)) {
        case RawGtStatus::kAbsent: throw NoGt(header, v);
        case RawGtStatus::kCorrupt: throw CorruptRecord(header, v);
        case RawGtStatus::kFound: break;
      }
      const int bytes = GtValueBytes(gt.type);
      consistent = bytes != 0 && gt.n > 0 &&
                   gt.available >= static_cast<uint64_t>(block.n_samples) *
                                       static_cast<uint64_t>(gt.n) * static_cast<uint64_t>(bytes);
    } else {
      const bcf_fmt_t* fmt = nullptr;
      for (int k = 0; k < rec->n_fmt; ++k)
        if (rec->d.fmt[k].id == header.gt_id) fmt = &rec->d.fmt[k];
      if (fmt == nullptr || fmt->p == nullptr) throw NoGt(header, v);
      consistent = GtBytesConsistent(*fmt, block.n_samples);
      gt.p = fmt->p;
      gt.type = fmt->type;
      gt.n = fmt->n;
    }
    if (!consistent)
      throw FormatError(Where(header, v) + " has a GT field whose size does not match its " +
                        std::to_string(block.n_samples) + " samples (the record is corrupt); "
                        "check the file with `bcftools view " + header.path + " > /dev/null`");
    uint8_t* codes = block.codes_of(i);
    const GtDecodeResult r = DecodeBcfGt(gt.p, GtValueBytes(gt.type), static_cast<int>(gt.n),
                                         block.n_samples, rec->n_allele, haploid_, codes);
    if (r.skip != nullptr) block.Drop(i, r.skip);
    else *haploid_calls += r.haploid_calls;
  }

  static FormatError CorruptRecord(const io::VcfHeader& header, const Variant& v) {
    return FormatError(Where(header, v) + " cannot be unpacked (corrupt record); check the file "
                       "with `bcftools view " + header.path + " > /dev/null`");
  }

  static FormatError NoGt(const io::VcfHeader& header, const Variant& v) {
    return FormatError(Where(header, v) +
                       " has no GT field; snpflow needs a diploid GT call for every sample "
                       "(drop such records with `bcftools view -i 'GT!=\"mis\"'` or fix them)");
  }

  // The fast path: parse each text line (io/vcf_line_parser), htslib for the lines it declines,
  // and throw the source's pending error (CHROM/POS, order, truncation) at its place in order.
  void DecodeText(const io::VcfTextBlock& text, const io::VcfHeader& header, VariantBlock& block,
                  uint64_t* haploid_calls) const {
    const io::VcfTextDictionary& dict = *header.dict;
    const io::HaploidRule rule = haploid_ == HaploidPolicy::kHom       ? io::HaploidRule::kHom
                                 : haploid_ == HaploidPolicy::kMissing ? io::HaploidRule::kMissing
                                                                       : io::HaploidRule::kSkipRecord;
    auto pending_at = [&](size_t i, bool after_parse) {
      if (text.has_pending_error() && text.pending_line == i &&
          text.pending_after_parse == after_parse)
        throw FormatError(text.pending_error);
    };
    for (size_t i = 0; i < text.lines(); ++i) {
      pending_at(i, false);
      std::string_view line = text.TrimmedLine(i, header.strips_final_cr);
      io::ParsedLine parsed;
      if (io::ParseVcfLine(line, dict, rule, parsed, block.codes_of(i)) == io::LineStatus::kOk) {
        Variant& v = block.variants[i];
        v.id.assign(parsed.id);
        v.ref.assign(parsed.ref);
        v.alt.assign(parsed.alt);
        v.n_alleles = parsed.n_alleles;
        if (block.kept(i)) {  // not skipped by the source (unsorted, duplicate)
          if (parsed.drop != nullptr) block.Drop(i, parsed.drop);
          else *haploid_calls += parsed.haploid_calls;
        }
      } else {
        DecodeFallbackLine(line, header, block, i,
                           i == 0 ? text.previous_site
                                  : io::SiteOfLine(text.TrimmedLine(i - 1, header.strips_final_cr)),
                           haploid_calls);
      }
      pending_at(i, true);
    }
    pending_at(text.lines(), false);
    if (text.read_error)
      throw FormatError(io::MalformedRecordMessage(
          header.path, text.first_record + text.lines(),
          text.lines() == 0 ? text.previous_site
                            : io::SiteOfLine(text.TrimmedLine(text.lines() - 1,
                                                              header.strips_final_cr))));
  }

  // Parse a line the fast parser declined with htslib's vcf_parse, with the checks and messages
  // of the source's htslib path, and decode it. Serialized: vcf_parse writes the shared header.
  void DecodeFallbackLine(std::string_view line, const io::VcfHeader& header, VariantBlock& block,
                          size_t i, const std::string& last_site, uint64_t* haploid_calls) const {
    std::lock_guard<std::mutex> lock(header.parse_mutex);
    ++header.fallback_records;
    const uint64_t record_no = block.variants[i].record;
    // CHROM and POS passed the source's check; the column count is checked here.
    io::SiteColumns site = io::ParseSiteColumns(line.data(), line.size(), header.text_columns);
    if (!site.error.empty())
      throw FormatError(io::TextRecordWhere(header.path, record_no) + " " + site.error);
    kstring_t text = {0, 0, nullptr};
    kputsn(line.data(), line.size(), &text);
    bcf1_t* rec = bcf_init();
    std::unique_ptr<bcf1_t, void (*)(bcf1_t*)> owned(rec, bcf_destroy);
    int ret = vcf_parse(&text, header.hdr, rec);
    free(text.s);
    // htslib adds an undeclared contig to the header and flags the record; the source warned.
    if (ret == 0) rec->errcode &= ~BCF_ERR_CTG_UNDEF;
    if (ret < 0)
      throw FormatError(io::MalformedRecordMessage(header.path, record_no, last_site));
    if (rec->errcode & BCF_ERR_TAG_UNDEF)
      throw FormatError(io::UndeclaredTagMessage(header.path, record_no));
    if (rec->errcode != 0)
      throw FormatError(io::MalformedRecordMessage(header.path, record_no, last_site));
    if (rec->n_sample != block.n_samples)
      throw FormatError(io::SampleColumnsMessage(
          header.path, record_no, site.chrom + ":" + std::to_string(site.pos), rec->n_sample,
          block.n_samples));
    DecodeRecord(rec, header, block, i, haploid_calls, /*raw_gt=*/false);
  }

  // "'file': record N (chrom:pos)" for error messages.
  static std::string Where(const io::VcfHeader& header, const Variant& v) {
    return "'" + header.path + "': record " + std::to_string(v.record) + " (" + v.chrom + ":" +
           std::to_string(v.pos) + ")";
  }

  HaploidPolicy haploid_;
  bool raw_gt_;  // BCF records: GT from the raw FORMAT bytes (vcf-parser fast), else bcf_unpack
};

}  // namespace

void RegisterDecodeGtStage(StageRegistry& registry) {
  registry.Add(MakeStageInfo<DecodeGtStage, DecodeGtOptions>(
      "decode FORMAT/GT into codes 0/1/2/missing; skip multi-allelic, no-ALT, non-diploid and "
      "invalid-allele records"));
}

}  // namespace snpflow
