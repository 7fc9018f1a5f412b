#include "io/vcf_line_parser.h"

#include <algorithm>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace snpflow::io {

std::string_view VcfTextDictionary::Own(std::string s) {
  strings_.push_back(std::make_unique<std::string>(std::move(s)));
  return *strings_.back();
}

void VcfTextDictionary::AddContig(std::string name) { contigs_.insert(Own(std::move(name))); }
void VcfTextDictionary::AddInfo(std::string key) { info_.insert(Own(std::move(key))); }
void VcfTextDictionary::AddId(std::string id) { ids_.insert(Own(std::move(id))); }
void VcfTextDictionary::AddFormat(std::string key, FieldType type) {
  formats_[Own(std::move(key))] = type;
}
void VcfTextDictionary::SetSamples(size_t columns, std::vector<uint32_t> kept) {
  columns_ = columns;
  kept_ = std::move(kept);
}

bool VcfTextDictionary::FormatType(std::string_view key, FieldType* type) const {
  auto it = formats_.find(key);
  if (it == formats_.end()) return false;
  *type = it->second;
  return true;
}

namespace {

// The htslib behaviours mirrored here are those of htslib 1.16's vcf_parse (vcf.c): fields split
// on every tab (empty fields included), POS by hts_str2uint, FILTER and INFO keys looked up in the
// header (an undeclared one is an error for snpflow), FORMAT values checked per type, and GT read
// as alleles separated by '/' or '|'. Each rule below accepts a subset of what htslib accepts.

constexpr int kMaxFormatFields = 200;  // htslib's limit is 255 (MAX_N_FMT)
constexpr int kMaxEntries = 60000;     // htslib's limits on alleles and INFO entries are 65535
constexpr uint32_t kMaxAllele = (INT32_MAX >> 1) - 1;

inline bool IsDigit(char c) { return static_cast<unsigned char>(c - '0') < 10; }

// Split off the text up to the next tab; false when there is none.
inline bool NextField(std::string_view& rest, std::string_view& field) {
  const void* tab = std::memchr(rest.data(), '\t', rest.size());
  if (tab == nullptr) return false;
  size_t n = static_cast<const char*>(tab) - rest.data();
  field = rest.substr(0, n);
  rest.remove_prefix(n + 1);
  return true;
}

// FILTER: "." or ';'-separated IDs of the header (one trailing ';' is dropped, as htslib does).
bool FilterOk(std::string_view f, const VcfTextDictionary& dict) {
  if (f == ".") return true;
  if (!f.empty() && f.back() == ';') f.remove_suffix(1);
  while (true) {
    size_t semi = f.find(';');
    std::string_view id = f.substr(0, semi);
    if (id.empty() || !dict.IsId(id)) return false;
    if (semi == std::string_view::npos) return true;
    f.remove_prefix(semi + 1);
  }
}

// INFO: "." or ';'-separated entries whose keys (text before '=') are declared INFO fields.
// Values are not read: htslib never rejects one (a bad number becomes missing).
bool InfoOk(std::string_view f, const VcfTextDictionary& dict) {
  if (f == ".") return true;
  if (!f.empty() && f.back() == ';') f.remove_suffix(1);
  int entries = 0;
  while (true) {
    size_t semi = f.find(';');
    std::string_view entry = f.substr(0, semi);
    std::string_view key = entry.substr(0, entry.find('='));
    if (!key.empty()) {
      if (!dict.IsInfo(key) || ++entries > kMaxEntries) return false;
    }
    if (semi == std::string_view::npos) return true;
    f.remove_prefix(semi + 1);
  }
}

inline bool EndsValue(const char* p, const char* e) { return p == e || *p == ':' || *p == '\t'; }

// One FORMAT value of a non-GT field, from p up to ':', a tab or the line end (e). Returns the
// position of the terminator, or nullptr when htslib would reject or bend the value.
const char* SkipValue(const char* p, const char* e, VcfTextDictionary::FieldType type) {
  using FieldType = VcfTextDictionary::FieldType;
  if (type == FieldType::kString) {
    for (; p < e && *p != ':' && *p != '\t'; ++p)
      if (*p == '\0') return nullptr;  // htslib's C string would end here
    return p;
  }
  // Integer and Float: ','-separated items, each empty, "." or a plain decimal number.
  while (true) {
    if (p < e && *p == '.' && (EndsValue(p + 1, e) || !IsDigit(p[1]))) {
      ++p;
    } else if (type == FieldType::kInteger) {
      const bool minus = p < e && *p == '-';
      if (minus) ++p;
      const char* digits = p;
      while (p < e && IsDigit(*p)) ++p;
      if (p - digits > 9 || (p == digits && minus)) return nullptr;
    } else {
      const char* start = p;
      if (p < e && *p == '-') ++p;
      const char* int_part = p;
      while (p < e && IsDigit(*p)) ++p;
      bool digits = p > int_part;
      if (p < e && *p == '.') {
        ++p;
        const char* frac = p;
        while (p < e && IsDigit(*p)) ++p;
        digits = digits || p > frac;
      }
      if (!digits) {
        if (p != start) return nullptr;  // "-" or "-." alone
      } else if (p < e && (*p == 'e' || *p == 'E')) {
        ++p;
        if (p < e && (*p == '-' || *p == '+')) ++p;
        const char* exp = p;
        while (p < e && IsDigit(*p)) ++p;
        if (p == exp) return nullptr;
      }
    }
    if (EndsValue(p, e)) return p;
    if (*p != ',') return nullptr;
    ++p;
  }
}

// Allele lookup for the common one-character alleles: '0' -> 0, '1' -> 1, '.' -> 2 (missing).
struct AlleleTable {
  uint8_t v[256];
  constexpr AlleleTable() : v() {
    for (int c = 0; c < 256; ++c) v[c] = 0xFF;
    v[static_cast<unsigned char>('0')] = 0;
    v[static_cast<unsigned char>('1')] = 1;
    v[static_cast<unsigned char>('.')] = 2;
  }
};
constexpr AlleleTable kAllele;
// Code of a diploid call from the two one-character alleles' table values (0, 1, 2 = missing).
constexpr uint8_t kPairCode[3][3] = {{0, 1, 3}, {1, 2, 3}, {3, 3, 3}};

enum class Call : uint8_t { kOk, kNotDiploid, kBadAllele, kHaploid };

// Decode one sample's GT starting at p (the line ends at e). On success sets *code and *call (as
// decode-gt's DecodeSample would) and returns the position after GT; nullptr when the fast path
// does not take the text. GT stops at the first character that is not a digit, '.', '/' or '|'.
inline const char* ParseGt(const char* p, const char* e, uint8_t* code, Call* call,
                           int* allele) {
  // The common forms "a/b" and "a|b" with one-character alleles 0, 1 or '.'.
  if (e - p >= 3) {
    uint8_t a = kAllele.v[static_cast<unsigned char>(p[0])];
    uint8_t b = kAllele.v[static_cast<unsigned char>(p[2])];
    if ((a | b) != 0xFF && (p[1] == '/' || p[1] == '|') &&
        (e - p == 3 || (p[3] != '/' && p[3] != '|' && !IsDigit(p[3])))) {
      *code = kPairCode[a][b];
      *call = Call::kOk;
      return p + 3;
    }
  }
  int ploidy = 0, alt = 0;
  bool any_missing = false, all_missing = true, bad_allele = false;
  while (true) {
    if (p < e && *p == '.') {
      ++p;
      any_missing = true;
    } else {
      const char* digits = p;
      uint32_t value = 0;
      while (p < e && IsDigit(*p)) value = value * 10 + static_cast<uint32_t>(*p++ - '0');
      if (p == digits || p - digits > 9 || value > kMaxAllele) return nullptr;
      all_missing = false;
      if (value > 1) bad_allele = true;
      alt += static_cast<int>(value);
      *allele = static_cast<int>(value);
    }
    ++ploidy;
    if (p < e && (*p == '/' || *p == '|')) {
      ++p;
      continue;
    }
    break;
  }
  if (bad_allele) {
    *call = Call::kBadAllele;
  } else if (ploidy == 2) {
    *call = Call::kOk;
    *code = any_missing ? 3 : static_cast<uint8_t>(alt);
  } else if (all_missing) {
    *call = Call::kOk;
    *code = 3;
  } else {
    *call = ploidy == 1 ? Call::kHaploid : Call::kNotDiploid;
  }
  return p;
}


#if defined(__SSE2__)
// The samples of a GT-only line in their commonest form, 16 at a time: each column exactly
// "a/b" or "a|b" with a and b in {0, 1, .}, then a tab (so 64 bytes from `p`, which the caller
// checked lie before the line's end). Writes the 16 codes as ParseGt would and returns true;
// returns false, writing nothing, when any of the 16 columns has another form (the caller then
// parses them one by one).
inline bool ParseSimpleGt16(const char* p, uint8_t* codes) {
  // Byte roles in each column's 4 bytes: allele, separator, allele, tab.
  const __m128i allele_at = _mm_set1_epi32(0x00FF00FF);                           // bytes 0, 2
  const __m128i sep_at = _mm_set1_epi32(0x0000FF00);                               // byte 1
  const __m128i tab_at = _mm_set1_epi32(static_cast<int>(0xFF000000u));           // byte 3
  const __m128i zero_char = _mm_set1_epi8('0'), one = _mm_set1_epi8(1),
                dot = _mm_set1_epi8('.'), slash = _mm_set1_epi8('/'), bar = _mm_set1_epi8('|'),
                tab = _mm_set1_epi8('\t'), three = _mm_set1_epi8(3),
                low_byte = _mm_set1_epi32(0xFF);
  __m128i lanes[4];
  for (int v = 0; v < 4; ++v) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * v));
    // g: 0 for '0', 1 for '1', 0xFE for '.', something else for any other byte.
    const __m128i g = _mm_sub_epi8(x, zero_char);
    const __m128i allele_ok = _mm_or_si128(_mm_cmpeq_epi8(_mm_max_epu8(g, one), one),
                                           _mm_cmpeq_epi8(x, dot));
    const __m128i sep_ok = _mm_or_si128(_mm_cmpeq_epi8(x, slash), _mm_cmpeq_epi8(x, bar));
    const __m128i ok = _mm_or_si128(
        _mm_or_si128(_mm_and_si128(allele_ok, allele_at), _mm_and_si128(sep_ok, sep_at)),
        _mm_and_si128(_mm_cmpeq_epi8(x, tab), tab_at));
    if (_mm_movemask_epi8(ok) != 0xFFFF) return false;
    // Byte 0 of each column: g(a) + g(b) saturated, then at most 3 (missing when either is '.').
    const __m128i sum = _mm_adds_epu8(g, _mm_srli_epi32(g, 16));
    lanes[v] = _mm_and_si128(_mm_min_epu8(sum, three), low_byte);
  }
  const __m128i packed = _mm_packus_epi16(_mm_packs_epi32(lanes[0], lanes[1]),
                                          _mm_packs_epi32(lanes[2], lanes[3]));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(codes), packed);
  return true;
}
#endif

}  // namespace

