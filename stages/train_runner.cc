#include "stages/train_runner.h"

#include <oneapi/tbb/global_control.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <sstream>

#include "io/atomic_file.h"
#include "io/dir_lock.h"
#include "io/manifest.h"
#include "pipeline/error.h"
#include "pipeline/json.h"
#include "stages/train/saved_model.h"
#include "stages/shard_batch_source.h"

namespace snpflow {

namespace {

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// gnuplot string literal in double quotes.
std::string GpString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

double Mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / static_cast<double>(v.size());
}

double SampleStd(const std::vector<double>& v) {
  if (v.size() < 2) return 0;
  double m = Mean(v), s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return std::sqrt(s / static_cast<double>(v.size() - 1));
}

/// Copy the file `from` to `to` atomically, streamed in 1 MiB pieces (bounded memory).
void CopyFileAtomic(const std::string& from, const std::string& to) {
  std::ifstream in(from, std::ios::binary);
  if (!in) throw InputError("cannot open '" + from + "'; is this a `snpflow ingest` directory?");
  io::AtomicFile file(to);
  std::vector<char> buffer(size_t{1} << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    file.Write(buffer.data(), static_cast<size_t>(in.gcount()));
  }
  if (in.bad()) throw InputError("cannot read '" + from + "'");
  file.Commit();
}

// What training needs beyond a consistent data set (CheckDataset): something to train on.
void CheckTrainable(const Dataset& data) {
  CheckDataset(data, "train");
  if (data.samples.size() == 0) throw InputError("train: the data set has no samples");
  if (data.total_variants() == 0) throw InputError("train: the data set has no variants");
}

std::string MetricsLine(const std::string& model, int fold, const EpochMetrics& m) {
  JsonObject o;
  o.Add("model", model)
      .Add("fold", fold)
      .Add("epoch", m.epoch)
      .Add("train_loss", m.train_loss)
      .Add("train_accuracy", m.train_accuracy)
      .Add("valid_loss", m.valid_loss)
      .Add("valid_accuracy", m.valid_accuracy)
      .Add("seconds", m.seconds)
      .Add("wait_seconds", m.wait_seconds);
  return o.str() + "\n";
}

FoldSummary Summarize(int fold, const FoldResult& r, const FoldSplit& split) {
  FoldSummary s;
  s.fold = fold;
  s.epochs = static_cast<int>(r.epochs.size());
  s.best_epoch = r.best_epoch;
  s.test_loss = r.test_loss;
  s.test_accuracy = r.test_accuracy;
  for (const auto& e : r.epochs)
    if (e.epoch == r.best_epoch) s.valid_loss = e.valid_loss, s.valid_accuracy = e.valid_accuracy;
  s.n_params = r.n_params;
  double seconds = 0, wait = 0;
  for (const auto& e : r.epochs) seconds += e.seconds, wait += e.wait_seconds;
  s.epoch_seconds = r.epochs.empty() ? 0 : seconds / static_cast<double>(r.epochs.size());
  s.wait_fraction = seconds > 0 ? wait / seconds : 0;
  s.n_train = static_cast<int64_t>(split.train.size());
  s.n_valid = static_cast<int64_t>(split.valid.size());
  s.n_test = static_cast<int64_t>(split.test.size());
  s.model_path = r.model_path;
  return s;
}

/// The per-fold and mean fields of one run's summary (the model's, or the baseline's).
JsonObject SummaryFields(const TrainSummary& sum, bool hide_test) {
  std::vector<std::string> folds;
  for (const auto& f : sum.folds) {
    JsonObject o;
    o.Add("fold", f.fold).Add("epochs", f.epochs).Add("best_epoch", f.best_epoch);
    if (!hide_test)
      o.Add("test_loss", f.test_loss)
          .Add("test_accuracy", f.test_accuracy)
          .Add("test_error", 1.0 - f.test_accuracy);
    o.Add("valid_loss", f.valid_loss)
        .Add("valid_accuracy", f.valid_accuracy)
        .Add("n_params", f.n_params)
        .Add("epoch_seconds", f.epoch_seconds)
        .Add("wait_fraction", f.wait_fraction)
        .Add("n_train", f.n_train)
        .Add("n_valid", f.n_valid)
        .Add("n_test", f.n_test)
        .Add("model", f.model_path);
    folds.push_back(o.str());
  }
  JsonObject o;
  o.Add("model", sum.model).Add("n_params", sum.n_params);
  if (!hide_test)
    o.Add("mean_test_accuracy", sum.mean_accuracy)
        .Add("std_test_accuracy", sum.std_accuracy)
        .Add("mean_test_error", 1.0 - sum.mean_accuracy)
        .Add("std_test_error", sum.std_accuracy);
  else
    o.Add("test_hidden", true);
  o.Add("mean_valid_accuracy", sum.mean_valid_accuracy)
      .Add("std_valid_accuracy", sum.std_valid_accuracy)
      .Add("mean_valid_loss", sum.mean_valid_loss)
      .Add("mean_epoch_seconds", sum.mean_epoch_seconds)
      .Add("wait_fraction", sum.wait_fraction)
      .Raw("folds", JsonArray(folds));
  return o;
}

std::string SummaryJson(const TrainSummary& sum, const TrainRunOptions& options,
                        const Dataset& data, const RunContext& ctx) {
  JsonObject o = SummaryFields(sum, options.hide_test);
  o.Add("n_samples", static_cast<int64_t>(data.samples.size()))
      .Add("n_snps", static_cast<int64_t>(data.total_variants()))
      .Add("n_classes", static_cast<int64_t>(data.samples.num_classes()))
      .Add("batch_size", options.batcher.batch_size)
      .Add("seed", static_cast<uint64_t>(ctx.seed))
      .Add("threads", ctx.threads);
  if (!sum.baseline.empty())
    o.Add("baseline", SummaryFields(sum.baseline.front(), options.hide_test));
  return o.str() + "\n";
}

/// Write the .gp script and its data next to the SVG, run gnuplot into a temp file, rename.
/// Returns false (after a warning unless quiet) when gnuplot is missing or fails.
bool RunGnuplot(const std::string& dir, const std::string& name, const std::string& size,
                const std::string& script, bool quiet) {
  static const bool have_gnuplot = std::system("command -v gnuplot >/dev/null 2>&1") == 0;
  if (!have_gnuplot) {
    if (!quiet)
      std::fprintf(stderr, "snpflow: warning: gnuplot not found; skipping %s.svg (install "
                           "gnuplot-nox)\n", name.c_str());
    return false;
  }
  const std::string svg = dir + "/" + name + ".svg";
  io::WriteFileAtomic(dir + "/" + name + ".gp",
                      "# Regenerate with: gnuplot " + name + ".gp (in this directory)\n"
                      "set terminal svg size " + size + " dynamic font 'sans,11'\n"
                      "set output " + GpString(name + ".svg") + "\n" + script);
  // Run on a copy whose output is an exclusively created temp file, so the SVG appears
  // atomically and gnuplot never writes through a link planted in the directory.
  io::TempPath tmp(svg);
  const std::string tmp_name = tmp.temp().substr(tmp.temp().rfind('/') + 1);
  std::string cmd = "cd " + ShellQuote(dir) + " && sed 's|^set output .*|set output " +
                    GpString(tmp_name) + "|' " + ShellQuote(name + ".gp") +
                    " | gnuplot >/dev/null 2>&1";
  bool ok = std::system(cmd.c_str()) == 0;
  if (ok) {
    try {
      tmp.Commit();
    } catch (const Error&) {
      ok = false;
    }
  }
  if (!ok) {
    if (!quiet)
      std::fprintf(stderr, "snpflow: warning: gnuplot failed on %s/%s.gp; no %s.svg\n",
                   dir.c_str(), name.c_str(), name.c_str());
    return false;
  }
  return true;
}

void WritePlots(const std::string& dir, const std::vector<std::pair<int, FoldResult>>& results,
                const std::vector<std::vector<int64_t>>& confusion,
                const std::vector<std::string>& classes, bool quiet) {
  // Training curves: one data block per fold (gnuplot `index`).
  std::ostringstream dat;
  std::string fold_words;
  for (const auto& [fold, r] : results) {
    dat << "# fold " << fold << "\n# epoch train_loss valid_loss train_accuracy valid_accuracy\n";
    for (const auto& e : r.epochs)
      dat << e.epoch << ' ' << e.train_loss << ' ' << e.valid_loss << ' ' << e.train_accuracy
          << ' ' << e.valid_accuracy << '\n';
    dat << "\n\n";
    fold_words += (fold_words.empty() ? "" : " ") + std::to_string(fold);
  }
  io::WriteFileAtomic(dir + "/training_curves.dat", dat.str());
  const std::string n = std::to_string(results.size() - 1);
  std::string curves =
      "folds = " + GpString(fold_words) + "\n"
      "set multiplot layout 1,2\n"
      "set key outside right top\nset grid\nset xlabel 'epoch'\n"
      "set title 'Cross-entropy (solid: valid, dashed: train)'\nset ylabel 'loss'\n"
      "plot for [i=0:" + n + "] 'training_curves.dat' index i using 1:3 with lines lc i+1 lw 2 "
      "title 'fold '.word(folds, i+1), "
      "for [i=0:" + n + "] '' index i using 1:2 with lines lc i+1 dt 2 notitle\n"
      "set title 'Accuracy (solid: valid, dashed: train)'\nset ylabel 'accuracy'\n"
      "set yrange [0:1]\n"
      "plot for [i=0:" + n + "] 'training_curves.dat' index i using 1:5 with lines lc i+1 lw 2 "
      "title 'fold '.word(folds, i+1), "
      "for [i=0:" + n + "] '' index i using 1:4 with lines lc i+1 dt 2 notitle\n"
      "unset multiplot\n";
  RunGnuplot(dir, "training_curves", "1000,480", curves, quiet);

  // Confusion matrix as a heat map of row-normalized counts, counts printed in the cells.
  std::ostringstream cm;
  const size_t c = classes.size();
  for (size_t t = 0; t < c; ++t) {
    int64_t row = 0;
    for (size_t p = 0; p < c; ++p) row += confusion[t][p];
    for (size_t p = 0; p < c; ++p)
      cm << p << ' ' << t << ' ' << (row > 0 ? double(confusion[t][p]) / double(row) : 0.0) << ' '
         << confusion[t][p] << '\n';
    cm << '\n';
  }
  io::WriteFileAtomic(dir + "/confusion.dat", cm.str());
  std::string tics;
  for (size_t k = 0; k < c; ++k)
    tics += (k ? ", " : "") + GpString(classes[k]) + " " + std::to_string(k);
  const std::string last = std::to_string(c) + "-0.5";
  std::string conf =
      "set title 'Confusion matrix (rows: true class, normalized; cells: counts)'\n"
      "set xlabel 'predicted'\nset ylabel 'true'\n"
      "set xtics (" + tics + ") rotate by 90 right font ',8'\n"
      "set ytics (" + tics + ") font ',8'\n"
      "set xrange [-0.5:" + last + "]\nset yrange [" + last + ":-0.5]\n"
      "set cbrange [0:1]\nset palette defined (0 'white', 1 '#08306b')\nset size ratio -1\n"
      "plot 'confusion.dat' using 1:2:(0.5):(0.5):3 with boxxyerror fc palette fs solid 1.0 "
      "border lc rgb '#dddddd' notitle, "
      "'' using 1:2:($4 > 0 ? sprintf('%d', $4) : '') with labels font ',7' notitle\n";
  RunGnuplot(dir, "confusion", "820,760", conf, quiet);
}

// True for the files an ingest writes (IngestFiles), which may share -o with a training run
// (`snpflow train VCF -o OUT` ingests into OUT).
bool IsIngestFile(const std::string& rel) {
  static const std::vector<std::string> kTop = IngestFiles(0);
  if (std::find(kTop.begin(), kTop.end(), rel) != kTop.end()) return true;
  return rel.rfind("fold_", 0) == 0 &&
         (rel.size() > 10 && (rel.compare(rel.size() - 10, 10, "/stats.npy") == 0 ||
                              (rel.size() > 14 &&
                               rel.compare(rel.size() - 14, 14, "/embedding.npy") == 0)));
}

// The ingest entries of the manifest in `dir` (with its cache key), when an ingest lives there;
// an empty manifest otherwise.
io::Manifest IngestPartOf(const std::string& dir) {
  io::Manifest part;
  part.kind = "ingest";
  try {
    io::Manifest prior = io::ReadManifest(dir, "snpflow train");
    if (prior.key.empty()) return part;
    part.key = prior.key;
    for (const auto& f : prior.files)
      if (IsIngestFile(f.path)) part.files.push_back(f);
  } catch (const Error&) {
  }
  return part;
}

// Start rewriting `dir`: its manifest keeps only an ingest that lives there, so a run killed
// from now on leaves training outputs that predict refuses, and the ingest still reusable.
io::Manifest InvalidateTrainOutputs(const std::string& dir) {
  io::Manifest ingest = IngestPartOf(dir);
  if (ingest.files.empty()) io::RemoveManifest(dir);
  else io::WriteManifest(dir, ingest);
  return ingest;
}

// Write DIR/manifest.json last: every file of the run (the top-level outputs and all regular
// files of the trained folds' directories, model.pt, model.txt, classes.txt, ...), plus the
// entries of an ingest in the same directory.
void WriteTrainManifest(const std::string& dir, const std::vector<int>& folds,
                        const io::Manifest& ingest) {
  namespace fs = std::filesystem;
  io::Manifest manifest;
  manifest.kind = "train";
  manifest.key = ingest.key;
  std::vector<std::string> names;
  for (const char* f : {"variants.tsv", "classes.txt", "metrics.jsonl", "predictions.tsv",
                        "confusion.tsv", "summary.json", "training_curves.dat",
                        "training_curves.gp", "training_curves.svg", "confusion.dat",
                        "confusion.gp", "confusion.svg"})
    names.push_back(f);
  for (int f : folds) {
    const std::string sub = "fold_" + std::to_string(f);
    std::error_code ec;
    std::vector<std::string> in_fold;
    for (const auto& e : fs::directory_iterator(dir + "/" + sub, ec)) {
      const std::string name = e.path().filename().string();
      if (name.empty() || name[0] == '.' || name.find(".tmp") != std::string::npos) continue;
      if (e.is_regular_file(ec) && !e.is_symlink(ec)) in_fold.push_back(sub + "/" + name);
    }
    std::sort(in_fold.begin(), in_fold.end());
    names.insert(names.end(), in_fold.begin(), in_fold.end());
  }
  std::error_code ec;
  for (const auto& n : names)
    if (fs::is_regular_file(dir + "/" + n, ec)) manifest.files.push_back(io::DescribeFile(dir, n));
  for (const auto& f : ingest.files)
    if (manifest.Find(f.path) == nullptr) manifest.files.push_back(f);
  io::WriteManifest(dir, manifest);
}

}  // namespace

