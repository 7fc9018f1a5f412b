#pragma once
/// The ingest run: VCF/BCF -> (decode-gt -> user stages -> count) -> store sink, one pass, then
/// per-fold statistics and embeddings. Used by `snpflow ingest`, `snpflow run` and `snpflow train`.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "io/label_file.h"
#include "io/vcf_source.h"
#include "pipeline/options.h"
#include "pipeline/registry.h"
#include "stages/fold_stats.h"

namespace snpflow {

/// A stage instance of a pipeline: the registry name and its section label (usually equal).
struct StageRef {
  std::string name;
  std::string label;
};

struct IngestSpec {
  io::VcfSourceOptions input;
  std::string labels_path;
  std::string label_column = "pop";
  int folds = 5;
  uint64_t seed = 1;
  int threads = 1;
  bool quiet = false;
  std::string output_dir;
  /// Block stages and sinks between decode-gt and count, in order (e.g. filter, hwe-filter).
  std::vector<StageRef> stages = {{"filter", "filter"}};
  /// Option values per stage label ("filter" -> {"min-maf": "0.01"}), including "store".
  std::map<std::string, OptionValues> options;
  size_t max_blocks_in_flight = 0;  // 0: automatic
  /// false: the caller needs only the files (`snpflow ingest` without training or export), so
  /// the store's raw tiles are freed as they are compressed and IngestResult::data stays empty.
  bool keep_data = true;
  /// Reuse output_dir when its manifest carries this run's cache key (IngestFingerprint) and
  /// every file it lists verifies: the store is the cache. Never for stdin or a FIFO.
  bool reuse = true;
};

struct IngestResult {
  Dataset data;
  uint64_t records = 0;
  uint64_t kept = 0;
  std::map<std::string, uint64_t> skipped;
  std::map<std::string, uint64_t> counted;  // events that are not skips, e.g. haploid-calls-as-hom
  double seconds = 0;
  bool reused = false;  // loaded from an earlier matching ingest; no VCF pass
};

/// Return the cache key of an ingest: snpflow's version; device, inode, size, mtime and ctime (ns)
/// of the input, the label file and the -S file; label column, regions, folds, seed, the stage
/// list and every stage option value. "" when an input is not a regular file (stdin, a FIFO,
/// process substitution): such an ingest is never reused. docs/dataset.md has the rules.
std::string IngestFingerprint(const IngestSpec& spec);

/// Run the ingest under the lock of spec.output_dir (io/dir_lock.h), or reuse the matching
/// earlier one there. Removes the old manifest first, then writes store.snpf, variants.tsv,
/// samples.tsv, classes.txt, counts.npy and ingest.json, each atomically, and manifest.json last
/// (per-fold statistics and embeddings are computed from the counts: ComputeFoldStats). Throws InputError/FormatError/ConfigError naming the file
/// and record.
IngestResult RunIngest(const StageRegistry& registry, const IngestSpec& spec);

/// Match VCF samples with the label table (`labels`, read from `labels_path` by
/// io::ReadLabelFile); build classes and stratified folds. Throws InputError when a VCF sample has
/// no label, or, with `every_label_in_vcf`, when a labelled sample is not in the VCF (off with
/// -S, where the label file may list more samples than were selected).
SampleTable BuildSampleTable(const std::vector<std::string>& vcf_samples, const std::string& vcf_path,
                             const io::LabelTable& labels, const std::string& labels_path,
                             const std::string& label_column, int folds, uint64_t seed,
                             bool every_label_in_vcf);

/// Return a warning naming the classes with fewer samples than folds (some folds then have none
/// of them to train, validate or test on) and their sample counts; "" when there are none.
std::string SmallClassWarning(const SampleTable& table, const std::string& labels_path);

}  // namespace snpflow
