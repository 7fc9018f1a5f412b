#include "stages/tuner.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "io/atomic_file.h"
#include "pipeline/error.h"
#include "pipeline/folds.h"
#include "pipeline/options.h"

namespace snpflow {
namespace {

std::string Trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(s);
  while (std::getline(in, item, sep)) out.push_back(item);
  return out;
}

/// Parse one "key=v1,v2" (or "key = v1, v2") dimension; `where` prefixes errors.
SearchDimension ParseDimension(const std::string& text, const std::string& where) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos)
    throw ConfigError(where + ": '" + Trim(text) + "' has no '='; write key=v1,v2 (e.g. "
                      "train.lr=1e-3,3e-3)");
  SearchDimension d;
  d.key = Trim(text.substr(0, eq));
  if (d.key.rfind("train.", 0) != 0 && d.key.rfind("batcher.", 0) != 0)
    throw ConfigError(where + ": '" + d.key + "' is not a trainer or batcher option; search "
                      "train.<option> or batcher.<option> (`snpflow stages -v` lists them)");
  for (const auto& v : Split(text.substr(eq + 1), ',')) {
    const std::string value = Trim(v);
    if (value.empty()) throw ConfigError(where + ": '" + d.key + "' has an empty value");
    d.values.push_back(value);
  }
  if (d.values.empty()) throw ConfigError(where + ": '" + d.key + "' has no values");
  return d;
}

void CheckUnique(const std::vector<SearchDimension>& space, const std::string& where) {
  std::set<std::string> seen;
  for (const auto& d : space)
    if (!seen.insert(d.key).second)
      throw ConfigError(where + ": '" + d.key + "' is given twice; list all its values once");
  if (space.empty()) throw ConfigError(where + ": the search space is empty");
}

constexpr const char* kHeader = "trial\tmean_valid_accuracy\tstd_valid_accuracy\tmean_valid_loss\t"
                                "seconds\tfold_valid_accuracy";

std::string Num(double v) {
  std::ostringstream s;
  s.precision(9);
  s << v;
  return s.str();
}

}  // namespace

std::vector<SearchDimension> ParseSearchSpace(const std::string& text) {
  std::vector<SearchDimension> space;
  for (const auto& line : Split(text, '\n'))
    for (const auto& part : Split(line, ';'))
      if (!Trim(part).empty()) space.push_back(ParseDimension(part, "--space"));
  CheckUnique(space, "--space");
  return space;
}

std::vector<SearchDimension> ReadSearchSpaceFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError("cannot open the search space file '" + path + "'");
  std::vector<SearchDimension> space;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    const std::string t = Trim(line);
    if (t.empty() || t[0] == '#' || t == "[space]") continue;
    space.push_back(ParseDimension(t, path + " line " + std::to_string(n)));
  }
  CheckUnique(space, path);
  return space;
}

std::string Trial::Key() const {
  std::string key;
  for (const auto& [k, v] : values) key += (key.empty() ? "" : ";") + k + "=" + v;
  return key;
}

std::vector<Trial> MakeTrials(const std::vector<SearchDimension>& space, const std::string& search,
                              int budget, uint64_t seed) {
  if (search != "grid" && search != "random")
    throw ConfigError("--search must be grid or random, got '" + search + "'");
  int64_t grid = 1;
  for (const auto& d : space) {
    grid *= static_cast<int64_t>(d.values.size());
    if (grid > 10'000'000)
      throw ConfigError("the search grid has over 10 million points; search fewer values");
  }
  // Grid point i in mixed radix, the last dimension fastest.
  auto point = [&](int64_t i) {
    Trial t;
    for (size_t k = space.size(); k-- > 0;) {
      const int64_t n = static_cast<int64_t>(space[k].values.size());
      t.values[space[k].key] = space[k].values[static_cast<size_t>(i % n)];
      i /= n;
    }
    return t;
  };
  std::vector<int64_t> order(static_cast<size_t>(grid));
  for (int64_t i = 0; i < grid; ++i) order[static_cast<size_t>(i)] = i;
  if (search == "random") SeededShuffle(order, MixSeed(seed, 0x7E9E));
  if (budget > 0 && static_cast<int64_t>(order.size()) > budget) order.resize(budget);
  std::vector<Trial> trials;
  for (int64_t i : order) trials.push_back(point(i));
  return trials;
}

std::vector<TrialResult> ReadTrialResults(const std::string& path, const std::string& signature) {
  std::ifstream in(path);
  if (!in) return {};
  std::vector<TrialResult> done;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (n == 1) {
      if (line != "# " + signature)
        throw ConfigError(path + " holds the results of another search (" + line.substr(2) +
                          "); use another -o directory, or delete it to start over");
      continue;
    }
    if (n == 2) {
      if (line != kHeader) throw FormatError(path + " line 2: expected the header '" +
                                             std::string(kHeader) + "'");
      continue;
    }
    auto f = Split(line, '\t');
    if (f.size() != 6) throw FormatError(path + " line " + std::to_string(n) + ": expected 6 "
                                         "tab-separated fields");
    TrialResult r;
    r.key = f[0];
    const std::string where = path + " line " + std::to_string(n);
    r.mean_valid_accuracy = ParseDoubleOption(f[1], where);
    r.std_valid_accuracy = ParseDoubleOption(f[2], where);
    r.mean_valid_loss = ParseDoubleOption(f[3], where);
    r.seconds = ParseDoubleOption(f[4], where);
    for (const auto& a : Split(f[5], ','))
      r.fold_valid_accuracy.push_back(ParseDoubleOption(a, where));
    done.push_back(std::move(r));
  }
  return done;
}

void WriteTrialResults(const std::string& path, const std::string& signature,
                       const std::vector<TrialResult>& done) {
  std::string text = "# " + signature + "\n" + kHeader + "\n";
  for (const auto& r : done) {
    std::string folds;
    for (double a : r.fold_valid_accuracy) folds += (folds.empty() ? "" : ",") + Num(a);
    text += r.key + "\t" + Num(r.mean_valid_accuracy) + "\t" + Num(r.std_valid_accuracy) + "\t" +
            Num(r.mean_valid_loss) + "\t" + Num(r.seconds) + "\t" + folds + "\n";
  }
  io::WriteFileAtomic(path, text);
}

std::vector<TrialResult> RankTrials(std::vector<TrialResult> done) {
  std::stable_sort(done.begin(), done.end(), [](const TrialResult& a, const TrialResult& b) {
    if (a.mean_valid_accuracy != b.mean_valid_accuracy)
      return a.mean_valid_accuracy > b.mean_valid_accuracy;
    return a.mean_valid_loss < b.mean_valid_loss;
  });
  return done;
}

}  // namespace snpflow
