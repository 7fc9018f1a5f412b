#include "pipeline/run_context.h"

namespace snpflow {

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
