#pragma once
/// An ingest output directory as a data set: the files a later command (train, export, predict,
/// merge) reads, loaded and checked in one place. Every command that reads an ingest goes
/// through LoadDataset.
#include <string>
#include <vector>

#include "io/genotype_counts.h"
#include "io/packed_store.h"
#include "pipeline/run_context.h"

namespace snpflow::io {

/// An ingest output directory loaded back: everything a trainer or exporter needs.
struct Dataset {
  SampleTable samples;
  PackedStore store;
  GenotypeCounts counts;
};

/// Read store.snpf, samples.tsv, classes.txt and counts.npy from an ingest output directory.
/// Throws InputError/FormatError naming the file.
Dataset LoadDataset(const std::string& dir);

/// Check that the parts of `data` agree (samples of the table and the store, label and partition
/// ranges, the counts' shape); throws InputError prefixed with `who` ("export") otherwise.
void CheckDataset(const Dataset& data, const std::string& who);

/// Write samples.tsv (sample, label, partition) and classes.txt atomically into `dir`.
void WriteSampleTable(const SampleTable& samples, const std::string& dir);

/// Write variants.tsv to `path` atomically: chrom, pos, id, ref, alt, maf, missing_rate, with
/// maf and missing rate over all samples from `counts` (row j describes sites[j]).
void WriteVariantTable(const std::vector<SiteInfo>& sites, const GenotypeCounts& counts,
                       const std::string& path);
/// Read the site columns (chrom, pos, id, ref, alt) of a variants.tsv; throws InputError or
/// FormatError naming the file and line.
std::vector<SiteInfo> ReadVariantTable(const std::string& path);

}  // namespace snpflow::io

namespace snpflow {
// The data set is what every stage and command above io/ works with: spare them the prefix.
using io::CheckDataset;
using io::Dataset;
using io::LoadDataset;
using io::ReadVariantTable;
using io::WriteSampleTable;
using io::WriteVariantTable;
}  // namespace snpflow
