// `snpflow predict`: classify the samples of a new VCF/BCF with a model written by `snpflow train`.
// Variants are matched to the training variant table by chrom/pos/ref/alt; training variants the
// VCF lacks are imputed as the training mean (LUT value 0, like a missing genotype).
#include <boost/program_options.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "io/atomic_file.h"
#include "io/site_matcher.h"
#include "io/vcf_source.h"
#include "cli/commands.h"
#include "cli/parse_args.h"
#include "cli/pipeline_config.h"
#include "pipeline/error.h"
#include "pipeline/options.h"
#include "pipeline/registry.h"
#include "stages/baseline_trainers.h"
#include "stages/batcher.h"
#include "stages/decode_gt.h"
#include "stages/fold_stats.h"
#include "stages/train/saved_model.h"
#include "stages/train/torch_errors.h"
#include "stages/train_runner.h"

namespace snpflow::cli {
namespace {

namespace po = boost::program_options;
namespace fs = std::filesystem;

constexpr const char* kUsage =
    "Usage: snpflow predict --model DIR --vcf NEW.vcf[.gz]|NEW.bcf -o PREDICTIONS.tsv [options]\n\n"
    "Predict the class of every sample of a VCF/BCF with a model from `snpflow train`. DIR is a\n"
    "fold directory (OUT/fold_0) or the run directory OUT, whose folds' probabilities are\n"
    "averaged. Variants are matched by chrom/pos/ref/alt, with `chr22` = `22` and `chrM` = `MT`;\n"
    "a record with REF/ALT swapped relative to training is matched and its dosage flipped.\n"
    "Training variants the VCF lacks are imputed as the training mean; below --min-coverage\n"
    "(the fraction of training variants matched) predict stops with an error.\n";

// Warn (but predict) when fewer than this fraction of the training variants matched.
constexpr double kWarnCoverage = 0.9;

/// Throw ConfigError, naming the kind, if `dir` (or its fold_0/) holds a baseline model.
void ThrowIfBaseline(const std::string& dir) {
  for (const fs::path& info : {fs::path(dir) / kBaselineInfoFile,
                               fs::path(dir) / "fold_0" / kBaselineInfoFile}) {
    if (!fs::exists(info)) continue;
    std::ifstream in(info);
    std::string line, kind = "baseline";
    while (std::getline(in, line))
      if (line.rfind("kind = ", 0) == 0) kind = line.substr(7);
    throw InputError("'" + dir + "' holds a " + kind + " baseline model; `snpflow predict` loads "
                      "only dietnet, mlp and mlp-improved models (a baseline's parameters are in "
                      "its fold_<f>/*.npy for use from Python)");
  }
}

/// The fold directories under `dir` (itself, or its fold_<f>/ with a model), sorted.
std::vector<std::string> ModelDirs(const std::string& dir) {
  if (fs::exists(fs::path(dir) / kModelFile)) return {dir};
  std::vector<std::string> dirs;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (e.is_directory() && name.rfind("fold_", 0) == 0 && fs::exists(e.path() / kModelFile))
      dirs.push_back(e.path().string());
  }
  if (ec) throw InputError("cannot read model directory '" + dir + "': " + ec.message());
  std::sort(dirs.begin(), dirs.end());
  if (dirs.empty()) ThrowIfBaseline(dir);
  if (dirs.empty())
    throw InputError("'" + dir + "' has no " + kModelFile + " and no fold_<f>/" + kModelFile +
                     "; pass the output directory of `snpflow train` or one of its fold_<f>/");
  return dirs;
}

std::string VariantTablePath(const std::string& model_dir) {
  for (const fs::path& p : {fs::path(model_dir) / "variants.tsv",
                            fs::path(model_dir).parent_path() / "variants.tsv"})
    if (fs::exists(p)) return p.string();
  throw InputError("no variants.tsv next to the model in '" + model_dir +
                   "' or in its parent; it is written by `snpflow train`");
}

}  // namespace

