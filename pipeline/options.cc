#include "pipeline/options.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

#include "pipeline/error.h"

namespace snpflow {

const char* OptionTypeName(OptionType type) {
  switch (type) {
    case OptionType::kBool: return "bool";
    case OptionType::kInt: return "int";
    case OptionType::kDouble: return "double";
    case OptionType::kString: return "string";
  }
  return "?";
}

OptionRange OptionRange::Ints(int64_t min, int64_t max) {
  OptionRange r;
  r.kind_ = Kind::kInt;
  r.int_min_ = min;
  r.int_max_ = max;
  return r;
}

OptionRange OptionRange::Closed(double min, double max) {
  OptionRange r;
  r.kind_ = Kind::kDouble;
  r.min_ = min;
  r.max_ = max;
  r.has_min_ = r.has_max_ = true;
  return r;
}

OptionRange OptionRange::HalfOpen(double min, double max) {
  OptionRange r = Closed(min, max);
  r.max_open_ = true;
  return r;
}

OptionRange OptionRange::Above(double min) {
  OptionRange r = AtLeast(min);
  r.min_open_ = true;
  return r;
}

OptionRange OptionRange::AtLeast(double min) {
  OptionRange r;
  r.kind_ = Kind::kDouble;
  r.min_ = min;
  r.has_min_ = true;
  return r;
}

bool OptionRange::Contains(int64_t value) const {
  if (kind_ == Kind::kDouble) return Contains(static_cast<double>(value));
  return value >= int_min_ && value <= int_max_;
}

bool OptionRange::Contains(double value) const {
  if (!std::isfinite(value)) return false;
  if (kind_ == Kind::kInt)
    return value >= static_cast<double>(int_min_) && value <= static_cast<double>(int_max_);
  if (has_min_ && (min_open_ ? !(value > min_) : !(value >= min_))) return false;
  if (has_max_ && (max_open_ ? !(value < max_) : !(value <= max_))) return false;
  return true;
}

std::string OptionRange::ToString() const {
  switch (kind_) {
    case Kind::kNone:
      return "";
    case Kind::kInt:
      if (int_max_ == INT64_MAX) return ">= " + std::to_string(int_min_);
      return std::to_string(int_min_) + ".." + std::to_string(int_max_);
    case Kind::kDouble:
      if (!has_max_) return (min_open_ ? "> " : ">= ") + FormatDoubleOption(min_);
      return std::string(min_open_ ? "(" : "[") + FormatDoubleOption(min_) + ", " +
             FormatDoubleOption(max_) + (max_open_ ? ")" : "]");
  }
  return "";
}

void CheckRangeDeclaration(const std::string& name, OptionType type, const OptionRange& range,
                           const OptionRange& type_range) {
  const bool numeric = type == OptionType::kInt || type == OptionType::kDouble;
  if (!numeric) throw std::logic_error("option '" + name + "': only numbers have a range");
  if (type == OptionType::kInt) {
    if (!range.is_int())
      throw std::logic_error("option '" + name + "' is an integer: give its range as Ints()");
    if (range.int_min() > range.int_max() || !type_range.Contains(range.int_min()) ||
        !type_range.Contains(range.int_max()))
      throw std::logic_error("option '" + name + "': range " + range.ToString() +
                             " does not fit its type (" + type_range.ToString() + ")");
  }
}

bool ParseBoolOption(const std::string& text, const std::string& where) {
  if (text == "true" || text == "1" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "0" || text == "no" || text == "off") return false;
  throw ConfigError(where + ": '" + text + "' is not a bool; use true or false");
}

namespace {

std::string Allowed(const OptionRange& range) {
  return range.is_set() ? "; allowed: " + range.ToString() : "";
}

}  // namespace

int64_t ParseIntOption(const std::string& text, const std::string& where,
                       const OptionRange& range) {
  // strtoll would skip leading blanks and accept a lone sign; require digits from the start.
  const bool digits = !text.empty() && (std::isdigit(static_cast<unsigned char>(text[0])) ||
                                        ((text[0] == '-' || text[0] == '+') && text.size() > 1 &&
                                         std::isdigit(static_cast<unsigned char>(text[1]))));
  errno = 0;
  char* end = nullptr;
  const long long v = digits ? std::strtoll(text.c_str(), &end, 10) : 0;
  if (!digits || *end != '\0')
    throw ConfigError(where + ": '" + text + "' is not an integer" + Allowed(range));
  if (errno == ERANGE || !range.Contains(static_cast<int64_t>(v)))
    throw ConfigError(where + ": " + text + " is out of range" +
                      (range.is_set() ? Allowed(range) : "; allowed: a 64-bit integer"));
  return v;
}

double ParseDoubleOption(const std::string& text, const std::string& where,
                         const OptionRange& range) {
  errno = 0;
  char* end = nullptr;
  const bool blank = text.empty() || std::isspace(static_cast<unsigned char>(text[0]));
  const double v = blank ? 0 : std::strtod(text.c_str(), &end);
  if (blank || *end != '\0')
    throw ConfigError(where + ": '" + text + "' is not a number" + Allowed(range));
  if (errno == ERANGE)  // beyond a double (1e999) or below its smallest (1e-400)
    throw ConfigError(where + ": " + text + " is out of range" +
                      (range.is_set() ? Allowed(range) : "; allowed: a finite double"));
  if (!std::isfinite(v))
    throw ConfigError(where + ": '" + text + "' is not a finite number" + Allowed(range));
  if (!range.Contains(v))
    throw ConfigError(where + ": " + text + " is out of range" +
                      (range.is_set() ? Allowed(range) : "; allowed: a finite double"));
  return v;
}

std::string FormatDoubleOption(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

static size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string NearestName(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = static_cast<size_t>(-1);
  for (const auto& c : candidates) {
    size_t d = EditDistance(word, c);
    if (d < best_d) best_d = d, best = c;
  }
  return best;
}

void ThrowUnknownOptionError(const std::string& name, const std::string& prefix,
                             const std::vector<std::string>& known) {
  std::string msg = "unknown option '" + prefix + name + "'";
  std::string nearest = NearestName(name, known);
  if (!nearest.empty()) msg += "; did you mean '" + prefix + nearest + "'?";
  msg += " (`snpflow stages` lists every option)";
  throw ConfigError(msg);
}

}  // namespace snpflow
