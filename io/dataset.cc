#include "io/dataset.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <sstream>
#include <string_view>

#include "io/atomic_file.h"
#include "io/manifest.h"
#include "io/npy.h"
#include "pipeline/error.h"
#include "pipeline/options.h"

namespace snpflow::io {

namespace {

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError("cannot open '" + path + "'; is this a `snpflow ingest` output directory?");
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

}  // namespace

void WriteSampleTable(const SampleTable& samples, const std::string& dir) {
  std::ostringstream tsv;
  tsv << "sample\tlabel\tpartition\n";
  for (size_t i = 0; i < samples.size(); ++i)
    tsv << samples.ids[i] << '\t' << samples.class_names[samples.label[i]] << '\t'
        << samples.partition[i] << '\n';
  WriteFileAtomic(dir + "/samples.tsv", tsv.str());
  std::ostringstream classes;
  for (const auto& c : samples.class_names) classes << c << '\n';
  WriteFileAtomic(dir + "/classes.txt", classes.str());
}

void CheckDataset(const Dataset& data, const std::string& who) {
  const auto& store = data.store;
  const auto& samples = data.samples;
  if (samples.size() != store.num_samples()) {
    throw InputError(who + ": the sample table has " + std::to_string(samples.size()) +
                     " samples but the packed store has " + std::to_string(store.num_samples()) +
                     "; re-run `snpflow ingest` so samples.tsv and store.snpf match");
  }
  if (samples.label.size() != samples.size() || samples.partition.size() != samples.size()) {
    throw InputError(who + ": the sample table's labels/partitions don't cover its " +
                     std::to_string(samples.size()) + " samples; re-run `snpflow ingest`");
  }
  for (size_t i = 0; i < samples.size(); ++i) {
    if (samples.ids[i] != store.sample_ids()[i]) {
      throw InputError(who + ": sample " + std::to_string(i) + " is '" + samples.ids[i] +
                       "' in samples.tsv but '" + store.sample_ids()[i] +
                       "' in the packed store; re-run `snpflow ingest`");
    }
    if (samples.label[i] < 0 || static_cast<size_t>(samples.label[i]) >= samples.num_classes()) {
      throw InputError(who + ": sample '" + samples.ids[i] + "' has label index " +
                       std::to_string(samples.label[i]) + " but there are " +
                       std::to_string(samples.num_classes()) + " classes");
    }
    if (samples.partition[i] < 0 || samples.partition[i] >= samples.folds) {
      throw InputError(who + ": sample '" + samples.ids[i] + "' has partition " +
                       std::to_string(samples.partition[i]) + " outside 0.." +
                       std::to_string(samples.folds - 1));
    }
  }
  const auto& counts = data.counts;
  if (counts.n_snps() != store.num_variants() || counts.folds() != samples.folds ||
      counts.classes() != samples.num_classes()) {
    throw InputError(who + ": counts.npy (" + std::to_string(counts.n_snps()) + " SNPs x " +
                     std::to_string(counts.folds()) + " folds x " +
                     std::to_string(counts.classes()) + " classes) doesn't match the store (" +
                     std::to_string(store.num_variants()) + " SNPs) and samples (" +
                     std::to_string(samples.folds) + " folds, " +
                     std::to_string(samples.num_classes()) + " classes); re-run `snpflow ingest`");
  }
}

namespace {

// Run `jobs` at once (the first in this thread), wait for all, then rethrow the first job's error
// in the order given.
void RunAll(const std::vector<std::function<void()>>& jobs) {
  std::vector<std::future<void>> running;
  for (size_t i = 1; i < jobs.size(); ++i) running.push_back(std::async(std::launch::async, jobs[i]));
  std::exception_ptr error;
  try {
    if (!jobs.empty()) jobs[0]();
  } catch (...) {
    error = std::current_exception();
  }
  for (auto& job : running) {
    try {
      job.get();
    } catch (...) {
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace

std::vector<ManifestEntry> WriteDataFiles(const PackedStore& store, const GenotypeCounts& counts,
                                          const std::string& dir, int zstd_level) {
  // Independent files: written at once (Save compresses the tiles its background tasks have not
  // reached and writes each as it is done).
  std::vector<ManifestEntry> described(3);
  RunAll({[&] {
            WriteCounts(counts, dir + "/counts.npy");
            described[1] = DescribeFile(dir, "counts.npy");
          },
          [&] {
            store.Save(StorePath(dir), zstd_level);
            described[0] = DescribeFile(dir, "store.snpf");
          },
          [&] {
            WriteVariantTable(store.sites(), counts, dir + "/variants.tsv");
            described[2] = DescribeFile(dir, "variants.tsv");
          }});
  return described;
}

std::vector<ManifestEntry> CommitStreamedDataFiles(const PackedStore& store,
                                                   CountsNpyStream& counts,
                                                   VariantTableWriter& variants,
                                                   const std::string& dir, int zstd_level) {
  std::vector<ManifestEntry> described(3);
  // Each file is hashed for the manifest from its temp file, once written, while its fsync waits
  // for the disk.
  auto describe = [&described](size_t i, const char* name) -> OnWritten {
    return [&described, i, name](const std::string& temp) {
      described[i] = DescribeFileAs(temp, name);
    };
  };
  RunAll({[&] { store.Save(StorePath(dir), zstd_level, describe(0, "store.snpf")); },
          [&] { counts.Commit(describe(1, "counts.npy")); },
          [&] { variants.Commit(describe(2, "variants.tsv")); }});
  return described;
}

namespace {
constexpr size_t kVariantTableFlushBytes = size_t{1} << 20;
}  // namespace

VariantTableWriter::VariantTableWriter(const std::string& path) : file_(path) {
  buffer_ = "chrom\tpos\tid\tref\talt\tmaf\tmissing_rate\n";
  buffer_.reserve(kVariantTableFlushBytes + 4096);
}

void VariantTableWriter::Add(const SiteInfo& site, const uint64_t g[4]) {
  char number[32];  // an int64 or a %.6g double: at most 20 and 13 characters
  // `value` as printf's "%.6g" writes it: to_chars with a precision is specified to match it.
  const auto append_g6 = [&](double value) {
    const auto r = std::to_chars(number, number + sizeof number, value,
                                 std::chars_format::general, 6);
    buffer_.append(number, r.ptr);
  };
  const uint64_t called = g[0] + g[1] + g[2], total = called + g[3];
  const double af = called ? (g[1] + 2.0 * g[2]) / (2.0 * called) : 0.0;
  buffer_ += site.chrom;
  buffer_ += '\t';
  buffer_.append(number, std::to_chars(number, number + sizeof number, site.pos).ptr);
  buffer_ += '\t';
  buffer_ += site.id.empty() ? std::string_view(".") : std::string_view(site.id);
  buffer_ += '\t';
  buffer_ += site.ref;
  buffer_ += '\t';
  buffer_ += site.alt;
  buffer_ += '\t';
  append_g6(std::min(af, 1.0 - af));
  buffer_ += '\t';
  append_g6(total ? static_cast<double>(g[3]) / static_cast<double>(total) : 0.0);
  buffer_ += '\n';
  if (buffer_.size() >= kVariantTableFlushBytes) {
    file_.Write(buffer_);
    buffer_.clear();
  }
}

void VariantTableWriter::Commit(const OnWritten& on_written) {
  file_.Write(buffer_);
  buffer_.clear();
  file_.Commit(on_written);
}

void WriteVariantTable(const std::vector<SiteInfo>& sites, const GenotypeCounts& counts,
                       const std::string& path) {
  VariantTableWriter table(path);
  for (size_t j = 0; j < sites.size(); ++j) {
    uint64_t g[4];
    counts.Totals(j, g);
    table.Add(sites[j], g);
  }
  table.Commit();
}

std::vector<SiteInfo> ReadVariantTable(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError("cannot read " + path);
  std::string line;
  if (!std::getline(in, line) || line.rfind("chrom\tpos\tid\tref\talt", 0) != 0)
    throw FormatError(path + ": expected the header 'chrom<TAB>pos<TAB>id<TAB>ref<TAB>alt'");
  std::vector<SiteInfo> sites;
  int line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string x; std::getline(ss, x, '\t');) f.push_back(x);
    if (f.size() < 5)
      throw FormatError(path + " line " + std::to_string(line_no) + ": expected 5 columns");
    SiteInfo s;
    s.chrom = f[0];
    try {  // a bad number in a file is a FormatError (exit 1), not a usage error
      s.pos = ParseIntOption(f[1], path + " line " + std::to_string(line_no) + " pos",
                             OptionRange::Ints(1, INT64_MAX));
    } catch (const ConfigError& e) {
      throw FormatError(e.what());
    }
    s.id = f[2];
    s.ref = f[3];
    s.alt = f[4];
    sites.push_back(std::move(s));
  }
  return sites;
}

std::vector<std::string> IngestFiles(int /*folds*/) {
  return {"store.snpf", "counts.npy", "samples.tsv", "classes.txt", "variants.tsv", "ingest.json"};
}

std::vector<std::string> DatasetFilesRead() {
  return {"store.snpf", "counts.npy", "samples.tsv", "classes.txt"};
}

void WriteIngestManifest(const std::string& dir, const std::string& key, int folds,
                         const std::vector<ManifestEntry>& known) {
  Manifest manifest;
  manifest.kind = "ingest";
  manifest.key = key;
  // Hash the files not yet described at once (store.snpf alone is most of the bytes), listed in
  // IngestFiles order.
  std::vector<std::future<ManifestEntry>> described;
  std::error_code ec;
  for (const auto& f : IngestFiles(folds)) {
    const auto same = std::find_if(known.begin(), known.end(),
                                   [&](const ManifestEntry& e) { return e.path == f; });
    if (same != known.end())
      described.push_back(std::async(std::launch::deferred, [same] { return *same; }));
    else if (std::filesystem::is_regular_file(dir + "/" + f, ec))
      described.push_back(
          std::async(std::launch::async, [&dir, f] { return DescribeFile(dir, f); }));
  }
  for (auto& entry : described) manifest.files.push_back(entry.get());
  WriteManifest(dir, manifest);
}

namespace {

/// Read samples.tsv and classes.txt of `dir` into `data.samples` (folds not set yet); returns the
/// highest partition.
int ReadSamples(const std::string& dir, Dataset& data) {
  data.samples.class_names = ReadLines(dir + "/classes.txt");
  std::vector<std::string> rows = ReadLines(dir + "/samples.tsv");
  if (rows.empty() || rows[0] != "sample\tlabel\tpartition")
    throw FormatError(dir + "/samples.tsv: expected the header 'sample<TAB>label<TAB>partition'");
  int max_partition = 0;
  for (size_t r = 1; r < rows.size(); ++r) {
    std::istringstream in(rows[r]);
    std::string id, label;
    int partition = -1;
    if (!(in >> id >> label >> partition) || partition < 0)
      throw FormatError(dir + "/samples.tsv line " + std::to_string(r + 1) + ": malformed row");
    int c = -1;
    for (size_t k = 0; k < data.samples.class_names.size(); ++k)
      if (data.samples.class_names[k] == label) c = static_cast<int>(k);
    if (c < 0)
      throw FormatError(dir + "/samples.tsv line " + std::to_string(r + 1) + ": label '" + label +
                        "' is not in classes.txt");
    data.samples.ids.push_back(id);
    data.samples.label.push_back(c);
    data.samples.partition.push_back(partition);
    max_partition = std::max(max_partition, partition);
  }
  return max_partition;
}

/// Check counts.npy (`counts`, rows of it; the file has `total_rows`) against the store's
/// `total_variants` and the classes, and set data.samples.folds and data.counts from it.
void SetCounts(const std::string& dir, const NpyArray& counts, uint64_t total_rows,
               uint64_t total_variants, int max_partition, Dataset& data) {
  const bool u1 = counts.dtype == "|u1";
  if ((!u1 && counts.dtype != "<u2") || counts.shape.size() != 4 || counts.shape[3] != 4 ||
      total_rows != total_variants || counts.shape[2] != data.samples.class_names.size())
    throw FormatError(dir + "/counts.npy: shape/dtype do not match store.snpf and classes.txt");
  data.samples.folds = static_cast<int>(counts.shape[1]);
  if (max_partition >= data.samples.folds)
    throw FormatError(dir + "/samples.tsv: partition " + std::to_string(max_partition) +
                      " but counts.npy has " + std::to_string(data.samples.folds) + " folds");
  // A "|u1" file is held as bytes too (GenotypeCounts' narrow tables).
  data.counts = GenotypeCounts(data.samples.folds, data.samples.class_names.size(), u1);
  const size_t stride = data.counts.stride();
  if (counts.data.size() != counts.shape[0] * stride * (u1 ? 1 : 2))
    throw FormatError(dir + "/counts.npy: " + std::to_string(counts.data.size()) +
                      " data bytes do not match its shape; re-run `snpflow ingest`");
  for (size_t j = 0; j < counts.shape[0]; ++j) {
    if (u1) data.counts.AppendNarrow(counts.as<uint8_t>() + j * stride);
    else data.counts.Append(counts.as<uint16_t>() + j * stride);
  }
}

void CheckIsDirectory(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    throw InputError("cannot read the data set '" + dir + "': no such directory; pass the output "
                     "directory of `snpflow ingest`");
}

}  // namespace

Dataset LoadDataset(const std::string& dir) {
  CheckIsDirectory(dir);
  VerifyDirectory(dir, DatasetFilesRead(), "snpflow ingest ... -o " + dir + " --force");
  Dataset data;
  const int max_partition = ReadSamples(dir, data);
  data.store = PackedStore::Load(dir + "/store.snpf");
  if (data.store.sample_ids() != data.samples.ids)
    throw FormatError(dir + ": samples.tsv and store.snpf list different samples; re-run ingest");
  NpyArray counts = ReadNpy(dir + "/counts.npy");
  SetCounts(dir, counts, counts.shape.empty() ? 0 : counts.shape[0], data.store.num_variants(),
            max_partition, data);
  return data;
}

Dataset LoadDatasetRange(const std::string& dir,
                         const std::function<VariantRange(uint64_t n_variants)>& range_of) {
  CheckIsDirectory(dir);
  std::vector<std::string> files = DatasetFilesRead();
  files.push_back("variants.tsv");  // a writer copies it: the range holds only some sites
  VerifyDirectory(dir, files, "snpflow ingest ... -o " + dir + " --force");
  Dataset data;
  const int max_partition = ReadSamples(dir, data);
  const std::string store_path = dir + "/store.snpf";
  const uint64_t total = PackedStore::ReadNumVariants(store_path);
  const VariantRange range = range_of(total);
  data.store = PackedStore::LoadVariantRange(store_path, range.begin, range.end);
  if (data.store.sample_ids() != data.samples.ids)
    throw FormatError(dir + ": samples.tsv and store.snpf list different samples; re-run ingest");
  uint64_t total_rows = 0;
  NpyArray counts = ReadNpyRows(dir + "/counts.npy", 0, 0, &total_rows);  // the header only
  if (total_rows != total)  // checked before the range, which must be one of the file's rows
    throw FormatError(dir + "/counts.npy: shape/dtype do not match store.snpf and classes.txt");
  counts = ReadNpyRows(dir + "/counts.npy", range.begin, range.end);
  SetCounts(dir, counts, total_rows, total, max_partition, data);
  data.partial = true;
  data.variant_begin = range.begin;
  data.variant_total = total;
  data.variants_tsv = dir + "/variants.tsv";
  return data;
}

}  // namespace snpflow::io
