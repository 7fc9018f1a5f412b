#pragma once
/// What every stage of a run may read: samples, labels, fold partitions, output directory, seed.
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace snpflow {

/// The samples of a run, in VCF column order (after -S selection).
struct SampleTable {
  std::vector<std::string> ids;
  std::vector<int> label;                // class index into class_names
  std::vector<int> partition;            // 0..folds-1
  std::vector<std::string> class_names;  // sorted
  int folds = 5;

  size_t size() const { return ids.size(); }
  size_t num_classes() const { return class_names.size(); }
  /// Partition x class cells, the unit of the genotype counts (counts.npy).
  size_t num_cells() const { return static_cast<size_t>(folds) * num_classes(); }
  /// Sample i's cell: partition * classes + label.
  size_t cell(size_t i) const {
    return static_cast<size_t>(partition[i]) * num_classes() + static_cast<size_t>(label[i]);
  }
  /// The most samples in one cell (0 without samples): bounds every count of a cell.
  size_t largest_cell() const;
};

/// Fold f's roles of partitions: test = f, valid = (f+1) mod K, train = the rest.
enum class Split { kTrain, kValid, kTest };
Split SplitOf(int partition, int fold, int folds);

/// Thread-safe counters reported in summary.json (e.g. skipped variants by reason).
class Counters {
 public:
  void Add(const std::string& name, uint64_t n);
  std::map<std::string, uint64_t> Snapshot() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, uint64_t> values_;
};

/// Shared by all stages of one run. Owned by the runner; outlives every stage call.
struct RunContext {
  SampleTable samples;
  std::string output_dir;
  uint64_t seed = 1;
  int threads = 1;
  bool quiet = false;
  Counters skipped;  // variants dropped, by reason
  Counters counted;  // other events by name (VariantBlock::counted), e.g. haploid calls converted
  std::string input_path;
};

}  // namespace snpflow
