#pragma once
/// `snpflow tune`: the search space of a trainer's options, the trials drawn from it (grid or
/// seeded random, budgeted), and the results file that makes a search resumable. The fold loop is
/// RunTraining with TrainRunOptions::hide_test: trials see the validation partitions only.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace snpflow {

/// One searched option: "train.lr" and the values tried, as given.
struct SearchDimension {
  std::string key;                  // "train.<option>" or "batcher.<option>"
  std::vector<std::string> values;  // at least one
};

/// Parse "train.lr=1e-3,3e-3;train.dropout1=0,0.5" (dimensions separated by ';' or newlines,
/// values by ','). Throws ConfigError naming the bad part. Keys must start with "train." or
/// "batcher."; a key given twice is an error.
std::vector<SearchDimension> ParseSearchSpace(const std::string& text);

/// Parse a space file: `key = v1,v2` lines, an optional `[space]` header, '#' comments.
std::vector<SearchDimension> ReadSearchSpaceFile(const std::string& path);

/// One trial: a value for every dimension.
struct Trial {
  std::map<std::string, std::string> values;  // key -> value
  /// "train.dropout1=0;train.lr=0.003": keys sorted; identifies the trial in the results file.
  std::string Key() const;
};

/// Return the trials: `search` "grid" gives the full grid in order (first dimension slowest);
/// "random" a seeded sample of distinct grid points. `budget` > 0 caps the count (a grid is cut
/// after `budget` trials, in order). Throws ConfigError on an unknown search.
std::vector<Trial> MakeTrials(const std::vector<SearchDimension>& space, const std::string& search,
                              int budget, uint64_t seed);

/// One finished trial as stored in the results file.
struct TrialResult {
  std::string key;
  double mean_valid_accuracy = 0;
  double std_valid_accuracy = 0;
  double mean_valid_loss = 0;
  double seconds = 0;
  std::vector<double> fold_valid_accuracy;
};

/// Read the finished trials of a results file (TSV with a header and a `# search` signature line);
/// a missing file gives none. Throws ConfigError when the signature differs from `signature` (a
/// different search in the same directory) and FormatError naming the line when malformed.
std::vector<TrialResult> ReadTrialResults(const std::string& path, const std::string& signature);

/// Append `result` to the results file (rewritten atomically with the earlier `done` rows).
void WriteTrialResults(const std::string& path, const std::string& signature,
                       const std::vector<TrialResult>& done);

/// Return `done` ranked: higher mean validation accuracy first, then lower validation loss.
std::vector<TrialResult> RankTrials(std::vector<TrialResult> done);

}  // namespace snpflow
