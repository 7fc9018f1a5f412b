#pragma once
/// A small labelled data set built in memory for the export tests: class-dependent allele
/// frequencies (so a classifier beats chance), missing calls, and an S that is not a multiple of 4
/// (so the packed layout's padding is exercised). Also writes it as an ingest output directory.
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "io/atomic_file.h"
#include "pipeline/folds.h"
#include "stages/batcher.h"
#include "stages/export.h"
#include "stages/fold_stats.h"
#include "tests/fixtures/test_util.h"

namespace snpflow::testing {

struct SmallDataSpec {
  size_t samples = 150;
  size_t snps = 203;
  size_t classes = 3;
  int folds = 5;
  double missing_rate = 0.03;
  double divergence = 0.25;  // max shift of a class's allele frequency from the ancestral one
  uint64_t seed = 7;
};

/// Return a Dataset (store, samples, counts) for `spec`; deterministic for a seed.
inline Dataset MakeSmallDataset(const SmallDataSpec& spec = {}) {
  std::mt19937_64 rng(spec.seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  Dataset data;
  SampleTable& t = data.samples;
  t.folds = spec.folds;
  for (size_t c = 0; c < spec.classes; ++c) t.class_names.push_back("POP" + std::to_string(c));
  for (size_t i = 0; i < spec.samples; ++i) {
    t.ids.push_back("S" + std::to_string(1000 + i));
    t.label.push_back(static_cast<int>(i % spec.classes));
  }
  t.partition = AssignFolds(t.label, static_cast<int>(spec.classes), spec.folds, spec.seed);

  data.store = io::PackedStore(t.ids);
  data.counts = GenotypeCounts(spec.folds, spec.classes);
  std::vector<uint8_t> codes(spec.samples);
  std::vector<uint16_t> row(data.counts.stride());
  std::vector<double> freq(spec.classes);
  for (size_t j = 0; j < spec.snps; ++j) {
    const double ancestral = 0.1 + 0.8 * unit(rng);
    for (auto& f : freq) {
      f = std::min(0.98, std::max(0.02, ancestral + spec.divergence * (2 * unit(rng) - 1)));
    }
    std::fill(row.begin(), row.end(), 0);
    for (size_t i = 0; i < spec.samples; ++i) {
      const double p = freq[t.label[i]];
      uint8_t code = static_cast<uint8_t>((unit(rng) < p) + (unit(rng) < p));
      if (unit(rng) < spec.missing_rate) code = 3;
      codes[i] = code;
      row[(static_cast<size_t>(t.partition[i]) * spec.classes + t.label[i]) * 4 + code] += 1;
    }
    io::SiteInfo site{"1", static_cast<int64_t>(1000 + 10 * j), "rs" + std::to_string(j), "A", "G"};
    data.store.AppendVariant(site, codes.data());
    data.counts.Append(row.data());
  }
  data.store.Finish();
  return data;
}

/// Write `data` as an ingest output directory (store.snpf, samples.tsv, classes.txt, counts.npy),
/// as `snpflow export --data` reads it.
inline void WriteIngestDir(const Dataset& data, const std::string& dir) {
  io::MakeDirs(dir);
  data.store.Save(dir + "/store.snpf");
  WriteSampleTable(data.samples, dir);
  io::WriteCounts(data.counts, dir + "/counts.npy");
  io::WriteIngestManifest(dir, "", data.samples.folds);  // what LoadDataset verifies
}

/// Write raw little-endian bytes (reference data for the Python checks).
template <class T>
void WriteRaw(const std::string& path, const std::vector<T>& values) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(values.data()),
            static_cast<std::streamsize>(values.size() * sizeof(T)));
  if (!out) throw std::runtime_error("test: cannot write " + path);
}

inline std::string Python() { return "/usr/bin/python3"; }
inline std::string CheckScript() { return SourceDir() + "/tests/export/check_export.py"; }
inline std::string ExampleScript(const std::string& name) {
  return SourceDir() + "/examples/python/" + name;
}

