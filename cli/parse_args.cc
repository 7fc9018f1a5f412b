#include "cli/parse_args.h"

#include <cstdio>
#include <sstream>

namespace snpflow::cli {

namespace po = boost::program_options;

bool ParseArgs(const Args& args, const po::options_description& visible, const char* usage,
               po::variables_map& vm, const po::options_description* hidden,
               const po::positional_options_description* positional) {
  po::options_description all;
  all.add(visible);
  if (hidden != nullptr) all.add(*hidden);
  po::positional_options_description none;
  try {
    const int style = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
    po::store(po::command_line_parser(args).options(all).positional(positional ? *positional : none)
                  .style(style).run(),
              vm);
    if (vm.count("help")) {
      std::ostringstream text;
      text << usage << "\n" << visible;
      std::fputs(text.str().c_str(), stdout);
      return false;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }
  return true;
}

}  // namespace snpflow::cli
