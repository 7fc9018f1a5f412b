// A plugin that registers two stages, the second named `clash-stage`; tests pre-register a
// built-in `clash-stage` to check the name-clash error, and that neither stage is added.
#include <string_view>

#include "pipeline/plugin.h"

namespace {

struct NoOptions {
  static constexpr std::string_view kName = "clash-stage";
  static void Declare(snpflow::OptionSet<NoOptions>&) {}
};

struct OtherOptions {
  static constexpr std::string_view kName = "another-stage";
  static void Declare(snpflow::OptionSet<OtherOptions>&) {}
};

template <class O>
class PassStage : public snpflow::BlockStage {
 public:
  explicit PassStage(const O&) {}
  void Process(snpflow::VariantBlock&) const override {}
};

}  // namespace

SNPFLOW_PLUGIN("clash", "0.1", "registers a stage whose name is taken") {
  registry.Add(snpflow::MakeStageInfo<PassStage<OtherOptions>, OtherOptions>("passes blocks"));
  registry.Add(snpflow::MakeStageInfo<PassStage<NoOptions>, NoOptions>("passes blocks"));
}
