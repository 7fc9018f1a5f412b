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

void StrictFlags::Double(const char* name, double* target, OptionRange range,
                         const std::string& help) {
  Add(name, FormatDoubleOption(*target), range, help,
      [target](const std::string& text, const std::string& where, const OptionRange& r) {
        *target = ParseDoubleOption(text, where, r);
      });
}

void StrictFlags::Add(const char* name, const std::string& default_text, const OptionRange& range,
                      const std::string& help, Setter set) {
  Flag& flag = flags_.emplace_back();
  flag.long_name = name;
  flag.long_name = flag.long_name.substr(0, flag.long_name.find(','));
  flag.text = default_text;
  flag.range = range;
  flag.set = std::move(set);
  const std::string shown = range.is_set() ? help + " (" + range.ToString() + ")" : help;
  desc_.add_options()(name, po::value(&flag.text)->default_value(default_text), shown.c_str());
}

void StrictFlags::Parse(const po::variables_map& vm) const {
  for (const Flag& flag : flags_)
    if (vm.count(flag.long_name)) flag.set(flag.text, "--" + flag.long_name, flag.range);
}

}  // namespace snpflow::cli
