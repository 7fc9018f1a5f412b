#include "pipeline/run_context.h"

#include <algorithm>

namespace snpflow {

size_t SampleTable::largest_cell() const {
  std::vector<size_t> sizes(num_cells(), 0);
  size_t largest = 0;
  for (size_t i = 0; i < size(); ++i) largest = std::max(largest, ++sizes[cell(i)]);
  return largest;
}

Split SplitOf(int partition, int fold, int folds) {
  if (partition == fold) return Split::kTest;
  if (partition == (fold + 1) % folds) return Split::kValid;
  return Split::kTrain;
}

void Counters::Add(const std::string& name, uint64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  values_[name] += n;
}

std::map<std::string, uint64_t> Counters::Snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return values_;
}

}  // namespace snpflow
