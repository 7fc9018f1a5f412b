#pragma once
/// The VCF text fast path's line parser: one data line -> site fields and genotype codes, with no
/// htslib call. It accepts only lines whose result it knows to equal htslib's `vcf_parse` followed
/// by `decode-gt` (same fields, codes and skip reason; no line htslib rejects); for any other line
/// it answers kFallback and the caller parses that line with htslib. Private to io/ and stages/.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace snpflow::io {

/// Skip reasons shared by decode-gt's htslib path and the fast path (ingest.json counts them).
inline constexpr const char* kSkipMultiAllelic = "multi-allelic";
inline constexpr const char* kSkipNoAlt = "no-alt";
inline constexpr const char* kSkipNotDiploid = "not-diploid";   // 3+ alleles, not all missing
inline constexpr const char* kSkipBadAllele = "invalid-allele";  // an allele index >= n_allele
inline constexpr const char* kSkipHaploid = "haploid";           // with HaploidRule::kSkipRecord

/// decode-gt's site rule, before any GT is read: more than one ALT skips `multi-allelic`; no ALT,
/// or ALT "." or "*", skips `no-alt`. Returns the reason, or nullptr for a record whose GT counts.
inline const char* SiteSkip(int n_alleles, std::string_view alt) {
  if (n_alleles > 2) return kSkipMultiAllelic;
  if (n_alleles < 2 || alt == "." || alt == "*") return kSkipNoAlt;
  return nullptr;
}

/// --decode-gt.haploid: a non-missing haploid call a is read as a/a (kHom), as missing, or
/// skips the record.
enum class HaploidRule { kHom, kMissing, kSkipRecord };

/// What parsing needs from the VCF header, copied once at open: parsing never reads htslib's
/// header, which `vcf_parse` may grow (undeclared tags) on another thread.
class VcfTextDictionary {
 public:
  /// Type of a declared FORMAT field, as htslib parses it.
  enum class FieldType : uint8_t { kString, kInteger, kFloat, kUnsupported };

  void AddContig(std::string name);
  /// An ID declared as an INFO field.
  void AddInfo(std::string key);
  /// Any ID of the header's dictionary (htslib accepts any of them as a FILTER).
  void AddId(std::string id);
  void AddFormat(std::string key, FieldType type);
  /// `columns`: sample columns of the file; `kept`: the columns read (-S), ascending, each
  /// < columns. Without -S, pass every column.
  void SetSamples(size_t columns, std::vector<uint32_t> kept);

  bool IsContig(std::string_view name) const { return contigs_.count(name) != 0; }
  bool IsInfo(std::string_view key) const { return info_.count(key) != 0; }
  bool IsId(std::string_view id) const { return ids_.count(id) != 0; }
  /// The declared type of FORMAT `key`; false if it is not declared as a FORMAT field.
  bool FormatType(std::string_view key, FieldType* type) const;
  size_t columns() const { return columns_; }
  const std::vector<uint32_t>& kept() const { return kept_; }
  /// true when every column is read (no -S).
  bool all_kept() const { return kept_.size() == columns_; }

 private:
  std::string_view Own(std::string s);
  std::vector<std::unique_ptr<std::string>> strings_;  // owns the text the views point to
  std::unordered_set<std::string_view> contigs_, info_, ids_;
  std::unordered_map<std::string_view, FieldType> formats_;
  size_t columns_ = 0;
  std::vector<uint32_t> kept_;
};

/// One line's site fields (views into the line) and its skip reason.
struct ParsedLine {
  std::string_view chrom;
  int64_t pos = 0;  // 1-based
  std::string_view id;
  std::string_view ref;
  std::string_view alt;  // "" when the VCF's ALT is "."
  int n_alleles = 0;
  const char* drop = nullptr;  // a kSkip* reason, or nullptr when kept
  uint64_t haploid_calls = 0;  // haploid calls converted (when kept)
};

enum class LineStatus { kOk, kFallback };

/// Parse `line` (no line end; a trailing '\r' is the caller's to strip) into `out` and, when the
/// record is biallelic and decodable, one code per kept sample into `codes` (dict.kept().size()
/// bytes; left unspecified for a dropped record). The line must have exactly 9 + columns()
/// columns. Returns kFallback, with `out` and `codes` unspecified, for any line the fast path
/// does not handle exactly. Thread-safe. The decoding rules are decode-gt's (stages/decode_gt.cc):
/// the first sample, in column order, whose call is an invalid allele, polyploid or (kSkipRecord)
/// haploid decides the skip reason.
LineStatus ParseVcfLine(std::string_view line, const VcfTextDictionary& dict, HaploidRule haploid,
                        ParsedLine& out, uint8_t* codes);

/// Return "chrom:pos" of a data line as htslib reads it (for "after chrom:pos" in messages).
std::string SiteOfLine(std::string_view line);

}  // namespace snpflow::io
