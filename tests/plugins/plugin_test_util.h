#pragma once
/// Helpers for the plugin tests: paths of the built plugins and small synthetic blocks.
#include <filesystem>
#include <string>
#include <vector>

#include "pipeline/variant_block.h"

namespace snpflow::testing {

/// The canonical path of `path` (what the loader records as the origin of a plugin's stages).
inline std::string Canonical(const std::string& path) {
  return std::filesystem::canonical(path).string();
}

/// A block of `genotypes.size()` variants (records 1, 2, ...), each with one code per sample.
inline VariantBlock MakeBlock(const std::vector<std::vector<uint8_t>>& genotypes) {
  VariantBlock block;
  block.n_samples = genotypes.empty() ? 0 : genotypes[0].size();
  for (size_t i = 0; i < genotypes.size(); ++i) {
    Variant v;
    v.chrom = "1";
    v.pos = static_cast<int64_t>(100 + i);
    v.id = "v" + std::to_string(i);
    v.ref = "A";
    v.alt = "G";
    v.n_alleles = 2;
    v.record = i + 1;
    block.variants.push_back(v);
    block.codes.insert(block.codes.end(), genotypes[i].begin(), genotypes[i].end());
  }
  block.dropped.assign(genotypes.size(), nullptr);
  return block;
}

/// Genotype codes: hom_ref 0s, het 1s, hom_alt 2s, then `missing` 3s.
inline std::vector<uint8_t> Codes(int hom_ref, int het, int hom_alt, int missing = 0) {
  std::vector<uint8_t> codes;
  codes.insert(codes.end(), hom_ref, kHomRef);
  codes.insert(codes.end(), het, kHet);
  codes.insert(codes.end(), hom_alt, kHomAlt);
  codes.insert(codes.end(), missing, kMissing);
  return codes;
}

}  // namespace snpflow::testing