void VerifyTrainOutput(const std::string& model_dir, const std::vector<std::string>& fold_dirs) {
  namespace fs = std::filesystem;
  // The manifest is in the run directory: model_dir itself, or its parent for OUT/fold_<f>.
  std::string run_dir = model_dir;
  if (!fs::exists(fs::path(run_dir) / io::kManifestFile)) {
    std::string parent = fs::path(model_dir).lexically_normal().parent_path().string();
    if (!parent.empty() && fs::exists(fs::path(parent) / io::kManifestFile) &&
        !fs::exists(fs::path(model_dir) / "variants.tsv"))
      run_dir = parent;
  }
  const std::string rerun = "snpflow train ... -o " + run_dir;
  io::Manifest manifest = io::ReadManifest(run_dir, rerun);
  const fs::path base = fs::weakly_canonical(run_dir);
  std::vector<std::string> required = {"variants.tsv"};
  for (const auto& d : fold_dirs) {
    std::string rel = fs::weakly_canonical(d).lexically_relative(base).string();
    std::string prefix = rel == "." ? "" : rel + "/";
    for (const char* f : {kModelFile, kModelInfoFile, kModelClassesFile})
      required.push_back(prefix + f);
  }
  io::VerifyManifest(run_dir, manifest, required, rerun);
}

