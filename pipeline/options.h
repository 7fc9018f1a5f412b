#pragma once
/// Typed stage options, declared once. The same declaration feeds Boost.Program_options (command
/// line and config files), `snpflow stages` (documentation) and the stage's own options struct.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace snpflow {

enum class OptionType { kBool, kInt, kDouble, kString };

/// Return "bool", "int", "double" or "string".
const char* OptionTypeName(OptionType type);

/// The valid values of a numeric option: integers in [int_min, int_max], or doubles between min
/// and max, each end closed or open. A default-constructed range allows every value of the type
/// (doubles must still be finite).
class OptionRange {
 public:
  OptionRange() = default;
  /// Integers min..max, both included.
  static OptionRange Ints(int64_t min, int64_t max);
  /// Numbers in [min, max].
  static OptionRange Closed(double min, double max);
  /// Numbers in [min, max).
  static OptionRange HalfOpen(double min, double max);
  /// Numbers > min.
  static OptionRange Above(double min);
  /// Numbers >= min.
  static OptionRange AtLeast(double min);

  bool is_set() const { return kind_ != Kind::kNone; }
  bool is_int() const { return kind_ == Kind::kInt; }
  int64_t int_min() const { return int_min_; }
  int64_t int_max() const { return int_max_; }
  bool Contains(int64_t value) const;
  bool Contains(double value) const;
  /// "1..1000000", ">= 0", "[0, 1)", "> 0"; "" when not set.
  std::string ToString() const;

 private:
  enum class Kind { kNone, kInt, kDouble };
  Kind kind_ = Kind::kNone;
  int64_t int_min_ = INT64_MIN, int_max_ = INT64_MAX;
  double min_ = 0, max_ = 0;
  bool has_min_ = false, has_max_ = false, min_open_ = false, max_open_ = false;
};

/// One declared option: `name` is the key inside its stage's section ("min-maf").
struct OptionDecl {
  std::string name;
  OptionType type;
  std::string default_value;  // as text, as `snpflow stages` prints it
  std::string help;
  OptionRange range;          // valid values (numeric options); shown by `snpflow stages -v`
};

/// Option values as text, keyed by option name (without the stage prefix). Only set options appear.
using OptionValues = std::map<std::string, std::string>;

/// Parse `text` as the given type, or throw ConfigError naming `where` (e.g. "--filter.min-maf")
/// and, when set, the allowed range. Integers are parsed whole (no truncation, no wrapping):
/// "1.5", "12ab", "" and values outside `range` (or int64) are errors. Doubles must be finite
/// ("nan" and "inf" are errors) and within `range`.
bool ParseBoolOption(const std::string& text, const std::string& where);
int64_t ParseIntOption(const std::string& text, const std::string& where,
                       const OptionRange& range = OptionRange());
double ParseDoubleOption(const std::string& text, const std::string& where,
                         const OptionRange& range = OptionRange());
std::string FormatDoubleOption(double value);

/// Throw std::logic_error when `range` does not suit option `name` of `type` whose field holds
/// `type_range` (a declaration bug, found when the stage registers).
void CheckRangeDeclaration(const std::string& name, OptionType type, const OptionRange& range,
                           const OptionRange& type_range);

/// The declarations of an options struct T: a list of (name, member pointer, help).
/// T must be default-constructible; its default member values are the options' defaults.
template <class T>
class OptionSet {
 public:
  /// Declare an option; chain .Range(...) to restrict its values, e.g.
  ///   o.Add("epochs", &O::epochs, "maximum number of epochs").Range(1, 1000000);
  OptionSet& Add(std::string name, bool T::*field, std::string help) {
    return AddImpl(std::move(name), OptionType::kBool, std::move(help),
                   [field](const T& t) { return std::string(t.*field ? "true" : "false"); },
                   [field](T& t, const std::string& v, const std::string& w, const OptionRange&) {
                     t.*field = ParseBoolOption(v, w);
                   });
  }
  OptionSet& Add(std::string name, int T::*field, std::string help) {
    return AddImpl(std::move(name), OptionType::kInt, std::move(help),
                   [field](const T& t) { return std::to_string(t.*field); },
                   [field](T& t, const std::string& v, const std::string& w, const OptionRange& r) {
                     t.*field = static_cast<int>(ParseIntOption(v, w, r));
                   },
                   OptionRange::Ints(INT32_MIN, INT32_MAX));
  }
  OptionSet& Add(std::string name, int64_t T::*field, std::string help) {
    return AddImpl(std::move(name), OptionType::kInt, std::move(help),
                   [field](const T& t) { return std::to_string(t.*field); },
                   [field](T& t, const std::string& v, const std::string& w, const OptionRange& r) {
                     t.*field = ParseIntOption(v, w, r);
                   },
                   OptionRange::Ints(INT64_MIN, INT64_MAX));
  }
  OptionSet& Add(std::string name, uint64_t T::*field, std::string help) {
    return AddImpl(std::move(name), OptionType::kInt, std::move(help),
                   [field](const T& t) { return std::to_string(t.*field); },
                   [field](T& t, const std::string& v, const std::string& w, const OptionRange& r) {
                     t.*field = static_cast<uint64_t>(ParseIntOption(v, w, r));
                   },
                   OptionRange::Ints(0, INT64_MAX));
  }
  OptionSet& Add(std::string name, double T::*field, std::string help) {
    return AddImpl(std::move(name), OptionType::kDouble, std::move(help),
                   [field](const T& t) { return FormatDoubleOption(t.*field); },
                   [field](T& t, const std::string& v, const std::string& w, const OptionRange& r) {
                     t.*field = ParseDoubleOption(v, w, r);
                   });
  }
  OptionSet& Add(std::string name, std::string T::*field, std::string help) {
    return AddImpl(std::move(name), OptionType::kString, std::move(help),
                   [field](const T& t) { return t.*field; },
                   [field](T& t, const std::string& v, const std::string&, const OptionRange&) {
                     t.*field = v;
                   });
  }

