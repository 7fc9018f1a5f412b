#include "stages/ingest_runner.h"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <iterator>
#include <map>
#include <optional>
#include <string_view>
#include <unordered_set>

#include "io/atomic_file.h"
#include "io/dir_lock.h"
#include "io/manifest.h"
#include "io/label_file.h"
#include "pipeline/folds.h"
#include "pipeline/graph_builder.h"
#include "pipeline/json.h"
#include "pipeline/progress.h"
#include "stages/decode_gt.h"
#include "stages/ingest_sinks.h"

namespace snpflow {

namespace {

std::string ListSome(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < 5; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > 5) out += ", ... (" + std::to_string(names.size()) + " in all)";
  return out;
}

std::string Thousands(uint64_t n) {
  std::string s = std::to_string(n);
  for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3) s.insert(static_cast<size_t>(i), ",");
  return s;
}

std::string SkipSummary(const std::map<std::string, uint64_t>& skipped) {
  std::string out;
  for (const auto& [reason, n] : skipped) out += (out.empty() ? "" : ", ") + reason + " " + Thousands(n);
  return out.empty() ? "none" : out;
}

}  // namespace

SampleTable BuildSampleTable(const std::vector<std::string>& vcf_samples, const std::string& vcf_path,
                             const io::LabelTable& labels, const std::string& labels_path,
                             const std::string& label_column, int folds, uint64_t seed,
                             bool every_label_in_vcf) {
  SampleTable table;
  table.folds = folds;
  std::vector<std::string> unlabelled;
  std::vector<std::string> label_of;
  for (const auto& id : vcf_samples) {
    auto it = labels.index.find(id);
    if (it == labels.index.end()) unlabelled.push_back(id);
    else label_of.push_back(labels.labels[it->second]);
  }
  if (!unlabelled.empty())
    throw InputError(std::to_string(unlabelled.size()) + " sample(s) of '" + vcf_path +
                     "' are not in the label file '" + labels_path + "': " + ListSome(unlabelled) +
                     "; add them to the label file or leave them out with -S/--samples");
  // Hashed views rather than ordered copies: ~0.5 ms less at 3,450 samples, before any record.
  const std::unordered_set<std::string_view> in_vcf(vcf_samples.begin(), vcf_samples.end());
  if (in_vcf.size() != vcf_samples.size())
    throw InputError("'" + vcf_path + "' lists a sample twice in its header");
  table.ids = vcf_samples;
  const std::unordered_set<std::string_view> classes(label_of.begin(), label_of.end());
  table.class_names.assign(classes.begin(), classes.end());
  std::sort(table.class_names.begin(), table.class_names.end());
  for (const auto& l : label_of)
    table.label.push_back(static_cast<int>(
        std::lower_bound(table.class_names.begin(), table.class_names.end(), l) -
        table.class_names.begin()));
  if (table.class_names.size() < 2)
    throw InputError("the samples of '" + vcf_path + "' have only one class in column '" +
                     label_column + "' of '" + labels_path + "'; a classifier needs at least two");
  if (static_cast<int>(table.size()) < folds)
    throw InputError("'" + vcf_path + "' has " + std::to_string(table.size()) +
                     " samples, fewer than --folds " + std::to_string(folds));
  table.partition = AssignFolds(table.label, static_cast<int>(table.num_classes()), folds, seed);
  if (every_label_in_vcf) {
    std::vector<std::string> absent;
    for (const auto& id : labels.samples)
      if (!in_vcf.count(id)) absent.push_back(id);
    if (!absent.empty())
      throw InputError(std::to_string(absent.size()) + " sample(s) of the label file '" +
                       labels_path + "' are not in '" + vcf_path + "': " + ListSome(absent) +
                       "; remove them from the label file, or pass the samples to use with "
                       "-S/--samples");
  }
  return table;
}

