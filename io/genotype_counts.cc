#include "io/genotype_counts.h"

#include <algorithm>

#include "io/npy.h"

namespace snpflow::io {

void GenotypeCounts::Append(const uint16_t* row) {
  if (n_snps_ % kChunkSnps == 0) {
    chunks_.emplace_back();
    chunks_.back().reserve(kChunkSnps * stride());
  }
  chunks_.back().insert(chunks_.back().end(), row, row + stride());
  ++n_snps_;
}

void WriteCounts(const GenotypeCounts& counts, const std::string& path) {
  NpyWriter writer(path, "<u2",
                   {counts.n_snps(), static_cast<uint64_t>(counts.folds()), counts.classes(), 4});
  for (size_t j = 0; j < counts.n_snps(); j += GenotypeCounts::kChunkSnps) {
    size_t n = std::min(GenotypeCounts::kChunkSnps, counts.n_snps() - j);
    writer.Write(counts.of(j), n * counts.stride() * sizeof(uint16_t));
  }
  writer.Commit();
}

}  // namespace snpflow::io
