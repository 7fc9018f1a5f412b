#include "io/site_matcher.h"

#include <cctype>

namespace snpflow::io {

namespace {

std::string Key(const std::string& chrom, int64_t pos, const std::string& ref,
                const std::string& alt) {
  return CanonicalChrom(chrom) + '\t' + std::to_string(pos) + '\t' + ref + '\t' + alt;
}

}  // namespace

std::string CanonicalChrom(const std::string& chrom) {
  std::string c = chrom;
  if (c.size() > 3 && std::tolower(static_cast<unsigned char>(c[0])) == 'c' &&
      std::tolower(static_cast<unsigned char>(c[1])) == 'h' &&
      std::tolower(static_cast<unsigned char>(c[2])) == 'r')
    c = c.substr(3);
  if (c == "MT" || c == "mt" || c == "m") c = "M";
  return c;
}

SiteMatcher::SiteMatcher(const std::vector<SiteInfo>& sites) {
  for (size_t j = 0; j < sites.size(); ++j) {
    const SiteInfo& s = sites[j];
    index_.emplace(Key(s.chrom, s.pos, s.ref, s.alt), static_cast<int64_t>(j));
  }
}

SiteMatcher::Match SiteMatcher::Find(const std::string& chrom, int64_t pos,
                                     const std::string& ref, const std::string& alt) const {
  Match m;
  auto it = index_.find(Key(chrom, pos, ref, alt));
  if (it != index_.end()) {
    m.index = it->second;
    return m;
  }
  it = index_.find(Key(chrom, pos, alt, ref));
  if (it != index_.end()) {
    m.index = it->second;
    m.flipped = true;
  }
  return m;
}

}  // namespace snpflow::io
