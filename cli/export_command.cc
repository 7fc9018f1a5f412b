// `snpflow export`: an ingest output directory -> NumPy .npy files for other ML backends
// (stages/export.h, docs/export.md).
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>

#include "cli/commands.h"
#include "cli/parse_args.h"
#include "cli/pipeline_config.h"
#include "pipeline/error.h"
#include "stages/ingest_runner.h"
#include "stages/export.h"
#include "stages/fold_stats.h"
#include "stages/register_builtin.h"

namespace snpflow::cli {
namespace {

namespace po = boost::program_options;

constexpr const char* kUsage =
    "Usage: snpflow export --data DIR -o OUT [options]\n"
    "       snpflow export --vcf VCF --labels PANEL -o OUT [options]\n\n"
    "Write an ingested data set (the output directory of `snpflow ingest`) as NumPy .npy files\n"
    "that Python, PyTorch, scikit-learn or any .npy reader loads without snpflow: genotype codes\n"
    "(uint8, sample-major), labels, fold partitions, per-fold mean/std and embedding, "
    "samples.tsv,\n"
    "variants.tsv and manifest.json. The format is described in docs/export.md; a reader is in\n"
    "examples/python/.\n\n"
    "With --vcf, the VCF/BCF is ingested first into OUT/store (default filters; run `snpflow\n"
    "ingest` yourself for other filter options), then exported into OUT.\n";

}  // namespace

int ExportCommand(const Args& args) {
  ExportOptions options;
  std::string data_dir;
  IngestSpec ingest;
  std::string compress = "none";
  bool quiet = false;
  po::options_description desc("Options");
  StrictFlags numbers(desc);
  // clang-format off
  desc.add_options()
      ("help,h", "print this help")
      ("data,d", po::value(&data_dir), "ingest output directory (store.snpf, samples.tsv, ...)")
      ("vcf", po::value(&ingest.input.path),
       "ingest this VCF/BCF into OUT/store first, instead of --data")
      ("labels", po::value(&ingest.labels_path), "with --vcf: the panel file (sample -> class)")
      ("label-column", po::value(&ingest.label_column)->default_value(ingest.label_column),
       "with --vcf: the panel column holding the class")
      ("output,o", po::value(&options.output_dir), "output directory (required; created)")
      ("packed", po::bool_switch(&options.packed),
       "write 2-bit packed genotypes (N x ceil(S/4) bytes) instead of one byte per code")
      ("compress", po::value(&compress)->default_value(compress),
       "none, or zstd: write every .npy as .npy.zst")
      ("quiet,q", po::bool_switch(&quiet), "no summary on stderr");
  // clang-format on
  numbers.Int("shard-samples", &options.shard_samples, OptionRange::Ints(0, INT64_MAX),
              "samples per genotype shard file (0 = one file)");
  numbers.Int("folds", &ingest.folds, kFoldsRange,
              "with --vcf: number of stratified fold partitions");
  numbers.Int("seed", &ingest.seed, kSeedRange, "with --vcf: fold seed");
  numbers.Int("threads", &ingest.threads, kThreadsRange,
              "with --vcf: worker threads for the ingest");

  po::variables_map vm;
  if (!ParseArgs(args, desc, kUsage, vm)) return 0;
  numbers.Parse(vm);
  const bool from_vcf = !ingest.input.path.empty();
  if (data_dir.empty() == !from_vcf) {
    throw UsageError(
        "give exactly one input: --data DIR (the output directory of `snpflow ingest`) or "
        "--vcf VCF --labels PANEL");
  }
  if (from_vcf && ingest.labels_path.empty()) {
    throw UsageError("--vcf needs --labels PANEL (sample -> class)");
  }
  if (!from_vcf && vm.count("labels")) throw UsageError("--labels goes with --vcf, not --data");
  if (options.output_dir.empty()) throw UsageError("no output: give -o DIR");
  if (compress == "zstd") {
    options.compress_zstd = true;
  } else if (compress != "none") {
    throw UsageError("--compress must be 'none' or 'zstd', got '" + compress + "'");
  }

  const auto start = std::chrono::steady_clock::now();
  Dataset data;
  if (from_vcf) {
    ingest.output_dir = options.output_dir + "/store";
    ingest.quiet = quiet;
    data = RunIngest(DefaultRegistry(), ingest).data;
  } else {
    data = LoadDataset(data_dir);
  }
  ExportSummary summary = RunExport(data, options);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!quiet) {
    std::fprintf(stderr,
                 "export: wrote %llu samples x %llu SNPs (%zu files, %.1f MB of genotypes%s) to %s "
                 "in %.1f s\n",
                 static_cast<unsigned long long>(summary.num_samples),
                 static_cast<unsigned long long>(summary.num_snps), summary.files.size(),
                 summary.genotype_bytes / 1e6, options.packed ? ", packed" : "",
                 options.output_dir.c_str(), seconds);
  }
  return 0;
}

}  // namespace snpflow::cli
