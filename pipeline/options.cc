#include "pipeline/options.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <sstream>

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

bool ParseBoolOption(const std::string& text, const std::string& where) {
  if (text == "true" || text == "1" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "0" || text == "no" || text == "off") return false;
  throw ConfigError(where + ": '" + text + "' is not a bool; use true or false");
}

int64_t ParseIntOption(const std::string& text, const std::string& where) {
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE)
    throw ConfigError(where + ": '" + text + "' is not an integer");
  return v;
}

double ParseDoubleOption(const std::string& text, const std::string& where) {
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || errno == ERANGE)
    throw ConfigError(where + ": '" + text + "' is not a number");
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
