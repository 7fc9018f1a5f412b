#pragma once
/// An in-memory data set for trainer tests: classes with their own allele frequencies, packed into
/// a PackedStore and counted into GenotypeCounts exactly as ingest would.
#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "pipeline/folds.h"
#include "stages/fold_stats.h"

namespace snpflow::testing {

struct SyntheticSpec {
  int samples = 200;
  int snps = 300;
  int classes = 4;
  int folds = 5;
  uint64_t seed = 1;
  double signal = 0.25;      // sd of the class frequency shift; 0: no structure
  bool random_labels = false;  // labels independent of genotypes (for overfitting tests)
  double missing_rate = 0.02;
  /// >= 0: the samples of this partition get genotypes from another random stream (the other
  /// samples' genotypes stay the same), for leakage tests.
  int scramble_partition = -1;
};

inline Dataset MakeSyntheticDataset(const SyntheticSpec& spec) {
  std::mt19937_64 rng(spec.seed);
  std::mt19937_64 other(spec.seed ^ 0x5C4A3B1E);
  std::uniform_real_distribution<double> unif(0.0, 1.0);
  std::normal_distribution<double> normal(0.0, 1.0);
  Dataset data;
  SampleTable& t = data.samples;
  t.folds = spec.folds;
  for (int c = 0; c < spec.classes; ++c) {
    char name[16];
    std::snprintf(name, sizeof name, "c%02d", c);
    t.class_names.push_back(name);
  }
  std::vector<int> genotype_class(spec.samples);
  for (int i = 0; i < spec.samples; ++i) {
    char id[16];
    std::snprintf(id, sizeof id, "s%04d", i);
    t.ids.push_back(id);
    genotype_class[i] = i % spec.classes;
    t.label.push_back(spec.random_labels ? static_cast<int>(rng() % spec.classes)
                                         : genotype_class[i]);
  }
  t.partition = AssignFolds(t.label, spec.classes, spec.folds, spec.seed);

  data.store = io::PackedStore(t.ids);
  data.counts = GenotypeCounts(spec.folds, static_cast<size_t>(spec.classes));
  std::vector<uint8_t> codes(spec.samples);
  std::vector<uint16_t> row(data.counts.stride());
  for (int j = 0; j < spec.snps; ++j) {
    double base = 0.1 + 0.8 * unif(rng);
    std::vector<double> freq(spec.classes);
    for (auto& f : freq) f = std::clamp(base + spec.signal * normal(rng), 0.01, 0.99);
    std::fill(row.begin(), row.end(), 0);
    for (int i = 0; i < spec.samples; ++i) {
      double p = freq[genotype_class[i]];
      uint8_t g = static_cast<uint8_t>((unif(rng) < p) + (unif(rng) < p));
      if (unif(rng) < spec.missing_rate) g = 3;
      if (t.partition[i] == spec.scramble_partition) g = static_cast<uint8_t>(other() % 4);
      codes[i] = g;
      row[(static_cast<size_t>(t.partition[i]) * spec.classes + t.label[i]) * 4 + g] += 1;
    }
    io::SiteInfo site;
    site.chrom = "1";
    site.pos = 1000 + 10 * j;
    site.id = "rs" + std::to_string(j);
    site.ref = "A";
    site.alt = "G";
    data.store.AppendVariant(site, codes.data());
    data.counts.Append(row.data());
  }
  data.store.Finish();
  return data;
}

}  // namespace snpflow::testing
