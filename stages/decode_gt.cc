// decode-gt: turn each raw htslib record into site fields and 2-bit-ready genotype codes.
//
// The rules, in the order they apply to a record (a parallel VCF-text parser must reproduce them):
//  1. A record the source already skipped (`unsorted`, `duplicate`) is left alone.
//  2. More than one ALT: skip `multi-allelic`. No ALT, or ALT "." or "*": skip `no-alt`.
//  3. No GT field in the record: FormatError. GT bytes inconsistent with the sample count or the
//     value type (a corrupt BCF): FormatError naming file and record. BCF records (vcf-parser
//     fast) find GT by walking the raw FORMAT bytes (io::DecodeRawGt), the last GT key winning as
//     with bcf_unpack; the same rules, codes and messages as the bcf_unpack path (vcf-parser
//     htslib). On 1-2 threads the source runs DecodeRawGt on kept biallelic records while it reads
//     them (the bytes are in cache then) and leaves the result here, to act on in record order.
//  4. Each sample's call is decoded by DecodeCall (io/bcf_gt_values.cc). The record is
//     skipped with the reason of the first sample, in column order, whose call cannot be decoded:
//     `invalid-allele`, `not-diploid`, or `haploid` (only with --decode-gt.haploid skip-record).
//  5. Haploid calls converted in a record that is kept are counted per policy
//     (`haploid-calls-as-hom`, `haploid-calls-as-missing`).
#include "stages/decode_gt.h"

#include <htslib/kstring.h>
#include <htslib/vcf.h>


#include <cstring>
#include <mutex>

#include "io/bcf_raw_gt.h"
#include "io/vcf_records_internal.h"
#include "pipeline/error.h"
#include "pipeline/registry.h"
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

io::HaploidRule HaploidRuleOf(const std::string& value) {
  if (value == "missing") return io::HaploidRule::kMissing;
  if (value == "skip-record") return io::HaploidRule::kSkipRecord;
  return io::HaploidRule::kHom;
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
  source.decode_bcf_gt = source.fast_text;
  source.haploid = HaploidRuleOf(o.haploid);
}

namespace {

constexpr const char* kHaploidAsHom = "haploid-calls-as-hom";
constexpr const char* kHaploidAsMissing = "haploid-calls-as-missing";

class DecodeGtStage : public BlockStage {
 public:
  explicit DecodeGtStage(const DecodeGtOptions& options)
      : haploid_(HaploidRuleOf(options.haploid)), raw_gt_(options.vcf_parser == "fast") {
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
        DecodeRecord(raw->records[i], header, block, i, &haploid_calls, raw_gt_ && header.bcf,
                     raw->gt.empty() ? nullptr : &raw->gt[i]);
    }
    // The buffer grows unzeroed (CodeBuffer) and the decoders write kept variants only: give the
    // dropped ones defined codes, for stages that look at them.
    for (size_t i = 0; i < block.size(); ++i)
      if (!block.kept(i)) std::memset(block.codes_of(i), 0, block.n_samples);
    if (haploid_calls > 0)
      block.Count(haploid_ == io::HaploidRule::kHom ? kHaploidAsHom : kHaploidAsMissing,
                  haploid_calls);
    // The raw records are no longer needed; free them before the block waits in the sequencer.
    block.raw.reset();
  }

 private:
  // Decode htslib record `rec` into variant i of `block` (chrom, pos and order skips come from
  // the source): site fields, codes, skip reason; adds the haploid calls converted. `raw_gt`:
  // GT from the record's raw FORMAT bytes (io::DecodeRawGt) instead of bcf_unpack's BCF_UN_FMT;
  // both give the same codes, skips and errors (tests/stages/bcf_raw_gt_test.cc). `decoded`: what
  // the source's DecodeRawGt found while it read the record (its codes are in the block), or
  // nullptr / kNotDecoded to decode here.
  void DecodeRecord(bcf1_t* rec, const io::VcfHeader& header, VariantBlock& block, size_t i,
                    uint64_t* haploid_calls, bool raw_gt,
                    const io::RawGtDecode* decoded = nullptr) const {
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
    if (const char* skip = io::SiteSkip(rec->n_allele, v.alt)) {
      block.Drop(i, skip);
      return;
    }
    uint8_t* codes = block.codes_of(i);
    io::GtDecodeResult r;
    if (raw_gt) {
      io::RawGtDecode gt;
      if (decoded != nullptr && decoded->status != io::RawGtStatus::kNotDecoded) gt = *decoded;
      else
        gt = io::DecodeRawGt(reinterpret_cast<const uint8_t*>(rec->indiv.s), rec->indiv.l,
                             rec->n_fmt, block.n_samples, header.gt_id, rec->n_allele, haploid_,
                             codes);
      switch (gt.status) {
        case io::RawGtStatus::kAbsent: throw NoGt(header, v);
        case io::RawGtStatus::kCorrupt: throw CorruptRecord(header, v);
        case io::RawGtStatus::kSizeMismatch: throw GtSizeMismatch(header, v, block.n_samples);
        default: break;
      }
      r = gt.result;
    } else {
      const bcf_fmt_t* fmt = nullptr;
      for (int k = 0; k < rec->n_fmt; ++k)
        if (rec->d.fmt[k].id == header.gt_id) fmt = &rec->d.fmt[k];
      if (fmt == nullptr || fmt->p == nullptr) throw NoGt(header, v);
      const int bytes = io::GtValueBytes(fmt->type);
      // What the decoder reads: n_samples calls of fmt->n values of the declared type. A corrupt
      // BCF can claim otherwise; without this check the decoder would read past fmt->p.
      if (bytes == 0 || fmt->n <= 0 || fmt->size != fmt->n * bytes ||
          static_cast<uint64_t>(fmt->p_len) <
              static_cast<uint64_t>(block.n_samples) * static_cast<uint64_t>(fmt->size))
        throw GtSizeMismatch(header, v, block.n_samples);
      r = io::DecodeBcfGt(fmt->p, bytes, fmt->n, block.n_samples, rec->n_allele, haploid_, codes);
    }
    if (r.skip != nullptr) block.Drop(i, r.skip);
    else *haploid_calls += r.haploid_calls;
  }

  static FormatError GtSizeMismatch(const io::VcfHeader& header, const Variant& v,
                                    size_t n_samples) {
    return FormatError(Where(header, v) + " has a GT field whose size does not match its " +
                       std::to_string(n_samples) + " samples (the record is corrupt); "
                       "check the file with `bcftools view " + header.path + " > /dev/null`");
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
    auto pending_at = [&](size_t i, bool after_parse) {
      if (text.has_pending_error() && text.pending_line == i &&
          text.pending_after_parse == after_parse)
        throw FormatError(text.pending_error);
    };
    for (size_t i = 0; i < text.lines(); ++i) {
      pending_at(i, false);
      std::string_view line = text.TrimmedLine(i, header.strips_final_cr);
      io::ParsedLine parsed;
      if (io::ParseVcfLine(line, dict, haploid_, parsed, block.codes_of(i)) == io::LineStatus::kOk) {
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

  io::HaploidRule haploid_;
  bool raw_gt_;  // BCF records: GT from the raw FORMAT bytes (vcf-parser fast), else bcf_unpack
};

}  // namespace

void RegisterDecodeGtStage(StageRegistry& registry) {
  registry.Add(MakeStageInfo<DecodeGtStage, DecodeGtOptions>(
      "decode FORMAT/GT into codes 0/1/2/missing; skip multi-allelic, no-ALT, non-diploid and "
      "invalid-allele records"));
}

}  // namespace snpflow