namespace {

void PrintTable(const TrainSummary& sum, const TrainRunOptions& options, const Dataset& data) {
  std::printf("\n%s: %zu samples, %zu SNPs, %zu classes, %lld parameters\n",
              options.model.c_str(), data.samples.size(),
              static_cast<size_t>(data.total_variants()),
              data.samples.num_classes(), static_cast<long long>(sum.n_params));
  const TrainSummary* base = sum.baseline.empty() ? nullptr : &sum.baseline.front();
  const std::string base_head = base != nullptr ? base->model.substr(0, 12) : "";
  if (options.hide_test) {
    std::printf("%-5s %7s %5s %9s %9s %8s %6s\n", "fold", "epochs", "best", "valid_acc",
                "valid_loss", "epoch_s", "wait");
    for (const auto& f : sum.folds)
      std::printf("%-5d %7d %5d %9.4f %9.4f %8.3f %5.1f%%\n", f.fold, f.epochs, f.best_epoch,
                  f.valid_accuracy, f.valid_loss, f.epoch_seconds, 100 * f.wait_fraction);
    std::printf("validation accuracy %.4f +- %.4f (mean +- std over %zu folds; test partitions "
                "not used)\n", sum.mean_valid_accuracy, sum.std_valid_accuracy, sum.folds.size());
    std::fflush(stdout);
    return;
  }
  std::printf("%-5s %7s %5s %9s %9s %9s %8s %6s", "fold", "epochs", "best", "test_acc",
              "test_err", "test_loss", "epoch_s", "wait");
  if (base != nullptr) std::printf(" %12s", base_head.c_str());
  std::printf("\n");
  for (size_t k = 0; k < sum.folds.size(); ++k) {
    const FoldSummary& f = sum.folds[k];
    std::printf("%-5d %7d %5d %9.4f %9.4f %9.4f %8.3f %5.1f%%", f.fold, f.epochs, f.best_epoch,
                f.test_accuracy, 1 - f.test_accuracy, f.test_loss, f.epoch_seconds,
                100 * f.wait_fraction);
    if (base != nullptr && k < base->folds.size())
      std::printf(" %12.4f", base->folds[k].test_accuracy);
    std::printf("\n");
  }
  std::printf("test accuracy %.4f +- %.4f, misclassification %.4f +- %.4f (mean +- std over %zu "
              "folds)\n",
              sum.mean_accuracy, sum.std_accuracy, 1 - sum.mean_accuracy, sum.std_accuracy,
              sum.folds.size());
  if (base != nullptr)
    std::printf("baseline %s: test accuracy %.4f +- %.4f (%s %+.4f)\n", base->model.c_str(),
                base->mean_accuracy, base->std_accuracy, options.model.c_str(),
                sum.mean_accuracy - base->mean_accuracy);
  std::fflush(stdout);
}

/// Run `trainer` on the folds into `out`, locked: outputs, then `before_summary` (may be empty;
/// it may add to the summary), summary.json and the manifest last. Returns the summary.
TrainSummary RunFolds(const Dataset& data, Trainer& trainer, const TrainRunOptions& options,
                      RunContext& ctx, const std::string& out,
                      const std::function<void(TrainSummary&)>& before_summary) {
  const SampleTable& samples = data.samples;
  std::vector<int> folds = options.folds;
  if (folds.empty())
    for (int f = 0; f < samples.folds; ++f) folds.push_back(f);
  for (int f : folds)
    if (f < 0 || f >= samples.folds)
      throw ConfigError("fold " + std::to_string(f) + " is out of range 0.." +
                        std::to_string(samples.folds - 1));
  if (out.empty()) throw ConfigError("no output directory; pass -o DIR");
  // Distributed runs: rank 0 writes, the other ranks only train (train_runner.h).
  const bool writer = options.comm == nullptr || options.comm->rank() == 0;
  std::optional<io::DirLock> lock;
  io::Manifest ingest_here;
  if (writer) {
    lock.emplace(io::DirLock::Acquire(out, "snpflow train"));  // creates `out`
    ingest_here = InvalidateTrainOutputs(out);
    if (data.partial)  // the ingest's own variants.tsv (the same table, verified on load)
      CopyFileAtomic(data.variants_tsv, out + "/variants.tsv");
    else
      WriteVariantTable(data.store.sites(), data.counts, out + "/variants.tsv");
    std::string classes_txt;
    for (const auto& c : samples.class_names) classes_txt += c + "\n";
    io::WriteFileAtomic(out + "/classes.txt", classes_txt);
  }

  const size_t n_classes = samples.num_classes();
  std::string metrics, predictions = "sample\tfold\ttrue\tpredicted";
  for (const auto& c : samples.class_names) predictions += "\tp_" + c;
  predictions += "\n";
  std::vector<std::vector<int64_t>> confusion(n_classes, std::vector<int64_t>(n_classes, 0));
  std::vector<std::pair<int, FoldResult>> results;
  TrainSummary sum;
  sum.model = options.model;
  BatcherOptions batcher = options.batcher;
  batcher.codes = trainer.wants_genotype_codes();
  // SNP-parallel: this rank's SNP range `snps` of all `total`. The data set holds either every
  // SNP or (LoadDatasetRange) a range that contains the rank's: `local` is the rank's range in
  // the loaded store, counts and fold statistics.
  const bool snp_parallel = options.comm != nullptr && options.snp_parallel;
  const int64_t total = static_cast<int64_t>(data.total_variants());
  const int64_t loaded_begin = data.partial ? static_cast<int64_t>(data.variant_begin) : 0;
  if (data.partial && !snp_parallel)
    throw Error("train: the data set holds only SNPs " + std::to_string(loaded_begin) + ".. of " +
                std::to_string(total) + " (LoadDatasetRange), which only --dist.parallel snp "
                "can train on (internal error; please report it)");
  SnpRange snps{0, total};
  if (snp_parallel) {
    const int world = options.comm->world_size();
    CheckSnpParallel(trainer);
    if ((snps.end + 3) / 4 < world)  // else some rank's range is empty
      throw InputError("--dist.parallel snp: " + std::to_string(total) +
                       " SNPs cannot be split over " + std::to_string(world) +
                       " ranks (ranges start at multiples of 4); use fewer ranks");
    snps = SnpRangeOfRank(snps.end, options.comm->rank(), world);
  }
  const SnpRange local{snps.begin - loaded_begin, snps.end - loaded_begin};
  if (local.begin < 0 || local.end > static_cast<int64_t>(data.store.num_variants()))
    throw Error("train: this rank's SNPs " + std::to_string(snps.begin) + ".." +
                std::to_string(snps.end) + " are not all in the loaded SNPs " +
                std::to_string(loaded_begin) + ".." +
                std::to_string(loaded_begin + static_cast<int64_t>(data.store.num_variants())) +
                " (internal error; please report it)");

  for (int fold : folds) {
    FoldStats stats = ComputeFoldStats(data.counts, fold);
    std::vector<float> lut = stats.Lut();
    FoldSplit split = SplitFold(samples, fold);
    std::vector<int> train_parts;
    std::vector<uint16_t> train_counts = TrainPartitionCounts(data.counts, fold, &train_parts);
    auto labels_of = [&](const std::vector<int64_t>& idx) {
      std::vector<int64_t> l;
      l.reserve(idx.size());
      for (int64_t i : idx) l.push_back(samples.label[static_cast<size_t>(i)]);
      return l;
    };
    StoreBatchSource train(data.store, split.train, labels_of(split.train), lut.data(), batcher,
                           /*shuffle=*/true, ctx.seed, fold);
    StoreBatchSource valid(data.store, split.valid, labels_of(split.valid), lut.data(), batcher,
                           /*shuffle=*/false, ctx.seed, fold);
    // Tuning never builds a source over the test partition: the trainer gets an empty one.
    std::unique_ptr<BatchSource> test;
    if (options.hide_test) {
      test = std::make_unique<EmptyBatchSource>(static_cast<int64_t>(stats.n_snps));
      split.test.clear();
    } else {
      test = std::make_unique<StoreBatchSource>(data.store, split.test, labels_of(split.test),
                                                lut.data(), batcher, /*shuffle=*/false, ctx.seed,
                                                fold);
    }
    std::vector<uint16_t> rank_counts;  // SNP-parallel: this rank's rows of train_counts
    if (snp_parallel) {
      for (auto* source : {&train, &valid})
        source->SetSnpRange(static_cast<size_t>(local.begin), static_cast<size_t>(local.end));
      if (auto* store_test = dynamic_cast<StoreBatchSource*>(test.get()))
        store_test->SetSnpRange(static_cast<size_t>(local.begin), static_cast<size_t>(local.end));
      else
        test = std::make_unique<EmptyBatchSource>(local.end - local.begin);
      const size_t per = n_classes * 4;  // counts per SNP of one partition
      const size_t all = static_cast<size_t>(stats.n_snps) * per;
      for (size_t k = 0; k < train_parts.size(); ++k)
        rank_counts.insert(rank_counts.end(),
                           train_counts.begin() + k * all + local.begin * per,
                           train_counts.begin() + k * all + local.end * per);
    }
    FoldInputs in;
    in.fold = fold;
    in.ctx = &ctx;
    in.n_snps = static_cast<int64_t>(stats.n_snps);
    in.n_classes = static_cast<int64_t>(n_classes);
    in.embedding = stats.embedding.data();
    in.means = stats.mean.data();
    in.stds = stats.std.data();
    in.n_train_partitions = static_cast<int>(train_parts.size());
    in.train_partitions = train_parts.data();
    in.train_counts = train_counts.data();
    in.train = &train;
    in.valid = &valid;
    in.test = test.get();
    in.output_dir = writer ? out + "/fold_" + std::to_string(fold) : "";
    std::unique_ptr<ShardedBatchSource> train_shard, valid_shard;
    if (snp_parallel) {
      const size_t at = static_cast<size_t>(local.begin);
      in.n_snps = local.end - local.begin;
      in.embedding += at * 4 * n_classes;
      in.means += at;
      in.stds += at;
      in.train_counts = rank_counts.data();
      in.snp_begin = snps.begin;
      in.snp_total = total;
      in.comm = options.comm;
    } else if (options.comm != nullptr) {
      const int rank = options.comm->rank(), world = options.comm->world_size();
      train.SetRowSlice(rank, world);  // unpack only the rows the shards pass on
      valid.SetRowSlice(rank, world);
      train_shard = std::make_unique<ShardedBatchSource>(train, rank, world, /*min_rows=*/2);
      valid_shard = std::make_unique<ShardedBatchSource>(valid, rank, world, /*min_rows=*/0);
      in.train = train_shard.get();
      in.valid = valid_shard.get();
      in.comm = options.comm;
    }
    FoldResult r = trainer.Train(in);
    if (options.hide_test) r.predictions.clear(), r.test_loss = 0, r.test_accuracy = 0;

    for (const auto& e : r.epochs) metrics += MetricsLine(options.model, fold, e);
    if (writer) io::WriteFileAtomic(out + "/metrics.jsonl", metrics);  // rewritten per fold
    for (const auto& p : r.predictions) {
      predictions += samples.ids[static_cast<size_t>(p.sample)] + '\t' + std::to_string(fold) +
                     '\t' + samples.class_names[static_cast<size_t>(p.truth)] + '\t' +
                     samples.class_names[static_cast<size_t>(p.predicted)];
      for (float q : p.probabilities) predictions += '\t' + Fixed(q, 6);
      predictions += '\n';
      confusion[static_cast<size_t>(p.truth)][static_cast<size_t>(p.predicted)] += 1;
    }
    sum.folds.push_back(Summarize(fold, r, split));
    results.emplace_back(fold, std::move(r));
  }

  std::vector<double> acc, valid_acc, valid_loss, epoch_s;
  double seconds = 0, wait = 0;
  for (const auto& [fold, r] : results) {
    for (const auto& e : r.epochs) seconds += e.seconds, wait += e.wait_seconds;
  }
  for (const auto& f : sum.folds) {
    acc.push_back(f.test_accuracy);
    valid_acc.push_back(f.valid_accuracy);
    valid_loss.push_back(f.valid_loss);
    epoch_s.push_back(f.epoch_seconds);
  }
  sum.mean_accuracy = Mean(acc);
  sum.std_accuracy = SampleStd(acc);
  sum.mean_valid_accuracy = Mean(valid_acc);
  sum.std_valid_accuracy = SampleStd(valid_acc);
  sum.mean_valid_loss = Mean(valid_loss);
  sum.mean_epoch_seconds = Mean(epoch_s);
  sum.wait_fraction = seconds > 0 ? wait / seconds : 0;
  sum.n_params = sum.folds.empty() ? 0 : sum.folds.front().n_params;

  if (!writer) return sum;
  if (!options.hide_test) {
    io::WriteFileAtomic(out + "/predictions.tsv", predictions);
    std::string conf = "true\\predicted";
    for (const auto& c : samples.class_names) conf += '\t' + c;
    conf += '\n';
    for (size_t t = 0; t < n_classes; ++t) {
      conf += samples.class_names[t];
      for (size_t p = 0; p < n_classes; ++p) conf += '\t' + std::to_string(confusion[t][p]);
      conf += '\n';
    }
    io::WriteFileAtomic(out + "/confusion.tsv", conf);
  }
  if (options.plots) WritePlots(out, results, confusion, samples.class_names, ctx.quiet);
  if (before_summary) before_summary(sum);  // --baseline: trained while `out` stays locked
  io::WriteFileAtomic(out + "/summary.json", SummaryJson(sum, options, data, ctx));
  WriteTrainManifest(out, folds, ingest_here);  // the commit marker, last
  return sum;
}

}  // namespace

