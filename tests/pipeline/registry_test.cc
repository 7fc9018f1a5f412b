// Typed options (declare once) and the stage registry.
#include "pipeline/registry.h"

#include <gtest/gtest.h>

namespace snpflow {
namespace {

struct DemoOptions {
  static constexpr std::string_view kName = "demo";
  double min_p = 1e-6;
  int every = 3;
  bool strict = false;
  std::string mode = "fast";
  static void Declare(OptionSet<DemoOptions>& o) {
    o.Add("min-p", &DemoOptions::min_p, "threshold");
    o.Add("every", &DemoOptions::every, "stride");
    o.Add("strict", &DemoOptions::strict, "strictness");
    o.Add("mode", &DemoOptions::mode, "mode");
  }
};

class DemoStage : public BlockStage {
 public:
  explicit DemoStage(const DemoOptions& o) : options(o) {}
  void Process(VariantBlock&) const override {}
  DemoOptions options;
};

TEST(OptionSet, DeclarationsCarryTypesAndDefaults) {
  OptionSet<DemoOptions> set;
  DemoOptions::Declare(set);
  ASSERT_EQ(set.decls().size(), 4u);
  EXPECT_EQ(set.decls()[0].name, "min-p");
  EXPECT_EQ(set.decls()[0].type, OptionType::kDouble);
  EXPECT_EQ(set.decls()[0].default_value, "1e-06");
  EXPECT_EQ(set.decls()[1].default_value, "3");
  EXPECT_EQ(set.decls()[2].default_value, "false");
  EXPECT_EQ(set.decls()[3].default_value, "fast");
}

TEST(OptionSet, BuildParsesValuesAndRejectsBadOnes) {
  OptionSet<DemoOptions> set;
  DemoOptions::Declare(set);
  DemoOptions o = set.Build({{"min-p", "0.01"}, {"every", "7"}, {"strict", "true"}}, "demo.");
  EXPECT_DOUBLE_EQ(o.min_p, 0.01);
  EXPECT_EQ(o.every, 7);
  EXPECT_TRUE(o.strict);
  EXPECT_EQ(o.mode, "fast");
  try {
    set.Build({{"evry", "2"}}, "demo.");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown option 'demo.evry'; did you mean 'demo.every'?"),
              std::string::npos) << e.what();
  }
  EXPECT_THROW(set.Build({{"every", "2x"}}, "demo."), ConfigError);
  EXPECT_THROW(set.Build({{"strict", "maybe"}}, "demo."), ConfigError);
}

TEST(StageRegistry, MakesTypedStagesAndReportsClashesWithBothOrigins) {
  StageRegistry registry;
  registry.Add(MakeStageInfo<DemoStage, DemoOptions>("a demo stage"));
  EXPECT_EQ(registry.Get("demo").role, StageRole::kBlock);
  EXPECT_EQ(registry.Get("demo").origin, "built-in");
  auto stage = registry.Make<BlockStage>("demo", {{"every", "5"}}, "my-demo");
  EXPECT_EQ(stage->label(), "my-demo");
  EXPECT_EQ(static_cast<DemoStage*>(stage.get())->options.every, 5);
  EXPECT_THROW(registry.Make<Trainer>("demo", {}, "demo"), ConfigError);
  registry.set_origin("/x/plugin.so");
  try {
    registry.Add(MakeStageInfo<DemoStage, DemoOptions>("again"));
    FAIL();
  } catch (const PluginError& e) {
    EXPECT_STREQ(e.what(), "stage 'demo' from /x/plugin.so clashes with the stage of the same name "
                           "from built-in; rename one of them");
  }
  EXPECT_THROW(registry.Get("dem"), ConfigError);
}

}  // namespace
}  // namespace snpflow
