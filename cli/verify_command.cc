// `snpflow verify DIR`: check every file that DIR/manifest.json lists (size and XXH3-128) in an
// ingest, training or export output directory (io/manifest.h, docs/dataset.md).
#include <boost/program_options.hpp>
#include <cstdio>
#include <string>

#include "cli/commands.h"
#include "cli/parse_args.h"
#include "io/manifest.h"
#include "pipeline/error.h"

namespace snpflow::cli {
namespace {

namespace po = boost::program_options;

constexpr const char* kUsage =
    "Usage: snpflow verify DIR [-q]\n\n"
    "Check that every file listed in DIR/manifest.json (the output directory of `snpflow ingest`,\n"
    "`train` or `export`) has its recorded size and XXH3-128 checksum. Exit 0 when all match; 1\n"
    "naming the first file that does not (edited, truncated or corrupted). train --data,\n"
    "export --data and predict run the same check before they read a directory.\n";

}  // namespace

int VerifyCommand(const Args& args) {
  std::string dir;
  bool quiet = false;
  po::options_description desc("Options");
  desc.add_options()("help,h", "print this help")("quiet,q", po::bool_switch(&quiet),
                                                  "print nothing when every file matches");
  po::options_description hidden;
  hidden.add_options()("dir", po::value(&dir));
  po::positional_options_description positional;
  positional.add("dir", 1);
  po::variables_map vm;
  if (!ParseArgs(args, desc, kUsage, vm, &hidden, &positional)) return 0;
  if (dir.empty()) throw UsageError("no directory: snpflow verify DIR");
  io::Manifest m = io::VerifyDirectory(dir, {}, "the command that wrote '" + dir + "'");
  if (!quiet)
    std::fprintf(stderr, "snpflow verify: %s: %zu files match %s/%s (%s)\n", dir.c_str(),
                 m.files.size(), dir.c_str(), io::kManifestFile,
                 m.kind.empty() ? "manifest" : m.kind.c_str());
  return 0;
}

}  // namespace snpflow::cli
