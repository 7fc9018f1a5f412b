// examples/plugin built as a user would: install snpflow into a temp prefix, configure and build
// the example against it with find_package(snpflow) + snpflow_add_plugin, dlopen the result, run
// its stage on a block and inside an ingest, and check its effect on variants.tsv.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "pipeline/plugin_loader.h"
#include "pipeline/registry.h"
#include "tests/fixtures/test_util.h"
#include "tests/plugins/plugin_test_util.h"

namespace snpflow {
namespace {

using testing::MakeBlock;
using testing::ReadFile;
using testing::RunShell;
using testing::RunSnpflow;
using testing::TempDir;

/// Install libsnpflow, headers and the package config into `prefix`, then build
/// examples/plugin against it in `build`; return the path of thin.so.
std::string InstallAndBuildExample(const std::string& prefix, const std::string& build) {
  const std::string cmake = SNPFLOW_CMAKE_COMMAND;
  auto install = RunShell(cmake + " --install " + SNPFLOW_BINARY_DIR + " --prefix " + prefix +
                          " --component lib && " + cmake + " --install " + SNPFLOW_BINARY_DIR +
                          " --prefix " + prefix + " --component dev");
  EXPECT_EQ(install.exit_code, 0) << install.out << install.err;
  auto configure = RunShell(cmake + " -S " + testing::SourceDir() + "/examples/plugin -B " + build +
                            " -G Ninja -DCMAKE_MAKE_PROGRAM=" + SNPFLOW_MAKE_PROGRAM +
                            " -DCMAKE_PREFIX_PATH=" + prefix + " -DCMAKE_BUILD_TYPE=Release");
  EXPECT_EQ(configure.exit_code, 0) << configure.out << configure.err;
  auto make = RunShell(cmake + " --build " + build);
  EXPECT_EQ(make.exit_code, 0) << make.out << make.err;
  return build + "/thin.so";
}

TEST(ExamplePlugin, BuildsAgainstTheInstalledPackageAndThinsVariants) {
  TempDir dir;
  const std::string prefix = dir / "prefix";
  const std::string so = InstallAndBuildExample(prefix, dir / "build");
  ASSERT_TRUE(std::filesystem::exists(so));

  // The installed tree: a package config, the library, and self-contained plugin headers that
  // need neither htslib, TBB nor torch.
  EXPECT_TRUE(std::filesystem::exists(prefix + "/lib/cmake/snpflow/snpflowConfig.cmake"));
  EXPECT_TRUE(std::filesystem::exists(prefix + "/include/snpflow/pipeline/plugin.h"));
  auto headers = RunShell("cd " + prefix + "/include/snpflow && find . -name '*.h' | sort");
  ASSERT_EQ(headers.exit_code, 0);
  std::string all_includes;
  std::istringstream list(headers.out);
  for (std::string h; std::getline(list, h);) all_includes += "#include \"" + h.substr(2) + "\"\n";
  std::ofstream(dir / "all_headers.cc") << all_includes;
  auto compile = RunShell("c++ -std=c++17 -fsyntax-only -I" + prefix + "/include/snpflow " +
                          (dir / "all_headers.cc"));
  EXPECT_EQ(compile.exit_code, 0) << compile.err;
  auto private_includes =
      RunShell("grep -rlE '#include [<\"](htslib|tbb|oneapi|torch|ATen)' " + prefix + "/include");
  EXPECT_EQ(private_includes.out, "");

  // dlopen the plugin and run its stage on a block through the registry.
  StageRegistry registry;
  LoadedPlugin p = LoadPlugin(registry, so);
  EXPECT_EQ(p.name, "thin");
  ASSERT_TRUE(registry.Has("thin"));
  auto stage = registry.Make<BlockStage>("thin", {{"every", "3"}}, "thin");
  RunContext ctx;
  stage->Init(ctx);
  std::vector<std::vector<uint8_t>> variants(10, testing::Codes(1, 1, 1));
  VariantBlock block = MakeBlock(variants);
  stage->Process(block);
  std::vector<uint64_t> kept;
  for (size_t i = 0; i < block.size(); ++i) {
    if (block.kept(i))
      kept.push_back(block.variants[i].record);
    else
      EXPECT_STREQ(block.dropped[i], "thin");
  }
  EXPECT_EQ(kept, (std::vector<uint64_t>{1, 4, 7, 10}));
  try {
    registry.Make<BlockStage>("thin", {{"every", "0"}}, "thin");
    ADD_FAILURE() << "no ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "plugin 'thin' (" + testing::Canonical(so) +
                                         "): --thin.every: 0 is out of range; allowed: "
                                         "1..1000000000");
  }

  // And inside an ingest: variants.tsv keeps records 1, 4, 7, ... of the input.
  auto sim = RunSnpflow("simulate -o " + (dir / "sim.vcf.gz") + " --samples 60 --snps 300 -q");
  ASSERT_EQ(sim.exit_code, 0) << sim.err;
  const std::string ingest =
      "ingest " + (dir / "sim.vcf.gz") + " --labels " + (dir / "sim.panel") + " -q --threads 2 -o ";
  auto base = RunSnpflow(ingest + (dir / "base"));
  ASSERT_EQ(base.exit_code, 0) << base.err;
  auto thin =
      RunSnpflow(ingest + (dir / "thin") + " --plugin " + so + " --stage thin --thin.every 3");
  ASSERT_EQ(thin.exit_code, 0) << thin.err;
  std::istringstream base_rows(ReadFile(dir / "base/variants.tsv"));
  std::string header, line, expected;
  std::getline(base_rows, header);
  expected = header + "\n";
  for (int record = 1; std::getline(base_rows, line); ++record) {
    // The simulator names record n "rs<n>"; every record passes the default filter here.
    ASSERT_NE(line.find("\trs" + std::to_string(record) + "\t"), std::string::npos) << line;
    if ((record - 1) % 3 == 0) expected += line + "\n";
  }
  EXPECT_EQ(ReadFile(dir / "thin/variants.tsv"), expected);
  EXPECT_NE(ReadFile(dir / "thin/ingest.json").find("\"thin\": 200"), std::string::npos);
}

}  // namespace
}  // namespace snpflow