void CheckSnpParallel(const Trainer& trainer) {
  const std::string why = trainer.snp_parallel_refusal();
  if (!why.empty()) throw ConfigError("--dist.parallel snp: " + why);
}

TrainSummary RunTraining(const Dataset& data, Trainer& trainer, const TrainRunOptions& options,
                         RunContext& ctx) {
  CheckTrainable(data);
  // --threads caps the batcher's TBB workers too, not only LibTorch's.
  oneapi::tbb::global_control threads(oneapi::tbb::global_control::max_allowed_parallelism,
                                      static_cast<size_t>(std::max(1, ctx.threads)));
  const std::string& out = ctx.output_dir;
  auto run_baseline = [&](TrainSummary& sum) {
    if (options.baseline == nullptr) return;
    TrainRunOptions base = options;
    base.model = options.baseline_model.empty() ? "baseline" : options.baseline_model;
    base.baseline = nullptr;
    base.plots = false;
    base.comm = nullptr;  // rank 0 alone trains the baseline (only the writer gets here)
    sum.baseline.push_back(
        RunFolds(data, *options.baseline, base, ctx, out + "/baseline", nullptr));
  };
  TrainSummary sum = RunFolds(data, trainer, options, ctx, out, run_baseline);
  if (!ctx.quiet) PrintTable(sum, options, data);
  if (!ctx.quiet && options.comm != nullptr)
    std::printf("distributed: %d ranks; rank 0 passed %.3f MB to collectives\n",
                options.comm->world_size(),
                static_cast<double>(options.comm->bytes_communicated()) / 1e6);
  if (!ctx.quiet && data.partial)
    std::printf("distributed: this rank loaded SNPs %llu..%llu of %llu (%zu bytes of packed "
                "genotypes)\n",
                static_cast<unsigned long long>(data.variant_begin),
                static_cast<unsigned long long>(data.variant_begin + data.store.num_variants()),
                static_cast<unsigned long long>(data.variant_total), data.store.memory_bytes());
  return sum;
}

}  // namespace snpflow
