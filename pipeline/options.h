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

/// One declared option: `name` is the key inside its stage's section ("min-maf").
struct OptionDecl {
  std::string name;
  OptionType type;
  std::string default_value;  // as text, as `snpflow stages` prints it
  std::string help;
};

/// Option values as text, keyed by option name (without the stage prefix). Only set options appear.
using OptionValues = std::map<std::string, std::string>;

/// Parse `text` as the given type, or throw ConfigError naming `where` (e.g. "--filter.min-maf").
bool ParseBoolOption(const std::string& text, const std::string& where);
int64_t ParseIntOption(const std::string& text, const std::string& where);
double ParseDoubleOption(const std::string& text, const std::string& where);
std::string FormatDoubleOption(double value);

/// The declarations of an options struct T: a list of (name, member pointer, help).
/// T must be default-constructible; its default member values are the options' defaults.
template <class T>
class OptionSet {
 public:
  void Add(std::string name, bool T::*field, std::string help) {
    AddImpl(std::move(name), OptionType::kBool, std::move(help),
            [field](const T& t) { return std::string(t.*field ? "true" : "false"); },
            [field](T& t, const std::string& v, const std::string& w) {
              t.*field = ParseBoolOption(v, w);
            });
  }
  void Add(std::string name, int T::*field, std::string help) {
    AddImpl(std::move(name), OptionType::kInt, std::move(help),
            [field](const T& t) { return std::to_string(t.*field); },
            [field](T& t, const std::string& v, const std::string& w) {
              t.*field = static_cast<int>(ParseIntOption(v, w));
            });
  }
  void Add(std::string name, int64_t T::*field, std::string help) {
    AddImpl(std::move(name), OptionType::kInt, std::move(help),
            [field](const T& t) { return std::to_string(t.*field); },
            [field](T& t, const std::string& v, const std::string& w) {
              t.*field = ParseIntOption(v, w);
            });
  }
  void Add(std::string name, uint64_t T::*field, std::string help) {
    AddImpl(std::move(name), OptionType::kInt, std::move(help),
            [field](const T& t) { return std::to_string(t.*field); },
            [field](T& t, const std::string& v, const std::string& w) {
              t.*field = static_cast<uint64_t>(ParseIntOption(v, w));
            });
  }
  void Add(std::string name, double T::*field, std::string help) {
    AddImpl(std::move(name), OptionType::kDouble, std::move(help),
            [field](const T& t) { return FormatDoubleOption(t.*field); },
            [field](T& t, const std::string& v, const std::string& w) {
              t.*field = ParseDoubleOption(v, w);
            });
  }
  void Add(std::string name, std::string T::*field, std::string help) {
    AddImpl(std::move(name), OptionType::kString, std::move(help),
            [field](const T& t) { return t.*field; },
            [field](T& t, const std::string& v, const std::string&) { t.*field = v; });
  }

  const std::vector<OptionDecl>& decls() const { return decls_; }

  /// Return T with defaults, overridden by `values`; `prefix` ("filter.") names options in errors.
  /// Throws ConfigError on an unknown name or a bad value.
  T Build(const OptionValues& values, const std::string& prefix) const {
    T t{};
    for (const auto& [name, text] : values) {
      auto it = setters_.find(name);
      if (it == setters_.end()) ThrowUnknown(name, prefix);
      it->second(t, text, "--" + prefix + name);
    }
    return t;
  }

 private:
  using Setter = std::function<void(T&, const std::string&, const std::string&)>;
  void AddImpl(std::string name, OptionType type, std::string help,
               const std::function<std::string(const T&)>& get_default, Setter set) {
    static const T defaults{};
    decls_.push_back({name, type, get_default(defaults), std::move(help)});
    setters_.emplace(std::move(name), std::move(set));
  }
  [[noreturn]] void ThrowUnknown(const std::string& name, const std::string& prefix) const {
    std::vector<std::string> known;
    for (const auto& d : decls_) known.push_back(d.name);
    ThrowUnknownOption(name, prefix, known);
  }
  std::vector<OptionDecl> decls_;
  std::map<std::string, Setter> setters_;

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