  /// Restrict the option declared last to `range` (checked by Build, shown by `snpflow stages`).
  /// An integer option takes Ints(); its range must fit the field's type.
  OptionSet& Range(const OptionRange& range) {
    CheckRangeDeclaration(decls_.back().name, decls_.back().type, range, type_ranges_.back());
    decls_.back().range = range;
    return *this;
  }
  /// Integers min..max (integer options) or numbers in [min, max] (double options).
  OptionSet& Range(int min, int max) { return Range(int64_t{min}, int64_t{max}); }
  OptionSet& Range(int64_t min, int64_t max) {
    return Range(decls_.back().type == OptionType::kDouble
                     ? OptionRange::Closed(static_cast<double>(min), static_cast<double>(max))
                     : OptionRange::Ints(min, max));
  }
  OptionSet& Range(double min, double max) { return Range(OptionRange::Closed(min, max)); }

  const std::vector<OptionDecl>& decls() const { return decls_; }

  /// Return T with defaults, overridden by `values`; `prefix` ("filter.") names options in errors.
  /// Throws ConfigError on an unknown name or a bad or out-of-range value.
  T Build(const OptionValues& values, const std::string& prefix) const {
    T t{};
    for (const auto& [name, text] : values) {
      auto it = setters_.find(name);
      if (it == setters_.end()) ThrowUnknown(name, prefix);
      const size_t index = it->second.first;
      const OptionRange& range =
          decls_[index].range.is_set() ? decls_[index].range : type_ranges_[index];
      it->second.second(t, text, "--" + prefix + name, range);
    }
    return t;
  }

 private:
  using Setter =
      std::function<void(T&, const std::string&, const std::string&, const OptionRange&)>;
  OptionSet& AddImpl(std::string name, OptionType type, std::string help,
                     const std::function<std::string(const T&)>& get_default, Setter set,
                     OptionRange type_range = OptionRange()) {
    static const T defaults{};
    decls_.push_back({name, type, get_default(defaults), std::move(help), OptionRange()});
    type_ranges_.push_back(type_range);
    setters_[std::move(name)] = {decls_.size() - 1, std::move(set)};
    return *this;
  }
  [[noreturn]] void ThrowUnknown(const std::string& name, const std::string& prefix) const {
    std::vector<std::string> known;
    for (const auto& d : decls_) known.push_back(d.name);
    ThrowUnknownOption(name, prefix, known);
  }
  std::vector<OptionDecl> decls_;
  std::vector<OptionRange> type_ranges_;  // what the field's type holds (integer options)
  std::map<std::string, std::pair<size_t, Setter>> setters_;

 public:
  /// Throw ConfigError: unknown option `prefix+name`, listing the nearest of `known`.
  [[noreturn]] static void ThrowUnknownOption(const std::string& name, const std::string& prefix,
                                              const std::vector<std::string>& known);
};

/// Throw ConfigError for an unknown option, naming the nearest known one (edit distance).
[[noreturn]] void ThrowUnknownOptionError(const std::string& name, const std::string& prefix,
                                          const std::vector<std::string>& known);

template <class T>
void OptionSet<T>::ThrowUnknownOption(const std::string& name, const std::string& prefix,
                                      const std::vector<std::string>& known) {
  ThrowUnknownOptionError(name, prefix, known);
}

/// Return the element of `candidates` closest to `word` by edit distance ("" if none).
std::string NearestName(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace snpflow
