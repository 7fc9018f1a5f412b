#pragma once
// Shared by the subcommands that parse their own flags with Boost.Program_options.
#include <boost/program_options.hpp>
#include <functional>
#include <limits>
#include <list>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "pipeline/options.h"

namespace snpflow::cli {

/// Parse `args` against `visible` (+ `hidden`, not shown in help) without abbreviations (so
/// `--sample` never silently means `--samples`). Returns false after printing `usage` and the
/// options to stdout when --help was given; throws UsageError on a bad command line.
bool ParseArgs(const Args& args, const boost::program_options::options_description& visible,
               const char* usage, boost::program_options::variables_map& vm,
               const boost::program_options::options_description* hidden = nullptr,
               const boost::program_options::positional_options_description* positional = nullptr);

/// Numeric flags parsed strictly. Boost reads them as text (its lexical_cast wraps "-1" into an
/// unsigned and takes "nan" for a double); Parse() checks each with ParseIntOption /
/// ParseDoubleOption against the field's type and the flag's range, and throws ConfigError
/// (exit status 2) naming the flag and the range. The help text shows the default and range.
class StrictFlags {
 public:
  explicit StrictFlags(boost::program_options::options_description& desc) : desc_(desc) {}

  /// Add `--name` ("name" or "name,x") for an integer field; the range must fit its type.
  template <class I>
  void Int(const char* name, I* target, OptionRange range, const std::string& help) {
    static_assert(std::numeric_limits<I>::is_integer, "Int() is for integer fields");
    const int64_t lo = std::numeric_limits<I>::min();
    int64_t hi = INT64_MAX;  // unsigned 64-bit fields take at most INT64_MAX
    if constexpr (std::numeric_limits<I>::digits < 64)
      hi = static_cast<int64_t>(std::numeric_limits<I>::max());
    if (!range.is_int() || range.int_min() < lo || range.int_max() > hi)
      throw std::logic_error(std::string("flag ") + name + ": range does not fit its type");
    Add(name, std::to_string(*target), range, help,
        [target](const std::string& text, const std::string& where, const OptionRange& r) {
          *target = static_cast<I>(ParseIntOption(text, where, r));
        });
  }
  /// Add `--name` for a double field.
  void Double(const char* name, double* target, OptionRange range, const std::string& help);
  /// Parse every flag given (or defaulted) in `vm`; call after ParseArgs.
  void Parse(const boost::program_options::variables_map& vm) const;

 private:
  using Setter = std::function<void(const std::string&, const std::string&, const OptionRange&)>;
  struct Flag {
    std::string long_name;
    std::string text;
    OptionRange range;
    Setter set;
  };
  void Add(const char* name, const std::string& default_text, const OptionRange& range,
           const std::string& help, Setter set);
  boost::program_options::options_description& desc_;
  std::list<Flag> flags_;  // stable addresses: Boost writes into each `text`
};

}  // namespace snpflow::cli
