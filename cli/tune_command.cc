// `snpflow tune`: search a trainer's options on the validation partitions of one ingest (--data),
// never on the test partitions (TrainRunOptions::hide_test); prints a ranked table, writes the
// results file (a rerun skips finished trials) and the best options as a config for `snpflow run`.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/pipeline_config.h"
#include "io/atomic_file.h"
#include "io/dataset.h"
#include "pipeline/error.h"
#include "pipeline/options.h"
#include "stages/batcher.h"
#include "stages/train_runner.h"
#include "stages/tuner.h"

namespace snpflow::cli {
namespace {

constexpr const char* kUsage =
    "Usage: snpflow tune --data INGEST_DIR -o DIR --model TRAINER --space SPACE [options]\n\n"
    "Train TRAINER once per trial of the search space on every fold, score each trial by its\n"
    "mean validation accuracy over the folds (the test partitions are never read), and write\n"
    "  DIR/tune.tsv     one row per finished trial (a rerun skips them: the search resumes)\n"
    "  DIR/best.ini     the best options as a config: snpflow run DIR/best.ini\n"
    "  DIR/trials/<n>/  each trial's training outputs (metrics.jsonl, summary.json)\n\n"
    "Tune options:\n"
    "  --space 'train.lr=1e-3,3e-3;train.dropout1=0,0.25,0.5'   options and values to search\n"
    "  --space-file FILE   the same as lines 'train.lr = 1e-3, 3e-3' (optional [space] header)\n"
    "  --search grid|random   grid: every point in order; random: a seeded sample (default grid)\n"
    "  --trials N          at most N trials (default: the whole grid; random needs N)\n"
    "Every `snpflow train` option applies too (fixed values such as --train.epochs 50,\n"
    "--train-folds 0,1, --seed, --threads, -q); see snpflow train --help.\n";

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

/// Check every searched key against the trainer's and the batcher's declared options.
void CheckSpaceKeys(const std::vector<SearchDimension>& space, const StageInfo& trainer) {
  std::vector<std::string> known;
  for (const auto& o : trainer.options) known.push_back("train." + o.name);
  for (const auto& o : BatcherOptionDecls()) known.push_back("batcher." + o.name);
  for (const auto& d : space) {
    if (std::find(known.begin(), known.end(), d.key) != known.end()) continue;
    std::string msg = "--space: '" + d.key + "' is not an option of trainer '" + trainer.name + "'";
    const std::string nearest = NearestName(d.key, known);
    if (!nearest.empty()) msg += "; did you mean '" + nearest + "'?";
    throw ConfigError(msg + " (`snpflow stages -v " + trainer.name + "` lists them)");
  }
}

std::string JoinOptions(const OptionValues& values) {
  std::string s;
  for (const auto& [k, v] : values) s += (s.empty() ? "" : ",") + k + "=" + v;
  return s;
}

}  // namespace

int TuneCommand(const Args& args) {
  // Tune's own options; everything else is `snpflow train`'s.
  Args rest;
  std::string space_text, space_file, search = "grid";
  int budget = 0;
  bool budget_given = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i], value;
    const size_t eq = a.find('=');
    const std::string name = a.rfind("--", 0) == 0 && eq != std::string::npos ? a.substr(0, eq) : a;
    const bool own = name == "--space" || name == "--space-file" || name == "--search" ||
                     name == "--trials";
    if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      return 0;
    }
    if (!own) {
      rest.push_back(a);
      continue;
    }
    if (eq != std::string::npos && name != a) {
      value = a.substr(eq + 1);
    } else {
      if (i + 1 >= args.size()) throw UsageError(name + " needs a value");
      value = args[++i];
    }
    if (name == "--space") space_text += (space_text.empty() ? "" : ";") + value;
    else if (name == "--space-file") space_file = value;
    else if (name == "--search") search = value;
    else {
      try {
        budget = static_cast<int>(ParseIntOption(value, "--trials"));
      } catch (const ConfigError& e) {
        throw UsageError(e.what());
      }
      if (budget < 1) throw UsageError("--trials must be at least 1");
      budget_given = true;
    }
  }
  if (space_text.empty() && space_file.empty())
    throw UsageError("no search space; give --space 'train.lr=1e-3,3e-3' or --space-file FILE");
  if (search == "random" && !budget_given)
    throw UsageError("--search random needs --trials N (the budget)");

  StageRegistry& registry = DefaultRegistry();
  PipelineSpec spec = ParsePipeline(rest, PipelineMode::kTrain, registry);
  if (spec.data_dir.empty())
    throw UsageError("tune reuses one ingest: pass --data INGEST_DIR (from `snpflow ingest`)");
  if (!spec.ingest.input.path.empty())
    throw UsageError("tune reads --data INGEST_DIR, not a VCF; run `snpflow ingest` first");
  if (!spec.baseline.empty()) throw UsageError("--baseline does not apply to tune");
  const std::string out = spec.ingest.output_dir;
  if (out.empty()) throw UsageError("no output directory; pass -o DIR");

  std::vector<SearchDimension> space =
      space_file.empty() ? ParseSearchSpace(space_text) : ReadSearchSpaceFile(space_file);
  if (!space_file.empty() && !space_text.empty())
    throw UsageError("give --space or --space-file, not both");
  const StageInfo& info = registry.Get(spec.trainer);
  CheckSpaceKeys(space, info);
  std::vector<Trial> trials = MakeTrials(space, search, budget, spec.ingest.seed);

  // Every trial's options are checked before the first one trains.
  auto options_of = [&](const Trial& t, OptionValues* train, OptionValues* batcher) {
    *train = spec.trainer_options;
    *batcher = spec.batcher_options;
    for (const auto& [key, value] : t.values) {
      if (key.rfind("train.", 0) == 0) (*train)[key.substr(6)] = value;
      else (*batcher)[key.substr(8)] = value;
    }
  };
  for (const Trial& t : trials) {
    OptionValues train, batcher;
    options_of(t, &train, &batcher);
    info.factory(train, "train");
    BuildBatcherOptions(batcher);
  }

  Dataset data = LoadDataset(spec.data_dir);
  std::string space_canon;
  for (const auto& d : space) {
    space_canon += (space_canon.empty() ? "" : ";") + d.key + "=";
    for (size_t k = 0; k < d.values.size(); ++k) space_canon += (k ? "," : "") + d.values[k];
  }
  std::string folds_text;
  for (int f : spec.folds_to_run) folds_text += (folds_text.empty() ? "" : ",") + std::to_string(f);
  const std::string data_abs = std::filesystem::absolute(spec.data_dir).lexically_normal().string();
  const std::string out_abs = std::filesystem::absolute(out).lexically_normal().string();
  const std::string signature = "model=" + spec.trainer + " data=" + data_abs +
                                " fixed=" + JoinOptions(spec.trainer_options) +
                                " batcher=" + JoinOptions(spec.batcher_options) +
                                " folds=" + (folds_text.empty() ? "all" : folds_text) +
                                " seed=" + std::to_string(spec.ingest.seed) +
                                " space=" + space_canon;
  io::MakeDirs(out);
  const std::string results_path = out + "/tune.tsv";
  std::vector<TrialResult> done = ReadTrialResults(results_path, signature);
  std::set<std::string> finished;
  for (const auto& r : done) finished.insert(r.key);

  const bool quiet = spec.ingest.quiet;
  const auto start = std::chrono::steady_clock::now();
  size_t skipped = 0, ran = 0;
  double best = -1;
  for (const auto& r : done) best = std::max(best, r.mean_valid_accuracy);
  for (size_t t = 0; t < trials.size(); ++t) {
    const std::string key = trials[t].Key();
    if (finished.count(key)) {
      ++skipped;
      continue;
    }
    OptionValues train_options, batcher_options;
    options_of(trials[t], &train_options, &batcher_options);
    auto trainer = registry.Make<Trainer>(spec.trainer, train_options, "train");
    RunContext ctx;
    ctx.samples = data.samples;
    ctx.output_dir = out + "/trials/" + std::to_string(t);
    ctx.seed = spec.ingest.seed;
    ctx.threads = spec.ingest.threads;
    ctx.quiet = true;
    ctx.input_path = spec.data_dir;
    TrainRunOptions o;
    o.model = spec.trainer;
    o.batcher = BuildBatcherOptions(batcher_options);
    o.folds = spec.folds_to_run;
    o.plots = false;
    o.hide_test = true;  // the tuner never reads a test partition
    const auto t0 = std::chrono::steady_clock::now();
    TrainSummary s = RunTraining(data, *trainer, o, ctx);
    TrialResult r;
    r.key = key;
    r.mean_valid_accuracy = s.mean_valid_accuracy;
    r.std_valid_accuracy = s.std_valid_accuracy;
    r.mean_valid_loss = s.mean_valid_loss;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (const auto& f : s.folds) r.fold_valid_accuracy.push_back(f.valid_accuracy);
    done.push_back(r);
    finished.insert(key);
    WriteTrialResults(results_path, signature, done);  // after every trial: resumable
    ++ran;
    best = std::max(best, r.mean_valid_accuracy);
    if (!quiet) {
      const double elapsed =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::fprintf(stderr,
                   "tune: trial %zu/%zu valid %.4f +- %.4f (%s), best %.4f, %.1f s elapsed\n",
                   t + 1, trials.size(), r.mean_valid_accuracy, r.std_valid_accuracy, key.c_str(),
                   best, elapsed);
    }
  }
  if (!quiet && skipped > 0)
    std::fprintf(stderr, "tune: %zu of %zu trials were already in %s (skipped)\n", skipped,
                 trials.size(), results_path.c_str());

  // Rank the trials of this search (the results file may hold more, from a larger budget).
  std::set<std::string> wanted;
  for (const auto& t : trials) wanted.insert(t.Key());
  std::vector<TrialResult> mine;
  for (const auto& r : done)
    if (wanted.count(r.key)) mine.push_back(r);
  std::vector<TrialResult> ranked = RankTrials(mine);
  if (!quiet) {
    std::printf("\ntune %s: %zu trials (%zu run now, %zu resumed), validation partitions only\n",
                spec.trainer.c_str(), ranked.size(), ran, skipped);
    std::printf("%-5s %-18s %10s %8s  %s\n", "rank", "valid_acc", "valid_loss", "seconds",
                "options");
    for (size_t k = 0; k < ranked.size(); ++k)
      std::printf("%-5zu %.4f +- %.4f %10.4f %8.1f  %s\n", k + 1, ranked[k].mean_valid_accuracy,
                  ranked[k].std_valid_accuracy, ranked[k].mean_valid_loss, ranked[k].seconds,
                  ranked[k].key.c_str());
  }

  // The best options as a config `snpflow run` accepts.
  const TrialResult& top = ranked.front();
  Trial best_trial;
  for (const Trial& t : trials)
    if (t.Key() == top.key) best_trial = t;
  OptionValues train_options, batcher_options;
  options_of(best_trial, &train_options, &batcher_options);
  std::string ini =
      "# snpflow tune: the best of " + std::to_string(ranked.size()) + " trials of " +
      spec.trainer + ", mean validation accuracy " + Fixed(top.mean_valid_accuracy, 4) + " +- " +
      Fixed(top.std_valid_accuracy, 4) + " over " +
      std::to_string(top.fold_valid_accuracy.size()) + " folds (test partitions not used).\n" +
      "# Searched: " + space_canon + "\n# Run: snpflow run " + out + "/best.ini\n" +
      "data = " + data_abs + "\noutput = " + out_abs + "/best\nseed = " +
      std::to_string(spec.ingest.seed) + "\nthreads = " + std::to_string(spec.ingest.threads) +
      "\n\n[pipeline]\ntrainer = " + spec.trainer + "\n\n[train]\n";
  for (const auto& [k, v] : train_options) ini += k + " = " + v + "\n";
  if (!batcher_options.empty()) {
    ini += "\n[batcher]\n";
    for (const auto& [k, v] : batcher_options) ini += k + " = " + v + "\n";
  }
  io::WriteFileAtomic(out + "/best.ini", ini);
  if (!quiet) {
    std::printf("best: %s -> %s/best.ini (snpflow run %s/best.ini)\n", top.key.c_str(),
                out.c_str(), out.c_str());
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace snpflow::cli