inline std::vector<uint8_t> DenseCodes(const io::PackedStore& store) {
  std::vector<uint8_t> codes(store.num_samples() * store.num_variants());
  for (size_t i = 0; i < store.num_samples(); ++i) {
    for (size_t j = 0; j < store.num_variants(); ++j) {
      codes[i * store.num_variants() + j] = store.code(i, j);
    }
  }
  return codes;
}

/// Write the reference arrays check_export.py compares against (see its docstring).
inline void WriteReference(const Dataset& data, const ExportOptions& options, size_t num_shards,
                           const std::string& ref) {
  io::MakeDirs(ref);
  const auto& t = data.samples;
  std::string classes;
  for (size_t c = 0; c < t.num_classes(); ++c) {
    classes += (c ? ", \"" : "\"") + t.class_names[c] + "\"";
  }
  const int batch_fold = 2;
  io::WriteFileAtomic(ref + "/meta.json",
                      "{\"num_samples\": " + std::to_string(t.size()) +
                          ", \"num_snps\": " + std::to_string(data.store.num_variants()) +
                          ", \"num_classes\": " + std::to_string(t.num_classes()) +
                          ", \"num_folds\": " + std::to_string(t.folds) + ", \"classes\": [" +
                          classes + "], \"batch_fold\": " + std::to_string(batch_fold) +
                          ", \"packed\": " + (options.packed ? "true" : "false") +
                          ", \"compression\": \"" + (options.compress_zstd ? "zstd" : "none") +
                          "\", \"num_shards\": " + std::to_string(num_shards) + "}\n");
  WriteRaw(ref + "/codes.u8", DenseCodes(data.store));
  WriteRaw(ref + "/labels.i64", std::vector<int64_t>(t.label.begin(), t.label.end()));
  WriteRaw(ref + "/partitions.i64", std::vector<int64_t>(t.partition.begin(), t.partition.end()));
  std::vector<float> batch_lut;
  for (int f = 0; f < t.folds; ++f) {
    FoldStats stats = ComputeFoldStats(data.counts, f);
    const std::string p = ref + "/fold_" + std::to_string(f);
    WriteRaw(p + ".mean.f4", stats.mean);
    WriteRaw(p + ".std.f4", stats.std);
    WriteRaw(p + ".emb.f4", stats.embedding);
    WriteRaw(p + ".lut.f4", stats.Lut());
    if (f == batch_fold) batch_lut = stats.Lut();
  }
  // Test samples of the batch fold plus a few others, in a scrambled order.
  std::vector<int64_t> indices;
  for (size_t i = 0; i < t.size(); i += 7)
    indices.push_back(static_cast<int64_t>(t.size() - 1 - i));
  std::vector<int64_t> labels;
  for (int64_t i : indices) labels.push_back(t.label[i]);
  BatcherOptions batcher;
  batcher.batch_size = static_cast<int>(indices.size());
  batcher.prefetch = 0;
  StoreBatchSource source(data.store, indices, labels, batch_lut.data(), batcher,
                          /*shuffle=*/false, /*seed=*/1, batch_fold);
  source.Start(0);
  Batch batch;
  ASSERT_TRUE(source.Next(&batch));
  ASSERT_EQ(batch.rows, static_cast<int64_t>(indices.size()));
  ASSERT_EQ(batch.cols, static_cast<int64_t>(data.store.num_variants()));
  for (int64_t r = 0; r < batch.rows; ++r) ASSERT_EQ(batch.samples[r], indices[r]);
  WriteRaw(ref + "/batch_indices.i64", indices);
  WriteRaw(ref + "/batch.f4", std::vector<float>(batch.x, batch.x + batch.rows * batch.cols));
}

inline void RunPythonCheck(const std::string& export_dir, const std::string& ref) {
  CommandResult r = RunShell(Python() + " " + CheckScript() + " " + export_dir + " " + ref);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("OK "), std::string::npos) << r.out;
}

}  // namespace snpflow::testing