int PredictCommand(const Args& args) {
  std::string model_dir, vcf, output;
  int threads = 1, batch_size = 256;
  double min_coverage = 0.5;
  bool quiet = false;
  po::options_description desc("Options");
  StrictFlags numbers(desc);
  // clang-format off
  desc.add_options()
      ("help,h", "print this help")
      ("model,m", po::value(&model_dir), "model: OUT/fold_<f> or the run directory OUT (required)")
      ("vcf", po::value(&vcf), "VCF/BCF with the samples to classify, or - for stdin (required)")
      ("output,o", po::value(&output), "predictions TSV (required)")
      ("quiet,q", po::bool_switch(&quiet), "no summary on stderr");
  // clang-format on
  numbers.Int("threads", &threads, kThreadsRange, "LibTorch and TBB threads");
  numbers.Int("batch-size", &batch_size, OptionRange::Ints(1, 1000000),
              "samples per forward pass");
  numbers.Double("min-coverage", &min_coverage, OptionRange::Closed(0, 1),
                 "error when fewer than this fraction of the training variants is matched");
  po::variables_map vm;
  if (!ParseArgs(args, desc, kUsage, vm)) return 0;
  numbers.Parse(vm);
  if (model_dir.empty()) throw UsageError("no model: pass --model DIR (the output of `snpflow train`)");
  if (vcf.empty()) throw UsageError("no input: pass --vcf FILE");
  if (output.empty()) throw UsageError("no output: pass -o PREDICTIONS.tsv");

  // Models: every fold must share the variant table and the classes.
  std::vector<SavedModel> models;
  const std::vector<std::string> dirs = ModelDirs(model_dir);
  VerifyTrainOutput(model_dir, dirs);  // every file we read matches the run's manifest
  for (const auto& dir : dirs)
    models.push_back(GuardTorch("cannot load the model in " + dir,
                                "the model is larger than this machine's memory",
                                [&] { return SavedModel::Load(dir); }));
  const std::string variants_path = VariantTablePath(models.front().dir());
  std::vector<io::SiteInfo> sites = ReadVariantTable(variants_path);
  const int64_t n_snps = static_cast<int64_t>(sites.size());
  for (const auto& m : models) {
    if (m.num_snps() != n_snps)
      throw FormatError(m.dir() + ": the model has " + std::to_string(m.num_snps()) +
                        " SNPs but " + variants_path + " lists " + std::to_string(n_snps));
    if (m.class_names() != models.front().class_names())
      throw FormatError(m.dir() + ": its classes differ from " + models.front().dir() + "'s");
  }
  const std::vector<std::string>& classes = models.front().class_names();
  const io::SiteMatcher matcher(sites);

  // Read the VCF through the same decoder as ingest, into sample-major 2-bit rows that start
  // all-missing (code 3), so unmatched training variants unpack to 0 = the training mean.
  io::VcfSourceOptions source_options;
  source_options.path = vcf;
  ApplyDecodeGtSourceOptions({}, source_options);  // BCF GT decoded as ingest decodes it
  auto source = io::VcfSource::Open(source_options);
  const size_t n_samples = source->sample_ids().size();
  if (n_samples == 0) throw InputError("'" + vcf + "' has no samples to classify");
  const size_t row_bytes = static_cast<size_t>(n_snps + 3) / 4;
  std::vector<uint8_t> packed(n_samples * row_bytes, 0xFF);
  std::vector<bool> seen(static_cast<size_t>(n_snps), false);
  StageRegistry& registry = DefaultRegistry();
  auto decode = registry.Make<BlockStage>("decode-gt", {}, "decode-gt");
  RunContext ctx;
  decode->Init(ctx);
  uint64_t records = 0, matched = 0, flipped = 0;
  VariantBlock block;
  while (source->ReadBlock(block)) {
    decode->Process(block);
    for (size_t i = 0; i < block.size(); ++i) {
      ++records;
      if (!block.kept(i)) continue;
      const Variant& v = block.variants[i];
      const io::SiteMatcher::Match match = matcher.Find(v.chrom, v.pos, v.ref, v.alt);
      if (match.index < 0) continue;
      const size_t j = static_cast<size_t>(match.index);
      if (seen[j])
        throw FormatError("'" + vcf + "': record " + std::to_string(v.record) + " (" + v.chrom +
                          ":" + std::to_string(v.pos) + ") matches training variant " +
                          std::to_string(j + 1) + " of " + variants_path +
                          " a second time; remove the duplicate (`bcftools norm -d exact`)");
      seen[j] = true;
      ++matched;
      flipped += match.flipped;
      const uint8_t* codes = block.codes_of(i);
      const int shift = 2 * static_cast<int>(j % 4);
      for (size_t s = 0; s < n_samples; ++s) {
        uint8_t& byte = packed[s * row_bytes + j / 4];
        const uint8_t code = io::OrientCode(codes[s] & 3, match.flipped);
        byte = static_cast<uint8_t>((byte & ~(3 << shift)) | (code << shift));
      }
    }
  }
  const double coverage = static_cast<double>(matched) / static_cast<double>(n_snps);
  const std::string match_report =
      std::to_string(matched) + " of " + std::to_string(n_snps) + " training variants matched (" +
      std::to_string(flipped) + " with REF/ALT swapped and flipped), " +
      std::to_string(n_snps - static_cast<int64_t>(matched)) + " missing, among " +
      std::to_string(records) + " records";
  if (matched == 0 || coverage < min_coverage) {
    char pct[32];
    std::snprintf(pct, sizeof pct, "%.1f%%", 100 * coverage);
    throw InputError("'" + vcf + "': only " + pct + " of the model's training variants are in it (" +
                     match_report + "; " + variants_path + "), below --min-coverage " +
                     FormatDoubleOption(min_coverage) + "; check the reference build and "
                     "chromosome names, or lower --min-coverage to predict anyway");
  }

  // Average the folds' probabilities.
  const size_t c = classes.size();
  std::vector<double> probs(n_samples * c, 0.0);
  std::vector<float> x;
  for (const auto& m : models) {
    const std::vector<float> lut = m.Lut();
    for (size_t begin = 0; begin < n_samples; begin += static_cast<size_t>(batch_size)) {
      const size_t rows = std::min(static_cast<size_t>(batch_size), n_samples - begin);
      x.resize(rows * static_cast<size_t>(n_snps));
      for (size_t r = 0; r < rows; ++r)
        UnpackRow(packed.data() + (begin + r) * row_bytes, static_cast<size_t>(n_snps), lut.data(),
                  x.data() + r * static_cast<size_t>(n_snps));
      std::vector<float> p =
          GuardTorch("predict with the model in " + m.dir(), "lower --batch-size (now " +
                         std::to_string(batch_size) + ")",
                     [&] { return m.Predict(x.data(), static_cast<int64_t>(rows), threads); });
      for (size_t k = 0; k < rows * c; ++k) probs[begin * c + k] += p[k];
    }
  }
  std::string out = "sample\tpredicted";
  for (const auto& name : classes) out += "\tp_" + name;
  out += '\n';
  char buf[32];
  for (size_t s = 0; s < n_samples; ++s) {
    const double* p = probs.data() + s * c;
    size_t best = static_cast<size_t>(std::max_element(p, p + c) - p);
    out += source->sample_ids()[s] + '\t' + classes[best];
    for (size_t k = 0; k < c; ++k) {
      std::snprintf(buf, sizeof buf, "\t%.6f", p[k] / static_cast<double>(models.size()));
      out += buf;
    }
    out += '\n';
  }
  io::WriteFileAtomic(output, out);
  if (!quiet) {
    std::fprintf(stderr, "snpflow predict: %zu samples, %zu model(s); %s (missing ones imputed "
                 "as the training mean) -> %s\n",
                 n_samples, models.size(), match_report.c_str(), output.c_str());
    if (coverage < kWarnCoverage)
      std::fprintf(stderr, "snpflow: warning: only %.1f%% of the training variants matched; "
                           "predictions may be less accurate than the training run's\n",
                   100 * coverage);
  }
  return 0;
}

}  // namespace snpflow::cli

/// `snpflow predict`, resolved by the CLI with dlsym in the LibTorch module (this file is built
/// into libsnpflow_train). Same toolchain and libstdc++ on both sides, so C++ exceptions pass.
extern "C" __attribute__((visibility("default"))) int snpflow_torch_predict(
    const snpflow::cli::Args* args) {
  return snpflow::cli::PredictCommand(*args);
}
