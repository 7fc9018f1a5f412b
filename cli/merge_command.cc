// `snpflow merge SHARD_DIR... -o DIR`: join region shards of one cohort (each from
// `snpflow ingest -r REGION`) along the SNP axis into one data set (stages/merge.h).
#include <boost/program_options.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/parse_args.h"
#include "stages/merge.h"

namespace snpflow::cli {
namespace {

namespace po = boost::program_options;

constexpr const char* kUsage =
    "Usage: snpflow merge SHARD_DIR... -o DIR [-q]\n\n"
    "Join ingest shards (each the output directory of `snpflow ingest -r REGION` over the same\n"
    "samples, labels, folds, seed and filters) along the SNP axis into one data set in DIR, the\n"
    "same files a single ingest of all regions writes. Give the shards in genome order; regions\n"
    "must not overlap. See docs/distributed.md.\n";

}  // namespace

int MergeCommand(const Args& args) {
  std::vector<std::string> shards;
  std::string output;
  bool quiet = false;
  po::options_description desc("Options");
  desc.add_options()("help,h", "print this help")(
      "output,o", po::value(&output), "output directory (required; created)")(
      "quiet,q", po::bool_switch(&quiet), "no per-shard lines on stderr");
  po::options_description hidden;
  hidden.add_options()("shards", po::value(&shards)->composing());
  po::positional_options_description positional;
  positional.add("shards", -1);
  po::variables_map vm;
  if (!ParseArgs(args, desc, kUsage, vm, &hidden, &positional)) return 0;
  if (shards.size() < 2) throw UsageError("give at least two shard directories to merge");
  if (output.empty()) throw UsageError("no output: give -o DIR");
  MergeSummary s = MergeShards(shards, output, quiet);
  if (!quiet)
    std::fprintf(stderr, "[merge] %d shards, %llu variants -> %s\n", s.shards,
                 static_cast<unsigned long long>(s.variants), output.c_str());
  return 0;
}

}  // namespace snpflow::cli