std::string SmallClassWarning(const SampleTable& table, const std::string& labels_path) {
  std::vector<size_t> n(table.num_classes(), 0);
  for (int l : table.label) ++n[static_cast<size_t>(l)];
  std::vector<std::string> small;
  for (size_t c = 0; c < n.size(); ++c)
    if (n[c] < static_cast<size_t>(table.folds))
      small.push_back("'" + table.class_names[c] + "' (" + std::to_string(n[c]) + ")");
  if (small.empty()) return "";
  return std::to_string(small.size()) + " class(es) of '" + labels_path + "' have fewer samples " +
         "than the " + std::to_string(table.folds) + " folds: " + ListSome(small) +
         "; some folds have none of their samples to train, validate or test on (use fewer "
         "--folds, or merge or drop rare classes)";
}

namespace {

// A block stage that forwards to `inner` and adds the thread CPU time of each Process call
// (summed over the threads that run it) to `seconds`: the per-stage times of ingest.json.
class TimedStage : public BlockStage {
 public:
  explicit TimedStage(std::unique_ptr<BlockStage> inner) : inner_(std::move(inner)) {
    set_label(inner_->label());
  }
  void Init(const RunContext& ctx) override { inner_->Init(ctx); }
  void Process(VariantBlock& block) const override {
    const double start = ThreadCpuSeconds();
    inner_->Process(block);
    nanos_ += static_cast<uint64_t>((ThreadCpuSeconds() - start) * 1e9);
  }
  Concurrency concurrency() const override { return inner_->concurrency(); }
  double seconds() const { return static_cast<double>(nanos_.load()) * 1e-9; }

 private:
  std::unique_ptr<BlockStage> inner_;
  mutable std::atomic<uint64_t> nanos_{0};
};

OptionValues OptionsOf(const IngestSpec& spec, const std::string& label) {
  auto it = spec.options.find(label);
  return it == spec.options.end() ? OptionValues{} : it->second;
}

}  // namespace

