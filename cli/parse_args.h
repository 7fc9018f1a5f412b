#pragma once
// Shared by the subcommands that parse their own flags with Boost.Program_options.
#include <boost/program_options.hpp>

#include "cli/commands.h"

namespace snpflow::cli {

/// Parse `args` against `visible` (+ `hidden`, not shown in help) without abbreviations (so
/// `--sample` never silently means `--samples`). Returns false after printing `usage` and the
/// options to stdout when --help was given; throws UsageError on a bad command line.
bool ParseArgs(const Args& args, const boost::program_options::options_description& visible,
               const char* usage, boost::program_options::variables_map& vm,
               const boost::program_options::options_description* hidden = nullptr,
               const boost::program_options::positional_options_description* positional = nullptr);

}  // namespace snpflow::cli
