#include "stages/fold_stats.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "io/atomic_file.h"
#include "io/npy.h"
#include "pipeline/error.h"
#include "pipeline/options.h"

namespace snpflow {


std::vector<float> FoldStats::Lut() const {
  std::vector<float> lut(n_snps * 4);
  for (size_t j = 0; j < n_snps; ++j) {
    for (int g = 0; g < 3; ++g) lut[j * 4 + g] = (static_cast<float>(g) - mean[j]) / std[j];
    lut[j * 4 + 3] = 0.0f;  // missing -> the mean, i.e. 0 after normalization
  }
  return lut;
}

FoldStats ComputeFoldStats(const GenotypeCounts& counts, int fold) {
  const int folds = counts.folds();
  const size_t classes = counts.classes();
  if (fold < 0 || fold >= folds)
    throw ConfigError("fold " + std::to_string(fold) + " is out of range 0.." +
                      std::to_string(folds - 1));
  FoldStats stats;
  stats.fold = fold;
  stats.n_snps = counts.n_snps();
  stats.classes = classes;
  stats.mean.resize(stats.n_snps);
  stats.std.resize(stats.n_snps);
  stats.embedding.resize(stats.n_snps * 4 * classes);
  std::vector<bool> train(folds);
  for (int p = 0; p < folds; ++p) train[p] = SplitOf(p, fold, folds) == Split::kTrain;
  std::vector<uint64_t> per_class(classes * 4);
  for (size_t j = 0; j < stats.n_snps; ++j) {
    std::fill(per_class.begin(), per_class.end(), 0);
    counts.Visit(j, [&](const auto* row) {
      for (int p = 0; p < folds; ++p) {
        if (!train[p]) continue;
        const auto* part = row + static_cast<size_t>(p) * classes * 4;
        for (size_t k = 0; k < classes * 4; ++k) per_class[k] += part[k];
      }
    });
    uint64_t n[4] = {0, 0, 0, 0};
    float* emb = stats.embedding.data() + j * 4 * classes;
    for (size_t c = 0; c < classes; ++c) {
      uint64_t total = 0;
      for (int g = 0; g < 4; ++g) total += per_class[c * 4 + g], n[g] += per_class[c * 4 + g];
      for (int g = 0; g < 4; ++g)
        emb[c * 4 + g] = total == 0 ? 0.0f
                                    : static_cast<float>(static_cast<double>(per_class[c * 4 + g]) /
                                                         static_cast<double>(total));
    }
    const double called = static_cast<double>(n[0] + n[1] + n[2]);
    double mean = 0, var = 0;
    if (called > 0) {
      mean = (n[1] + 2.0 * n[2]) / called;
      var = (n[1] + 4.0 * n[2]) / called - mean * mean;
    }
    double sd = var > 1e-12 ? std::sqrt(var) : 1.0;  // constant SNP: keep values finite (all 0)
    stats.mean[j] = static_cast<float>(mean);
    stats.std[j] = static_cast<float>(sd);
  }
  return stats;
}






std::vector<uint16_t> TrainPartitionCounts(const GenotypeCounts& counts, int fold,
                                           std::vector<int>* partitions) {
  partitions->clear();
  for (int p = 0; p < counts.folds(); ++p)
    if (SplitOf(p, fold, counts.folds()) == Split::kTrain) partitions->push_back(p);
  const size_t cols = counts.classes() * 4, n_snps = counts.n_snps();
  std::vector<uint16_t> out(partitions->size() * n_snps * cols);
  for (size_t k = 0; k < partitions->size(); ++k)
    for (size_t j = 0; j < n_snps; ++j)
      counts.Visit(j, [&](const auto* row) {
        std::copy_n(row + static_cast<size_t>((*partitions)[k]) * cols, cols,
                    out.data() + (k * n_snps + j) * cols);
      });
  return out;
}


}  // namespace snpflow
