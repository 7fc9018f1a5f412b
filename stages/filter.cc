// filter: keep biallelic SNPs that pass minor-allele-frequency and call-rate thresholds.
#include <cstring>

#include "pipeline/error.h"
#include "pipeline/registry.h"
#include "stages/register_builtin.h"

namespace snpflow {
namespace {

struct FilterOptions {
  static constexpr std::string_view kName = "filter";
  double min_maf = 0.0;       // drop variants whose minor allele frequency is below this
  double max_missing = 1.0;   // drop variants whose missing-call rate is above this
  bool snps_only = true;      // drop variants whose REF/ALT are not single bases
  static void Declare(OptionSet<FilterOptions>& o) {
    o.Add("min-maf", &FilterOptions::min_maf, "drop variants with minor allele frequency below this")
        .Range(0.0, 0.5);
    o.Add("max-missing", &FilterOptions::max_missing, "drop variants with a missing-call rate above this")
        .Range(0.0, 1.0);
    o.Add("snps-only", &FilterOptions::snps_only, "drop variants whose REF or ALT is not one base (indels)");
  }
};

bool IsBase(const std::string& a) {
  return a.size() == 1 && std::strchr("ACGTacgt", a[0]) != nullptr;
}

class FilterStage : public BlockStage {
 public:
  explicit FilterStage(const FilterOptions& options) : options_(options) {}

  void Process(VariantBlock& block) const override {
    for (size_t i = 0; i < block.size(); ++i) {
      if (!block.kept(i)) continue;
      const Variant& v = block.variants[i];
      if (options_.snps_only && !(IsBase(v.ref) && IsBase(v.alt))) {
        block.Drop(i, "not-snp");
        continue;
      }
      // Branch-free counts, so the compiler vectorizes the loop.
      uint32_t n1 = 0, n2 = 0, n3 = 0;
      const uint8_t* codes = block.codes_of(i);
      for (size_t s = 0; s < block.n_samples; ++s) {
        n1 += codes[s] == 1;
        n2 += codes[s] == 2;
        n3 += codes[s] == 3;
      }
      const size_t n[4] = {block.n_samples - n1 - n2 - n3, n1, n2, n3};
      size_t called = n[0] + n[1] + n[2];
      if (called == 0) {
        block.Drop(i, "all-missing");
        continue;
      }
      double missing = static_cast<double>(n[3]) / static_cast<double>(block.n_samples);
      if (missing > options_.max_missing) {
        block.Drop(i, "missing-rate");
        continue;
      }
      double af = (n[1] + 2.0 * n[2]) / (2.0 * called);
      double maf = af < 0.5 ? af : 1.0 - af;
      if (maf < options_.min_maf) block.Drop(i, "maf");
    }
  }

 private:
  FilterOptions options_;
};

}  // namespace

void RegisterFilterStage(StageRegistry& registry) {
  registry.Add(MakeStageInfo<FilterStage, FilterOptions>(
      "keep biallelic SNPs passing MAF and call-rate thresholds"));
}

}  // namespace snpflow
