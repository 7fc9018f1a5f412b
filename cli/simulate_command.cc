// `snpflow simulate`: write a simulated VCF/BCF and its panel (io/simulator.h).
#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>

#include <boost/program_options.hpp>

#include "io/simulator.h"
#include "cli/commands.h"
#include "cli/parse_args.h"
#include "pipeline/error.h"

namespace snpflow::cli {
namespace {

namespace po = boost::program_options;

constexpr const char* kUsage =
    "Usage: snpflow simulate -o PATH [options]\n\n"
    "Write genotypes from a hierarchical Balding-Nichols model of the 26 1000 Genomes\n"
    "populations (5 super-populations) as VCF/BCF, plus a panel file (sample, pop, super_pop,\n"
    "gender). The output is a function of the options and --seed.\n"
    "Hard cases: --populations 60 --super-populations 6 --min-per-pop 3 --max-per-pop 50\n"
    "--fst-pop 0.004 gives many small, uneven, weakly separated classes.\n";

}  // namespace

int SimulateCommand(const Args& args) {
  io::SimulateOptions o;
  std::string format = "z";
  bool quiet = false;
  po::options_description desc("Options", /*line_length=*/100, /*min_description_length=*/50);
  StrictFlags numbers(desc);
  // clang-format off
  desc.add_options()
      ("help,h", "print this help")
      ("output,o", po::value(&o.output), "output VCF/BCF path, or - for stdout (required)")
      ("output-type,O", po::value(&format)->default_value(format),
       "v: VCF, z: bgzipped VCF + .tbi, b: BCF + .csi")
      ("panel", po::value(&o.panel),
       "panel path (default: the output path without extension + .panel)");
  // clang-format on
  numbers.Int("samples", &o.samples, OptionRange::Ints(1, 10000000), "number of samples");
  numbers.Int("snps", &o.snps, OptionRange::Ints(0, 10000000000), "number of records");
  numbers.Int("populations", &o.populations, OptionRange::Ints(0, 10000),
              "N >= 2 generic populations P1..PN (0: the 26 of 1000 Genomes)");
  numbers.Int("super-populations", &o.super_populations, OptionRange::Ints(0, 10000),
              "with --populations: super-populations of consecutive populations (0: N/5, at "
              "least 2)");
  numbers.Int("min-per-pop", &o.min_per_pop, OptionRange::Ints(0, 1000000),
              "with --max-per-pop: each population's size is drawn from [min, max] (seeded); "
              "the total replaces --samples");
  numbers.Int("max-per-pop", &o.max_per_pop, OptionRange::Ints(0, 1000000),
              "largest population size drawn (see --min-per-pop)");
  numbers.Double("fst-super", &o.fst_super, OptionRange::HalfOpen(0, 1),
                 "Fst of the super-populations from the ancestral frequencies");
  numbers.Double("fst-pop", &o.fst_pop, OptionRange::HalfOpen(0, 1),
                 "Fst of the populations from their super-population");
  numbers.Double("missing-rate", &o.missing_rate, OptionRange::Closed(0, 1),
                 "probability that a genotype is ./.");
  numbers.Double("multiallelic-rate", &o.multiallelic_rate, OptionRange::Closed(0, 1),
                 "fraction of records with two ALT alleles");
  numbers.Double("indel-rate", &o.indel_rate, OptionRange::Closed(0, 1),
                 "fraction of records that are insertions");
  numbers.Int("seed", &o.seed, OptionRange::Ints(0, INT64_MAX), "random seed");
  numbers.Int("chroms", &o.chroms, OptionRange::Ints(1, 22),
              "spread the records over chromosomes 1..N");
  numbers.Int("threads", &o.threads, OptionRange::Ints(0, 4096),
              "extra htslib compression threads");
  numbers.Int("compression-level,l", &o.compression_level, OptionRange::Ints(0, 9),
              "BGZF compression level for -O z/b (1: fast; 6: zlib's default, ~20% smaller)");
  // clang-format off
  desc.add_options()
      ("no-index", "do not write the .tbi/.csi index")
      ("quiet,q", po::bool_switch(&quiet), "no progress or summary on stderr");
  // clang-format on

  po::variables_map vm;
  if (!ParseArgs(args, desc, kUsage, vm)) return 0;
  numbers.Parse(vm);
  if (o.output.empty()) throw UsageError("no output: give -o PATH (or -o - for stdout)");
  if (o.output == "-" && o.panel.empty())
    throw UsageError("-o - writes the VCF to stdout; give --panel PATH for the panel");
  o.format = io::ParseSimulateFormat(format);  // ConfigError: a usage error (exit status 2)
  o.index = vm.count("no-index") == 0;
  if (o.min_per_pop > 0 || o.max_per_pop > 0) {
    if (!vm["samples"].defaulted())
      throw UsageError("--samples conflicts with --min-per-pop/--max-per-pop (the total is the "
                       "sum of the drawn population sizes); drop --samples");
    o.samples = 0;
  }
  if (!quiet) {
    o.on_progress = [](const io::SimulateProgress& p) {
      std::fprintf(stderr, "simulate: %zu/%zu records (%.0f%%), %.1f s\n", p.records_done,
                   p.records_total,
                   p.records_total ? 100.0 * p.records_done / p.records_total : 100.0, p.seconds);
    };
  }

  const auto start = std::chrono::steady_clock::now();
  io::SimulateSummary s = io::Simulate(o);
  if (!quiet) {
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, "simulate: wrote %zu samples x %zu records (%zu multi-allelic, %zu indels)",
                 s.samples, s.records, s.multiallelic, s.indels);
    std::fprintf(stderr, " to %s", s.output == "-" ? "stdout" : s.output.c_str());
    if (!s.index.empty()) std::fprintf(stderr, " (index %s)", s.index.c_str());
    std::fprintf(stderr, "; panel %s; %.1f s\n", s.panel.c_str(), seconds);
  }
  return 0;
}

}  // namespace snpflow::cli