namespace {

// "canonical-path@dev:ino@size@mtime_ns@ctime_ns" of a regular file; "" for anything else (stdin,
// a FIFO, process substitution, a missing file): such inputs are never cached. The ctime catches
// a rewrite that restores size and mtime (touch -d, cp -p, rsync -t), which the others miss.
std::string FileIdentity(const std::string& path) {
  struct stat st {};
  if (path.empty() || path == "-" || ::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    return "";
  std::error_code ec;
  auto canonical = std::filesystem::canonical(path, ec);
  auto ns = [](const struct timespec& t) {
    return std::to_string(static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec);
  };
  return (ec ? path : canonical.string()) + "@" + std::to_string(st.st_dev) + ":" +
         std::to_string(st.st_ino) + "@" + std::to_string(st.st_size) + "@" + ns(st.st_mtim) +
         "@" + ns(st.st_ctim);
}

}  // namespace

std::string IngestFingerprint(const IngestSpec& spec) {
  // Tripwires: a new field of IngestSpec or VcfSourceOptions may change the output. Add it to the
  // key below (or say here why it does not), then update the size. Stage options need nothing:
  // every value of spec.options is in the key whatever its name.
  static_assert(sizeof(io::VcfSourceOptions) == 128,
                "VcfSourceOptions changed: add the new field to IngestFingerprint");
  static_assert(sizeof(IngestSpec) == 336,
                "IngestSpec changed: add the new field to IngestFingerprint");
  const std::string input = FileIdentity(spec.input.path);
  const std::string labels = FileIdentity(spec.labels_path);
  if (input.empty() || labels.empty()) return "";
  std::string samples;
  if (!spec.input.samples_file.empty()) {
    // bcftools -S: "^FILE" excludes the samples of FILE.
    const bool exclude = spec.input.samples_file[0] == '^';
    samples = FileIdentity(spec.input.samples_file.substr(exclude ? 1 : 0));
    if (samples.empty()) return "";
    if (exclude) samples = "^" + samples;
  }
  // Not in the key: threads, block size, blocks in flight, quiet (they change no output byte);
  // decode_bcf_gt and haploid (copies of decode-gt options, which are in the key).
  // The order policies usually come from the decode-gt options (in the key below as well).
  std::string f = "snpflow " SNPFLOW_VERSION "|input=" + input + "|labels=" + labels +
                  "|column=" + spec.label_column + "|regions=" + spec.input.regions +
                  "|samples=" + samples + "|folds=" + std::to_string(spec.folds) +
                  "|seed=" + std::to_string(spec.seed) +
                  "|unsorted=" + std::to_string(static_cast<int>(spec.input.unsorted)) +
                  "|duplicates=" + std::to_string(static_cast<int>(spec.input.duplicates)) +
                  "|stages=";
  for (const auto& s : spec.stages) f += s.name + ":" + s.label + ",";
  for (const auto& [label, values] : spec.options)
    for (const auto& [key, value] : values) f += "|" + label + "." + key + "=" + value;
  return f;
}

namespace {

// The earlier ingest in spec.output_dir when its manifest has the key `fingerprint` and every
// file it lists verifies; nothing otherwise (the caller redoes the ingest). Call under the lock.
std::optional<Dataset> ReuseIngest(const IngestSpec& spec, const std::string& fingerprint) {
  try {
    io::Manifest manifest = io::ReadManifest(spec.output_dir, "snpflow ingest");
    if (manifest.key != fingerprint) return std::nullopt;
    return LoadDataset(spec.output_dir);  // verifies every file the manifest lists
  } catch (const Error& e) {
    if (!spec.quiet)
      std::fprintf(stderr, "[ingest] not reusing %s: %s\n", spec.output_dir.c_str(), e.what());
    return std::nullopt;
  }
}

}  // namespace

IngestResult RunIngest(const StageRegistry& registry, const IngestSpec& spec) {
  if (spec.output_dir.empty()) throw ConfigError("no output directory; pass -o DIR");
  const std::string fingerprint = IngestFingerprint(spec);
  const std::string& dir = spec.output_dir;
  std::optional<io::DirLock> lock;
  if (spec.reuse && !fingerprint.empty() &&
      std::filesystem::exists(dir + "/" + io::kManifestFile)) {
    lock.emplace(io::DirLock::Acquire(dir, "snpflow ingest"));
    if (std::optional<Dataset> data = ReuseIngest(spec, fingerprint)) {
      IngestResult result;
      result.data = std::move(*data);
      result.reused = true;
      if (!spec.quiet)
        std::fprintf(stderr, "[ingest] reusing %s: it holds an ingest of the same input and "
                     "options (--force redoes the VCF pass)\n", dir.c_str());
      return result;
    }
  }
  if (spec.labels_path.empty()) throw ConfigError("no label file; pass --labels FILE");
  for (const auto& [label, values] : spec.options) {
    bool known = label == "store" || label == "decode-gt" || label == "count";
    for (const auto& s : spec.stages) known = known || s.label == label;
    if (!known) throw ConfigError("options given for [" + label + "], which is not a stage of this "
                                  "pipeline; add it to [pipeline] stages or remove the options");
  }
  // Build every stage first: a bad option fails before any work.
  std::vector<std::unique_ptr<TimedStage>> stages;
  std::vector<std::unique_ptr<BlockSink>> sinks;
  auto timed = [](std::unique_ptr<BlockStage> stage) {
    return std::make_unique<TimedStage>(std::move(stage));
  };
  stages.push_back(
      timed(registry.Make<BlockStage>("decode-gt", OptionsOf(spec, "decode-gt"), "decode-gt")));
  for (const StageRef& ref : spec.stages) {
    const StageInfo& info = registry.Get(ref.name);
    if (info.role == StageRole::kBlock)
      stages.push_back(
          timed(registry.Make<BlockStage>(ref.name, OptionsOf(spec, ref.label), ref.label)));
    else if (info.role == StageRole::kSink)
      sinks.push_back(registry.Make<BlockSink>(ref.name, OptionsOf(spec, ref.label), ref.label));
    else
      throw ConfigError("stage '" + ref.name + "' is a trainer; set it with [pipeline] trainer");
  }
  stages.push_back(timed(registry.Make<BlockStage>("count", OptionsOf(spec, "count"), "count")));
  auto store_stage = registry.Make<BlockSink>("store", OptionsOf(spec, "store"), "store");
  auto* store = dynamic_cast<StoreSink*>(store_stage.get());
  store->set_keep_store(spec.keep_data);
  sinks.push_back(std::move(store_stage));

  io::VcfSourceOptions input = spec.input;
  ApplyDecodeGtSourceOptions(OptionsOf(spec, "decode-gt"), input);  // order checks need the source
  // BCF GT: decoded by the serial reader while each record is in cache, or by the parallel
  // decode-gt, which reads the GT bytes back from memory (2.2 GB at 315K SNPs x 3,450 samples).
  // On 1-2 threads the CPU total sets the time, and the reader saves ~0.1 CPU-seconds there;
  // with more threads the serial reader's length would come first (~1.7 us/record without the
  // GT, 2.0-2.6 with it), so decode-gt keeps the work. Same outputs and errors either way.
  input.decode_bcf_gt = input.decode_bcf_gt && spec.threads <= 2;
  input.quiet = spec.quiet;
  // The label file is read beside the opening of the input (~2 ms each at 3,450 samples). An
  // error of the input's comes first, as when they were read one after the other.
  std::future<io::LabelTable> labels = std::async(
      std::launch::async, [&spec] { return io::ReadLabelFile(spec.labels_path, spec.label_column); });
  auto source = io::VcfSource::Open(input);
  RunContext ctx;
  ctx.samples = BuildSampleTable(source->sample_ids(), spec.input.path, labels.get(),
                                 spec.labels_path, spec.label_column, spec.folds, spec.seed,
                                 /*every_label_in_vcf=*/spec.input.samples_file.empty());
  const std::string small_classes = SmallClassWarning(ctx.samples, spec.labels_path);
  if (!spec.quiet && !small_classes.empty())
    std::fprintf(stderr, "snpflow: warning: %s\n", small_classes.c_str());
  ctx.output_dir = spec.output_dir;
  ctx.seed = spec.seed;
  ctx.threads = spec.threads;
  ctx.quiet = spec.quiet;
  ctx.input_path = spec.input.path;

  const bool created_dir = !std::filesystem::exists(dir);
  if (!lock) lock.emplace(io::DirLock::Acquire(dir, "snpflow ingest"));  // creates dir
  try {
    // The commit marker goes first: from here until the new manifest is written, a killed run
    // leaves a directory that the next run redoes, never one it reuses half-rewritten.
    io::RemoveManifest(dir);
    for (auto& s : stages) s->Init(ctx);
    for (auto& s : sinks) s->Init(ctx);

    Progress progress("ingest", spec.quiet);
    uint64_t records = 0, kept = 0;
    GraphSpec graph;
    graph.source = source.get();
    for (auto& s : stages) graph.stages.push_back(s.get());
    for (auto& s : sinks) graph.sinks.push_back(s.get());
    graph.threads = spec.threads;
    graph.max_blocks_in_flight = spec.max_blocks_in_flight;
    graph.on_block = [&](const VariantBlock& block) {
      std::map<std::string, uint64_t> skipped;
      for (size_t i = 0; i < block.size(); ++i)
        if (!block.kept(i)) ++skipped[block.dropped[i]];
      for (const auto& [reason, n] : skipped) ctx.skipped.Add(reason, n);
      for (const auto& [name, n] : block.counted) ctx.counted.Add(name, n);
      records += block.size();
      kept += block.num_kept();
      double secs = progress.seconds();
      std::string line = Thousands(records) + " records, " + Thousands(kept) + " kept, " +
                         Thousands(static_cast<uint64_t>(records / std::max(secs, 1e-9))) +
                         " records/s, skipped " + Thousands(records - kept) + ", at " +
                         block.variants.back().chrom + ":" + std::to_string(block.variants.back().pos);
      if (source->file_size() > 0 && source->bytes_read() > 0)
        line += " (" + std::to_string(100 * source->bytes_read() / source->file_size()) + "%)";
      progress.Update(line);
    };
    RunGraph(graph);
    const double graph_seconds = progress.seconds();
    if (records == 0)
      throw InputError("'" + spec.input.path + "' contains no variant records" +
                       (spec.input.regions.empty() ? "" : " in the regions " + spec.input.regions));
    // The reader's part of the summary; then the reader is closed beside the writes below
    // (joining its decompression threads and unmapping their buffers took ~2 ms at the end).
    const bool fast_text = source->fast_text();
    const auto fallback_records = source->fallback_records();
    const double read_seconds = source->read_seconds();
    const double read_cpu_seconds = source->read_cpu_seconds();
    std::future<void> source_closed = std::async(std::launch::async, [&source] { source.reset(); });
    // samples.tsv and classes.txt beside the data files (each write mostly waits on its fsync).
    std::future<void> sample_table = std::async(
        std::launch::async, [&] { WriteSampleTable(ctx.samples, spec.output_dir); });
    for (auto& s : sinks) s->Finalize(ctx);
    const double finalize_seconds = progress.seconds() - graph_seconds;
    source_closed.get();
    sample_table.get();

    IngestResult result;
    result.records = records;
    result.kept = kept;
    result.skipped = ctx.skipped.Snapshot();
    result.counted = ctx.counted.Snapshot();
    result.seconds = progress.seconds();
    progress.Done(Thousands(records) + " records, " + Thousands(kept) + " kept in " +
                  std::to_string(result.seconds).substr(0, 5) + " s; skipped: " +
                  SkipSummary(result.skipped) +
                  (result.counted.empty() ? "" : "; counted: " + SkipSummary(result.counted)));

    JsonObject summary;
    summary.Add("input", spec.input.path)
        .Add("regions", spec.input.regions)
        .Add("samples_file", spec.input.samples_file)
        .Add("labels", spec.labels_path)
        .Add("label_column", spec.label_column)
        .Add("samples", static_cast<uint64_t>(ctx.samples.size()))
        .Add("classes", static_cast<uint64_t>(ctx.samples.num_classes()))
        .Add("folds", spec.folds)
        .Add("seed", spec.seed)
        .Add("records", records)
        .Add("kept", kept)
        .Add("skipped", result.skipped)
        .Add("counted", result.counted)
        .Add("seconds", result.seconds)
        .Add("graph_seconds", graph_seconds)
        .Add("threads", spec.threads)
        .Add("vcf_parser", fast_text ? "fast" : "htslib")
        .Add("fallback_records", fallback_records)
        .Add("source_seconds", read_seconds)
        .Add("source_cpu_seconds", read_cpu_seconds)
        .Add("store_tail_seconds", store->tail_seconds())
        .Add("store_tail_cpu_seconds", store->tail_cpu_seconds())
        .Add("finalize_seconds", finalize_seconds)
        .Add("fingerprint", fingerprint);
    // CPU seconds in each block stage, summed over the threads that ran it: "<label>_cpu_seconds".
    for (const auto& s : stages) summary.Add(s->label() + "_cpu_seconds", s->seconds());
    std::vector<std::string> stage_names;
    for (auto& s : stages) stage_names.push_back(JsonString(s->label()));
    for (auto& s : sinks) stage_names.push_back(JsonString(s->label()));
    summary.Raw("stages", JsonArray(stage_names));
    io::WriteFileAtomic(spec.output_dir + "/ingest.json", summary.str() + "\n");
    // The commit marker, last; the data files were hashed as they were written.
    io::WriteIngestManifest(dir, fingerprint, spec.folds, store->described());

    if (spec.keep_data) {
      result.data.samples = ctx.samples;
      result.data.store = store->TakeStore();
      result.data.counts = store->TakeCounts();
    }
    return result;
  } catch (...) {
    // Leave no empty directory behind for a run that wrote nothing.
    std::error_code ec;
    if (created_dir) {
      std::filesystem::remove(dir + "/" + io::kLockFile, ec);
      if (std::filesystem::is_empty(dir, ec)) std::filesystem::remove(dir, ec);
    }
    throw;
  }
}

}  // namespace snpflow
