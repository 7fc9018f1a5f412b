#include "stages/export.h"

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstdio>
#include <sstream>
#include <utility>

#include "io/atomic_file.h"
#include "io/dir_lock.h"
#include "io/manifest.h"
#include "io/npy.h"
#include "pipeline/error.h"
#include "pipeline/json.h"

#ifndef SNPFLOW_VERSION
#define SNPFLOW_VERSION "unknown"
#endif

namespace snpflow {
namespace {

constexpr const char* kCodesDtype = "|u1";
constexpr const char* kInt64Dtype = "<i8";
constexpr const char* kFloatDtype = "<f4";
constexpr int kFormatVersion = 1;

/// 256-entry table: packed byte -> its four 2-bit codes, low bits first (the store's packing).
std::array<std::array<uint8_t, 4>, 256> MakeUnpackTable() {
  std::array<std::array<uint8_t, 4>, 256> table{};
  for (int byte = 0; byte < 256; ++byte) {
    for (int k = 0; k < 4; ++k) table[byte][k] = static_cast<uint8_t>((byte >> (2 * k)) & 3);
  }
  return table;
}

std::string JsonShape(const std::vector<uint64_t>& shape) {
  std::vector<std::string> dims;
  for (uint64_t d : shape) dims.push_back(std::to_string(d));
  return JsonArray(dims);
}

/// One file entry of manifest.json.
struct FileEntry {
  std::string name;
  std::string dtype;  // "" for text files
  std::vector<uint64_t> shape;
  std::string description;
};

/// Stream the genotype rows into one or more .npy files; return the entries written.
std::vector<FileEntry> WriteGenotypes(const Dataset& data, const ExportOptions& options,
                                      ExportSummary& summary) {
  const io::PackedStore& store = data.store;
  const size_t n = store.num_samples();
  const size_t s = store.num_variants();
  const size_t row_bytes = store.row_bytes();
  const size_t width = options.packed ? row_bytes : s;
  static const auto kUnpack = MakeUnpackTable();

  // Bits past the last variant in the final byte are zeroed, so packed rows are canonical.
  const uint8_t last_mask =
      (s % 4 == 0) ? uint8_t{0xFF} : static_cast<uint8_t>((1u << (2 * (s % 4))) - 1);

  std::vector<uint8_t> packed(row_bytes);
  std::vector<uint8_t> codes(options.packed ? 0 : row_bytes * 4);
  std::vector<FileEntry> entries;
  const bool sharded = options.shard_samples > 0;
  const size_t shard_rows =
      sharded ? static_cast<size_t>(options.shard_samples) : std::max<size_t>(n, 1);
  // An empty store still gets one (0-row) file, so readers always find a genotype file.
  const size_t num_shards = std::max<size_t>(1, (n + shard_rows - 1) / shard_rows);
  for (size_t shard = 0; shard < num_shards; ++shard) {
    const size_t begin = shard * shard_rows;
    const size_t end = std::min(n, begin + shard_rows);
    const std::string name = GenotypeFileName(options, sharded ? static_cast<int>(shard) : -1);
    const std::vector<uint64_t> shape = {end - begin, width};
    io::NpyWriter writer(options.output_dir + "/" + name, kCodesDtype, shape,
                         options.compress_zstd);
    for (size_t row = begin; row < end; ++row) {
      if (row_bytes > 0) {
        store.ReadRow(row, packed.data());
        packed[row_bytes - 1] &= last_mask;
      }
      if (options.packed) {
        writer.Write(packed.data(), row_bytes);
      } else {
        for (size_t b = 0; b < row_bytes; ++b) {
          const auto& four = kUnpack[packed[b]];
          std::copy(four.begin(), four.end(), codes.begin() + 4 * b);
        }
        writer.Write(codes.data(), s);
      }
      summary.genotype_bytes += width;
    }
    writer.Commit();
    std::string description =
        options.packed ? "2-bit packed genotype codes, samples " : "genotype codes, samples ";
    description += std::to_string(begin) + ".." + std::to_string(end == 0 ? 0 : end - 1);
    entries.push_back({name, kCodesDtype, shape, description});
    summary.files.push_back(name);
  }
  return entries;
}

void WriteManifest(const Dataset& data, const ExportOptions& options,
                   const std::vector<FileEntry>& genotype_files,
                   const std::vector<FileEntry>& other_files) {
  const auto& samples = data.samples;
  const size_t n = data.store.num_samples();
  const size_t s = data.store.num_variants();
  std::ostringstream j;
  j << "{\n";
  j << "  \"format\": \"snpflow-export\",\n";
  j << "  \"format_version\": " << kFormatVersion << ",\n";
  j << "  \"checksum\": \"xxh3_128\",\n";
  j << "  \"snpflow_version\": " << JsonString(SNPFLOW_VERSION) << ",\n";
  j << "  \"num_samples\": " << n << ",\n";
  j << "  \"num_snps\": " << s << ",\n";
  j << "  \"num_classes\": " << samples.num_classes() << ",\n";
  j << "  \"num_folds\": " << samples.folds << ",\n";
  j << "  \"classes\": [";
  for (size_t c = 0; c < samples.num_classes(); ++c) {
    j << (c ? ", " : "") << JsonString(samples.class_names[c]);
  }
  j << "],\n";
  j << "  \"compression\": " << JsonString(options.compress_zstd ? "zstd" : "none") << ",\n";
  j << "  \"genotypes\": {\n";
  j << "    \"layout\": " << JsonString(options.packed ? "packed" : "codes") << ",\n";
  j << "    \"order\": \"sample-major\",\n";
  j << "    \"dtype\": \"" << kCodesDtype << "\",\n";
  j << "    \"shape\": " << JsonShape({n, options.packed ? data.store.row_bytes() : s}) << ",\n";
  j << "    \"codes\": {\"0\": \"hom-ref\", \"1\": \"het\", \"2\": \"hom-alt\", \"3\": "
       "\"missing\"},\n";
  j << "    \"packing\": "
    << JsonString(options.packed
                      ? "SNP j of a row is in byte j // 4 at bits 2*(j % 4) and 2*(j % 4)+1 "
                        "(low bits first, as plink .bed); unused bits of the last byte are 0"
                      : "none: one code per byte")
    << ",\n";
  j << "    \"shard_samples\": " << (options.shard_samples > 0 ? options.shard_samples : 0)
    << ",\n";
  j << "    \"shards\": [\n";
  uint64_t first = 0;
  for (size_t i = 0; i < genotype_files.size(); ++i) {
    const auto& f = genotype_files[i];
    j << "      {\"file\": " << JsonString(f.name) << ", \"first_sample\": " << first
      << ", \"num_samples\": " << f.shape[0] << ", \"shape\": " << JsonShape(f.shape) << "}"
      << (i + 1 < genotype_files.size() ? "," : "") << "\n";
    first += f.shape[0];
  }
  j << "    ]\n";
  j << "  },\n";
  j << "  \"folds\": {\n";
  j << "    \"rule\": \"fold f: test = partition f, valid = partition (f+1) mod K, "
       "train = the other partitions\",\n";
  j << "    \"partitions_file\": \"partitions.npy\",\n";
  j << "    \"normalization\": \"x = (code - mean[j]) / std[j] for codes 0..2; missing (3) -> 0; "
       "mean/std over the fold's training samples, missing excluded; std = 1 for constant "
       "SNPs\",\n";
  j << "    \"embedding\": \"embedding[j, 4*c + g] = count(j, class c, genotype g) / count(j, "
       "class "
       "c, any genotype incl. missing) over training samples\",\n";
  j << "    \"directories\": [";
  for (int f = 0; f < samples.folds; ++f) j << (f ? ", " : "") << "\"fold_" << f << "\"";
  j << "]\n";
  j << "  },\n";
  j << "  \"files\": [\n";
  std::vector<FileEntry> all = genotype_files;
  all.insert(all.end(), other_files.begin(), other_files.end());
  for (size_t i = 0; i < all.size(); ++i) {
    const auto& f = all[i];
    const io::ManifestEntry sum = io::DescribeFile(options.output_dir, f.name);
    j << "    {\"name\": " << JsonString(f.name);
    if (!f.dtype.empty()) {
      j << ", \"dtype\": " << JsonString(f.dtype) << ", \"shape\": " << JsonShape(f.shape);
    }
    j << ", \"size\": " << sum.size << ", \"xxh3_128\": " << JsonString(sum.xxh3_128);
    j << ", \"description\": " << JsonString(f.description) << "}"
      << (i + 1 < all.size() ? "," : "") << "\n";
  }
  j << "  ]\n";
  j << "}\n";
  io::WriteFileAtomic(options.output_dir + "/manifest.json", j.str());
}

}  // namespace

std::string GenotypeFileName(const ExportOptions& options, int shard) {
  std::string name = options.packed ? "genotypes_packed" : "genotypes";
  if (shard >= 0) {
    char buf[16];
    std::snprintf(buf, sizeof buf, ".%05d", shard);
    name += buf;
  }
  name += options.compress_zstd ? ".npy.zst" : ".npy";
  return name;
}

ExportSummary RunExport(const Dataset& data, const ExportOptions& options) {
  if (options.output_dir.empty()) {
    throw ConfigError("export: no output directory; pass -o DIR (or set [export] dir)");
  }
  if (options.shard_samples < 0) {
    throw ConfigError("export: --shard-samples must be 0 (one file) or positive, got " +
                      std::to_string(options.shard_samples));
  }
  CheckDataset(data, "export");
  io::DirLock lock = io::DirLock::Acquire(options.output_dir, "snpflow export");  // creates it
  io::RemoveManifest(options.output_dir);  // the commit marker goes first, and is written last

  ExportSummary summary;
  const auto& samples = data.samples;
  const uint64_t n = data.store.num_samples();
  const uint64_t s = data.store.num_variants();
  const uint64_t c = samples.num_classes();
  summary.num_samples = n;
  summary.num_snps = s;
  const std::string ext = options.compress_zstd ? ".npy.zst" : ".npy";
  const std::string& dir = options.output_dir;

  std::vector<FileEntry> genotype_files = WriteGenotypes(data, options, summary);
  std::vector<FileEntry> files;

  auto write_npy = [&](const std::string& name, const char* dtype,
                       const std::vector<uint64_t>& shape, const void* bytes, size_t size,
                       std::string description) {
    io::NpyWriter writer(dir + "/" + name, dtype, shape, options.compress_zstd);
    writer.Write(bytes, size);
    writer.Commit();
    files.push_back({name, dtype, shape, std::move(description)});
    summary.files.push_back(name);
  };

  std::vector<int64_t> labels(samples.label.begin(), samples.label.end());
  write_npy("labels" + ext, kInt64Dtype, {n}, labels.data(), labels.size() * sizeof(int64_t),
            "class index per sample into classes.txt (0-based)");
  std::vector<int64_t> partitions(samples.partition.begin(), samples.partition.end());
  write_npy("partitions" + ext, kInt64Dtype, {n}, partitions.data(),
            partitions.size() * sizeof(int64_t), "fold partition per sample, 0..K-1");

  for (int f = 0; f < samples.folds; ++f) {
    const std::string sub = "fold_" + std::to_string(f);
    io::MakeDirs(dir + "/" + sub);
    FoldStats stats = ComputeFoldStats(data.counts, f);
    if (stats.mean.size() != s || stats.std.size() != s || stats.embedding.size() != s * 4 * c) {
      throw InputError("export: fold " + std::to_string(f) + " statistics have the wrong size (" +
                       std::to_string(stats.mean.size()) + " means for " + std::to_string(s) +
                       " SNPs); re-run `snpflow ingest`");
    }
    write_npy(
        sub + "/mean" + ext, kFloatDtype, {s}, stats.mean.data(), s * sizeof(float),
        "per-SNP mean of the additive code over fold " + std::to_string(f) + "'s training samples");
    write_npy(sub + "/std" + ext, kFloatDtype, {s}, stats.std.data(), s * sizeof(float),
              "per-SNP standard deviation over fold " + std::to_string(f) +
                  "'s training samples (1 where constant)");
    write_npy(sub + "/embedding" + ext, kFloatDtype, {s, 4 * c}, stats.embedding.data(),
              stats.embedding.size() * sizeof(float),
              "per-SNP class-conditional genotype frequencies (S x 4C), fold " + std::to_string(f) +
                  " training samples");
  }

  WriteSampleTable(samples, dir);
  files.push_back({"samples.tsv", "", {}, "sample, label (class name), partition; header line"});
  files.push_back({"classes.txt", "", {}, "class names, one per line; line i is class index i"});
  summary.files.push_back("samples.tsv");
  summary.files.push_back("classes.txt");

  WriteVariantTable(data.store.sites(), data.counts, dir + "/variants.tsv");
  files.push_back({"variants.tsv",
                   "",
                   {},
                   "chrom, pos, id, ref, alt, maf, missing_rate (all samples); header line; "
                   "row j is SNP j (column j of the genotypes)"});
  summary.files.push_back("variants.tsv");

  WriteManifest(data, options, genotype_files, files);
  summary.files.push_back("manifest.json");
  return summary;
}

ExportSummary ExportStage::Run(const Dataset& data, const RunContext& ctx) const {
  ExportOptions options = options_;
  if (options.output_dir.empty()) {
    options.output_dir = ctx.output_dir.empty() ? "export" : ctx.output_dir + "/export";
  }
  return RunExport(data, options);
}

void RegisterExportStage(StageRegistry& registry) {
  registry.Add(MakeStageInfo<ExportStage, ExportOptions>(
      "write NumPy .npy files (codes, labels, folds, mean/std, embedding) after ingest"));
}

}  // namespace snpflow
