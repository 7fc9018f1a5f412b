// Errors from plugin code name the plugin and its file: from a stage's factory, Init, Process, a
// sink's Finalize, a trainer's Train, and from a hand-written C entry point that throws.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <string>

#include "pipeline/error.h"
#include "pipeline/plugin_loader.h"
#include "pipeline/registry.h"
#include "tests/fixtures/test_util.h"
#include "tests/plugins/plugin_test_util.h"

namespace snpflow {
namespace {

using testing::Canonical;
using testing::MakeBlock;
using testing::RunSnpflow;
using testing::TempDir;

std::string Who() {
  return "plugin 'exploding' (" + Canonical(SNPFLOW_TEST_EXPLODING_SO) + "): ";
}

/// Return "<class>: <message>" of what `f` throws.
std::string Thrown(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return std::string("ConfigError: ") + e.what();
  } catch (const PluginError& e) {
    return std::string("PluginError: ") + e.what();
  } catch (const std::exception& e) {
    return std::string("other: ") + e.what();
  }
  return "(nothing thrown)";
}

class PluginErrors : public ::testing::Test {
 protected:
  void SetUp() override { LoadPlugin(registry_, SNPFLOW_TEST_EXPLODING_SO); }
  std::unique_ptr<BlockStage> Explode(const std::string& at) {
    return registry_.Make<BlockStage>("explode", {{"at", at}}, "explode");
  }
  StageRegistry registry_;
};

TEST_F(PluginErrors, FactoryFailureNamesThePlugin) {
  EXPECT_EQ(Thrown([&] { Explode("factory"); }),
            "PluginError: " + Who() + "the constructor gave up");
  // snpflow's own error classes keep their class (a ConfigError is still a usage error).
  EXPECT_EQ(Thrown([&] { Explode("config-error"); }),
            "ConfigError: " + Who() + "--explode.at: a plugin's own check");
}

TEST_F(PluginErrors, InitProcessAndAllocationFailuresNameThePlugin) {
  RunContext ctx;
  EXPECT_EQ(Thrown([&] { Explode("init")->Init(ctx); }),
            "PluginError: " + Who() + "init found no GPU");
  VariantBlock block = MakeBlock({testing::Codes(1, 1, 1)});
  EXPECT_EQ(Thrown([&] { Explode("process")->Process(block); }),
            "PluginError: " + Who() + "record 1 is cursed");
  EXPECT_EQ(Thrown([&] { Explode("bad-alloc")->Process(block); }),
            "PluginError: " + Who() + "out of memory");
  // A stage that does not throw behaves as itself, label included.
  auto fine = Explode("none");
  EXPECT_EQ(fine->label(), "explode");
  fine->Process(block);
  EXPECT_TRUE(block.kept(0));
}

TEST_F(PluginErrors, SinkAndTrainerFailuresNameThePlugin) {
  auto sink = registry_.Make<BlockSink>("explode-sink", {}, "explode-sink");
  RunContext ctx;
  EXPECT_EQ(Thrown([&] { sink->Finalize(ctx); }), "PluginError: " + Who() + "disk on fire");
  auto trainer = registry_.Make<Trainer>("explode-trainer", {}, "train");
  FoldInputs fold;
  fold.fold = 2;
  EXPECT_EQ(Thrown([&] { trainer->Train(fold); }), "PluginError: " + Who() + "fold 2 diverged");
}

TEST(PluginEntryPoint, AThrowingCEntryIsAPluginErrorNamingTheFile) {
  StageRegistry registry;
  const std::string path = SNPFLOW_TEST_THROWING_ENTRY_SO;
  EXPECT_EQ(Thrown([&] { LoadPlugin(registry, path); }),
            "PluginError: plugin " + path + ": snpflow_plugin_v1(): cannot find my settings file");
  EXPECT_TRUE(registry.List().empty());
}

TEST(PluginErrorsCli, AStageThatThrowsInTheGraphIsNamedOnOneLine) {
  TempDir dir;
  auto sim = RunSnpflow("simulate -q --samples 30 --snps 50 -o " + (dir / "sim.vcf.gz"));
  ASSERT_EQ(sim.exit_code, 0) << sim.err;
  auto r = RunSnpflow("ingest " + (dir / "sim.vcf.gz") + " --labels " + (dir / "sim.panel") +
                      " -q -o " + (dir / "out") + " --plugin " + SNPFLOW_TEST_EXPLODING_SO +
                      " --stage explode --explode.at process --threads 2");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "snpflow: error: " + Who() + "record 1 is cursed\n");
  EXPECT_FALSE(std::filesystem::exists(dir / "out/store.snpf"));
}

}  // namespace
}  // namespace snpflow