LineStatus ParseVcfLine(std::string_view line, const VcfTextDictionary& dict, HaploidRule haploid,
                        ParsedLine& out, uint8_t* codes) {
  std::string_view rest = line, f;
  // CHROM
  if (!NextField(rest, f) || !dict.IsContig(f)) return LineStatus::kFallback;
  out.chrom = f;
  // POS: a plain positive decimal (htslib would silently read "12x" as 12 and "0" as 0).
  if (!NextField(rest, f) || f.empty() || f.size() > 18 || f[0] == '0') return LineStatus::kFallback;
  int64_t pos = 0;
  for (char c : f) {
    if (!IsDigit(c)) return LineStatus::kFallback;
    pos = pos * 10 + (c - '0');
  }
  out.pos = pos;
  // ID, REF
  if (!NextField(rest, f) || f.empty()) return LineStatus::kFallback;
  out.id = f;
  if (!NextField(rest, f) || f.empty()) return LineStatus::kFallback;
  out.ref = f;
  // ALT
  if (!NextField(rest, f) || f.empty()) return LineStatus::kFallback;
  if (f == ".") {
    out.alt = std::string_view();
    out.n_alleles = 1;
  } else {
    out.alt = f;
    size_t commas = 0;
    for (char c : f) commas += c == ',';
    if (commas > kMaxEntries) return LineStatus::kFallback;
    out.n_alleles = static_cast<int>(commas) + 2;
  }
  // QUAL: htslib reads it with atof and never rejects it.
  if (!NextField(rest, f)) return LineStatus::kFallback;
  if (!NextField(rest, f) || !FilterOk(f, dict)) return LineStatus::kFallback;
  if (!NextField(rest, f) || !InfoOk(f, dict)) return LineStatus::kFallback;
  // FORMAT: GT first (where the VCF spec puts it), then declared fields of supported types.
  if (!NextField(rest, f)) return LineStatus::kFallback;
  using FieldType = VcfTextDictionary::FieldType;
  FieldType types[kMaxFormatFields];
  int n_fmt = 0;
  {
    std::string_view keys = f;
    while (true) {
      size_t colon = keys.find(':');
      std::string_view key = keys.substr(0, colon);
      if (n_fmt == kMaxFormatFields) return LineStatus::kFallback;
      if (n_fmt == 0) {
        if (key != "GT") return LineStatus::kFallback;
        types[n_fmt++] = FieldType::kString;
      } else {
        FieldType type;
        if (key == "GT" || !dict.FormatType(key, &type) || type == FieldType::kUnsupported)
          return LineStatus::kFallback;
        types[n_fmt++] = type;
      }
      if (colon == std::string_view::npos) break;
      keys.remove_prefix(colon + 1);
    }
  }
  FieldType gt_type;
  if (!dict.FormatType("GT", &gt_type) || gt_type != FieldType::kString)
    return LineStatus::kFallback;
  // htslib reads a line as a C string: a NUL byte would cut it short. The sample scan below
  // rejects NULs in what it reads; check the fixed columns here, and with -S the whole line
  // (the columns it skips are not scanned).
  const size_t checked = dict.all_kept() ? static_cast<size_t>(rest.data() - line.data()) : line.size();
  if (std::memchr(line.data(), '\0', checked) != nullptr) return LineStatus::kFallback;

  // Samples. Columns after the last one read are ignored, as htslib ignores them.
  out.drop = SiteSkip(out.n_alleles, out.alt);
  const std::vector<uint32_t>& kept = dict.kept();
  const bool all = dict.all_kept();
  const char* p = rest.data();
  const char* const end = rest.data() + rest.size();
  uint32_t column = 0;
  Call first_bad = Call::kOk;
  out.haploid_calls = 0;
  for (size_t k = 0; k < kept.size(); ++k) {
#if defined(__SSE2__)
    // GT-only lines of plain diploid calls (1000 Genomes' form): 16 columns per step. The 16th
    // column's tab must be there, so the line's last column is always parsed one by one.
    if (all && n_fmt == 1 && k % 16 == 0)
      while (k + 16 <= kept.size() && end - p > 64 && ParseSimpleGt16(p, codes + k)) {
        p += 64;
        k += 16;
        column += 16;
      }
    if (k == kept.size()) break;
#endif
    if (!all) {
      // Skip the columns that -S leaves out, unread (htslib skips them too).
      for (; column < kept[k]; ++column) {
        if (p > end) return LineStatus::kFallback;
        const void* tab = std::memchr(p, '\t', end - p);
        if (tab == nullptr) return LineStatus::kFallback;
        p = static_cast<const char*>(tab) + 1;
      }
    }
    // An empty or absent column: htslib rejects the GT or the column count.
    if (p >= end) return LineStatus::kFallback;
    uint8_t code = 3;
    Call call = Call::kOk;
    int allele = 0;
    p = ParseGt(p, end, &code, &call, &allele);
    if (p == nullptr) return LineStatus::kFallback;
    for (int field = 1; p < end && *p != '\t';) {
      if (*p != ':' || field == n_fmt) return LineStatus::kFallback;
      p = SkipValue(p + 1, end, types[field++]);
      if (p == nullptr) return LineStatus::kFallback;
    }
    if (call == Call::kHaploid && haploid != HaploidRule::kSkipRecord) {
      code = haploid == HaploidRule::kHom ? static_cast<uint8_t>(2 * allele) : 3;
      call = Call::kOk;
      if (first_bad == Call::kOk) ++out.haploid_calls;
    }
    codes[k] = code;
    if (first_bad == Call::kOk) first_bad = call;
    ++p;  // past the tab (or one past the end: no further column)
    ++column;
  }
  // Exactly 9 + columns() columns (the source's rule; htslib alone ignores extra ones).
  if (all) {
    if (p != end + 1) return LineStatus::kFallback;
  } else if (!kept.empty()) {
    size_t rest_columns = p > end ? 0 : 1 + static_cast<size_t>(std::count(p, end, '\t'));
    if (column + rest_columns != dict.columns()) return LineStatus::kFallback;
  }
  if (out.drop == nullptr) {
    if (first_bad == Call::kNotDiploid) out.drop = kSkipNotDiploid;
    if (first_bad == Call::kBadAllele) out.drop = kSkipBadAllele;
    if (first_bad == Call::kHaploid) out.drop = kSkipHaploid;
  }
  if (out.drop != nullptr) out.haploid_calls = 0;
  return LineStatus::kOk;
}

std::string SiteOfLine(std::string_view line) {
  size_t tab = line.find('\t');
  std::string chrom(line.substr(0, tab));
  uint64_t pos = 0;
  if (tab != std::string_view::npos) {
    size_t i = tab + 1;
    if (i < line.size() && line[i] == '+') ++i;
    for (; i < line.size() && IsDigit(line[i]); ++i) pos = pos * 10 + (line[i] - '0');
  }
  // htslib stores POS - 1 and the source prints pos + 1: the same number, "0" for none.
  return chrom + ":" + std::to_string(pos);
}

}  // namespace snpflow::io
