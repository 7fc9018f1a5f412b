// Tests for cli/stages_command.cc: `snpflow stages` lists built-in and plugin stages
// with their origin, and with -v their options (type, default, help).
#include <gtest/gtest.h>

#include <string>

#include "tests/fixtures/test_util.h"
#include "tests/plugins/plugin_test_util.h"

namespace snpflow {
namespace {

using testing::Canonical;
using testing::RunShell;
using testing::RunSnpflow;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(StagesCommand, ListsBuiltinAndPluginStagesWithOrigins) {
  auto r = RunSnpflow(std::string("stages --plugin ") + SNPFLOW_HWE_FILTER_SO + " --plugin " +
                      SNPFLOW_CENTROID_TRAINER_SO);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "Built-in stages:\n")) << r.out;
  EXPECT_TRUE(Contains(r.out, "Plugin hwe 1.0 (" + Canonical(SNPFLOW_HWE_FILTER_SO) + ")"))
      << r.out;
  EXPECT_TRUE(
      Contains(r.out, "Plugin centroid 1.0 (" + Canonical(SNPFLOW_CENTROID_TRAINER_SO) + ")"))
      << r.out;
  EXPECT_TRUE(Contains(r.out, "  hwe-filter           block    drop variants out of")) << r.out;
  EXPECT_TRUE(Contains(r.out, "  plugin-centroid      trainer  nearest-centroid classifier"))
      << r.out;
  EXPECT_TRUE(Contains(r.out, "  nearest-centroid     trainer  nearest-centroid classifier"))
      << r.out;  // the built-in one
  EXPECT_TRUE(Contains(r.out, "  naive-bayes          trainer  naive Bayes")) << r.out;
  EXPECT_TRUE(Contains(r.out, "  filter               block")) << r.out;
  EXPECT_FALSE(Contains(r.out, "--hwe-filter.min-p")) << "options only with -v";
}

TEST(StagesCommand, VerboseListsOptionsWithTypeDefaultAndHelp) {
  auto r = RunSnpflow(std::string("stages -v --plugin ") + SNPFLOW_HWE_FILTER_SO);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(
      Contains(r.out, "hwe-filter  (block stage, " + Canonical(SNPFLOW_HWE_FILTER_SO) + ")\n"))
      << r.out;
  EXPECT_TRUE(Contains(r.out,
                       "    --hwe-filter.min-p  double  drop variants whose Hardy-Weinberg "
                       "exact test p-value (all samples) is below this [default: 1e-06; range: "
                       "[0, 1]]\n"))
      << r.out;
}

TEST(StagesCommand, NamedStageShowsItsOptionsFromSnpflowPluginPath) {
  const std::string so = SNPFLOW_CENTROID_TRAINER_SO;
  auto r = RunShell("SNPFLOW_PLUGIN_PATH=" + so.substr(0, so.rfind('/')) + " " +
                    testing::SnpflowCli() + " stages plugin-centroid");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(Contains(r.out, "plugin-centroid  (trainer stage, " + Canonical(so) + ")")) << r.out;
  EXPECT_TRUE(Contains(r.out, "--plugin-centroid.shrink")) << r.out;
  EXPECT_TRUE(Contains(r.out, "[default: 0; range: [0, 1]]")) << r.out;
  EXPECT_TRUE(Contains(r.out, "[default: 1; range: > 0]")) << r.out;
}

TEST(StagesCommand, PluginErrorsExitWithStatusOne) {
  auto r = RunSnpflow("stages --plugin /nonexistent/p.so");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err,
            "snpflow: error: plugin not found: /nonexistent/p.so (no such file); check the "
            "--plugin path, the config's 'plugins =' list or SNPFLOW_PLUGIN_PATH\n");
  auto abi = RunSnpflow(std::string("stages --plugin ") + SNPFLOW_TEST_BAD_ABI_SO);
  EXPECT_EQ(abi.exit_code, 1);
  EXPECT_TRUE(Contains(abi.err, "rebuild the plugin against this snpflow")) << abi.err;
}

}  // namespace
}  // namespace snpflow
