#include "cli/pipeline_config.h"

#include <boost/program_options.hpp>
#include <fstream>
#include <sstream>

#include "pipeline/error.h"
#include "pipeline/plugin_loader.h"
#include "stages/batcher.h"
#include "stages/dist_launch.h"

namespace snpflow {

namespace po = boost::program_options;

namespace {

std::vector<std::string> SplitList(const std::string& s) {
  std::vector<std::string> out;
  std::string item;
  for (char c : s + ",") {
    if (c == ',' || c == ' ' || c == '\t') {
      if (!item.empty()) out.push_back(item);
      item.clear();
    } else {
      item += c;
    }
  }
  return out;
}

// Options common to every pipeline command; the same names are top-level keys in config files.
po::options_description GeneralOptions(PipelineMode mode) {
  po::options_description d("Input and run options");
  d.add_options()
      ("help,h", "print this help")
      ("input", po::value<std::string>(), "VCF, VCF.gz or BCF file, or - for stdin")
      ("labels,l", po::value<std::string>(), "label file (1000 Genomes panel: sample pop super_pop gender)")
      ("label-column", po::value<std::string>()->default_value("pop"), "label file column to classify")
      ("regions,r", po::value<std::string>(), "regions chr|chr:beg-end[,...] (needs a .csi/.tbi index)")
      ("samples,S", po::value<std::string>(), "file of sample ids to use (^file to exclude them)")
      ("threads", po::value<std::string>()->default_value("1"),
       ("worker threads (graph, BGZF, LibTorch); " + kThreadsRange.ToString()).c_str())
      ("maf", po::value<std::string>(), "same as --filter.min-maf")
      ("max-missing", po::value<std::string>(), "same as --filter.max-missing")
      ("folds", po::value<std::string>()->default_value("5"),
       ("K: partitions for K-fold cross-validation; " + kFoldsRange.ToString()).c_str())
      ("seed", po::value<std::string>()->default_value("1"),
       ("seed for folds, shuffles and weights; " + kSeedRange.ToString()).c_str())
      ("output,o", po::value<std::string>(), "output directory")
      ("quiet,q", po::bool_switch(), "no progress lines on stderr")
      ("force", po::bool_switch(), "redo the VCF pass even if -o DIR holds a matching ingest")
      ("plugin", po::value<std::vector<std::string>>()->composing(), "load a plugin .so (repeatable)")
      ("stage", po::value<std::vector<std::string>>()->composing(),
       "add a block stage or sink after the defaults (repeatable), e.g. --stage hwe-filter")
      ("blocks-in-flight", po::value<std::string>()->default_value("0"),
       ("bound on blocks in the graph (0: auto); " + kBlocksInFlightRange.ToString()).c_str())
      ("pipeline.stages", po::value<std::string>(), "stages between decode-gt and count (default: filter)")
      ("pipeline.plugins", po::value<std::string>(), "plugins to load, comma-separated")
      ("pipeline.export", po::value<std::string>(), "true: export NumPy files after ingest");
  if (mode != PipelineMode::kIngest) {
    d.add_options()
        ("data", po::value<std::string>(), "an existing `snpflow ingest` output dir (skips the VCF pass)")
        ("model", po::value<std::string>(), "trainer stage: dietnet, mlp, mlp-improved or a plugin's")
        ("pipeline.trainer", po::value<std::string>(), "trainer stage (same as --model)")
        ("train-folds", po::value<std::string>(), "only these folds, e.g. 0 or 0,2 (default: all)")
        ("dist", po::bool_switch(), "distributed training across the ranks of a torchrun or Slurm "
         "launch (automatic when WORLD_SIZE > 1; docs/distributed.md)")
        ("baseline", po::value<std::string>(),
         "also train this trainer (linear, naive-bayes, ...) on the same folds and report it "
         "beside the model; its options are --baseline.<option>");
  }
  if (mode != PipelineMode::kTrain) d.add_options()("export", po::bool_switch(), "also export NumPy files");
  return d;
}

void AddStageOptions(po::options_description& d, const std::string& label, const StageInfo& info) {
  for (const OptionDecl& o : info.options) {
    std::string help = o.help + " [" + OptionTypeName(o.type) + ", default " +
                       (o.default_value.empty() ? "\"\"" : o.default_value) +
                       (o.range.is_set() ? ", range " + o.range.ToString() : "") + "]";
    d.add_options()((label + "." + o.name).c_str(), po::value<std::string>(), help.c_str());
  }
}

std::string Value(const po::variables_map& vm, const std::string& key) {
  return vm.count(key) ? vm[key].as<std::string>() : std::string();
}

// Throw ConfigError for an option the strict pass rejected, naming the nearest known one.
[[noreturn]] void ThrowUnknown(const std::string& option, const std::string& source,
                               const po::options_description& d) {
  std::vector<std::string> known;
  for (const auto& o : d.options()) known.push_back(o->long_name());
  std::string name = option;
  while (!name.empty() && name[0] == '-') name.erase(0, 1);
  std::string msg = source + ": unknown option '" + name + "'";
  std::string nearest = NearestName(name, known);
  if (!nearest.empty()) msg += "; did you mean '" + nearest + "'?";
  throw ConfigError(msg + " (`snpflow stages` lists every stage option)");
}

}  // namespace

PipelineSpec ParsePipeline(const std::vector<std::string>& args, PipelineMode mode,
                           StageRegistry& registry) {
  PipelineSpec spec;
  std::vector<std::string> cli = args;
  if (mode == PipelineMode::kRun) {
    if (cli.empty() || cli[0].empty() || cli[0][0] == '-') {
      if (!cli.empty() && (cli[0] == "--help" || cli[0] == "-h")) {
        spec.help = true;
        spec.help_text = "Usage: snpflow run CONFIG.ini [--section.option value ...]\n";
        return spec;
      }
      throw ConfigError("`snpflow run` needs a config file first: snpflow run configs/demo.ini");
    }
    spec.config_path = cli[0];
    cli.erase(cli.begin());
  }
  po::positional_options_description positional;
  positional.add("input", 1);
  po::options_description general = GeneralOptions(mode);

  // Pass 1: general options only, to learn plugins, stages and the trainer.
  po::variables_map vm1;
  std::vector<po::basic_option<char>> config_unregistered;
  try {
    // Pass 1 must not choke on values of options it doesn't know yet ("--filter.min-maf 0.1"):
    // every positional token is collected, and checked strictly in pass 2.
    po::options_description pass1;
    pass1.add(general).add_options()("pass1-tokens", po::value<std::vector<std::string>>(), "");
    po::positional_options_description all_tokens;
    all_tokens.add("pass1-tokens", -1);
    auto parsed = po::command_line_parser(cli).options(pass1).positional(all_tokens)
                      .allow_unregistered().run();
    po::store(parsed, vm1);
    if (!spec.config_path.empty()) {
      std::ifstream in(spec.config_path);
      if (!in) throw InputError("cannot open config file '" + spec.config_path + "'");
      auto parsed_cfg = po::parse_config_file(in, general, /*allow_unregistered=*/true);
      for (const auto& o : parsed_cfg.options)
        if (o.unregistered) config_unregistered.push_back(o);
      po::store(parsed_cfg, vm1);
    }
  } catch (const po::error& e) {
    throw ConfigError((spec.config_path.empty() ? "" : spec.config_path + ": ") + e.what());
  }

  // Plugins: --plugin, then [pipeline] plugins, then $SNPFLOW_PLUGIN_PATH.
  if (vm1.count("plugin")) spec.plugins = vm1["plugin"].as<std::vector<std::string>>();
  for (const auto& p : SplitList(Value(vm1, "pipeline.plugins"))) spec.plugins.push_back(p);
  LoadPlugins(registry, spec.plugins);

  std::vector<std::string> labels = vm1.count("pipeline.stages")
                                        ? SplitList(Value(vm1, "pipeline.stages"))
                                        : std::vector<std::string>{"filter"};
  if (vm1.count("stage"))
    for (const auto& s : vm1["stage"].as<std::vector<std::string>>()) labels.push_back(s);
  spec.ingest.stages.clear();
  for (const auto& label : labels) {
    std::string name = label;
    // A section may name its stage (`[strict-filter] stage = filter`) to use a stage twice.
    for (const auto& o : config_unregistered)
      if (o.string_key == label + ".stage" && !o.value.empty()) name = o.value[0];
    registry.Get(name);  // unknown stage: a clear error listing the known ones
    spec.ingest.stages.push_back({name, label});
  }
  if (mode != PipelineMode::kIngest) {
    spec.trainer = vm1.count("model") ? Value(vm1, "model") : Value(vm1, "pipeline.trainer");
    if (spec.trainer.empty() && mode == PipelineMode::kTrain) spec.trainer = "dietnet";
    if (!spec.trainer.empty() && registry.Get(spec.trainer).role != StageRole::kTrainer)
      throw ConfigError("'" + spec.trainer + "' is not a trainer stage; `snpflow stages` lists them");
    spec.baseline = Value(vm1, "baseline");
    if (!spec.baseline.empty() && registry.Get(spec.baseline).role != StageRole::kTrainer)
      throw ConfigError("--baseline '" + spec.baseline +
                        "' is not a trainer stage; `snpflow stages` lists them");
  }
  std::string export_flag = Value(vm1, "pipeline.export");
  spec.run_export = (vm1.count("export") && vm1["export"].as<bool>()) ||
                    (!export_flag.empty() && ParseBoolOption(export_flag, "[pipeline] export"));

  // Pass 2: strict, with every chosen stage's declared options.
  po::options_description full("Options");
  full.add(general);
  po::options_description stage_opts("Stage options (also [section] key = value in configs)");
  AddStageOptions(stage_opts, "decode-gt", registry.Get("decode-gt"));
  for (const auto& ref : spec.ingest.stages) {
    AddStageOptions(stage_opts, ref.label, registry.Get(ref.name));
    if (ref.label != ref.name) stage_opts.add_options()((ref.label + ".stage").c_str(), po::value<std::string>(), "stage of this section");
  }
  AddStageOptions(stage_opts, "count", registry.Get("count"));
  AddStageOptions(stage_opts, "store", registry.Get("store"));
  if (registry.Has("export")) AddStageOptions(stage_opts, "export", registry.Get("export"));
  if (!spec.trainer.empty()) {
    AddStageOptions(stage_opts, "train", registry.Get(spec.trainer));
    StageInfo batcher;
    batcher.options = BatcherOptionDecls();
    AddStageOptions(stage_opts, "batcher", batcher);
    StageInfo dist;
    dist.options = DistOptionDecls();
    AddStageOptions(stage_opts, "dist", dist);
  }
  if (!spec.baseline.empty()) AddStageOptions(stage_opts, "baseline", registry.Get(spec.baseline));
  full.add(stage_opts);

  po::variables_map vm;
  try {
    po::store(po::command_line_parser(cli).options(full).positional(positional).run(), vm);
  } catch (const po::unknown_option& e) {
    ThrowUnknown(e.get_option_name(), "command line", full);
  } catch (const po::error& e) {
    throw ConfigError(std::string("command line: ") + e.what());
  }
  if (!spec.config_path.empty()) {
    try {
      std::ifstream in(spec.config_path);
      po::store(po::parse_config_file(in, full), vm);
    } catch (const po::unknown_option& e) {
      ThrowUnknown(e.get_option_name(), "config '" + spec.config_path + "'", full);
    } catch (const po::error& e) {
      throw ConfigError("config '" + spec.config_path + "': " + e.what());
    }
  }
  po::notify(vm);
  if (vm.count("help")) {
    std::ostringstream help;
    help << full;
    spec.help = true;
    spec.help_text = help.str();
    return spec;
  }

  IngestSpec& in = spec.ingest;
  in.input.path = Value(vm, "input");
  in.input.regions = Value(vm, "regions");
  in.input.samples_file = Value(vm, "samples");
  in.labels_path = Value(vm, "labels");
  in.label_column = Value(vm, "label-column");
  in.threads = static_cast<int>(ParseIntOption(Value(vm, "threads"), "--threads", kThreadsRange));
  in.input.threads = in.threads > 1 ? in.threads : 0;
  in.folds = static_cast<int>(ParseIntOption(Value(vm, "folds"), "--folds", kFoldsRange));
  in.seed = static_cast<uint64_t>(ParseIntOption(Value(vm, "seed"), "--seed", kSeedRange));
  in.output_dir = Value(vm, "output");
  in.quiet = vm["quiet"].as<bool>();
  in.reuse = !vm["force"].as<bool>();
  in.max_blocks_in_flight = static_cast<size_t>(
      ParseIntOption(Value(vm, "blocks-in-flight"), "--blocks-in-flight", kBlocksInFlightRange));
  if (mode != PipelineMode::kIngest) {
    spec.data_dir = Value(vm, "data");
    spec.dist = vm["dist"].as<bool>();
    for (const auto& f : SplitList(Value(vm, "train-folds")))
      spec.folds_to_run.push_back(static_cast<int>(
          ParseIntOption(f, "--train-folds", OptionRange::Ints(0, kFoldsRange.int_max() - 1))));
  }

  // Stage option values: "label.key" -> options[label][key].
  for (const auto& [key, value] : vm) {
    auto dot = key.find('.');
    if (dot == std::string::npos || key.rfind("pipeline.", 0) == 0) continue;
    std::string label = key.substr(0, dot), name = key.substr(dot + 1);
    if (name == "stage") continue;
    const std::string& text = value.as<std::string>();
    if (label == "train") spec.trainer_options[name] = text;
    else if (label == "export") spec.export_options[name] = text;
    else if (label == "batcher") spec.batcher_options[name] = text;
    else if (label == "dist") spec.dist_options[name] = text;
    else if (label == "baseline") spec.baseline_options[name] = text;
    else in.options[label][name] = text;
  }
  bool has_filter = false;
  for (const auto& ref : in.stages) has_filter = has_filter || ref.name == "filter";
  for (const auto& [flag, key] : {std::pair<const char*, const char*>{"maf", "min-maf"},
                                  {"max-missing", "max-missing"}}) {
    if (!vm.count(flag)) continue;
    if (!has_filter) throw ConfigError(std::string("--") + flag + " needs the filter stage in the pipeline");
    // Check the shorthand under its own name, against the filter's declared range.
    for (const OptionDecl& decl : registry.Get("filter").options)
      if (decl.name == key) ParseDoubleOption(Value(vm, flag), std::string("--") + flag, decl.range);
    for (const auto& ref : in.stages)
      if (ref.name == "filter" && !in.options[ref.label].count(key))
        in.options[ref.label][key] = Value(vm, flag);
  }
  // Options are validated now, not after a long VCF pass.
  for (const auto& ref : in.stages) registry.Get(ref.name).factory(in.options[ref.label], ref.label);
  for (const char* builtin : {"decode-gt", "count", "store"})
    if (in.options.count(builtin)) registry.Get(builtin).factory(in.options[builtin], builtin);
  if (!spec.trainer.empty()) {
    registry.Get(spec.trainer).factory(spec.trainer_options, "train");
    BuildBatcherOptions(spec.batcher_options);
  }
  if (!spec.baseline.empty())
    registry.Get(spec.baseline).factory(spec.baseline_options, "baseline");
  if (spec.run_export) registry.Get("export").factory(spec.export_options, "export");
  return spec;
}

}  // namespace snpflow
