#include "io/genotype_counts.h"

#include <algorithm>

#include "io/npy.h"
#include "pipeline/error.h"

namespace snpflow::io {

void GenotypeCounts::Append(const uint16_t* row) {
  if (n_snps_ % kChunkSnps == 0) {
    chunks_.emplace_back();
    chunks_.back().reserve(kChunkSnps * stride());
  }
  chunks_.back().insert(chunks_.back().end(), row, row + stride());
  ++n_snps_;
}

std::string CountsDtype(const GenotypeCounts& counts) {
  // Every sample has exactly one code per SNP, so any row's four genotype counts of a cell sum to
  // the cell's size (its samples in that partition and class): no count can exceed it.
  if (counts.n_snps() == 0) return "|u1";
  const uint16_t* row = counts.of(0);
  for (size_t k = 0; k < counts.stride(); k += 4)
    if (row[k] + row[k + 1] + row[k + 2] + row[k + 3] > UINT8_MAX) return "<u2";
  return "|u1";
}

void WriteCounts(const GenotypeCounts& counts, const std::string& path) {
  const std::string dtype = CountsDtype(counts);
  NpyWriter writer(path, dtype,
                   {counts.n_snps(), static_cast<uint64_t>(counts.folds()), counts.classes(), 4});
  std::vector<uint8_t> narrow;
  for (size_t j = 0; j < counts.n_snps(); j += GenotypeCounts::kChunkSnps) {
    const size_t n = std::min(GenotypeCounts::kChunkSnps, counts.n_snps() - j) * counts.stride();
    const uint16_t* chunk = counts.of(j);
    if (dtype == "<u2") {
      writer.Write(chunk, n * sizeof(uint16_t));
      continue;
    }
    narrow.resize(n);
    for (size_t k = 0; k < n; ++k) {
      if (chunk[k] > UINT8_MAX)
        throw Error(path + ": a count of " + std::to_string(chunk[k]) +
                    " exceeds its cell's size (internal error; please report it)");
      narrow[k] = static_cast<uint8_t>(chunk[k]);
    }
    writer.Write(narrow.data(), narrow.size());
  }
  writer.Commit();
}

}  // namespace snpflow::io
