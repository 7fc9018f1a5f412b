// Tests for pipeline/plugin_loader.{h,cc}: each loader error with its exact message, dedupe,
// directories, and the records of loaded plugins. The plugins are built as .so files by
// tests/plugins/plugin_tests.cmake and plugins/; none is linked into this binary.
#include "pipeline/plugin_loader.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "pipeline/error.h"
#include "pipeline/plugin_abi.h"
#include "pipeline/registry.h"
#include "tests/fixtures/test_util.h"
#include "tests/plugins/plugin_test_util.h"

namespace snpflow {
namespace {

using testing::Canonical;
using testing::TempDir;

/// Return the PluginError message of LoadPlugin(registry, path); fail if nothing is thrown.
std::string LoadError(StageRegistry& registry, const std::string& path) {
  try {
    LoadPlugin(registry, path);
  } catch (const PluginError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no PluginError loading " << path;
  return "";
}

TEST(PluginLoader, FileNotFound) {
  TempDir dir;
  StageRegistry registry;
  const std::string path = dir / "missing.so";
  EXPECT_EQ(LoadError(registry, path),
            "plugin not found: " + path +
                " (no such file); check the --plugin path, the config's 'plugins =' list or "
                "SNPFLOW_PLUGIN_PATH");
}

TEST(PluginLoader, NotASharedLibrary) {
  TempDir dir;
  const std::string path = dir / "x.so";
  std::ofstream(path) << "this is a text file that someone named x.so, not an ELF shared object\n";
  StageRegistry registry;
  EXPECT_EQ(LoadError(registry, path),
            "cannot load plugin " + path + ": not a shared library (" + Canonical(path) +
                ": invalid ELF header); pass a .so built with snpflow_add_plugin()");
}

TEST(PluginLoader, DirectoryIsNotAPlugin) {
  TempDir dir;
  StageRegistry registry;
  EXPECT_EQ(LoadError(registry, dir.path()),
            "cannot load plugin " + dir.path() +
                ": it is a directory; pass a .so file, or add the directory to "
                "SNPFLOW_PLUGIN_PATH");
}

TEST(PluginLoader, SymbolMissing) {
  StageRegistry registry;
  const std::string path = SNPFLOW_TEST_NO_SYMBOL_SO;
  EXPECT_EQ(LoadError(registry, path),
            path +
                " is not a snpflow plugin: it does not export snpflow_plugin_v1; define its "
                "entry point with SNPFLOW_PLUGIN(...) from pipeline/plugin.h");
}

TEST(PluginLoader, AbiMismatch) {
  StageRegistry registry;
  const std::string path = SNPFLOW_TEST_BAD_ABI_SO;
  EXPECT_EQ(LoadError(registry, path), "plugin " + path +
                                           " was built for plugin ABI 999, this snpflow has " +
                                           std::to_string(SNPFLOW_PLUGIN_ABI_VERSION) +
                                           "; rebuild the plugin against this snpflow");
  EXPECT_TRUE(registry.List().empty());
}

TEST(PluginLoader, RegisterThrows) {
  StageRegistry registry;
  const std::string path = SNPFLOW_TEST_THROWING_SO;
  EXPECT_EQ(LoadError(registry, path),
            "plugin " + path +
                " (throwing 0.1) failed to register its stages: this plugin needs a GPU that is "
                "not there; fix the plugin or stop loading it");
  EXPECT_TRUE(registry.List().empty());
}

TEST(PluginLoader, NameClashWithBuiltinNamesBothOriginsAndAddsNothing) {
  StageRegistry registry;
  StageInfo builtin;
  builtin.name = "clash-stage";
  builtin.help = "a built-in stage";
  registry.Add(builtin);
  const std::string path = SNPFLOW_TEST_CLASH_SO;
  EXPECT_EQ(LoadError(registry, path),
            "stage 'clash-stage' from " + Canonical(path) +
                " clashes with the stage of the same name from built-in; rename one of them");
  // All or nothing: the plugin's other stage was not added, and later stages are built-in again.
  EXPECT_FALSE(registry.Has("another-stage"));
  EXPECT_EQ(registry.origin(), "built-in");
  EXPECT_EQ(registry.Get("clash-stage").origin, "built-in");
}

TEST(PluginLoader, NameClashBetweenTwoPluginsNamesBothFiles) {
  TempDir dir;
  const std::string copy = dir / "hwe_copy.so";
  std::filesystem::copy_file(SNPFLOW_HWE_FILTER_SO, copy);
  StageRegistry registry;
  LoadPlugin(registry, SNPFLOW_HWE_FILTER_SO);
  EXPECT_EQ(LoadError(registry, copy), "stage 'hwe-filter' from " + Canonical(copy) +
                                           " clashes with the stage of the same name from " +
                                           Canonical(SNPFLOW_HWE_FILTER_SO) +
                                           "; rename one of them");
}

TEST(PluginLoader, LoadsStagesWithThePluginAsOrigin) {
  StageRegistry registry;
  LoadedPlugin p = LoadPlugin(registry, SNPFLOW_HWE_FILTER_SO);
  EXPECT_EQ(p.name, "hwe");
  EXPECT_EQ(p.version, "1.0");
  EXPECT_EQ(p.path, Canonical(SNPFLOW_HWE_FILTER_SO));
  EXPECT_EQ(p.stages, std::vector<std::string>{"hwe-filter"});
  ASSERT_TRUE(registry.Has("hwe-filter"));
  const StageInfo& info = registry.Get("hwe-filter");
  EXPECT_EQ(info.origin, Canonical(SNPFLOW_HWE_FILTER_SO));
  EXPECT_EQ(info.role, StageRole::kBlock);
  ASSERT_EQ(info.options.size(), 1u);
  EXPECT_EQ(info.options[0].name, "min-p");
  EXPECT_EQ(info.options[0].type, OptionType::kDouble);
  EXPECT_EQ(info.options[0].default_value, "1e-06");
  EXPECT_EQ(registry.origin(), "built-in");  // restored after registration
  // Built through the registry by name, like any built-in.
  auto stage = registry.Make<BlockStage>("hwe-filter", {{"min-p", "0.01"}}, "hwe-filter");
  ASSERT_NE(stage, nullptr);
  EXPECT_EQ(stage->label(), "hwe-filter");
}

TEST(PluginLoader, LoadingTheSamePluginTwiceIsHarmless) {
  TempDir dir;
  const std::string link = dir / "via_link.so";
  std::filesystem::create_symlink(SNPFLOW_HWE_FILTER_SO, link);
  StageRegistry registry;
  LoadedPlugin first = LoadPlugin(registry, SNPFLOW_HWE_FILTER_SO);
  LoadedPlugin again = LoadPlugin(registry, SNPFLOW_HWE_FILTER_SO);
  LoadedPlugin via_link = LoadPlugin(registry, link);  // same file by realpath
  EXPECT_EQ(again.path, first.path);
  EXPECT_EQ(via_link.path, first.path);
  EXPECT_EQ(registry.List().size(), 1u);
  int listed = 0;
  for (const LoadedPlugin& p : LoadedPlugins()) listed += p.path == first.path;
  EXPECT_EQ(listed, 1);
}

TEST(PluginLoader, SamePluginInTwoRegistries) {
  StageRegistry a, b;
  LoadPlugin(a, SNPFLOW_CENTROID_TRAINER_SO);
  LoadPlugin(b, SNPFLOW_CENTROID_TRAINER_SO);
  ASSERT_TRUE(a.Has("plugin-centroid"));
  ASSERT_TRUE(b.Has("plugin-centroid"));
  EXPECT_EQ(b.Get("plugin-centroid").role, StageRole::kTrainer);
}

TEST(PluginLoader, LoadPluginDirsLoadsEverySoSortedAndSkipsMissingDirs) {
  TempDir dir;
  std::filesystem::create_symlink(SNPFLOW_HWE_FILTER_SO, dir / "b_hwe.so");
  std::filesystem::create_symlink(SNPFLOW_CENTROID_TRAINER_SO, dir / "a_centroid.so");
  std::ofstream(dir / "README.txt") << "not a plugin\n";
  std::filesystem::create_directory(dir / "sub.so");  // a directory is not a plugin file
  StageRegistry registry;
  const std::string dirs = (dir / "does-not-exist") + "::" + dir.path();
  std::vector<LoadedPlugin> loaded = LoadPluginDirs(registry, dirs.c_str());
  ASSERT_EQ(loaded.size(), 2u);
  EXPECT_EQ(loaded[0].name, "centroid");
  EXPECT_EQ(loaded[1].name, "hwe");
  EXPECT_TRUE(registry.Has("plugin-centroid"));
  EXPECT_TRUE(registry.Has("hwe-filter"));
  EXPECT_TRUE(LoadPluginDirs(registry, nullptr).empty());
}

TEST(PluginLoader, LoadPluginsTakesPathsThenDirsAndToleratesRepeats) {
  TempDir dir;
  std::filesystem::create_symlink(SNPFLOW_HWE_FILTER_SO, dir / "hwe.so");
  StageRegistry registry;
  std::vector<LoadedPlugin> loaded = LoadPlugins(
      registry, {SNPFLOW_CENTROID_TRAINER_SO, SNPFLOW_HWE_FILTER_SO}, dir.path().c_str());
  ASSERT_EQ(loaded.size(), 3u);
  EXPECT_EQ(loaded[0].name, "centroid");
  EXPECT_EQ(loaded[1].name, "hwe");
  EXPECT_EQ(loaded[2].name, "hwe");  // the same file again, from the directory: harmless
  EXPECT_EQ(registry.List().size(), 2u);
}

TEST(PluginLoader, ErrorInDirectoryNamesTheFile) {
  TempDir dir;
  std::filesystem::create_symlink(SNPFLOW_TEST_BAD_ABI_SO, dir / "bad.so");
  StageRegistry registry;
  EXPECT_THROW(LoadPluginDirs(registry, dir.path().c_str()), PluginError);
  try {
    LoadPluginDirs(registry, dir.path().c_str());
  } catch (const PluginError& e) {
    EXPECT_NE(std::string(e.what()).find(dir / "bad.so"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace snpflow
