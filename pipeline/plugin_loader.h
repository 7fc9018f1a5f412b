#pragma once
/// Loading plugins: shared libraries that export `snpflow_plugin_v1` (pipeline/plugin_abi.h) and
/// register stages into a StageRegistry. Search order for a run (STYLE A.5): `--plugin` paths,
/// then `[pipeline] plugins =` in configs, then every `.so` in the SNPFLOW_PLUGIN_PATH directories.
#include <cstdlib>
#include <string>
#include <vector>

#include "pipeline/registry.h"

namespace snpflow {

/// The environment variable listing plugin directories, ':'-separated.
inline constexpr const char* kPluginPathEnv = "SNPFLOW_PLUGIN_PATH";

/// A plugin loaded into this process.
struct LoadedPlugin {
  std::string name;     // from the plugin ("hwe")
  std::string version;  // the plugin's own version
  std::string about;    // one line
  std::string path;     // the canonical path (realpath) of the .so; the origin of its stages
  std::vector<std::string> stages;  // names of the stages it registers, sorted
};

/// Whether the errors of a plugin's stages name the plugin: "plugin 'NAME' (PATH): <what>" from
/// its factory and from every call into the stages it makes (pipeline/plugin_guard_internal.h).
/// snpflow's own LibTorch module is loaded kAsIs: its errors are snpflow's.
enum class PluginErrors { kNamePlugin, kAsIs };

/// Load the plugin at `path` and add its stages to `registry` (their origin is the canonical
/// path). Loading the same file again (by realpath) into the same registry does nothing and
/// returns the same record; loading it into another registry registers its stages there too.
/// The library is opened with dlopen(RTLD_NOW | RTLD_LOCAL) and never closed, because its stages
/// may run until the process exits. Either all of the plugin's stages are added or none.
/// Throws PluginError naming `path` and the fix when: the file is missing; it is not a shared
/// library; it has no `snpflow_plugin_v1`; its ABI version differs; one of its stage names is
/// taken (both origins named); its register function failed (its own message).
/// Not thread-safe with respect to `registry`; call before the pipeline runs.
LoadedPlugin LoadPlugin(StageRegistry& registry, const std::string& path,
                        PluginErrors errors = PluginErrors::kNamePlugin);

/// Load every `*.so` file (sorted by name) in each directory of the ':'-separated list `dirs`,
/// which defaults to $SNPFLOW_PLUGIN_PATH. Empty entries and missing directories are skipped.
/// Returns the plugins loaded, in order. Throws PluginError as LoadPlugin does.
std::vector<LoadedPlugin> LoadPluginDirs(StageRegistry& registry,
                                         const char* dirs = std::getenv(kPluginPathEnv));

/// Load the `--plugin` / config paths in order, then the $SNPFLOW_PLUGIN_PATH directories.
std::vector<LoadedPlugin> LoadPlugins(StageRegistry& registry,
                                      const std::vector<std::string>& paths,
                                      const char* dirs = std::getenv(kPluginPathEnv));

/// Every plugin registered in this process so far (into any registry), in first-load order.
std::vector<LoadedPlugin> LoadedPlugins();

}  // namespace snpflow
