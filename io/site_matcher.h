#pragma once
/// Matching the variants of a VCF from another source to a model's training variants, as
/// `snpflow predict` needs: chromosome names are compared without a `chr` prefix (`chr22` = `22`,
/// `chrM` = `M` = `MT`), and a record whose REF/ALT are the training ALT/REF is matched as
/// flipped (its dosage is 2 - code). Strand flips (A/T vs T/A complements) are not guessed.
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "io/packed_store.h"

namespace snpflow::io {

/// Return the chromosome name as compared for matching: without a leading "chr" (any case), and
/// "M" for the mitochondrial names M/MT.
std::string CanonicalChrom(const std::string& chrom);

class SiteMatcher {
 public:
  /// Index the training sites; row j of the model is sites[j].
  explicit SiteMatcher(const std::vector<SiteInfo>& sites);

  struct Match {
    int64_t index = -1;    // training variant, or -1
    bool flipped = false;  // REF/ALT swapped relative to training: use 2 - code
  };
  /// Return the training variant of a record (chrom, 1-based pos, REF, ALT), or index -1.
  Match Find(const std::string& chrom, int64_t pos, const std::string& ref,
             const std::string& alt) const;

 private:
  std::unordered_map<std::string, int64_t> index_;
};

/// Return `code` (0/1/2, 3 = missing) as the dosage of the other allele when `flipped`.
inline uint8_t OrientCode(uint8_t code, bool flipped) {
  return flipped && code < 3 ? static_cast<uint8_t>(2 - code) : code;
}

}  // namespace snpflow::io
