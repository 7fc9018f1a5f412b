// hwe-filter: drop variants that fail the Hardy-Weinberg equilibrium exact test (Wigginton,
// Cutler and Abecasis 2005, as plink --hwe), computed over every sample's non-missing genotype.
// Built as a plugin (.so) and loaded with dlopen; written exactly as a built-in stage would be.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/error.h"
#include "pipeline/plugin.h"
#include "pipeline/registry.h"
#include "pipeline/stage.h"

namespace snpflow::plugins {
namespace {

/// Return the Hardy-Weinberg equilibrium exact-test p-value (Wigginton, Cutler and Abecasis 2005;
/// plink --hwe without mid-p) for the genotype counts het, hom1 and hom2; 1 with no genotypes.
double HweExactP(int64_t het, int64_t hom1, int64_t hom2) {
  if (het < 0 || hom1 < 0 || hom2 < 0) return 1.0;
  const int64_t hom_rare = std::min(hom1, hom2);
  const int64_t hom_common = std::max(hom1, hom2);
  const int64_t n = het + hom_rare + hom_common;
  if (n == 0) return 1.0;
  const int64_t rare_copies = 2 * hom_rare + het;

  // het_probs[h] for every het count h with the parity of rare_copies, unnormalized, built
  // outwards from the mode so every ratio stays in range (Wigginton et al. 2005, Appendix).
  std::vector<double> het_probs(static_cast<size_t>(rare_copies) + 1, 0.0);
  int64_t mid = rare_copies * (2 * n - rare_copies) / (2 * n);
  if ((rare_copies & 1) != (mid & 1)) ++mid;
  het_probs[mid] = 1.0;
  double sum = 1.0;
  {
    int64_t cur_hom_rare = (rare_copies - mid) / 2;
    int64_t cur_hom_common = n - mid - cur_hom_rare;
    for (int64_t h = mid; h > 1; h -= 2) {
      het_probs[h - 2] = het_probs[h] * static_cast<double>(h) * static_cast<double>(h - 1) /
                         (4.0 * (cur_hom_rare + 1.0) * (cur_hom_common + 1.0));
      sum += het_probs[h - 2];
      ++cur_hom_rare;
      ++cur_hom_common;
    }
  }
  {
    int64_t cur_hom_rare = (rare_copies - mid) / 2;
    int64_t cur_hom_common = n - mid - cur_hom_rare;
    for (int64_t h = mid; h <= rare_copies - 2; h += 2) {
      het_probs[h + 2] = het_probs[h] * 4.0 * static_cast<double>(cur_hom_rare) *
                         static_cast<double>(cur_hom_common) / ((h + 2.0) * (h + 1.0));
      sum += het_probs[h + 2];
      --cur_hom_rare;
      --cur_hom_common;
    }
  }
  // p = P(a table at most as likely as the observed one). The relative tolerance treats
  // probabilities equal up to rounding as ties, as plink does.
  constexpr double kTieTolerance = 1.0 + 1e-7;
  const double observed = het_probs[het] * kTieTolerance;
  double p = 0;
  for (double prob : het_probs) {
    if (prob <= observed) p += prob;
  }
  return std::min(1.0, p / sum);
}

struct HweFilterOptions {
  static constexpr std::string_view kName = "hwe-filter";
  double min_p = 1e-6;  // drop variants whose HWE exact-test p-value is below this
  static void Declare(OptionSet<HweFilterOptions>& o) {
    o.Add("min-p", &HweFilterOptions::min_p,
          "drop variants whose Hardy-Weinberg exact test p-value (all samples) is below this")
        .Range(0.0, 1.0);  // a p-value; checked when the stage is built
  }
};

class HweFilterStage : public BlockStage {
 public:
  explicit HweFilterStage(const HweFilterOptions& options) : options_(options) {}

  void Process(VariantBlock& block) const override {
    for (size_t i = 0; i < block.size(); ++i) {
      if (!block.kept(i)) continue;
      int64_t n[4] = {0, 0, 0, 0};
      const uint8_t* codes = block.codes_of(i);
      for (size_t s = 0; s < block.n_samples; ++s) ++n[codes[s] & 3];
      if (HweExactP(n[kHet], n[kHomRef], n[kHomAlt]) < options_.min_p) block.Drop(i, "hwe");
    }
  }

 private:
  HweFilterOptions options_;
};

}  // namespace

/// Add the `hwe-filter` stage to `registry`.
void RegisterHweFilter(StageRegistry& registry) {
  registry.Add(MakeStageInfo<HweFilterStage, HweFilterOptions>(
      "drop variants out of Hardy-Weinberg equilibrium (exact test, as plink --hwe)"));
}

}  // namespace snpflow::plugins

SNPFLOW_PLUGIN("hwe", "1.0", "Hardy-Weinberg equilibrium exact-test filter (hwe-filter)") {
  snpflow::plugins::RegisterHweFilter(registry);
}
