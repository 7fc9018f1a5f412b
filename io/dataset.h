#pragma once
/// An ingest output directory as a data set: the files a later command (train, export, predict,
/// merge) reads, loaded and checked in one place. Every command that reads an ingest goes
/// through LoadDataset.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "io/atomic_file.h"
#include "io/genotype_counts.h"
#include "io/manifest.h"
#include "io/packed_store.h"
#include "pipeline/run_context.h"

namespace snpflow::io {

/// An ingest output directory loaded back: everything a trainer or exporter needs.
struct Dataset {
  SampleTable samples;
  PackedStore store;
  GenotypeCounts counts;
  /// LoadDatasetRange: `store` and `counts` hold only variants [variant_begin, variant_begin +
  /// store.num_variants()) of the ingest's variant_total, and `variants_tsv` names the ingest's
  /// (verified) variants.tsv, for a writer that needs every site. False for a whole load.
  bool partial = false;
  uint64_t variant_begin = 0;
  uint64_t variant_total = 0;
  std::string variants_tsv;
  /// The ingest's variant count: variant_total for a partial load, else the store's.
  uint64_t total_variants() const { return partial ? variant_total : store.num_variants(); }
};

/// Variants [begin, end) of an ingest.
struct VariantRange {
  uint64_t begin = 0;
  uint64_t end = 0;
};

/// Files of an ingest output directory, relative to it, that its manifest lists: store.snpf,
/// counts.npy, samples.tsv, classes.txt, variants.tsv and ingest.json (per-fold statistics are
/// not files of an ingest: they derive from counts.npy). `folds` is kept for the callers.
std::vector<std::string> IngestFiles(int folds);

/// The files LoadDataset reads; each must be listed in the manifest.
std::vector<std::string> DatasetFilesRead();

/// Write DIR/manifest.json for a finished ingest (kind "ingest", cache key `key`, every file of
/// IngestFiles(folds) that exists with its size and checksum). Call it last: it is the commit
/// marker that says the directory holds one complete ingest.
/// `known`: entries of files already described (hashed right after they were written, beside
/// the other writes); the rest are hashed here, at once.
void WriteIngestManifest(const std::string& dir, const std::string& key, int folds,
                         const std::vector<ManifestEntry>& known = {});

/// Verify DIR/manifest.json (every file it lists matches its size and checksum), then read
/// store.snpf, samples.tsv, classes.txt and counts.npy. Throws InputError when DIR has no
/// manifest (an older snpflow, or an ingest killed before its end) and FormatError naming the
/// first file that does not match; both say to re-run `snpflow ingest ... --force`. Every
/// command that reads an ingest (train --data, export --data, merge) goes through here.
Dataset LoadDataset(const std::string& dir);

/// LoadDataset for one rank of an SNP-parallel run: the manifest check (every file hashed whole,
/// streamed, variants.tsv too) and the sample tables are as LoadDataset's, but of store.snpf and
/// counts.npy only the variants range_of(number of variants) returns are read, so that memory
/// holds that range (its tiles, sites and counts rows) and the per-sample tables. The range must
/// start at a multiple of 4 (Error otherwise). Returns a Dataset with `partial` set.
Dataset LoadDatasetRange(const std::string& dir,
                         const std::function<VariantRange(uint64_t n_variants)>& range_of);

/// Check that the parts of `data` agree (samples of the table and the store, label and partition
/// ranges, the counts' shape); throws InputError prefixed with `who` ("export") otherwise.
void CheckDataset(const Dataset& data, const std::string& who);

/// Write samples.tsv (sample, label, partition) and classes.txt atomically into `dir`.
void WriteSampleTable(const SampleTable& samples, const std::string& dir);

/// Writes variants.tsv line by line as the variants arrive: chrom, pos, id, ref, alt, maf,
/// missing_rate, with maf and missing rate over all samples; atomic (AtomicFile).
class VariantTableWriter {
 public:
  explicit VariantTableWriter(const std::string& path);
  /// Add a site; `totals`: its genotype counts 0, 1, 2, missing over all samples.
  void Add(const SiteInfo& site, const uint64_t totals[4]);
  /// Write what is buffered and rename into place (`on_written`: see AtomicFile::Commit).
  void Commit(const OnWritten& on_written = nullptr);

 private:
  AtomicFile file_;
  std::string buffer_;
};

/// Write variants.tsv to `path` atomically (VariantTableWriter), with the totals of `counts` (row j
/// describes sites[j]).
void WriteVariantTable(const std::vector<SiteInfo>& sites, const GenotypeCounts& counts,
                       const std::string& path);
/// The store file of the ingest directory `dir`.
inline std::string StorePath(const std::string& dir) { return dir + "/store.snpf"; }

/// Write an ingest's three data files into `dir` at once: store.snpf (`store`, finished, tiles at
/// `zstd_level`; a store streaming to StorePath(dir) completes its file), variants.tsv and
/// counts.npy. Each is an AtomicFile, so a failed one leaves no
/// file under its name; all three are waited for, then the error of counts.npy, store.snpf or
/// variants.tsv (the first of them that failed) is thrown.
/// Each file is described for the manifest (size, XXH3-128) by its job right after it is
/// written: the entries are returned (store.snpf, counts.npy, variants.tsv).
std::vector<ManifestEntry> WriteDataFiles(const PackedStore& store, const GenotypeCounts& counts,
                                          const std::string& dir, int zstd_level);
/// Complete an ingest's three data files written while the graph ran, at once: the store streaming
/// to StorePath(dir) (finished), then `counts` and `variants`; errors as WriteDataFiles.
std::vector<ManifestEntry> CommitStreamedDataFiles(const PackedStore& store,
                                                   CountsNpyStream& counts,
                                                   VariantTableWriter& variants,
                                                   const std::string& dir, int zstd_level);
/// Read the site columns (chrom, pos, id, ref, alt) of a variants.tsv; throws InputError or
/// FormatError naming the file and line.
std::vector<SiteInfo> ReadVariantTable(const std::string& path);

}  // namespace snpflow::io

namespace snpflow {
// The data set is what every stage and command above io/ works with: spare them the prefix.
using io::CheckDataset;
using io::Dataset;
using io::IngestFiles;
using io::LoadDataset;
using io::LoadDatasetRange;
using io::ReadVariantTable;
using io::WriteSampleTable;
using io::StorePath;
using io::WriteDataFiles;
using io::WriteVariantTable;
}  // namespace snpflow
